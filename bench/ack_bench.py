"""Benchmark: acknowledgement latency of concurrent `/debate` commands in HTTP mode.

Starts the installed `docdebate serve --http` against the loopback fakes of Slack and Anthropic, fires N
signed slash commands at once (each a real request that starts a debate), and prints the latency of the
HTTP answers, which is what Slack waits for (its limit is 3 s; our target is p99 < 100 ms).

    .venv/bin/python bench/ack_bench.py [--n 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.bot_process import SECRET, bot_env, start_bot  # noqa: E402
from tests.fakes.anthropic_fake import FakeAnthropic  # noqa: E402
from tests.fakes.slack_fake import FakeSlack  # noqa: E402
from tests.pages import serve_pages  # noqa: E402
from tests.slack_requests import sign  # noqa: E402


def start(
    slack: FakeSlack, anthropic: FakeAnthropic, work: Path, port: int, **extra: str
) -> subprocess.Popen[bytes]:
    env = bot_env(slack, anthropic, work, f"sqlite:///{work}/bench.sqlite", **extra)
    return start_bot(env, port, work, subprocess.DEVNULL)


def signed_command(text: str, channel: str, trigger: str, user: str = "U123") -> tuple[bytes, dict[str, str]]:
    """A slash command body and headers as Slack would send them, signed ahead of time."""
    body = urlencode(
        {
            "token": "t",
            "team_id": "T0001",
            "team_domain": "bench",
            "channel_id": channel,
            "channel_name": channel,
            "user_id": user,
            "user_name": "bench",
            "command": "/debate",
            "text": text,
            "api_app_id": "A0001",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": trigger,
        }
    ).encode()
    timestamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }


async def fire(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> list[float]:
    """Send all requests at once from one event loop; latency of each answer in ms."""
    limits = httpx.Limits(max_connections=len(requests) + 1)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(body: bytes, headers: dict[str, str]) -> float:
            started = time.perf_counter()
            response = await client.post(url, content=body, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            return elapsed

        await asyncio.gather(
            *(client.get(url.replace("/slack/events", "/health")) for _ in requests)
        )  # connect
        return sorted(await asyncio.gather(*(one(b, h) for b, h in requests)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="concurrent slash commands")
    args = parser.parse_args()
    page = (ROOT / "examples" / "design-doc.md").read_text()
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack() as slack,
        FakeAnthropic(api_key=None) as anthropic,
        serve_pages({"/doc": ("text/markdown", page)}) as site,
    ):
        anthropic.latency_s = 0.5  # the debates keep the process busy while the acks are measured
        port = 38000 + os.getpid() % 1000
        bot = start(slack, anthropic, Path(tmp), port)
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            text = f"<{site}/doc> --depth quick"
            asyncio.run(fire(url, [signed_command(text, "CWARM", "warm.1")]))  # first-request setup
            help_only = [
                signed_command("help", f"H{i:04d}", f"h{i}.{time.time()}", f"UH{i:04d}")
                for i in range(args.n)
            ]
            ack_only = asyncio.run(fire(url, help_only))
            requests = [
                signed_command(text, f"C{i:04d}", f"{i}.{time.time()}", f"U{i:04d}") for i in range(args.n)
            ]
            latencies = asyncio.run(fire(url, requests))
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
    runs = (
        ("`/debate help` (the ack path alone)", ack_only),
        ("`/debate <link>` (each starts a debate)", latencies),
    )
    for label, values in runs:
        p50, p99 = statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{args.n} concurrent {label}: ack p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
            f"p99 / 100 ms target = {p99 / 100:.2f}; p99 / Slack's 3 s limit = {p99 / 3000:.3f}"
        )


if __name__ == "__main__":
    main()
