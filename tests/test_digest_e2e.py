"""The pre-meeting digest end to end: `docdebate serve --http` polling a fake Google Calendar, writing with
the fake Anthropic API and posting to the fake Slack, on real wall-clock time (meetings are placed a few
seconds past the lead time, so their digests fall due during the test)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.bot_process import SECRET, bot_env, free_port, start_bot
from tests.conftest import database_url, run_cli
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.google_fake import FakeGoogle, event_at
from tests.fakes.slack_fake import FakeSlack
from tests.slack_requests import SlackSender

SERVICE_ACCOUNT = "docdebate@proj.iam.gserviceaccount.com"
CALENDAR = "team@acme.example"
LEAD = timedelta(minutes=30)
TABS = json.loads((Path(__file__).parent / "data" / "gdocs" / "tabs.json").read_text())
USERS = {
    "U201": "alice@acme.example",
    "U202": "bob@acme.example",
    "U203": "carol@acme.example",
    "U204": "dave@acme.example",
}


def doc_link(doc_id: str) -> str:
    return f"https://docs.google.com/document/d/{doc_id}/edit"


def add_doc(google: FakeGoogle, doc_id: str, readers: list[str] | None) -> None:
    """A doc the bot's account edits; `readers` None: anyone with the link may read it."""
    google.add_doc(doc_id, {**TABS, "title": f"Plan {doc_id[-4:]}"}, owners=["owner@acme.example"])
    google.add_permission(doc_id, "user", "writer", email_address=SERVICE_ACCOUNT)
    if readers is None:
        google.add_permission(doc_id, "anyone", "reader")
    for email in readers or []:
        google.add_permission(doc_id, "user", "reader", email_address=email)


def dm(user: str) -> str:
    """The DM channel the fake opens for `user` (conversations.open)."""
    return "D" + user[1:]


def attendee(email: str, **extra: object) -> dict[str, object]:
    return {"email": email, "responseStatus": "accepted", **extra}


@dataclass
class World:
    slack: FakeSlack
    anthropic: FakeAnthropic
    google: FakeGoogle
    work: Path
    database: str
    key: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        return bot_env(
            self.slack,
            self.anthropic,
            self.work,
            self.database,
            GOOGLE_APPLICATION_CREDENTIALS=str(self.key),
            GOOGLE_API_URL=self.google.base_url,
            DOCDEBATE_CALENDARS=CALENDAR,
            DOCDEBATE_DIGEST_POLL_S="1",
            DOCDEBATE_SHUTDOWN_GRACE_S="1",
            **extra,
        )

    def start(self, **extra: str) -> str:
        port = free_port()
        log = (self.work / f"bot-{port}.log").open("ab")
        self.procs.append(start_bot(self.env(**extra), port, self.work, log))
        return f"http://127.0.0.1:{port}"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(0)
        proc.send_signal(sig)
        proc.wait(timeout=30)

    def meeting_in(self, seconds: float, event_id: str, **fields: object) -> float:
        """A meeting whose digest falls due `seconds` from now; returns that moment (time.monotonic())."""
        start = datetime.now(UTC) + LEAD + timedelta(seconds=seconds)
        self.google.add_event(CALENDAR, event_at(f"Review {event_id}", start, id=event_id, **fields))
        return time.monotonic() + seconds

    def posts_to(self, channel: str) -> list:
        return [c for c in self.slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]

    def digests_to(self, channel: str, title: str) -> list:
        return [
            c
            for c in self.posts_to(channel)
            if "Silent read" in str(c.args.get("text")) and title in json.dumps(c.args)
        ]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FakeSlack() as slack, FakeAnthropic(api_key="test-key") as anthropic, FakeGoogle() as google:
        key = google.write_service_account(tmp_path / "sa.json", SERVICE_ACCOUNT)
        for user, email in USERS.items():
            slack.add_user(user, email, name=email.split("@")[0])
        w = World(slack, anthropic, google, tmp_path, database_url(tmp_path), key)
        try:
            yield w
        finally:
            for proc in w.procs:
                proc.kill()
                proc.wait()


def test_a_meeting_digest_goes_by_dm_to_the_attendees_who_can_read_the_doc(world: World) -> None:
    add_doc(world.google, "1DocForDmDigest000001", readers=["alice@acme.example", "bob@acme.example"])
    world.start()
    due = world.meeting_in(
        6,
        "evdm1",
        attachments=[
            {
                "fileUrl": doc_link("1DocForDmDigest000001"),
                "title": "Plan",
                "mimeType": "application/vnd.google-apps.document",
                "fileId": "1DocForDmDigest000001",
            }
        ],
        attendees=[
            attendee("alice@acme.example"),
            attendee("bob@acme.example"),
            attendee("carol@acme.example"),  # cannot open the doc
            attendee("dave@acme.example", responseStatus="declined"),
            attendee("room-4@resource.calendar.google.com", resource=True),
        ],
    )
    world.slack.wait_for(
        lambda s: (
            world.digests_to(dm("U201"), "Review evdm1") and world.digests_to(dm("U202"), "Review evdm1")
        ),
        timeout=40,
    )
    time.sleep(3)  # three more polls: nothing is posted again
    for user in ("U201", "U202"):
        sent = world.digests_to(dm(user), "Review evdm1")
        assert len(sent) == 1, user
        assert sent[0].at >= due - 0.2, "not before its time"
        assert sent[0].args.get("unfurl_links") is False
    assert not world.posts_to(dm("U203")) and not world.posts_to("U203"), "carol cannot open the doc: nothing"
    assert not world.posts_to(dm("U204")) and not world.posts_to("U204"), "dave declined"
    assert len([r for r in world.anthropic.requests if r.body.get("output_config")]) == 1, "written once"


def named_soon(seconds: int) -> tuple[str, float]:
    """A time `seconds` from now as a user names it (their local time, whole seconds: the fake users' zone is
    New York), and that moment as time.monotonic(): measured before the command, not after a slow ack."""
    new_york, now = datetime.now(ZoneInfo("America/New_York")), time.monotonic()
    when = (new_york + timedelta(seconds=seconds)).replace(microsecond=0)
    return f"{when:%Y-%m-%dT%H:%M:%S}", now + (when - new_york).total_seconds()


def test_a_meeting_digest_goes_to_the_channel_named_in_its_html_description(world: World) -> None:
    add_doc(world.google, "1DocForChannelDigest01", readers=None)
    world.start()
    description = (
        '<p>Please read <a href="https://www.google.com/url?q=https://docs.google.com/document/d/'
        '1DocForChannelDigest01/edit&amp;sa=D&amp;ust=1">the plan</a> first.</p><br>Discussion in #design-review'
    )
    due = world.meeting_in(
        5,
        "evch1",
        description=description,
        attendees=[attendee("alice@acme.example"), attendee("carol@acme.example")],
    )
    cancelled = world.meeting_in(
        5,
        "evcancel",
        status="cancelled",
        description=description.replace("#design-review", "#cancelled-room"),
    )
    world.slack.wait_for(lambda s: world.digests_to("#design-review", "Review evch1"), timeout=40)
    time.sleep(3)
    sent = world.digests_to("#design-review", "Review evch1")
    assert len(sent) == 1 and sent[0].at >= due - 0.2
    assert not world.posts_to(dm("U201")) and not world.posts_to(dm("U203")), "the channel got it: no DMs"
    assert time.monotonic() > cancelled and not world.posts_to("#cancelled-room")


def test_digest_now_and_scheduled_digests_with_list_and_cancel(world: World) -> None:
    add_doc(world.google, "1DocForSlashDigest0001", readers=["alice@acme.example"])
    url = world.start()
    link = doc_link("1DocForSlashDigest0001")
    sender = SlackSender(url, SECRET, slack=world.slack)
    ack = sender.slash_command(f"digest <{link}>", channel_id="CNOW", user_id="U201")
    assert "Writing a silent-read digest" in ack.text
    world.slack.wait_for(lambda s: world.digests_to("CNOW", "Plan"), timeout=30)

    refused = sender.slash_command(f"digest <{link}>", channel_id="CNOPE", user_id="U203")
    assert refused.status_code == 200
    world.slack.wait_for(
        lambda s: [c for c in s.calls_to("chat.postMessage") if c.args.get("channel") == dm("U203")],
        timeout=30,
    )
    assert not world.posts_to("CNOPE"), "carol cannot open the doc: no digest anywhere"

    soon, due = named_soon(5)
    ack = sender.slash_command(f"schedule <{link}> {soon} <#CSOON|soon>", channel_id="CHERE", user_id="U201")
    assert "I'll post a silent-read digest" in ack.text, ack.text
    later = sender.slash_command(f"schedule <{link}> in 2h", channel_id="CLATER", user_id="U201")
    assert "I'll post" in later.text
    listing = sender.slash_command("schedule list", channel_id="CHERE", user_id="U201").text
    assert listing.count("<#C") == 2 and listing.index("CSOON") < listing.index("CLATER"), listing
    sender.event({"type": "app_home_opened", "user": "U201", "channel": "D201", "tab": "home"})
    home = json.dumps(world.slack.wait_for(lambda s: s.views.get("U201"), timeout=10))
    assert "Your scheduled digests" in home and "CLATER" in home
    cancel = sender.slash_command("schedule cancel 2", channel_id="CHERE", user_id="U201").text
    assert "Cancelled" in cancel
    world.slack.wait_for(lambda s: world.digests_to("CSOON", "Plan"), timeout=30)
    sent = world.digests_to("CSOON", "Plan")
    assert len(sent) == 1 and sent[0].at >= due - 1.0
    assert not world.posts_to("CHERE"), "it goes to the channel named, not where it was asked"
    listing = sender.slash_command("schedule list", channel_id="CHERE", user_id="U201").text
    assert "no digests scheduled" in listing
    bad = sender.slash_command(f"schedule <{link}> next blursday", channel_id="CHERE", user_id="U201").text
    assert "blursday" in bad


def test_restart_between_scheduling_and_posting_and_two_processes_post_each_digest_once(world: World) -> None:
    add_doc(world.google, "1DocForRestartDigest1", readers=None)
    link = doc_link("1DocForRestartDigest1")
    url = world.start()
    soon, due = named_soon(8)
    ack = SlackSender(url, SECRET, slack=world.slack).slash_command(
        f"schedule <{link}> {soon}", channel_id="CRESTART", user_id="U201"
    )
    assert "I'll post" in ack.text
    world.kill()  # kill -9 while the digest sleeps
    world.start()
    world.start()  # and a second process on the same database
    meeting_due = world.meeting_in(
        4,
        "evtwo",
        description=f"Doc: {link}",
        attendees=[attendee("alice@acme.example"), attendee("bob@acme.example")],
    )
    world.slack.wait_for(lambda s: world.digests_to("CRESTART", "Plan"), timeout=40)
    world.slack.wait_for(
        lambda s: (
            world.digests_to(dm("U201"), "Review evtwo") and world.digests_to(dm("U202"), "Review evtwo")
        ),
        timeout=40,
    )
    time.sleep(3)
    assert len(world.digests_to("CRESTART", "Plan")) == 1
    assert world.digests_to("CRESTART", "Plan")[0].at >= due - 1.0
    for user in ("U201", "U202"):
        sent = world.digests_to(dm(user), "Review evtwo")
        assert len(sent) == 1 and sent[0].at >= meeting_due - 0.2


def test_cli_digest_of_a_file_and_one_calendar_pass(world: World, tmp_path: Path) -> None:
    doc = Path(__file__).resolve().parent.parent / "examples" / "launch-plan.md"
    printed = run_cli(["digest", str(doc), "--format", "md"], world.env())
    assert printed.code == 0, printed.stderr
    assert printed.stdout.startswith("# Silent read:") and "One-way doors" in printed.stdout

    add_doc(world.google, "1DocForCliDigest00001", readers=None)
    world.meeting_in(
        -1, "evcli", description=doc_link("1DocForCliDigest00001"), attendees=[attendee("alice@acme.example")]
    )
    first = run_cli(["digest", "--once"], world.env())
    assert first.code == 0, first.stderr
    assert len(world.digests_to(dm("U201"), "Review evcli")) == 1
    again = run_cli(["digest", "--once"], world.env())
    assert again.code == 0, again.stderr
    assert len(world.digests_to(dm("U201"), "Review evcli")) == 1, "a second pass posts nothing again"

    neither = run_cli(["digest"], world.env())
    assert neither.code == 64 and "--once" in neither.stderr


def test_a_digest_over_the_daily_budget_reaches_no_model_and_says_why(world: World) -> None:
    add_doc(world.google, "1DocForBudgetDigest01", readers=None)
    url = world.start(DOCDEBATE_DAILY_BUDGET_USD="0")
    SlackSender(url, SECRET, slack=world.slack).slash_command(
        f"digest <{doc_link('1DocForBudgetDigest01')}>", channel_id="CBUDGET", user_id="U201"
    )
    told = world.slack.wait_for(
        lambda s: [c for c in world.posts_to(dm("U201")) if "budget" in json.dumps(c.args)], timeout=30
    )
    assert "could not be made" in json.dumps(told[0].args)
    assert not world.posts_to("CBUDGET")
    assert not world.anthropic.requests
