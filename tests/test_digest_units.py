"""The digest's pure parts: Calendar events, when a digest is due, what it posts (typed times: test_when)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.digest.due import is_due, meeting_jobs
from bot.digest.meetings import parse_event, recipients
from bot.workflows.digest import cron

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=NY)  # a Sunday afternoon
DOC = "https://docs.google.com/document/d/1PlanDocId0123456789/edit"


def event(**extra: object) -> dict[str, object]:
    return {
        "id": "ev1",
        "status": "confirmed",
        "summary": "Atlas go/no-go",
        "start": {"dateTime": "2026-11-23T09:30:00-05:00"},
        "end": {"dateTime": "2026-11-23T10:00:00-05:00"},
        **extra,
    }


def test_docs_come_from_attachments_and_html_descriptions_once_each() -> None:
    meeting = parse_event(
        "team@acme.example",
        event(
            attachments=[
                {"fileUrl": DOC, "mimeType": "application/vnd.google-apps.document", "title": "Plan"},
                {
                    "fileUrl": "https://drive.google.com/file/d/1PdfOnDrive0123456789/view",
                    "mimeType": "application/pdf",
                },
                {"fileUrl": "https://example.com/agenda.pdf", "mimeType": "application/pdf"},
            ],
            description=(
                '<p>Read <a href="https://www.google.com/url?q=https://docs.google.com/document/d/'
                '1OtherDoc0123456789/edit&amp;sa=D">the memo</a> &amp; the plan: '
                "https://docs.google.com/document/d/1PlanDocId0123456789/edit?tab=t.0.</p>"
                "<p>Slides: https://docs.google.com/presentation/d/1SlidesDoc0123456789/edit.</p>"
            ),
        ),
    )
    assert meeting is not None
    assert meeting.doc_links == [
        DOC,
        "https://drive.google.com/file/d/1PdfOnDrive0123456789/view",
        "https://docs.google.com/document/d/1OtherDoc0123456789/edit",
        "https://docs.google.com/presentation/d/1SlidesDoc0123456789/edit",
    ]
    assert meeting.start == datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("description", "channel"),
    [
        ("Discussion in #design-review, see the doc.", "#design-review"),
        ("Item #2 on the agenda, then #q3-plan", "#q3-plan"),
        ("<p>Notes go to <b>#atlas_launch</b></p>", "#atlas_launch"),
        ("Thread: <#C0123ABC|design>", "C0123ABC"),
        ('<a href="https://acme.slack.com/archives/C0456DEF">our channel</a>', "C0456DEF"),
        (
            "See https://docs.google.com/document/d/1PlanDocId0123456789/edit#heading=h.1 &#39;quoted&#39;",
            None,
        ),
        (None, None),
    ],
)
def test_a_slack_channel_named_in_the_description(description: str | None, channel: str | None) -> None:
    meeting = parse_event("cal", event(description=description) if description else event())
    assert meeting is not None and meeting.channel == channel


def test_all_day_and_cancelled_events() -> None:
    assert parse_event("cal", event(start={"date": "2026-11-23"}, end={"date": "2026-11-24"})) is None
    cancelled = parse_event("cal", event(status="cancelled"))
    assert cancelled is not None and cancelled.cancelled
    lead = timedelta(minutes=30)
    assert not is_due(cancelled, cancelled.start - timedelta(minutes=5), lead)


def test_recipients_skip_rooms_and_declines_and_count_each_person_once() -> None:
    meeting = parse_event(
        "cal",
        event(
            attendees=[
                {"email": "alice@acme.example", "responseStatus": "accepted"},
                {"email": "Alice@Acme.example", "responseStatus": "tentative"},
                {"email": "bob@acme.example", "responseStatus": "declined"},
                {"email": "room-4@resource.calendar.google.com", "resource": True},
                {"email": "carol@acme.example"},
                {"displayName": "No email"},
            ]
        ),
    )
    assert meeting is not None
    assert [a.email for a in recipients(meeting)] == ["alice@acme.example", "carol@acme.example"]


def test_a_digest_is_due_from_the_lead_time_until_the_meeting_starts() -> None:
    meeting = parse_event("cal", event(description=DOC))
    assert meeting is not None
    lead = timedelta(minutes=30)
    assert not is_due(meeting, meeting.start - lead - timedelta(seconds=1), lead)
    assert is_due(meeting, meeting.start - lead, lead)
    assert is_due(meeting, meeting.start - timedelta(seconds=1), lead)
    assert not is_due(meeting, meeting.start, lead)


def test_one_job_per_doc_with_a_stable_id_and_the_channel_by_precedence() -> None:
    meeting = parse_event("team@acme.example", event(description=f"{DOC} in #from-event"))
    assert meeting is not None
    mapped = Settings(DOCDEBATE_CALENDARS="team@acme.example=#mapped", DOCDEBATE_DIGEST_CHANNEL="#fallback")
    (job,) = meeting_jobs(meeting, mapped)
    assert job.channel == "#from-event", "the event's own channel is the most specific"
    assert job.workflow_id == "digest:team@acme.example:ev1:2026-11-23T09:30:00-05:00:1PlanDocId0123456789"
    assert job.due_at == meeting.start - timedelta(minutes=30)
    no_channel = parse_event("team@acme.example", event(description=DOC))
    assert no_channel is not None
    assert meeting_jobs(no_channel, mapped)[0].channel == "#mapped"
    assert meeting_jobs(no_channel, Settings(DOCDEBATE_DIGEST_CHANNEL="#fallback"))[0].channel == "#fallback"
    assert meeting_jobs(no_channel, Settings())[0].channel is None


def test_the_poll_interval_becomes_a_cron_schedule() -> None:
    assert cron(1) == "*/1 * * * * *"
    assert cron(60) == "0 */1 * * * *"
    assert cron(300) == "0 */5 * * * *"


def test_digest_posts_escape_model_text_and_keep_only_the_docs_link_clickable() -> None:
    from bot.models import Digest, DigestResult, Document, Usage
    from bot.posting.render import digest_posts

    hostile = "<!channel> sign in at https://evil.example/login"
    digest = Digest(
        tldr=hostile,
        decisions=["Ship it? <@U999BOSS>"],
        one_way_doors=[],
        assumptions=[],
        questions=["Who owns <!subteam^S1|@oncall>?"],
    )
    result = DigestResult(
        document=Document(title="Plan", source=DOC, text="x"),
        model="m",
        digest=digest,
        usage=Usage(),
        changed_since=datetime(2026, 11, 20, tzinfo=UTC),
    )
    (post,) = digest_posts(result, DOC, "Atlas go/no-go", NOW)
    shown = str(post.blocks)
    assert "<!channel>" not in shown and "<@U999BOSS>" not in shown and "<!subteam" not in shown
    assert "<https://evil.example" not in shown, "a link the doc did not give is inert"
    assert f"<{DOC}|Plan>" in shown
    assert "The doc changed since the panel debated it" in shown


def test_the_store_knows_which_version_of_a_doc_the_last_debate_read(tmp_path: Path) -> None:
    from bot.models import DebateResult, Depth, Document, Usage, Verdict
    from bot.sources.links import doc_key
    from bot.store import DebateRow, Store

    store = Store(f"sqlite:///{tmp_path}/d.sqlite")
    store.debates.start(
        DebateRow(id="T:1", team_id="T", user_id="U", channel_id="C", thread_ts="1.0", link=DOC)
    )
    document = Document(title="Plan", source=DOC + "?tab=t.0", text="version one")
    verdict = Verdict(
        headline="h", assumptions=[], one_way_doors=[], disagreements=[], open_questions=[], next_steps=[]
    )
    result = DebateResult(
        document=document,
        personas=[],
        depth=Depth.QUICK,
        model="m",
        judge_model="m",
        turns=[],
        verdict=verdict,
        usage=Usage(),
    )
    store.debates.finish("T:1", result, "done")
    last = store.debates.last_done_on(doc_key(DOC))  # another link form of the same doc
    assert last is not None and last.doc_sha256 == document.sha256
    assert last.doc_sha256 != document.model_copy(update={"text": "version two"}).sha256
    assert store.debates.last_done_on("some-other-doc") is None
