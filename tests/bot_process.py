"""Running the installed `docdebate serve --http` against the fakes, as tests and benchmarks do."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx

from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.slack_fake import FakeSlack

SECRET = "signing-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(
    slack: FakeSlack, anthropic: FakeAnthropic, work: Path, database: str, **extra: str
) -> dict[str, str]:
    """A bot's whole environment: the fakes' endpoints, a database, private URLs allowed (the page server
    is on loopback), and `extra` settings (`DOCDEBATE_…`) on top. Nothing is inherited but PATH."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "ANTHROPIC_API_KEY": anthropic.api_key or "any",
        "ANTHROPIC_BASE_URL": anthropic.base_url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database,
        "DOCDEBATE_ALLOW_PRIVATE_URLS": "true",
        **extra,
    }


def start_bot(
    env: dict[str, str],
    port: int,
    cwd: Path,
    output: IO[Any] | int | None,
    exe: Path | None = None,
) -> subprocess.Popen[Any]:
    """Start the bot in HTTP mode and return once `/health` answers (or raise with what it printed).
    `exe` is the `docdebate` command to run; by default, this venv's."""
    exe = exe or Path(sys.executable).parent / "docdebate"
    proc = subprocess.Popen(
        [str(exe), "serve", "--http", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        cwd=cwd,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    return healthy(proc, port)


def healthy(proc: subprocess.Popen[Any], port: int) -> subprocess.Popen[Any]:
    """`proc` once its `/health` on `port` answers 200 (or raise with how it ended)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the bot exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise TimeoutError("the bot did not become healthy in 30 s")


def stop_bot(proc: subprocess.Popen[Any]) -> str:
    """SIGTERM the bot (kill it if it has not stopped in 15 s) and return what it printed to a pipe."""
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out or "")


@contextmanager
def serving(env: dict[str, str], work: Path) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """A bot serving HTTP on a free port for the block: its root URL and process. Stopped after; what it
    printed must hold no traceback."""
    port = free_port()
    proc = start_bot(env, port, work, subprocess.PIPE)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        printed = stop_bot(proc)
        assert "Traceback" not in printed, printed


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a child of any of its threads): `serve`'s workers."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
