"""The events of a Google Calendar, read through bot.sources' Google plumbing (in a worker thread)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from bot.errors import SourceError
from bot.sources.google.api import GoogleApi


async def events(api: GoogleApi, calendar_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Calendar v3 events (recurring ones expanded) that overlap [start, end), in start order."""
    return await asyncio.to_thread(_events, api, calendar_id, start, end)


def _events(api: GoogleApi, calendar_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    # With delegation a person's own calendar is read as them; shared calendars as the service account.
    own = api.delegation and "@" in calendar_id and "calendar.google.com" not in calendar_id
    try:
        listing = api.service("calendar", "v3", calendar_id if own else None).events()
        return api.listed(
            "items",
            lambda token: listing.list(
                calendarId=calendar_id,
                timeMin=start.isoformat(),
                timeMax=end.isoformat(),
                singleEvents=True,
                orderBy="startTime",
                pageToken=token,
            ),
        )
    except HttpError as exc:
        if exc.resp.status in (403, 404):
            raise SourceError(
                f"I can't read calendar {calendar_id}: share it with {api.account} (See all event details)"
            ) from exc
        raise SourceError(api.errors(calendar_id).message(exc)) from exc
    except RefreshError as exc:
        raise SourceError(
            f"Google refused docdebate's credentials for calendar {calendar_id}: check "
            "GOOGLE_APPLICATION_CREDENTIALS and delegation"
        ) from exc
