"""Benchmark: a re-review after one section changed, against the full debate it follows (issue 14).

One run against the loopback Anthropic fake with injected latency: a standard debate of a ~40k-token document
(three personas, one rebuttal round), then the same document with one section edited, re-reviewed at once
(within the prompt cache's lifetime, as a re-review asked for after reading the verdict is). Prints, from the
usage the fake reports and the wall time of each:
- re-review cost / full debate cost (target <= 0.6);
- re-review wall time / full debate wall time (target <= 0.7);
each the median over `--rounds` pairs (the fake's answers, hence their lengths, differ from run to run).

    .venv/bin/python bench/rereview_bench.py [--tokens 40000] [--latency 1.0] [--per-token 0.004] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.debate_bench import long_document  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.debate.changes import edits  # noqa: E402
from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel  # noqa: E402
from bot.debate.protocol import Debate  # noqa: E402
from bot.debate.rereview import Revisit  # noqa: E402
from bot.llm import LLM  # noqa: E402
from bot.models import DebateResult, Depth, Document  # noqa: E402
from bot.sources.text import markdown_sections  # noqa: E402
from tests.fakes.anthropic_fake import FakeAnthropic  # noqa: E402

EDITED = "## Rollout plan"
NEW_TEXT = (
    "Every migrated account keeps a one-click switch back to the legacy ledger until June 30, and the ledger "
    "stays read-only, not deleted, for ninety days after the last account moves."
)


def edited(document: Document) -> Document:
    """The document with one sentence added under one heading: one section changed."""
    at = document.text.index("\n", document.text.index(EDITED)) + 1
    text = f"{document.text[:at]}\n{NEW_TEXT}\n{document.text[at:]}"
    return document.model_copy(update={"text": text, "sections": markdown_sections(text)})


async def side_by_side(
    fake: FakeAnthropic, document: Document
) -> tuple[DebateResult, float, DebateResult, float]:
    settings = Settings(anthropic_api_key="bench", anthropic_base_url=fake.base_url)  # type: ignore[arg-type]
    panel = select_panel(load_personas(), list(DEFAULT_PANEL))
    llm = LLM(settings)
    try:
        started = time.perf_counter()
        debate = await Debate(llm, settings, document, panel, depth=Depth.STANDARD).run()
        debate_s = time.perf_counter() - started
        now = edited(document)
        found = edits(document, now)
        assert len(found) == 1, found
        started = time.perf_counter()
        rereview = await Revisit(llm, settings, debate, now, panel, found).run()
        return debate, debate_s, rereview, time.perf_counter() - started
    finally:
        await llm.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=40_000, help="document size in tokens (about)")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds to first token, per call")
    parser.add_argument("--per-token", type=float, default=0.004, help="seconds per output token")
    parser.add_argument("--rounds", type=int, default=5, help="debate-then-re-review pairs; medians printed")
    args = parser.parse_args()

    document = long_document(args.tokens)
    costs: list[float] = []
    walls: list[float] = []
    print(f"document: ~{len(document.text) // 4:,} tokens; one section changed ({EDITED.lstrip('# ')})")
    with FakeAnthropic(api_key=None) as fake:
        fake.latency_s, fake.per_token_s = args.latency, args.per_token
        for _ in range(args.rounds):
            fake.reset()  # each pair starts from an empty cache
            debate, debate_s, rereview, rereview_s = asyncio.run(side_by_side(fake, document))
            d, r = debate.usage, rereview.usage
            print(
                f"full debate: {d.calls} calls, ${d.cost_usd:.4f}, {debate_s:.2f}s · "
                f"re-review: {r.calls} calls, ${r.cost_usd:.4f}, {rereview_s:.2f}s"
            )
            costs.append(r.cost_usd / d.cost_usd)
            walls.append(rereview_s / debate_s)
    print(f"re-review cost / full debate cost: {statistics.median(costs):.3f}  (median; target <= 0.6)")
    print(
        f"re-review wall time / full debate wall time: {statistics.median(walls):.3f}  (median; target <= 0.7)"
    )


if __name__ == "__main__":
    main()
