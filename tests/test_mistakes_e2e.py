"""A new user's mistakes, against a bot with the default fair-use limits and private addresses refused.

Each mistake gets its own private answer (never the quota's), nothing about it reaches the channel or the
model, and mistakes count toward no limit: the real debate after a burst of them still starts.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.bot_process import SECRET, bot_env, free_port, start_bot
from tests.conftest import database_url
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.google_fake import FakeGoogle
from tests.fakes.slack_fake import FakeSlack
from tests.slack_requests import SlackSender
from tests.test_slack_e2e import GDOC_LINK, SERVICE_ACCOUNT, public, share_google_doc, summary_posted

CLOSED_DOC = "1ClosedBudgetDoc0123456789"
CHANNEL = "CFIRSTDAY"


@pytest.fixture
def strict_bot(tmp_path: Path) -> Iterator[tuple[str, FakeSlack, FakeAnthropic]]:
    with FakeSlack() as slack, FakeAnthropic(api_key="test-key") as anthropic, FakeGoogle() as google:
        key = google.write_service_account(tmp_path / "sa.json", SERVICE_ACCOUNT)
        share_google_doc(google)
        google.add_doc(CLOSED_DOC, {"title": "Budget", "body": {"content": []}}, owners=["cfo@acme.example"])
        google.add_permission(CLOSED_DOC, "user", "writer", email_address=SERVICE_ACCOUNT)
        slack.add_user("U123", "alice@acme.example", name="alice")
        env = bot_env(
            slack,
            anthropic,
            tmp_path,
            database_url(tmp_path),
            DOCDEBATE_ALLOW_PRIVATE_URLS="false",  # as deployed: the fakes below are not fetched as pages
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
            GOOGLE_API_URL=google.base_url,
        )
        port = free_port()
        proc = start_bot(env, port, tmp_path, subprocess.DEVNULL)
        try:
            yield f"http://127.0.0.1:{port}", slack, anthropic
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def answer_to(slack: FakeSlack, url: str) -> str:
    """What the bot said through one command's response_url (waits for it)."""
    path = urlsplit(url).path
    calls = slack.wait_for(lambda s: [c for c in s.calls_to("response_url") if c.path == path], timeout=30)
    return json.dumps([c.args for c in calls])


def test_a_burst_of_mistakes_is_answered_mistake_by_mistake_and_counts_toward_no_limit(
    strict_bot: tuple[str, FakeSlack, FakeAnthropic],
) -> None:
    url, slack, anthropic = strict_bot
    closed = f"https://docs.google.com/document/d/{CLOSED_DOC}/edit"
    mistakes = [
        ("<http://169.254.169.254/latest/meta-data/>", "private address"),
        ("<https://plans.nonexistent.invalid/q3>", "could not find the host"),
        (f"<{closed}>", "don't have access"),
        (f"<{closed}> again", "don't have access"),
        (f"<{closed}> --depth quick", "don't have access"),
        (f"<{closed}> once more", "don't have access"),
    ]
    with SlackSender(url, SECRET, slack=slack) as sender:
        for text, expected in mistakes:  # more than the burst limit (3), one after the other
            response = sender.slash_command(text, channel_id=CHANNEL)
            assert response.status_code == 200
            said = answer_to(slack, sender.last.response_url or "")
            assert expected in said, (text, said)
            assert "You have started" not in said and "already have a debate" not in said
        assert not anthropic.requests, "no mistake reached the model"
        assert public(slack, CHANNEL) == "[]", "no mistake left a trace in the channel"

        sender.slash_command(f"<{GDOC_LINK}> --depth quick", channel_id=CHANNEL)
    slack.wait_for(summary_posted(CHANNEL), timeout=90)
