"""Crash-proof debates: `kill -9` or SIGTERM of `docdebate serve --http` mid-debate, then a restart.

The debate must carry on from its last finished step: one root message, each persona's turn posted once,
one summary, and only the model calls in flight at the crash paid for twice.

A crash "during the openings" (the rebuttals, the judge) is a condition, not a moment in time: the fake holds
those model calls unanswered (`FakeAnthropic.hold_when`) until the process is dead, so they are provably the
calls in flight at the kill, and no other can be (the workflow is waiting on them). A kill timed by sleeps
lands, on a loaded machine, between two calls or after them, and what is paid twice is then a guess.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.bot_process import SECRET, bot_env, free_port, start_bot
from tests.conftest import database_url
from tests.fakes.anthropic_fake import FakeAnthropic, RequestRecord
from tests.fakes.slack_fake import FakeSlack
from tests.pages import serve_pages
from tests.slack_requests import SlackSender
from tests.test_slack_e2e import summary_posted

DOC = (Path(__file__).resolve().parent.parent / "examples" / "design-doc.md").read_text()
CALLS_PER_DEBATE = 8  # warm-up, 3 openings, 3 rebuttals, judge
Body = dict[str, Any] | None  # a model request's JSON body, as the fake recorded it
Kind = Callable[[Body], bool]


@dataclass
class Harness:
    slack: FakeSlack
    anthropic: FakeAnthropic
    site: str
    work: Path
    port: int
    database: str
    executor: str = "replica-a"
    proc: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more settings for the next start

    def start(self) -> None:
        env = bot_env(
            self.slack,
            self.anthropic,
            self.work,
            self.database,
            DOCDEBATE_SLACK_UPDATE_INTERVAL_S="0.2",
            DOCDEBATE_SHUTDOWN_GRACE_S="1",
            DOCDEBATE_EXECUTOR_ID=self.executor,
            DOCDEBATE_REPLICA_HEARTBEAT_S="0.3",
            DOCDEBATE_REPLICA_DEAD_AFTER_S="2",
            **self.extra,
        )
        log = (self.work / f"bot-{self.executor}.log").open("ab")
        self.proc = start_bot(env, self.port, self.work, log)

    def replica(self, executor: str) -> Harness:
        """Another bot process on the same database and fakes, started."""
        other = Harness(
            self.slack, self.anthropic, self.site, self.work, free_port(), self.database, executor
        )
        other.start()
        return other

    def stop(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=60)
        self.proc = None
        return code

    def wait_models(self, predicate: Callable[[list], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.anthropic.requests):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.anthropic.requests)} model requests")
            time.sleep(0.02)

    @contextmanager
    def holding(self, kind: Kind) -> Iterator[None]:
        """The fake answers no model call of `kind` inside the block: they stay in flight until it ends."""
        release = self.anthropic.hold_when(kind)
        try:
            yield
        finally:
            release()

    def stop_when_held(self, kind: Kind, n: int, sig: int = signal.SIGKILL) -> list[RequestRecord]:
        """Inside `holding(kind)`: once `n` calls of `kind` are in flight, stop the bot with `sig`.

        Returns the calls in flight at the kill: exactly those, since the workflow waits on them and they
        are still unanswered once the process is gone. (Another replica may have made its own by then.)"""
        self.wait_models(lambda reqs: len([r for r in in_flight(reqs) if kind(r.body)]) >= n, timeout=60)
        held = in_flight(self.anthropic.requests)
        assert len(held) == n and all(kind(r.body) for r in held), [task(r.body)[:80] for r in held]
        self.stop(sig)
        unanswered = {id(r) for r in in_flight(self.anthropic.requests)}
        assert all(id(r) in unanswered for r in held), "the held calls are unanswered when it dies"
        return held


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    with (
        FakeSlack() as slack,
        FakeAnthropic(api_key=None) as anthropic,
        serve_pages({"/doc": ("text/markdown", DOC)}) as site,
    ):
        anthropic.latency_s = 0.8
        h = Harness(slack, anthropic, site, tmp_path, free_port(), database_url(tmp_path))
        h.start()
        try:
            yield h
        finally:
            if h.proc is not None:
                h.stop(signal.SIGKILL)


def in_flight(requests: list[RequestRecord]) -> list[RequestRecord]:
    return [r for r in requests if r.finished is None]


def task(body: Body) -> str:
    """The request's turns: what tells a warm-up, an opening, a rebuttal and the judge apart."""
    return json.dumps((body or {}).get("messages"))


def is_opening(body: Body) -> bool:
    return "Opening round." in task(body)


def is_rebuttal(body: Body) -> bool:
    return "Rebuttal round" in task(body)


def call(record: RequestRecord) -> str:
    """A model call, as what was asked: the same call made by another process has the same body."""
    return json.dumps(record.body, sort_keys=True)


def assert_paid_twice_only(h: Harness, held: list[RequestRecord]) -> None:
    """Every model call of the debate was made once, except the calls in flight at the kill: twice."""
    made = Counter(call(r) for r in h.anthropic.requests)
    assert len(h.anthropic.requests) == CALLS_PER_DEBATE + len(held), len(h.anthropic.requests)
    assert {c: n for c, n in made.items() if n > 1} == {call(r): 2 for r in held}, "only the held, twice"


def assert_one_complete_thread(h: Harness, channel: str) -> None:
    h.slack.wait_for(summary_posted(channel), timeout=90)
    time.sleep(0.5)
    posts = [  # what Slack took: a call it refused (a 429) posted nothing
        c
        for c in h.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and (c.response or {}).get("ok")
    ]
    roots = [c for c in posts if not c.args.get("thread_ts")]
    assert len(roots) == 1, "the root message is posted once"
    speakers = Counter(c.args.get("username") for c in posts if c.args.get("username"))
    assert speakers == {"The Skeptic": 2, "The Exec": 2, "The Engineer": 2}, speakers
    summaries = [c for c in posts if '"Verdict"' in json.dumps(c.args.get("blocks"))]
    assert len(summaries) == 1, "the summary is posted once"


def is_judge(body: Body) -> bool:
    return bool((body or {}).get("output_config"))


def judge_started(requests: list[RequestRecord]) -> bool:
    return any(is_judge(r.body) for r in requests)


def test_kill_9_during_the_openings_resumes_without_repeating_finished_work(harness: Harness) -> None:
    with harness.holding(is_opening):
        SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
            f"<{harness.site}/doc>", channel_id="CKILL1"
        )
        held = harness.stop_when_held(is_opening, 3)  # the warm-up is done, the three openings in flight
    harness.start()
    assert_one_complete_thread(harness, "CKILL1")
    assert_paid_twice_only(harness, held)


def test_kill_9_while_the_judge_works_posts_the_summary_once(harness: Harness) -> None:
    with harness.holding(is_judge):
        SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
            f"<{harness.site}/doc>", channel_id="CKILL2"
        )
        held = harness.stop_when_held(is_judge, 1)
    harness.start()
    assert_one_complete_thread(harness, "CKILL2")
    assert_paid_twice_only(harness, held)  # only the judge


def test_kill_9_after_slack_posted_but_before_the_bot_heard_back_does_not_post_again(
    harness: Harness,
) -> None:
    """The narrowest window: Slack has the summary, the step has not recorded it. The rerun finds it by the
    key in its metadata instead of posting it a second time."""
    SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
        f"<{harness.site}/doc>", channel_id="CHELD"
    )
    harness.wait_models(judge_started, timeout=60)
    harness.slack.slow_next("chat.postMessage", 8)  # the summary lands in Slack, the answer is held
    harness.slack.wait_for(summary_posted("CHELD"), timeout=60)
    harness.stop(signal.SIGKILL)
    harness.start()
    harness.slack.wait_for(  # the restarted workflow has run to its end: the root shows the verdict
        lambda s: [
            c for c in s.calls_to("chat.update") if "one-way doors" in json.dumps(c.args.get("blocks"))
        ],
        timeout=60,
    )
    assert_one_complete_thread(harness, "CHELD")
    assert len(harness.anthropic.requests) == CALLS_PER_DEBATE, "the judge had finished: nothing paid twice"


def test_kill_9_then_slack_rate_limits_the_restarted_process_still_posts_each_part_once(
    harness: Harness,
) -> None:
    SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
        f"<{harness.site}/doc>", channel_id="CKILL429"
    )
    harness.wait_models(lambda reqs: len(reqs) >= 4)
    harness.stop(signal.SIGKILL)
    # A 429 storm on the posting path greets the new process (not its start-up checks, which come first).
    harness.slack.ratelimit_next(6, method="chat.postMessage", retry_after=1)
    harness.start()
    assert_one_complete_thread(harness, "CKILL429")
    assert sum(1 for c in harness.slack.calls if c.status == 429) == 6


def test_sigterm_stops_within_the_grace_and_the_next_process_finishes(harness: Harness) -> None:
    SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
        f"<{harness.site}/doc>", channel_id="CTERM"
    )
    harness.wait_models(lambda reqs: len(reqs) >= 4)
    started = time.monotonic()
    harness.stop(signal.SIGTERM)
    assert time.monotonic() - started < 30
    assert "Traceback" not in (harness.work / "bot-replica-a.log").read_text()
    harness.start()
    assert_one_complete_thread(harness, "CTERM")


def test_a_user_over_the_running_limit_is_told_and_nothing_reaches_the_model(harness: Harness) -> None:
    sender = SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack)
    sender.slash_command(f"<{harness.site}/doc> --depth quick", channel_id="CQ1")
    harness.wait_models(lambda reqs: len(reqs) >= 1)
    second = sender.slash_command(f"<{harness.site}/doc> --depth quick", channel_id="CQ2")
    assert second.status_code == 200  # acknowledged at once; the refusal replaces the ack (response_url)
    refusal = harness.slack.wait_for(
        lambda s: [
            c for c in s.calls_to("response_url") if "already have a debate running" in json.dumps(c.args)
        ]
    )
    assert refusal[0].args.get("replace_original") is True
    harness.slack.wait_for(summary_posted("CQ1"), timeout=60)
    assert not [c for c in harness.slack.calls_to("chat.postMessage") if c.args.get("channel") == "CQ2"]
    assert len(harness.anthropic.requests) == 1 + 3 + 1  # one quick debate: warm-up, openings, judge


def test_two_processes_sharing_a_database_race_for_one_event_and_run_it_once(harness: Harness) -> None:
    """Two replicas behind a load balancer: Slack's first delivery and its retry land on different ones."""
    other = harness.replica("replica-b")
    try:
        trigger = "7777.8888.race"
        senders = [
            SlackSender(f"http://127.0.0.1:{h.port}", SECRET, slack=harness.slack) for h in (harness, other)
        ]
        with ThreadPoolExecutor(4) as pool:
            answers = [
                pool.submit(
                    s.slash_command,
                    f"<{harness.site}/doc> --depth quick",
                    channel_id="CRACE",
                    trigger_id=trigger,
                    retry_num=n,
                )
                for n, s in enumerate(senders * 2)
            ]
            assert all(a.result().status_code == 200 for a in answers)
        harness.slack.wait_for(summary_posted("CRACE"), timeout=60)
        time.sleep(1.0)
        posts = [c for c in harness.slack.calls_to("chat.postMessage") if c.args.get("channel") == "CRACE"]
        assert len([c for c in posts if not c.args.get("thread_ts")]) == 1
        assert len(harness.anthropic.requests) == 1 + 3 + 1
    finally:
        other.stop(signal.SIGTERM)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_a_replica_that_never_comes_back_has_its_debate_finished_by_another(
    harness: Harness, sig: int
) -> None:
    channel = f"CTAKE{int(sig)}"
    others: list[Harness] = []
    try:
        with harness.holding(is_rebuttal):  # A stays in the rebuttals however long B takes to start
            SlackSender(f"http://127.0.0.1:{harness.port}", SECRET, slack=harness.slack).slash_command(
                f"<{harness.site}/doc>", channel_id=channel
            )
            harness.wait_models(lambda reqs: len(reqs) >= 1)  # A, the only replica yet, took the debate
            others.append(harness.replica("replica-b"))
            held = harness.stop_when_held(is_rebuttal, 3, sig)  # and A never starts again
        assert_one_complete_thread(harness, channel)
        assert_paid_twice_only(harness, held)
        assert (
            "taking over the pending debates of replicas replica-a"
            in (harness.work / "bot-replica-b.log").read_text()
        )
    finally:
        for other in others:
            other.stop(signal.SIGTERM)
