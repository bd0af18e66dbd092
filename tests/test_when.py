"""Reading the times users type for `/debate schedule` (bot.digest.when), against a fixed `now`."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.when import EXAMPLES, MAX_AHEAD, WhenError, parse_when, split_when

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")  # +05:30, no daylight saving
ZONES = pytest.mark.parametrize("tz", [NY, KOLKATA], ids=["new_york", "kolkata"])
SUNDAY = datetime(2026, 11, 22, 15, 0)  # wall-clock, in whichever zone the test is about


def now_in(tz: ZoneInfo) -> datetime:
    return SUNDAY.replace(tzinfo=tz)


@ZONES
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 2h", datetime(2026, 11, 22, 17, 0)),
        ("In 90 min", datetime(2026, 11, 22, 16, 30)),
        ("in 1h30m", datetime(2026, 11, 22, 16, 30)),
        ("in 1 hour 30 minutes", datetime(2026, 11, 22, 16, 30)),
        ("in 3 days", datetime(2026, 11, 25, 15, 0)),
        ("tomorrow 9:30", datetime(2026, 11, 23, 9, 30)),
        ("tomorrow at 2:15pm", datetime(2026, 11, 23, 14, 15)),
        ("today 17:00", datetime(2026, 11, 22, 17, 0)),
        ("16:00", datetime(2026, 11, 22, 16, 0)),  # still ahead today, in either zone
        ("9:30", datetime(2026, 11, 23, 9, 30)),  # passed today: tomorrow
        ("5:30 pm", datetime(2026, 11, 22, 17, 30)),
        ("fri 10am", datetime(2026, 11, 27, 10, 0)),
        ("Friday at 10am", datetime(2026, 11, 27, 10, 0)),
        ("next monday 9am", datetime(2026, 11, 23, 9, 0)),  # the coming Monday, not one a week later
        ("sunday 10:00", datetime(2026, 11, 29, 10, 0)),  # today's weekday, time passed: next week
        ("sunday 16:00", datetime(2026, 11, 22, 16, 0)),  # today's weekday, time still ahead: today
        ("next sunday 16:00", datetime(2026, 11, 29, 16, 0)),
        ("2026-12-01 14:00", datetime(2026, 12, 1, 14, 0)),
        ("2026-11-23T09:30", datetime(2026, 11, 23, 9, 30)),
        ("2026-11-23 09:30:05", datetime(2026, 11, 23, 9, 30, 5)),
        ("2026-11-23", datetime(2026, 11, 23, 9, 0)),  # a day without a time: the start of the working day
        ("fri", datetime(2026, 11, 27, 9, 0)),
        ("in 60 days", SUNDAY + MAX_AHEAD),
    ],
)
def test_times_users_type_are_read_in_their_time_zone(tz: ZoneInfo, text: str, expected: datetime) -> None:
    assert parse_when(text, now_in(tz), tz) == expected.replace(tzinfo=tz)


@ZONES
@pytest.mark.parametrize("text", re.findall(r'"([^"]+)"', EXAMPLES))
def test_every_example_the_messages_show_is_read(tz: ZoneInfo, text: str) -> None:
    assert parse_when(text, now_in(tz), tz) > now_in(tz)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [(NY, datetime(2026, 11, 23, 3, 30)), (KOLKATA, datetime(2026, 11, 23, 14, 0))],
)
def test_a_time_with_its_own_offset_is_shown_in_the_users_zone(tz: ZoneInfo, expected: datetime) -> None:
    assert parse_when("2026-11-23T09:30:00+01:00", now_in(tz), tz) == expected.replace(tzinfo=tz)


def test_todays_weekday_means_today_while_the_time_is_still_ahead() -> None:
    friday_9am = datetime(2026, 11, 27, 9, 0, tzinfo=KOLKATA)
    assert parse_when("fri 10am", friday_9am, KOLKATA) == datetime(2026, 11, 27, 10, 0, tzinfo=KOLKATA)
    assert parse_when("fri 8am", friday_9am, KOLKATA) == datetime(2026, 12, 4, 8, 0, tzinfo=KOLKATA)
    assert parse_when("next fri 10am", friday_9am, KOLKATA) == datetime(2026, 12, 4, 10, 0, tzinfo=KOLKATA)


@ZONES
@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("next blursday", 'I could not read "next blursday" as a time: try "in 2h"'),
        ("25:00", 'could not read "25:00"'),
        ("mañana 9:30", "could not read"),  # English only: no language guessing
        ("today 14:00", "2026-11-22 14:00 is in the past: try"),
        ("2026-11-20 09:00", "2026-11-20 09:00 is in the past"),
        ("in 61 days", "2027-01-22 is more than 60 days ahead: pick a closer time"),
        ("in 90 days", "more than 60 days"),
    ],
)
def test_times_that_cannot_be_used_are_explained(tz: ZoneInfo, text: str, says: str) -> None:
    with pytest.raises(WhenError, match=re.escape(says)):
        parse_when(text, now_in(tz), tz)


@pytest.mark.parametrize("text", ["tomorrow 2:30", "2:30", "2027-03-14 02:30", "sun 2:30am"])
def test_a_time_skipped_by_daylight_saving_is_refused(text: str) -> None:
    saturday = datetime(2027, 3, 13, 12, 0, tzinfo=NY)  # the clocks go from 2:00 to 3:00 on Sunday
    says = "2027-03-14 02:30 does not exist in America/New_York: the clocks skip it for daylight saving"
    with pytest.raises(WhenError, match=re.escape(says)):
        parse_when(text, saturday, NY)
    assert parse_when("tomorrow 3:30", saturday, NY).utcoffset() == timedelta(hours=-4)


def test_a_time_that_happens_twice_is_its_first_occurrence() -> None:
    saturday = datetime(2026, 10, 31, 12, 0, tzinfo=NY)  # the clocks go from 2:00 back to 1:00 on Sunday
    assert parse_when("tomorrow 1:30", saturday, NY).utcoffset() == timedelta(hours=-4)


def test_split_when_separates_the_channel() -> None:
    assert split_when(["tomorrow", "9:30", "<#C123|design>"]) == ("tomorrow 9:30", ["<#C123|design>"])
    assert split_when(["in", "2h"]) == ("in 2h", [])


def test_importing_the_module_does_not_import_dateparser() -> None:
    probe = "import sys, bot.digest.when; print('dateparser' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
