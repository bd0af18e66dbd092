"""Slack failing under a running bot: nobody is locked out, no thread is left hanging, and a verdict that was
paid for is posted once Slack is back. The bot runs with the default fair-use limits (one running debate per
user), so a user left "running" would be refused at their next request."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.bot_process import SECRET, bot_env, free_port, start_bot
from tests.conftest import database_url
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.slack_fake import FakeSlack
from tests.pages import serve_pages
from tests.slack_requests import SlackSender
from tests.test_recovery_e2e import DOC, is_opening, judge_started
from tests.test_slack_e2e import posts, summary_posted


@dataclass
class World:
    slack: FakeSlack
    anthropic: FakeAnthropic
    pages: str
    url: str
    log: Path

    def sender(self) -> SlackSender:
        return SlackSender(self.url, SECRET, slack=self.slack)

    def answer_to(self, response_url: str | None) -> str:
        path = urlsplit(response_url or "").path
        found = self.slack.wait_for(
            lambda s: [c for c in s.calls_to("response_url") if c.path == path], timeout=60
        )
        return json.dumps([c.args for c in found])


@contextmanager
def running(tmp_path: Path, **settings: str) -> Iterator[World]:
    with (
        FakeSlack() as slack,
        FakeAnthropic(api_key=None) as anthropic,
        serve_pages({"/doc": ("text/markdown", DOC)}) as pages,
    ):
        env = bot_env(
            slack,
            anthropic,
            tmp_path,
            database_url(tmp_path),
            DOCDEBATE_SLACK_RETRY_S="1",  # how long one post is retried before the debate gives up on Slack
            DOCDEBATE_SLACK_UPDATE_INTERVAL_S="0.2",
            **settings,
        )
        log = tmp_path / "bot.log"
        port = free_port()
        proc = start_bot(env, port, tmp_path, log.open("ab"))
        try:
            yield World(slack, anthropic, pages, f"http://127.0.0.1:{port}", log)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            assert "Traceback" not in log.read_text(errors="replace")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with running(tmp_path) as made:
        yield made


def test_a_channel_the_bot_is_not_in_is_told_to_the_requester_who_is_not_locked_out(world: World) -> None:
    channel = "COUTSIDE"
    world.slack.outside_channels.add(channel)
    with world.sender() as sender:
        sender.slash_command(f"<{world.pages}/doc> --depth quick", channel_id=channel)
        said = world.answer_to(sender.last.response_url)
        assert "/invite @docdebate" in said, said
        assert not [c for c in posts(world.slack, channel) if (c.response or {}).get("ok")], "nothing posted"
        world.slack.join(channel)
        sender.slash_command(f"<{world.pages}/doc> --depth quick", channel_id=channel)
    world.slack.wait_for(summary_posted(channel), timeout=90)
    assert "already have a debate running" not in json.dumps(
        [c.args for c in world.slack.calls_to("response_url")]
    )


def test_slack_failing_longer_than_the_retries_stops_the_debate_and_the_user_can_start_another(
    world: World,
) -> None:
    channel = "CFAILING"
    world.anthropic.latency_s = 3.0  # the openings are still being written when Slack starts failing
    with world.sender() as sender:
        sender.slash_command(f"<{world.pages}/doc> --depth quick", channel_id=channel)
        first_url = sender.last.response_url
        world.slack.wait_for(lambda s: len(posts(s, channel)) >= 4, timeout=60)  # the root and three personas
        world.slack.fail_next("chat.postMessage", "internal_error", n=10_000, status=500)
        world.slack.fail_next("chat.update", "internal_error", n=10_000, status=500)
        said = world.answer_to(first_url)  # a persona's message could not be finished: the debate stopped
        world.slack.clear_failures()
        world.anthropic.latency_s = 0.0
        assert "internal_error" in said or "Slack" in said, said
        sender.slash_command(f"<{world.pages}/doc> --depth quick", channel_id=channel)
    world.slack.wait_for(summary_posted(channel), timeout=90)
    answers = json.dumps([c.args for c in world.slack.calls_to("response_url")])
    assert "already have a debate running" not in answers, answers


def delivered_summaries(slack: FakeSlack, channel: str) -> list:
    return [
        c
        for c in posts(slack, channel)
        if (c.response or {}).get("ok") and '"Verdict"' in json.dumps(c.args.get("blocks"))
    ]


def test_a_verdict_paid_for_while_slack_is_down_is_posted_when_it_returns(world: World) -> None:
    channel = "CDOWN"
    world.anthropic.latency_s = 1.0
    with world.sender() as sender:
        sender.slash_command(f"<{world.pages}/doc> --depth quick", channel_id=channel)
    world.slack.wait_for(lambda s: judge_started(world.anthropic.requests), timeout=60)
    world.slack.fail_next(
        None, "internal_error", n=100_000, status=500
    )  # all of Slack, while the judge works

    def refused_summaries(slack: FakeSlack) -> int:
        return sum(
            1
            for c in posts(slack, channel)
            if c.status == 500 and '"Verdict"' in json.dumps(c.args.get("blocks"))
        )

    world.slack.wait_for(lambda s: refused_summaries(s) >= 6, timeout=60)  # past one post's retries
    assert not delivered_summaries(world.slack, channel)
    world.slack.clear_failures()
    world.slack.wait_for(lambda s: delivered_summaries(s, channel), timeout=60)
    assert len(delivered_summaries(world.slack, channel)) == 1, "posted once"


def test_a_debate_past_its_time_limit_ends_with_a_message_and_no_verdict(tmp_path: Path) -> None:
    """`DOCDEBATE_DEBATE_TIMEOUT_S` bounds a Slack debate as it bounds the CLI's: the openings are held past
    it, the thread says why it stopped, the judge is never called, and the user may start another."""
    channel = "CSLOW"
    with running(tmp_path, DOCDEBATE_DEBATE_TIMEOUT_S="4") as world:
        release = world.anthropic.hold_when(is_opening)
        try:
            with world.sender() as sender:
                sender.slash_command(f"<{world.pages}/doc> --depth quick", channel_id=channel)
                said = world.answer_to(sender.last.response_url)
                world.slack.wait_for(
                    lambda s: "longer than 4 s" in json.dumps([c.args for c in posts(s, channel)])
                )
        finally:
            release()
        thread = json.dumps([c.args for c in posts(world.slack, channel)])
        assert "stopped before the verdict" in thread, thread
        assert "longer than 4 s" in said, said
        assert not judge_started(world.anthropic.requests)
        assert not delivered_summaries(world.slack, channel)
        world.slack.wait_for(  # the root message says it stopped
            lambda s: [c for c in s.calls_to("chat.update") if "Stopped" in json.dumps(c.args)]
        )
        with world.sender() as sender:  # recorded as finished: the same user is not locked out
            sender.slash_command(f"<{world.pages}/doc> --depth quick", channel_id=channel)
        world.slack.wait_for(summary_posted(channel), timeout=90)
