"""When someone wants a scheduled digest: `in 2h`, `tomorrow 9:30`, `fri 10am`, `next monday 9am`, `17:00`.

dateparser reads the text as a wall-clock time in the user's Slack time zone (or in a zone the text names).
Refused: what it cannot read, a time in the past or more than MAX_AHEAD away, and a wall-clock time the zone
skips for daylight saving (2:30 on the US spring-forward night: moving it to 3:30 would pick a time for them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_AHEAD = timedelta(days=60)
EXAMPLES = '"in 2h", "tomorrow 9:30", "fri 10am" or "2026-12-01 14:00"'
DAY_STARTS = time(9, 0)  # the time of a day named without one: "2026-12-01", "fri"
_WEEKDAY_FIRST = re.compile(r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")


class WhenError(ValueError):
    """A time the user typed that cannot be used; the message says why and shows examples."""


def _read(text: str, wall_now: datetime) -> tuple[datetime, str] | None:
    """dateparser's reading of `text` from `wall_now`, and its period ("time", or "day" and up when the text
    names no time of day). Naive is wall-clock time in the user's zone; aware, the text named a zone."""
    # Imported here: it takes ~0.1 s, and most docdebate commands never read a time.
    from dateparser.date import DateDataParser

    settings = {
        # Wall-clock time, in a zone without an offset: with TIMEZONE set to the user's zone, dateparser
        # shifts a bare "16:00" by the zone's UTC offset when it decides whether that has passed today
        # (its issue #1092), and with an aware RELATIVE_BASE it reads no bare time at all (#1213).
        # _localised puts the user's zone on the result.
        "TIMEZONE": "UTC",
        "RELATIVE_BASE": wall_now,
        "PREFER_DATES_FROM": "future",
        "RETURN_TIME_AS_PERIOD": True,
        # RETURN_AS_TIMEZONE_AWARE keeps its default: aware only when the text names a zone.
    }
    data = DateDataParser(languages=["en"], settings=settings).get_date_data(text)
    return None if data.date_obj is None else (data.date_obj, data.period or "day")


def _normalised(wall: datetime, period: str, text: str, wall_now: datetime) -> datetime:
    """Where dateparser's reading is not ours: a bare day, and today's weekday."""
    if period != "time" and wall.time() == time(0):  # a day without a time of day: dateparser says 00:00
        wall = datetime.combine(wall.date(), DAY_STARTS)
    week_before = wall - timedelta(days=7)
    if _WEEKDAY_FIRST.match(text) and week_before.date() == wall_now.date() and week_before > wall_now:
        # "fri 10am" typed on a Friday at 9: dateparser always moves today's weekday a week on; we mean its
        # next occurrence, today ("next fri 10am" starts with "next", and keeps the week on).
        return week_before
    return wall


def _localised(wall: datetime, tz: ZoneInfo) -> datetime:
    moment = wall.replace(tzinfo=tz)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:  # only a skipped time moves
        raise WhenError(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {tz.key}: the clocks skip it for daylight saving. "
            "Pick another time."
        )
    return moment


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The moment `text` names, in `tz`; a WhenError if it cannot be read, is past, or is too far ahead."""
    cleaned = " ".join(text.lower().split())
    wall_now = now.astimezone(tz).replace(tzinfo=None)
    read = _read(cleaned, wall_now) if cleaned else None
    if read is None:
        raise WhenError(f'I could not read "{text.strip()}" as a time: try {EXAMPLES}.')
    moment, period = read
    if moment.tzinfo is None:
        moment = _localised(_normalised(moment, period, cleaned, wall_now), tz)
    moment = moment.astimezone(tz)
    if moment <= now:
        raise WhenError(f"{moment:%Y-%m-%d %H:%M} is in the past: try {EXAMPLES}.")
    if moment - now > MAX_AHEAD:
        raise WhenError(f"{moment:%Y-%m-%d} is more than {MAX_AHEAD.days} days ahead: pick a closer time.")
    return moment


def split_when(words: list[str]) -> tuple[str, list[str]]:
    """The words of `/debate schedule <link> <when> [#channel]` after the link: (when, the channel words)."""
    when = [w for w in words if not w.startswith(("<#", "#"))]
    return " ".join(when), [w for w in words if w.startswith(("<#", "#"))]
