"""What the bot says when a request cannot start or a debate stops."""

from __future__ import annotations

from bot.errors import DocdebateError, SlackError
from bot.posting.safety import Mrkdwn, fmt, trusted

RESTRICTED_WARNING = trusted(
    "This doc is shared with specific people only, and everyone in this channel can read this thread, "
    "quotes included. To keep the debate private, run `/debate` in a DM with me instead."
)
NO_DEBATE_YET = trusted(":grey_question: There is no finished debate in this thread yet.")
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
