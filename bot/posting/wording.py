"""What the bot says when a request cannot start or a debate stops."""

from __future__ import annotations

from datetime import datetime

from bot.errors import DocdebateError, SlackError
from bot.posting.safety import Mrkdwn, fmt, trusted
from bot.quotas import slack_time

RESTRICTED_WARNING = trusted(
    "This doc is shared with specific people only, and everyone in this channel can read this thread, "
    "quotes included. To keep the debate private, run `/debate` in a DM with me instead."
)
NO_DEBATE_YET = trusted(":grey_question: There is no finished debate in this thread yet.")
NOTHING_TO_REREVIEW = trusted(
    ":grey_question: There is no finished debate in this thread to re-review. Mention me in a thread where a "
    "doc is linked to start one."
)
SKIPPED_ROUND = trusted("No new disagreement: skipping the next round.")
STOPPED_ROOT = trusted(":x: Stopped; see the thread for why.")
OUR_FAULT = trusted(
    "Something went wrong on my side and the debate stopped. It has been logged; please try again."
)


def slack_failure(error: str) -> Mrkdwn:
    """What to tell the requester when Slack refused a post."""
    if error in ("not_in_channel", "channel_not_found", "is_archived"):
        return trusted(
            ":wave: I can't post in this channel yet: invite me with `/invite @docdebate` and try again."
        )
    return fmt(":warning: Slack refused a post (`{}`), so the debate stopped. Try again in a minute.", error)


def cannot_start(exc: DocdebateError) -> Mrkdwn:
    """What the requester alone is told when a request could not start."""
    if isinstance(exc, SlackError):
        return slack_failure(exc.error)
    return fmt(":warning: I couldn't start the debate: {}", exc.message)


def verdict_not_posted(error: str) -> Mrkdwn:
    return fmt(":warning: I could not post the verdict: Slack answered `{}`.", error)


def since(kind: str, moment: datetime) -> Mrkdwn:
    """`the debate on <date>`, each reader's own date and time (`kind`: debate or re-review)."""
    return fmt("the {} on {}", kind, trusted(slack_time(moment, with_day=True)))


def unchanged_since(earlier: Mrkdwn) -> Mrkdwn:
    return fmt(
        ":white_check_mark: Nothing changed in the doc since {}: the summary above still stands.", earlier
    )


def cannot_rereview(exc: DocdebateError) -> Mrkdwn:
    if isinstance(exc, SlackError):
        return slack_failure(exc.error)
    return fmt(":warning: I couldn't re-review the doc: {}", exc.message)


def rereview_started(earlier: Mrkdwn, changes: str) -> Mrkdwn:
    """Said in the thread as the focused round begins (`changes`: which sections, `report.changes_line`)."""
    return fmt(
        "*Re-review*: since {}, the doc changed ({}). The panel looks at the edits; the summary above will show "
        "where things stand.",
        earlier,
        changes,
    )
