"""Which digests are due: what a digest workflow is asked to do, and the meetings whose digest is due now.

A meeting's digest is due from `DOCDEBATE_DIGEST_LEAD_MINUTES` before its start until it starts; the calendar
pass runs every `DOCDEBATE_DIGEST_POLL_S`, so a digest lands at most one poll after its time. Its workflow id
names the calendar, the event, its start and the doc, so every pass and every replica that sees the same
meeting asks for the same workflow, and DBOS runs it once. A meeting moved to a new time gets a new digest.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from bot.config import Settings
from bot.digest.calendar import events
from bot.digest.meetings import Meeting, parse_event, recipients
from bot.errors import SourceError
from bot.sources.google.api import GoogleApi
from bot.sources.links import doc_key

log = logging.getLogger(__name__)


class DigestJob(BaseModel):
    """One digest to write and post."""

    workflow_id: str
    kind: Literal["meeting", "scheduled", "now"]
    link: str
    due_at: datetime
    team_id: str | None = None
    requester: str | None = None  # the Slack user who asked (scheduled and now); None for meetings
    channel: str | None = None  # where to post: a channel id or #name; None: DM the attendees
    meeting: str | None = None  # the meeting's title
    starts: datetime | None = None
    attendees: list[str] = []  # emails of the attendees who should get it (meetings)


def meeting_jobs(meeting: Meeting, settings: Settings) -> list[DigestJob]:
    """A digest per doc of the meeting."""
    # The most specific wins: the event's own channel, then the calendar's, then the default; none: DMs.
    channel = (
        meeting.channel or settings.calendar_channels().get(meeting.calendar_id) or settings.digest_channel
    )
    due = meeting.start - timedelta(minutes=settings.digest_lead_minutes)
    return [
        DigestJob(
            workflow_id=f"digest:{meeting.calendar_id}:{meeting.event_id}:{meeting.start.isoformat()}:{doc_key(link)}",
            kind="meeting",
            link=link,
            due_at=due,
            channel=channel,
            meeting=meeting.title,
            starts=meeting.start,
            attendees=[a.email for a in recipients(meeting)],
        )
        for link in meeting.doc_links
    ]


def is_due(meeting: Meeting, now: datetime, lead: timedelta) -> bool:
    return not meeting.cancelled and meeting.start - lead <= now < meeting.start


async def due_now(settings: Settings, now: datetime) -> list[DigestJob]:
    """The digests due at `now`, over every calendar in `DOCDEBATE_CALENDARS`. A calendar that cannot be read
    is logged and skipped: the others still get their digests."""
    lead = timedelta(minutes=settings.digest_lead_minutes)
    api = GoogleApi(settings)
    jobs: list[DigestJob] = []
    for calendar_id in settings.calendar_channels():
        try:
            found = await events(api, calendar_id, now, now + lead + timedelta(seconds=1))
        except SourceError as exc:
            log.error("calendar %s skipped: %s", calendar_id, exc.message)
            continue
        for event in found:
            meeting = parse_event(calendar_id, event)
            if meeting is not None and is_due(meeting, now, lead):
                jobs += meeting_jobs(meeting, settings)
    return jobs
