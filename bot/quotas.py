"""Fair use: who may start a debate now, decided before anything reaches the model.

Limits (settings `DOCDEBATE_QUOTA_*`): per user and per channel, a burst limit (a few minutes) and an hourly
limit; one running debate per user; a daily spend budget for the whole workspace. A refusal is a polite
sentence saying which limit and when to try again; times use Slack's `<!date^…>` so each reader sees their
own time zone (the markup is built here, from numbers: no user text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Settings


@dataclass(frozen=True)
class Limits:
    user_burst: int
    channel_burst: int
    burst_window: timedelta
    user_hourly: int
    channel_hourly: int
    user_running: int
    daily_budget_usd: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            user_burst=settings.quota_user_burst,
            channel_burst=settings.quota_channel_burst,
            burst_window=timedelta(seconds=settings.quota_burst_window_s),
            user_hourly=settings.quota_user_hourly,
            channel_hourly=settings.quota_channel_hourly,
            user_running=settings.quota_user_running,
            daily_budget_usd=settings.daily_budget_usd,
        )


@dataclass(frozen=True)
class Activity:
    """What the store knows when a request arrives."""

    user_starts: list[datetime]  # this user's requests in the last hour
    channel_starts: list[datetime]  # this channel's requests in the last hour
    user_running: int
    spent_today_usd: float


def slack_time(moment: datetime, with_day: bool = False) -> str:
    """A time every reader sees in their own zone; `with_day` adds the day ("tomorrow at 9:30 AM")."""
    epoch = int(moment.timestamp())
    if with_day:
        return (
            f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC>"
        )
    return f"<!date^{epoch}^{{time}}|{moment.astimezone(UTC):%H:%M} UTC>"


def _over(starts: list[datetime], limit: int, window: timedelta, now: datetime) -> datetime | None:
    """When the next request fits, if `limit` requests already fall in the window; else None."""
    recent = sorted(s for s in starts if s > now - window)
    if len(recent) < limit:
        return None
    return recent[len(recent) - limit] + window


def refusal(usage: Activity, limits: Limits, now: datetime) -> str | None:
    """The sentence to show instead of starting a debate, or None when it may start."""
    if usage.spent_today_usd >= limits.daily_budget_usd:
        midnight = (now.astimezone(UTC) + timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        return (
            f":money_with_wings: docdebate has used today's budget (${limits.daily_budget_usd:.2f}); it resets "
            f"at {slack_time(midnight)}. Nothing was sent to the model."
        )
    if usage.user_running >= limits.user_running:
        return (
            ":hourglass: You already have a debate running. It will finish in a minute or two; start the next "
            "one after it."
        )
    checks = (
        (
            usage.user_starts,
            limits.user_burst,
            limits.burst_window,
            "You have started",
            "in the last few minutes",
        ),
        (
            usage.channel_starts,
            limits.channel_burst,
            limits.burst_window,
            "This channel has started",
            "in the last few minutes",
        ),
        (usage.user_starts, limits.user_hourly, timedelta(hours=1), "You have started", "in the last hour"),
        (
            usage.channel_starts,
            limits.channel_hourly,
            timedelta(hours=1),
            "This channel has started",
            "in the last hour",
        ),
    )
    for starts, limit, window, who, when in checks:
        fits_at = _over(starts, limit, window, now)
        if fits_at is not None:
            return (
                f":raised_hand: {who} {limit} debates {when}: you can start another at {slack_time(fits_at)}."
            )
    return None
