"""Benchmark: the pre-meeting digest (one structured call) against a `quick` debate of the same document.

Prints, measured in the same run against the loopback Anthropic fake with injected latency:
- digest cost / quick-debate cost, from the usage the fake reports (the README's "about a fifth");
- digest wall time / quick-debate wall time.

    .venv/bin/python bench/digest_bench.py [--tokens 20000] [--latency 1.0] [--per-token 0.004]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.debate_bench import long_document  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel  # noqa: E402
from bot.debate.protocol import Debate  # noqa: E402
from bot.digest.writer import write_digest  # noqa: E402
from bot.llm import LLM  # noqa: E402
from bot.models import Depth, Document, Usage  # noqa: E402
from tests.fakes.anthropic_fake import FakeAnthropic  # noqa: E402


async def digest_once(settings: Settings, document: Document) -> tuple[float, Usage]:
    llm = LLM(settings)
    try:
        started = time.perf_counter()
        _, usage = await write_digest(llm, settings, document, "Atlas go/no-go")
        return time.perf_counter() - started, usage
    finally:
        await llm.close()


async def quick_debate_once(settings: Settings, document: Document) -> tuple[float, Usage]:
    llm = LLM(settings)
    try:
        panel = select_panel(load_personas(), list(DEFAULT_PANEL))
        started = time.perf_counter()
        result = await Debate(llm, settings, document, panel, depth=Depth.QUICK).run()
        return time.perf_counter() - started, result.usage
    finally:
        await llm.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000, help="document size in tokens (about)")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds to first token, per call")
    parser.add_argument("--per-token", type=float, default=0.004, help="seconds per output token")
    args = parser.parse_args()

    document = long_document(args.tokens)
    with FakeAnthropic(api_key=None) as fake:
        fake.latency_s, fake.per_token_s = args.latency, args.per_token
        settings = Settings(anthropic_api_key="bench", anthropic_base_url=fake.base_url)  # type: ignore[arg-type]
        digest_wall, digest = asyncio.run(digest_once(settings, document))
        fake.cache.clear()  # the debate starts cold too: neither gets the other's cache
        debate_wall, debate = asyncio.run(quick_debate_once(settings, document))

    print(f"document: ~{len(document.text) // 4:,} tokens")
    print(
        f"digest: {digest.calls} call, ${digest.cost_usd:.4f}, {digest_wall:.2f}s; quick debate: {debate.calls} "
        f"calls, ${debate.cost_usd:.4f}, {debate_wall:.2f}s"
    )
    print(f"digest cost / quick-debate cost: {digest.cost_usd / debate.cost_usd:.3f}")
    print(f"digest wall time / quick-debate wall time: {digest_wall / debate_wall:.3f}")


if __name__ == "__main__":
    main()
