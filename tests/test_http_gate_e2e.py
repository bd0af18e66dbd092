"""HTTP mode under abuse and outages: forged or malformed requests are refused before Bolt sees them, with
one log line and no traceback; a request taken while the database does not answer is answered anyway."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.bot_process import SECRET, bot_env, free_port, start_bot
from tests.conftest import database_url
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.slack_fake import FakeSlack
from tests.pages import serve_pages
from tests.slack_requests import SlackSender
from tests.test_slack_e2e import Bot, bot, plan_html, summary_posted  # noqa: F401 -- the module's running bot
from tests.test_slack_e2e import posts as _posts

EVENTS = "/slack/events"


def raw_post(target: Bot, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(target.url + EVENTS, content=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=abc"},
        {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=" + "0" * 64},
        {},
    ],
)
def test_unsigned_or_forged_requests_get_401(bot: Bot, headers: dict[str, str]) -> None:  # noqa: F811
    response = raw_post(bot, b'{"type": "event_callback"}', {"Content-Type": "application/json", **headers})
    assert response.status_code == 401


def test_a_signed_but_malformed_body_gets_400(bot: Bot) -> None:  # noqa: F811
    with bot.sender() as sender:
        response = sender.send(b"{not json", "application/json")
        assert response.status_code == 400
        payload = sender.send(b"payload=%7Bbroken", "application/x-www-form-urlencoded")
        assert payload.status_code == 400


def test_health_reports_the_database_and_the_queue(bot: Bot) -> None:  # noqa: F811
    answer = httpx.get(bot.url + "/health", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "database": "ok", "queue": "ok"}


def test_a_command_while_the_database_does_not_answer_is_told_so(bot: Bot) -> None:  # noqa: F811
    """SQLite's write lock held by another process: the admission cannot be written, the requester hears it."""
    database = bot.database
    if not database.startswith("sqlite:///"):
        pytest.skip("holds SQLite's write lock")
    holder = sqlite3.connect(database.removeprefix("sqlite:///"), timeout=1, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with bot.sender() as sender:
            response = sender.slash_command(f"<{bot.pages}/plan>", channel_id="CDBDOWN")
            assert response.status_code == 200 and "Reading" in response.text
            path = urlsplit(sender.last.response_url or "").path
            said = bot.slack.wait_for(
                lambda s: [c for c in s.calls_to("response_url") if c.path == path], timeout=60
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "can't take new work right now" in json.dumps(said[0].args)
    assert not _posts(bot.slack, "CDBDOWN"), "refused, not queued"


def test_the_bots_debug_log_holds_no_response_url_document_or_prompt(tmp_path: Path) -> None:
    plan = plan_html()
    with (
        FakeSlack() as slack,
        FakeAnthropic(api_key="test-key") as anthropic,
        serve_pages({"/plan": ("text/html", plan)}) as site,
    ):
        env = bot_env(slack, anthropic, tmp_path, database_url(tmp_path), DOCDEBATE_LOG_LEVEL="debug")
        log = tmp_path / "bot.log"
        port = free_port()
        proc = start_bot(env, port, tmp_path, log.open("ab"))
        try:
            with SlackSender(f"http://127.0.0.1:{port}", SECRET, slack=slack) as sender:
                sender.slash_command(f"<{site}/plan> --depth quick", channel_id="CDEBUG")
                response_url = sender.last.response_url or ""
            slack.wait_for(summary_posted("CDEBUG"), timeout=90)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    logged = log.read_text(errors="replace")
    assert "DEBUG" in logged.upper(), "the log is at debug"
    assert urlsplit(response_url).path not in logged, "a response_url lets its holder post in the channel"
    assert "Project Atlas" not in logged and "You are the Skeptic" not in logged
