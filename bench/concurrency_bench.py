"""Benchmark: 20 concurrent debates through the Slack bot, against one debate alone.

Starts the installed `docdebate serve --http` against the loopback fakes (model latency injected), runs one
`/debate` to completion, then 20 at once (each from its own user and channel), and prints, measured in this
run: the wall time of the 20 against the one (target <= 1.5x), and the peak memory of `serve`'s processes.

    .venv/bin/python bench/concurrency_bench.py [--n 20] [--latency 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ack_bench import fire, signed_command, start  # noqa: E402
from tests.bot_process import children  # noqa: E402
from tests.fakes.anthropic_fake import FakeAnthropic  # noqa: E402
from tests.fakes.slack_fake import FakeSlack  # noqa: E402
from tests.pages import serve_pages  # noqa: E402


def summaries(slack: FakeSlack) -> int:
    return sum('"Verdict"' in json.dumps(c.args.get("blocks")) for c in slack.calls_to("chat.postMessage"))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_wave(url: str, slack: FakeSlack, site: str, tag: str, n: int) -> float:
    """Send n commands at once; seconds until all n summaries are posted."""
    before = summaries(slack)
    requests = [
        signed_command(f"<{site}/doc>", f"C{tag}{i:03d}", f"{tag}{i}.{time.time()}", user=f"U{tag}{i:03d}")
        for i in range(n)
    ]
    started = time.perf_counter()
    asyncio.run(fire(url, requests))
    while summaries(slack) < before + n:
        if time.perf_counter() - started > 600:
            raise SystemExit("debates did not finish")
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--latency", type=float, default=1.0, help="model seconds to first token")
    args = parser.parse_args()
    doc = (ROOT / "examples" / "launch-plan.md").read_text()
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack() as slack,
        FakeAnthropic(api_key=None) as anthropic,
        serve_pages({"/doc": ("text/markdown", doc)}) as site,
    ):
        anthropic.latency_s, anthropic.per_token_s = args.latency, 0.002
        port = 39000 + os.getpid() % 1000
        bot = start(slack, anthropic, Path(tmp), port, DOCDEBATE_MAX_CONCURRENT_DEBATES=str(args.n))
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            one = run_wave(url, slack, site, "a", 1)
            many = run_wave(url, slack, site, "b", args.n)
            peak = peak_rss_mb(bot.pid)
            workers = [peak_rss_mb(pid) for pid in children(bot.pid)]
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=60)
    print(f"one debate: {one:.2f} s; {args.n} concurrent debates: {many:.2f} s")
    print(f"wall time {args.n} / one = {many / one:.2f}  (target <= 1.5)")
    print(
        f"peak memory: the acknowledging process {peak:.0f} MB; its worker(s) "
        f"{', '.join(f'{w:.0f}' for w in workers)} MB"
    )


if __name__ == "__main__":
    main()
