"""`docdebate serve` acknowledges Slack and leaves the debates to worker processes.

With `DOCDEBATE_WORKERS=0` it starts none and runs nothing itself: a `docdebate worker` started apart runs
what it enqueued. With its own worker, a worker killed mid-debate is started again and resumes the debate
from its last finished step, while `serve` keeps answering.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests import test_recovery_e2e
from tests.bot_process import SECRET, bot_env, children
from tests.slack_requests import SlackSender
from tests.test_recovery_e2e import (
    Harness,
    assert_one_complete_thread,
    assert_paid_twice_only,
    in_flight,
    is_opening,
)

harness = test_recovery_e2e.harness  # the same fixture: a bot on its own database and fakes, started


def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        time.sleep(0.05)


def test_serve_with_no_workers_enqueues_and_a_worker_started_apart_runs_the_debate(harness: Harness) -> None:
    assert harness.proc is not None
    harness.stop(signal.SIGTERM)
    harness.extra = {"DOCDEBATE_WORKERS": "0"}
    harness.start()
    assert harness.proc is not None
    assert children(harness.proc.pid) == [], "serve starts no worker"

    SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
        f"<{harness.site}/doc>", channel_id="CAPART"
    )
    env = bot_env(harness.slack, harness.anthropic, harness.work, harness.database)
    worker_log = harness.work / "worker.log"
    with worker_log.open("wb") as log:
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "docdebate"), "worker"],
            env=env,
            cwd=harness.work,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            assert_one_complete_thread(harness, "CAPART")
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=60)
    assert code == 0, worker_log.read_text()
    assert "Traceback" not in worker_log.read_text()


def test_a_worker_killed_mid_debate_is_started_again_and_resumes_the_debate(harness: Harness) -> None:
    assert harness.proc is not None
    serve = harness.proc.pid
    [first] = children(serve)
    with harness.holding(is_opening):
        SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
            f"<{harness.site}/doc>", channel_id="CWORKER"
        )
        harness.wait_models(lambda reqs: len([r for r in in_flight(reqs) if is_opening(r.body)]) >= 3, 60)
        held = in_flight(harness.anthropic.requests)
        subprocess.run(["kill", "-9", str(first)], check=True)
        wait_until(lambda: first not in children(serve))
    wait_until(lambda: [p for p in children(serve) if p != first] != [])
    assert_one_complete_thread(harness, "CWORKER")
    assert_paid_twice_only(harness, held)
    assert harness.proc.poll() is None, "serve kept running"
    assert httpx.get(f"http://127.0.0.1:{harness.port}/health", timeout=5).status_code == 200
    assert "worker 0 exited" in (harness.work / f"bot-{harness.executor}.log").read_text()
