"""The bot's Messages tab and files uploaded in threads, end to end: a chat with the app (a thread of its DM,
Slack's assistant view) and a channel thread, sent as Slack sends them to the bot serving HTTP against the
fakes."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests import test_slack_e2e
from tests.fakes.slack_fake import BOT_ID, BOT_USER_ID, FakeSlack
from tests.test_slack_e2e import TITLES, Bot, posts, private_answers, summary_posted
from tests.test_slack_files_e2e import LINES, PLAN, downloads_of
from tests.test_sources_local import make_pdf

bot = test_slack_e2e.bot  # the same fixture: the bot serving HTTP against the fakes
PROMPTS = ["Debate a doc", "Re-review", "What are our open one-way doors?"]


def new_chat(slack: FakeSlack, channel: str, user: str = "U123") -> str:
    """A new chat in the app's Messages tab: its root message in the user's DM with the app; its ts."""
    slack.add_channel(channel, user=user)
    return slack.add_message(channel, "New chat", user=user, subtype="assistant_app_thread")


def speakers(slack: FakeSlack, channel: str) -> list[str]:
    return [c.args["username"] for c in posts(slack, channel) if c.args.get("username")]


def replies_in(slack: FakeSlack, channel: str, thread_ts: str) -> list[str]:
    return [c.args.get("text") or "" for c in posts(slack, channel) if c.args.get("thread_ts") == thread_ts]


def asked_since(bot: Bot, before: int) -> str:
    return json.dumps([r.body for r in bot.anthropic.requests[before:]])


def test_a_link_in_a_chat_is_debated_in_that_chats_thread(bot: Bot) -> None:
    channel = "DTABLINK"
    root = new_chat(bot.slack, channel)
    with bot.sender() as sender:
        assert sender.im_message(f"<{bot.pages}/plan> pricing", channel, root).status_code == 200
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    sent = posts(bot.slack, channel)
    assert sent and all(c.args.get("thread_ts") == root for c in sent), "everything in the chat's thread"
    for title in TITLES.values():
        assert speakers(bot.slack, channel).count(title) == 2
    (status,) = bot.slack.calls_to("assistant.threads.setStatus")[-1:]
    assert {k: status.args[k] for k in ("channel_id", "thread_ts", "status")} == {
        "channel_id": channel,
        "thread_ts": root,
        "status": "is reading the doc…",
    }
    assert status.at < sent[0].at, "the status shows before the first post"


def test_a_pdf_dropped_in_a_chat_is_debated_from_its_own_text(bot: Bot, tmp_path: Path) -> None:
    channel = "DTABPDF"
    root = new_chat(bot.slack, channel)
    pdf = make_pdf(tmp_path / "heron.pdf", [LINES]).read_bytes()
    file_id = bot.slack.add_file(pdf, "heron.pdf", user="U123", channels=[channel], title="Heron cutover")
    before = len(bot.anthropic.requests)
    with bot.sender() as sender:
        sender.im_message("", channel, root, files=[bot.slack.file(file_id)])
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    assert all(line in asked_since(bot, before) for line in LINES[:3]), "the panel read the PDF's own text"
    assert all(c.args.get("thread_ts") == root for c in posts(bot.slack, channel))
    assert [d.status for d in downloads_of(bot.slack, file_id)] == [200]


def test_a_new_chat_offers_the_three_prompts(bot: Bot) -> None:
    channel = "DTABNEW"
    root = new_chat(bot.slack, channel)
    with bot.sender() as sender:
        sender.assistant_thread_started(channel, root, context_channel="CGENERAL")

    def offered(slack: FakeSlack) -> list:
        return [
            c
            for c in slack.calls_to("assistant.threads.setSuggestedPrompts")
            if c.args["channel_id"] == channel
        ]

    (call,) = bot.slack.wait_for(offered, timeout=30)
    assert call.response == {"ok": True}
    assert call.args["thread_ts"] == root
    assert [p["title"] for p in call.args["prompts"]] == PROMPTS
    assert posts(bot.slack, channel) == [], "an empty chat gets prompts, not a message"


def test_how_to_and_anything_else_get_a_short_answer_in_the_thread(bot: Bot) -> None:
    channel = "DTABHOW"
    root = new_chat(bot.slack, channel)
    before = len(bot.anthropic.requests)
    with bot.sender() as sender:
        sender.im_message("Debate a doc", channel, root)
        bot.slack.wait_for(lambda s: len(replies_in(s, channel, root)) == 1, timeout=30)
        sender.im_message("hello there", channel, root)
        bot.slack.wait_for(lambda s: len(replies_in(s, channel, root)) == 2, timeout=30)
    how_to, other = replies_in(bot.slack, channel, root)
    assert "Paste a link to the doc here" in how_to and "drop the file" in how_to
    assert "I debate docs" in other
    assert len(bot.anthropic.requests) == before, "no model call"


def test_re_review_in_a_chat_without_a_debate_says_so(bot: Bot) -> None:
    channel = "DTABRR"
    root = new_chat(bot.slack, channel)
    with bot.sender() as sender:
        sender.im_message("Re-review", channel, root)
    bot.slack.wait_for(lambda s: replies_in(s, channel, root), timeout=30)
    assert "no finished debate in this thread to re-review" in replies_in(bot.slack, channel, root)[0]


def test_asking_for_the_open_doors_answers_in_the_thread_as_debate_ledger_does(bot: Bot) -> None:
    channel = "DTABDOORS"
    root = new_chat(bot.slack, channel)
    with bot.sender() as sender:
        sender.im_message("What are our open one-way doors?", channel, root)
        (answer,) = bot.slack.wait_for(
            lambda s: [c for c in posts(s, channel) if c.args.get("thread_ts") == root], timeout=30
        )
        ledger = sender.slash_command("ledger", channel_id=channel).json()
    assert "open one-way doors in the ledger" in answer.args["text"]
    assert (answer.args["text"], answer.args.get("blocks")) == (ledger["text"], ledger.get("blocks"))


def test_the_bots_own_messages_in_a_chat_start_nothing(bot: Bot) -> None:
    channel = "DTABSELF"
    root = new_chat(bot.slack, channel)
    before = len(bot.anthropic.requests)
    link = f"<{bot.pages}/plan>"
    with bot.sender() as sender:
        own = sender.im_message_event(link, channel, root, user=BOT_USER_ID)
        own.update(bot_id=BOT_ID, app_id="A0001", subtype="bot_message", username="The Skeptic")
        sender.event(own)
        plain = sender.im_message_event(link, channel, root, user=BOT_USER_ID)
        plain["bot_id"] = BOT_ID
        sender.event(plain)
        edited = {
            "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
            "channel_type": "im", "ts": str(time.time()), "event_ts": str(time.time()),
            "message": {**plain, "text": f"{link} (edited)"}, "previous_message": plain,
        }  # fmt: skip
        sender.event(edited)
        sender.im_message("hello", channel, root)  # answered after the three above were handled
        bot.slack.wait_for(lambda s: replies_in(s, channel, root), timeout=30)
    assert len(replies_in(bot.slack, channel, root)) == 1, "one answer: to the person"
    assert speakers(bot.slack, channel) == [] and len(bot.anthropic.requests) == before
    assert not [
        c for c in bot.slack.calls_to("assistant.threads.setStatus") if c.args["channel_id"] == channel
    ]


def test_the_same_message_delivered_twice_starts_one_debate(bot: Bot) -> None:
    channel = "DTABDUP"
    root = new_chat(bot.slack, channel)
    with bot.sender() as sender:
        sender.im_message(f"<{bot.pages}/plan>", channel, root)
        first = sender.last
        sender.event(first.payload["event"], first.event_id, retry_num=1, retry_reason="http_timeout")
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    time.sleep(0.5)  # as test_slack_e2e's duplicate tests: room for a second debate to show itself
    assert sorted(speakers(bot.slack, channel)) == sorted([*TITLES.values()] * 2), "one debate, not two"


def upload_in_thread(slack: FakeSlack, channel: str, root: str, file_id: str, user: str = "U123") -> None:
    """`user` uploads the file in the thread of `root`: the `file_share` message Slack adds there."""
    slack.add_message(
        channel, "", user=user, thread_ts=root, subtype="file_share", files=[slack.file(file_id)], upload=True
    )


def test_a_pdf_uploaded_in_a_channel_thread_is_debated_when_mentioned(bot: Bot, tmp_path: Path) -> None:
    channel = "CTHREADPDF"
    bot.slack.add_channel(channel, "heron", members=["U123"])
    root = bot.slack.add_message(channel, "The Heron cutover plan, for Thursday", user="U123")
    pdf = make_pdf(tmp_path / "heron.pdf", [LINES]).read_bytes()
    file_id = bot.slack.add_file(pdf, "heron.pdf", user="U123", channels=[channel])
    upload_in_thread(bot.slack, channel, root, file_id)
    before = len(bot.anthropic.requests)
    with bot.sender() as sender:
        sender.app_mention("<@UBOT> please", channel=channel, thread_ts=root)
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    assert all(line in asked_since(bot, before) for line in LINES[:3]), "the panel read the PDF's own text"
    assert all(c.args.get("thread_ts") == root for c in posts(bot.slack, channel))


def test_a_requester_who_cannot_see_the_uploaded_file_is_told_and_nothing_is_read(bot: Bot) -> None:
    shared, asked_in = "CTHREADSECRET", "CTHREADASK"
    bot.slack.add_channel(shared, "secret-plans", members=["U123"])
    bot.slack.add_channel(asked_in, "general", members=["U123", "U666"])
    file_id = bot.slack.add_file(PLAN.encode(), "plan.md", user="U123", channels=[shared])
    root = bot.slack.add_message(asked_in, "Forwarding the plan", user="U123")
    upload_in_thread(bot.slack, asked_in, root, file_id)  # the file, shared from a channel U666 is not in
    before = len(bot.anthropic.requests)
    with bot.sender() as sender:
        sender.app_mention("<@UBOT> debate this", channel=asked_in, thread_ts=root, user="U666")
    bot.slack.wait_for(lambda s: "you cannot see that Slack file" in private_answers(s), timeout=30)
    (told,) = [e for e in bot.slack.ephemerals if "you cannot see that Slack file" in json.dumps(e)]
    assert told["user"] == "U666"
    assert len(bot.anthropic.requests) == before, "no model call"
    assert downloads_of(bot.slack, file_id) == [], "nothing downloaded"
    assert speakers(bot.slack, asked_in) == []


def test_a_link_that_cannot_be_read_is_answered_in_the_chat_and_reaches_no_model(bot: Bot) -> None:
    """The answer is a reply in the chat, not an ephemeral: it stays after a reload, and a reply of the app's
    is what ends Slack's status (else "is reading the doc…" would spin on after the failure)."""
    channel = "DTABBADLINK"
    root = new_chat(bot.slack, channel)
    before = len(bot.anthropic.requests)
    with bot.sender() as sender:
        sender.im_message(f"<{bot.pages}/no-such-page>", channel, root)
    (reply,) = bot.slack.wait_for(
        lambda s: [c for c in posts(s, channel) if c.args.get("thread_ts") == root], timeout=30
    )
    assert "couldn't start the debate" in reply.args["text"] and "page not found" in reply.args["text"]
    (status,) = [
        c for c in bot.slack.calls_to("assistant.threads.setStatus") if c.args["channel_id"] == channel
    ]
    assert status.args["status"] == "is reading the doc…" and status.at < reply.at
    assert not [e for e in bot.slack.ephemerals if e.get("channel") == channel]
    assert len(bot.anthropic.requests) == before, "no model call"
