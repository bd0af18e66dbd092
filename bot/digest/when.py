"""When someone wants a scheduled digest: `in 2h`, `tomorrow 9:30`, `fri 10am`, `17:00`, or an ISO time.

Wall-clock times are in the user's Slack time zone. A time that falls in a daylight-saving gap moves to the
first valid moment after it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_AHEAD = timedelta(days=60)
EXAMPLES = '"in 2h", "tomorrow 9:30", "fri 10am" or "2026-12-01 14:00"'
_UNITS = {
    "d": "days",
    "day": "days",
    "h": "hours",
    "hr": "hours",
    "hour": "hours",
    "m": "minutes",
    "min": "minutes",
    "minute": "minutes",
}
_RELATIVE = re.compile(r"(\d+)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])")
_CLOCK = re.compile(r"^(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class WhenError(ValueError):
    """A time the user typed that cannot be used; the message says why and shows examples."""


def _wall(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """`day` at `clock` in `tz`; a wall time skipped by DST moves forward past the gap."""
    naive = datetime.combine(day, clock)
    # Through UTC and back: a time in a spring-forward gap (read with the offset before it) lands after the gap.
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _clock(text: str) -> time | None:
    found = _CLOCK.match(text.strip())
    if not found:
        return None
    hour, minute, half = int(found.group(1)), int(found.group(2) or 0), found.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _relative(text: str, now: datetime) -> datetime | None:
    rest = text.removeprefix("in ").strip()
    parts = _RELATIVE.findall(rest)
    if not text.startswith("in ") or not parts or _RELATIVE.sub("", rest).replace("and", "").strip(" ,"):
        return None
    delta = timedelta()
    for amount, unit in parts:
        delta += timedelta(**{_UNITS[unit.rstrip("s")]: int(amount)})
    return now + delta


def _day_and_clock(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """`today 14:00`, `tomorrow 9am`, `fri 10:00`, or a bare time (its next occurrence)."""
    first, _, rest = text.partition(" ")
    today = now.astimezone(tz).date()
    if first in ("today", "tomorrow"):
        clock = _clock(rest)
        day = today + timedelta(days=first == "tomorrow")
        return _wall(day, clock, tz) if clock else None
    weekday = next((i for i, name in enumerate(_WEEKDAYS) if first.startswith(name)), None)
    if weekday is not None and first.rstrip("s") in (_WEEKDAYS[weekday], _full_day(weekday)):
        clock = _clock(rest)
        if clock is None:
            return None
        ahead = (weekday - today.weekday()) % 7
        moment = _wall(today + timedelta(days=ahead), clock, tz)
        return moment if moment > now else _wall(today + timedelta(days=ahead + 7), clock, tz)
    clock = _clock(text)
    if clock is None:
        return None
    moment = _wall(today, clock, tz)
    return moment if moment > now else _wall(today + timedelta(days=1), clock, tz)


def _full_day(weekday: int) -> str:
    return ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][weekday]


def _iso(text: str, tz: ZoneInfo) -> datetime | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return _wall(date.fromisoformat(text), time(9, 0), tz)
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return _wall(moment.date(), moment.time(), tz)
    return moment.astimezone(tz)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """The moment `text` names, in `tz`; a WhenError if it cannot be read, is past, or is too far ahead."""
    cleaned = re.sub(r"\s+", " ", text.strip().lower()).replace(" at ", " ")
    moment = _relative(cleaned, now) or _iso(cleaned, tz) or _day_and_clock(cleaned, now, tz)
    if moment is None:
        raise WhenError(f'I could not read "{text.strip()}" as a time: try {EXAMPLES}.')
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
