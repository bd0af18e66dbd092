"""Benchmark: one debate against the loopback Anthropic fake with injected model latency.

Prints, measured in the same run:
- wall time / critical path of model calls: the critical path is the chain the protocol cannot shorten
  (cache warm-up, then the slowest opening, the slowest rebuttal of each round, the judge), measured from the
  fake's own timestamps. The ratio is our overhead: orchestration, serialisation, waiting on each other.
- billed input cost / the same calls' input priced with no caching, from the usage the fake reports, for three
  debates side by side (issue 13): the native judge on a service whose cache ignores the structured-output
  schema (the fake's default, the first-party API as we assume it), the native judge where the schema is part
  of the cache key (`schema_busts_cache`, as reported of Bedrock: the judge writes the document again), and
  the text judge (`DOCDEBATE_JUDGE_OUTPUT=text`) on that same service.

Target (issue 2): a ~40k-token document, 3 personas, standard depth: wall <= 1.15x, billed input <= 0.31.

    .venv/bin/python bench/debate_bench.py [--tokens 40000] [--latency 1.0] [--per-token 0.004]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel  # noqa: E402
from bot.debate.protocol import Debate  # noqa: E402
from bot.llm import LLM  # noqa: E402
from bot.models import Depth, Document  # noqa: E402
from bot.sources.text import markdown_sections  # noqa: E402
from tests.fakes.anthropic_fake import FakeAnthropic, RequestRecord, prompt_schema  # noqa: E402

JudgeOutput = Literal["native", "text"]
# (label, judge output, does the schema bust the cache)
SETUPS: list[tuple[str, JudgeOutput, bool]] = [
    ("native judge, schema outside the cache key", "native", False),
    ("native judge, schema busts the cache", "native", True),
    ("text judge, schema busts the cache", "text", True),
]


def long_document(tokens: int) -> Document:
    """The example launch plan, followed by realistic appendix tables until it is about `tokens` long."""
    text = (ROOT / "examples" / "launch-plan.md").read_text(encoding="utf-8")
    lines = [
        text,
        "",
        "## Appendix C: account migration schedule",
        "",
        "| account | plan | seats | monthly events | cohort | cut-over |",
        "|---|---|---|---|---|---|",
    ]
    row = 0
    while sum(len(line) + 1 for line in lines) < tokens * 4:
        row += 1
        lines.append(
            f"| acct-{row:05d} | {('Starter', 'Team', 'Business', 'Enterprise')[row % 4]} | {5 + row % 400} | "
            f"{(row * 7919) % 2_000_000:,} | {('pilot', 'wave 1', 'wave 2', 'wave 3')[row % 4]} | "
            f"2027-0{1 + row % 6}-{10 + row % 18} |"
        )
    body = "\n".join(lines)
    return Document(
        title="Project Atlas (with appendices)", source="bench", text=body, sections=markdown_sections(body)
    )


def classify(body: dict) -> str:
    if body.get("output_config") or prompt_schema(body) is not None:
        return "judge"
    if body["max_tokens"] == 1:
        return "warm"
    task = json.dumps(body["messages"])
    if "Rebuttal round" in task:
        return "rebuttal " + task.split("Rebuttal round ")[1][:1]
    return "opening"


async def run_once(fake: FakeAnthropic, document: Document, judge_output: JudgeOutput) -> float:
    settings = Settings(
        anthropic_api_key="bench",  # type: ignore[arg-type]
        anthropic_base_url=fake.base_url,
        judge_output=judge_output,
    )
    panel = select_panel(load_personas(), list(DEFAULT_PANEL))
    llm = LLM(settings)
    try:
        started = time.perf_counter()
        await Debate(llm, settings, document, panel, depth=Depth.STANDARD).run()
        return time.perf_counter() - started
    finally:
        await llm.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=40_000, help="document size in tokens (about)")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds to first token, per call")
    parser.add_argument("--per-token", type=float, default=0.004, help="seconds per output token")
    args = parser.parse_args()

    document = long_document(args.tokens)
    ratios: list[tuple[str, float, float]] = []
    with FakeAnthropic(api_key=None) as fake:
        fake.latency_s, fake.per_token_s = args.latency, args.per_token
        for n, (label, judge_output, busts) in enumerate(SETUPS):
            fake.reset()  # no cache entry carries over from the debate before
            fake.schema_busts_cache = busts
            wall = asyncio.run(run_once(fake, document, judge_output))
            records = [r for r in fake.requests if r.status == 200]
            if n == 0:
                print_wall_time(document, records, wall)
            ratios.append((label, *billed_and_uncached(records)))
    for label, billed, uncached in ratios:
        print(
            f"billed input cost / uncached input cost, {label}: ${billed / 1e6:.4f} / ${uncached / 1e6:.4f} = "
            f"{billed / uncached:.3f}"
        )
    print("(target <= 0.31)")


def print_wall_time(document: Document, records: list[RequestRecord], wall: float) -> None:
    stages: dict[str, float] = {}
    for record in records:
        stage = classify(record.body)
        stages[stage] = max(stages.get(stage, 0.0), record.finished - record.started)
    critical = sum(stages.values())
    print(
        f"document: ~{len(document.text) // 4:,} tokens; {len(records)} model calls; stages: "
        + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items())
    )
    print(
        f"wall time / critical path of model calls: {wall:.2f}s / {critical:.2f}s = {wall / critical:.3f}  "
        "(target <= 1.15)"
    )


def billed_and_uncached(records: list[RequestRecord]) -> tuple[float, float]:
    """The calls' input cost as billed, and the same tokens at the uncached input price (both in $ x 1e6)."""
    price = Settings().prices["claude-sonnet-5-5"]
    billed = uncached = 0.0
    for record in records:
        u = record.usage
        written, read = u.get("cache_creation_input_tokens") or 0, u.get("cache_read_input_tokens") or 0
        billed += u["input_tokens"] * price.input + written * price.cache_write + read * price.cache_read
        uncached += (u["input_tokens"] + written + read) * price.input
    return billed, uncached


if __name__ == "__main__":
    main()
