"""Benchmark: acknowledgement latency of concurrent `/debate` commands in HTTP mode, beside a bare Bolt app.

Starts the installed `docdebate serve --http` against the loopback fakes of Slack and Anthropic, and the bare
Bolt app of `bench/bare_bolt.py` (it only acks), then in interleaved rounds fires N signed slash commands at
each at once. docdebate's are real requests: each starts a debate, so from the second round on its workers
are debating while its acks are measured. It prints the p99 of the HTTP answers (what Slack waits for: its
limit is 3 s) of both, and their ratio. Targets: docdebate's p99 within 1.5x of bare Bolt's, and < 100 ms.

    .venv/bin/python bench/ack_bench.py [--n 50] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.bot_process import SECRET, bot_env, free_port, healthy, start_bot  # noqa: E402
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


def measure(pool: ProcessPoolExecutor, url: str, requests: list[tuple[bytes, dict[str, str]]]) -> list[float]:
    """`fire` from a process of its own: the fakes in this one, busy serving the debates, hold this process's
    interpreter, and would be measured as the apps' latency."""
    return pool.submit(_fire_now, url, requests).result()


def _fire_now(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> list[float]:
    return asyncio.run(fire(url, requests))


def start_bare_bolt(slack: FakeSlack, port: int) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ["PATH"],
        "BARE_BOLT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    script = str(ROOT / "bench" / "bare_bolt.py")
    proc = subprocess.Popen([sys.executable, script, str(port)], env=env, stdout=subprocess.DEVNULL)
    return healthy(proc, port)


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="concurrent slash commands per round")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds against each app")
    args = parser.parse_args()
    page = (ROOT / "examples" / "design-doc.md").read_text()
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeSlack() as slack,
        FakeAnthropic(api_key=None) as anthropic,
        serve_pages({"/doc": ("text/markdown", page)}) as site,
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool,
    ):
        anthropic.latency_s = 0.5  # the debates keep the workers busy while the acks are measured
        bot_port, bare_port = free_port(), free_port()
        bot, bare = start(slack, anthropic, Path(tmp), bot_port), start_bare_bolt(slack, bare_port)
        apps = {"bare Bolt": bare_port, "docdebate": bot_port}
        text = f"<{site}/doc> --depth quick"
        seen: dict[str, list[float]] = {name: [] for name in apps}
        try:
            for port in apps.values():  # first-request setup (auth.test, imports) is not measured
                measure(pool, f"http://127.0.0.1:{port}/slack/events", [signed_command(text, "CW", "w.1")])
            for r in range(args.rounds):
                for name, port in apps.items():
                    requests = [
                        signed_command(text, f"C{r}{i:03d}", f"{r}.{i}.{time.time()}", f"U{r}{i:03d}")
                        for i in range(args.n)
                    ]
                    latencies = measure(pool, f"http://127.0.0.1:{port}/slack/events", requests)
                    seen[name].append(p99(latencies))
                    print(
                        f"round {r + 1}, {name}: p50 {statistics.median(latencies):.1f} ms, p99 {p99(latencies):.1f} ms"
                    )
        finally:
            for proc in (bot, bare):
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    worst = {name: max(values) for name, values in seen.items()}
    ratios = [d / b for d, b in zip(seen["docdebate"], seen["bare Bolt"], strict=True)]
    print(
        f"{args.n} concurrent `/debate <link>`, {args.rounds} interleaved rounds: p99 per round, docdebate "
        f"{', '.join(f'{v:.0f}' for v in seen['docdebate'])} ms; bare Bolt "
        f"{', '.join(f'{v:.0f}' for v in seen['bare Bolt'])} ms"
    )
    print(
        f"docdebate / bare Bolt p99, per round: {', '.join(f'{x:.2f}' for x in ratios)} (target <= 1.5); "
        f"worst docdebate p99 / 100 ms target = {worst['docdebate'] / 100:.2f}"
    )


if __name__ == "__main__":
    main()
