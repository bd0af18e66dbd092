"""The transcript as a canvas (`DOCDEBATE_CANVAS=true`), end to end: `/debate` to the bot serving HTTP against
the fakes; the canvas made once the verdict is delivered, linked from the root message (or, in a thread that
is not the bot's, from a post there); a Slack that refuses it still has the verdict, and the requester is
told."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from tests import test_slack_e2e
from tests.bot_process import bot_env, serving
from tests.conftest import database_url
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.google_fake import FakeGoogle
from tests.fakes.slack_fake import TEAM_DOMAIN, FakeSlack
from tests.pages import serve_pages
from tests.test_slack_e2e import TITLES, Bot, plan_html, posts, private_answers, summary_posted

bot = test_slack_e2e.bot  # DOCDEBATE_CANVAS unset: off


@pytest.fixture(scope="module")
def canvas_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    work = tmp_path_factory.mktemp("canvas-bot")
    with (
        FakeSlack() as slack,
        FakeAnthropic(api_key="test-key") as anthropic,
        FakeGoogle() as google,
        serve_pages({"/plan": ("text/html", plan_html())}) as site,
    ):
        slack.add_user("U123", "alice@acme.example", name="alice")
        database = database_url(work)
        env = bot_env(
            slack,
            anthropic,
            work,
            database,
            DOCDEBATE_CANVAS="true",
            DOCDEBATE_SLACK_UPDATE_INTERVAL_S="0.05",
        )
        with serving(env, work) as (url, proc):
            yield Bot(url, slack, anthropic, google, site, proc, database)


def _root_ts(slack: FakeSlack, channel: str) -> str:
    return str(posts(slack, channel)[0].response["ts"])


def _root_updates(slack: FakeSlack, channel: str) -> str:
    ts = _root_ts(slack, channel)
    return json.dumps([c.args for c in slack.calls_to("chat.update") if c.args.get("ts") == ts])


def _root_done(channel: str) -> Callable[[FakeSlack], str]:
    """The root's updates once one says the debate is done (its doors counted), else ""."""

    def done(slack: FakeSlack) -> str:
        text = _root_updates(slack, channel)
        return text if "one-way doors" in text else ""

    return done


def test_a_debate_saves_one_canvas_with_every_turn_and_door_linked_from_its_root(canvas_bot: Bot) -> None:
    slack, channel = canvas_bot.slack, "CCANVASON"
    with canvas_bot.sender() as sender:
        sender.slash_command(f"<{canvas_bot.pages}/plan>", channel_id=channel, user_id="U123")
    slack.wait_for(lambda s: [c for c in s.canvases if c["channel_id"] == channel], timeout=90)
    assert slack.wait_for(summary_posted(channel), timeout=10)
    (canvas,) = [c for c in slack.canvases if c["channel_id"] == channel]
    markdown = canvas["markdown"]
    assert canvas["title"] == "Debate: Project Atlas"
    for title in TITLES.values():
        assert markdown.count(f"### {title} (") == 2, markdown  # opening and one rebuttal each
    assert "# Verdict" in markdown and "### One-way doors" in markdown and "Make it two-way:" in markdown
    permalink = f"https://{TEAM_DOMAIN}.slack.com/docs/{slack.team_id}/{canvas['canvas_id']}"
    assert slack.wait_for(lambda s: permalink in _root_updates(s, channel), timeout=30)
    assert len(slack.calls_to("canvases.create")) == 1


def test_a_debate_in_someone_elses_thread_links_its_canvas_in_that_thread(canvas_bot: Bot) -> None:
    """A mention in a doc's thread has no root message of the bot's to update: the link is a post there."""
    slack, channel = canvas_bot.slack, "CCANVASTHREAD"
    root_ts = slack.add_message(
        channel, f"Draft for Thursday: <{canvas_bot.pages}/plan|Atlas plan>", user="U777"
    )
    with canvas_bot.sender() as sender:
        sender.app_mention("<@UBOT> please", channel=channel, thread_ts=root_ts)
    (canvas,) = slack.wait_for(lambda s: [c for c in s.canvases if c["channel_id"] == channel], timeout=90)
    permalink = f"https://{TEAM_DOMAIN}.slack.com/docs/{slack.team_id}/{canvas['canvas_id']}"
    linked = slack.wait_for(
        lambda s: [c for c in posts(s, channel) if permalink in json.dumps(c.args)], timeout=30
    )
    assert [c.args.get("thread_ts") for c in linked] == [root_ts]
    assert not [c for c in slack.calls_to("chat.update") if c.args.get("ts") == root_ts], (
        "not the user's message"
    )
    assert len([c for c in slack.calls_to("canvases.create") if c.args.get("channel_id") == channel]) == 1


def test_a_refused_canvas_still_delivers_the_verdict_and_tells_the_requester(canvas_bot: Bot) -> None:
    slack, channel = canvas_bot.slack, "CCANVASNO"
    slack.fail_next("canvases.create", "missing_scope")
    with canvas_bot.sender() as sender:
        sender.slash_command(f"<{canvas_bot.pages}/plan>", channel_id=channel, user_id="U123")
    slack.wait_for(summary_posted(channel), timeout=90)
    slack.wait_for(lambda s: "would not save it as a canvas" in private_answers(s), timeout=30)
    assert "canvases:write" in private_answers(slack)
    assert "Project Atlas" in slack.wait_for(_root_done(channel), timeout=30)
    assert not [c for c in slack.canvases if c["channel_id"] == channel]


def test_with_the_setting_off_no_canvas_is_made(bot: Bot) -> None:
    channel = "CCANVASOFF"
    with bot.sender() as sender:
        sender.slash_command(f"<{bot.pages}/plan>", channel_id=channel)
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    assert "Project Atlas" in bot.slack.wait_for(_root_done(channel), timeout=30)
    assert bot.slack.calls_to("canvases.create") == []
