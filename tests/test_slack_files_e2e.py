"""Slack files as documents, end to end: `/debate <a Slack file's permalink>` to the bot serving HTTP, the file
read from the Slack fake with files.info and its url_private_download."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests import test_slack_e2e
from tests.fakes.slack_fake import TEAM_DOMAIN, FakeSlack
from tests.test_slack_e2e import Bot, private_answers, public, summary_posted
from tests.test_sources_local import make_pdf

bot = test_slack_e2e.bot  # the same fixture: the bot serving HTTP against the fakes

PLAN = (
    "Project Heron moves every customer invoice from the nightly batch to a streaming ledger on April 14. "
    "The old batch tables are dropped the same night, and the finance team closes the quarter on the new "
    "ledger only. Support gets a runbook two days before the cutover. We will not run both systems in "
    "parallel, because the vendor contract for the batch cluster ends on April 15 and cannot be extended. "
    "Rollback means restoring the batch tables from the last snapshot, which takes about three days."
)
LINES = textwrap.wrap(PLAN, 80)


def permalink(file_id: str, name: str, user: str = "U123") -> str:
    return f"https://{TEAM_DOMAIN}.slack.com/files/{user}/{file_id}/{name}"


def downloads_of(slack: FakeSlack, file_id: str) -> list:
    return [d for d in slack.downloads if d.args["file"] == file_id]


def test_a_pdf_uploaded_by_the_requester_is_debated_from_its_own_text(bot: Bot, tmp_path: Path) -> None:
    channel = "CFILEPDF"
    bot.slack.add_channel(channel, "heron", members=["U123"])
    pdf = make_pdf(tmp_path / "heron.pdf", [LINES]).read_bytes()
    file_id = bot.slack.add_file(
        pdf, "heron.pdf", user="U123", channels=[channel], title="Heron cutover plan"
    )
    asked_before = len(bot.anthropic.requests)
    with bot.sender() as sender:
        sender.slash_command(f"<{permalink(file_id, 'heron.pdf')}>", channel_id=channel, user_id="U123")
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    prompts = json.dumps([r.body for r in bot.anthropic.requests[asked_before:]])
    assert all(line in prompts for line in LINES[:3]), "the panel read the PDF's own text"
    assert "Heron cutover plan" in public(bot.slack, channel), "the file's title in Slack names the debate"
    (download,) = downloads_of(bot.slack, file_id)
    assert download.status == 200 and download.headers["authorization"] == f"Bearer {bot.slack.bot_token}"


def test_a_requester_who_cannot_see_the_file_is_told_and_nothing_is_read(bot: Bot) -> None:
    shared, asked_from = "CFILESECRET", "CFILEASK"
    bot.slack.add_channel(shared, "secret-plans", members=["U123"])
    file_id = bot.slack.add_file(PLAN.encode(), "plan.md", user="U123", channels=[shared])
    asked_before = len(bot.anthropic.requests)
    with bot.sender() as sender:
        sender.slash_command(f"<{permalink(file_id, 'plan.md')}>", channel_id=asked_from, user_id="U666")
    bot.slack.wait_for(lambda s: "you cannot see that Slack file" in private_answers(s), timeout=30)
    assert len(bot.anthropic.requests) == asked_before, "no model call"
    assert downloads_of(bot.slack, file_id) == [], "nothing downloaded"
    assert public(bot.slack, asked_from) == "[]", "no root message"


def test_a_file_over_the_size_limit_is_refused_before_it_is_downloaded(bot: Bot) -> None:
    channel = "CFILEBIG"
    big = b"%PDF-1.4\n" + b"0" * 25_000_000  # the fixture's bot keeps the default 25 MB limit
    file_id = bot.slack.add_file(big, "huge.pdf", user="U123", channels=[channel])
    with bot.sender() as sender:
        sender.slash_command(f"<{permalink(file_id, 'huge.pdf')}>", channel_id=channel, user_id="U123")
    bot.slack.wait_for(
        lambda s: "is larger than 25 MB (DOCDEBATE_MAX_FILE_BYTES)" in private_answers(s), timeout=30
    )
    assert bot.slack.calls_to("files.info"), "the size came from files.info"
    assert downloads_of(bot.slack, file_id) == []


def test_the_bot_token_never_follows_a_download_to_another_host(bot: Bot) -> None:
    channel = "CFILEMOVED"
    file_id = bot.slack.add_file(PLAN.encode(), "moved.md", user="U123", channels=[channel])
    with FakeSlack() as elsewhere:
        bot.slack.download_redirect = f"{elsewhere.url}/files-pri/T0001-{file_id}/download/moved.md"
        try:
            with bot.sender() as sender:
                sender.slash_command(
                    f"<{permalink(file_id, 'moved.md')}>", channel_id=channel, user_id="U123"
                )
            bot.slack.wait_for(lambda s: "not Slack's file host" in private_answers(s), timeout=30)
        finally:
            bot.slack.download_redirect = None
        assert elsewhere.calls == [], "nothing was sent to the other host, the token least of all"
    assert [d.status for d in downloads_of(bot.slack, file_id)] == [302]
