"""The panel's plan in the thread, end to end: a chat stream in plan mode with a task per persona per round
and one for the judge, each moving pending → in progress → complete; the same plan as a message updated in
place where Slack will not stream; and nothing a document or a model wrote in any field of any chunk."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests import test_slack_e2e
from tests.fakes.slack_fake import FakeSlack, SlackCall
from tests.test_slack_e2e import TITLES, Bot, everything_sent, summary_posted

bot = test_slack_e2e.bot  # the same fixture: the bot serving HTTP against the fakes

STREAM_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream")
TASKS_OF_A_STANDARD_DEBATE = {
    *(f"turn:{name}:{r}" for name in TITLES for r in (0, 1)),
    "judge",
}


def stream_calls(slack: FakeSlack, channel: str) -> list[SlackCall]:
    return [c for c in slack.calls if c.method in STREAM_METHODS and c.args.get("channel") == channel]


def plan_in(slack: FakeSlack, channel: str) -> dict[str, Any] | None:
    return next((s for s in slack.streams if s["channel"] == channel), None)


def plan_stopped(channel: str) -> Callable[[FakeSlack], dict[str, Any] | None]:
    def check(slack: FakeSlack) -> dict[str, Any] | None:
        plan = plan_in(slack, channel)
        return plan if plan is not None and plan["state"] == "stopped" else None

    return check


def statuses_of(calls: list[SlackCall], task_id: str) -> list[str]:
    """The statuses a task went through, in order, repeats folded."""
    seen: list[str] = []
    for call in calls:
        for chunk in call.args.get("chunks") or []:
            ours = chunk.get("type") == "task_update" and chunk["id"] == task_id
            if ours and (not seen or seen[-1] != chunk["status"]):
                seen.append(chunk["status"])
    return seen


def test_a_debate_streams_a_plan_of_every_turn_and_the_judge_and_finishes_it(bot: Bot) -> None:
    channel = "CPLAN"
    with bot.sender() as sender:
        sender.slash_command(f"<{bot.pages}/plan>", channel_id=channel, user_id="U123")
    plan: dict[str, Any] = bot.slack.wait_for(plan_stopped(channel), timeout=90)
    bot.slack.wait_for(summary_posted(channel), timeout=30)

    root = next(c for c in bot.slack.calls_to("chat.postMessage") if c.args.get("channel") == channel)
    assert plan["thread_ts"] == root.response["ts"]  # in the debate's thread
    assert plan["task_display_mode"] == "plan"
    assert set(plan["tasks"]) == TASKS_OF_A_STANDARD_DEBATE
    assert {t["status"] for t in plan["tasks"].values()} == {"complete"}
    assert "one-way door" in plan["tasks"]["judge"]["details"]
    titles = " ".join(t["title"] for t in plan["tasks"].values())
    assert all(title in titles for title in TITLES.values())

    calls = stream_calls(bot.slack, channel)
    start = calls[0]
    assert start.method == "chat.startStream"
    assert start.args["recipient_user_id"] == "U123" and start.args["recipient_team_id"]
    assert statuses_of(calls, "turn:skeptic:0") == ["pending", "in_progress", "complete"]
    assert statuses_of(calls, "judge") == ["pending", "in_progress", "complete"]
    # Progress while a turn is written, in the task's details.
    details = [
        chunk.get("details", "")
        for call in calls
        for chunk in call.args.get("chunks") or []
        if chunk.get("id") == "turn:skeptic:0"
    ]
    assert any("writing" in d and "word" in d for d in details), details
    # The plan opens before the first persona speaks, and ends once the verdict is in.
    first_turn = next(
        c
        for c in bot.slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and c.args.get("username")
    )
    assert start.at <= first_turn.at
    assert bot.slack.calls.index(calls[-1]) > bot.slack.calls.index(start)


def plan_updates(slack: FakeSlack, channel: str, ts: str) -> list[SlackCall]:
    return [
        c
        for c in slack.calls_to("chat.update")
        if c.args.get("channel") == channel and c.args.get("ts") == ts
    ]


def finished_in_place(channel: str, ts: str, tasks: int) -> Callable[[FakeSlack], str]:
    """The plan message's last update, once it shows every task complete."""

    def check(slack: FakeSlack) -> str:
        updates = plan_updates(slack, channel, ts)
        last = updates[-1].args if updates else {}
        shown = json.dumps(last.get("blocks"))
        return shown if f"{tasks} of {tasks} done" in last.get("text", "") else ""

    return check


def test_where_slack_refuses_to_stream_the_plan_is_a_message_updated_in_place(bot: Bot) -> None:
    channel = "CNOSTREAM"
    bot.slack.fail_next("chat.startStream", "method_not_supported_for_channel_type")
    with bot.sender() as sender:
        sender.slash_command(f"<{bot.pages}/plan> --depth quick", channel_id=channel)
    bot.slack.wait_for(summary_posted(channel), timeout=90)

    assert plan_in(bot.slack, channel) is None  # no stream was started
    posted = [c for c in bot.slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]
    plan_posts = [c for c in posted if "The panel's plan" in json.dumps(c.args.get("blocks"))]
    assert len(plan_posts) == 1
    assert plan_posts[0].args["thread_ts"] == posted[0].response["ts"]
    shown = bot.slack.wait_for(finished_in_place(channel, plan_posts[0].response["ts"], 4), timeout=30)
    assert shown.count(":white_check_mark:") == 4
    for title in TITLES.values():
        assert title in shown
    assert len(plan_updates(bot.slack, channel, plan_posts[0].response["ts"])) >= 2  # kept up to date


def test_a_stream_that_expires_mid_debate_goes_on_as_updates_of_the_same_message(bot: Bot) -> None:
    channel = "CEXPIRE"
    release = bot.anthropic.hold_when(lambda body: bool(body.get("output_config")))  # the judge's call
    try:
        with bot.sender() as sender:
            sender.slash_command(f"<{bot.pages}/plan> --depth quick", channel_id=channel)

        def judging(slack: FakeSlack) -> dict[str, Any] | None:
            plan = plan_in(slack, channel)
            return plan if plan and plan["tasks"]["judge"]["status"] == "in_progress" else None

        plan: dict[str, Any] = bot.slack.wait_for(judging, timeout=60)
        bot.slack.end_stream(channel, plan["ts"])  # as Slack does when a stream times out
    finally:
        release()
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    shown = bot.slack.wait_for(finished_in_place(channel, plan["ts"], 4), timeout=30)
    assert shown.count(":white_check_mark:") == 4


def test_no_chunk_of_the_plan_carries_the_document_or_the_model(bot: Bot) -> None:
    channel = "CPLANHOSTILE"
    bot.anthropic.responder = test_slack_e2e._echo_document_responder(bot.anthropic)
    try:
        with bot.sender() as sender:
            sender.slash_command(f"<{bot.pages}/hostile> --depth quick", channel_id=channel)
        bot.slack.wait_for(plan_stopped(channel), timeout=90)
    finally:
        bot.anthropic.responder = bot.anthropic.default_response
    chunks = [chunk for call in stream_calls(bot.slack, channel) for chunk in call.args.get("chunks") or []]
    assert chunks
    for chunk in chunks:
        for field, value in chunk.items():
            assert isinstance(value, str), (field, value)
            for forbidden in ("<", ">", "evil", "channel", "billing", "http"):
                assert forbidden not in value.lower(), (field, value)
    assert "markdown_text" not in {c["type"] for c in chunks}  # persona text stays in persona messages
    assert "<!channel>" not in everything_sent(bot.slack, channel)


def test_a_debate_that_stops_marks_its_plan_so(bot: Bot) -> None:
    channel = "CPLANFAIL"
    remove = bot.anthropic.fail_when(
        lambda _body: True, status=429, retry_after=0.1, error_code="enforced_spend_limit_reached"
    )
    try:
        with bot.sender() as sender:
            sender.slash_command(f"<{bot.pages}/plan> --depth quick", channel_id=channel)
        plan: dict[str, Any] = bot.slack.wait_for(plan_stopped(channel), timeout=60)
    finally:
        remove()
    statuses = {t["status"] for t in plan["tasks"].values()}
    assert "error" in statuses and "complete" not in statuses, plan["tasks"]
    assert any("stopped" in (t.get("details") or "") for t in plan["tasks"].values())
