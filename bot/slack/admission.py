"""Turning a Slack request into a debate request: the checks every way in shares."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from dbos import error as dbos_errors
from sqlalchemy.exc import SQLAlchemyError

from bot import runtime
from bot.config import Settings
from bot.debate.personas import load_personas, parse_panel, select_panel
from bot.errors import DocdebateError
from bot.posting.safety import Mrkdwn, fmt, link, trusted
from bot.quotas import Limits
from bot.slack.parsing import USAGE
from bot.sources import check_link
from bot.store import DebateRow
from bot.workflows import client as workflows
from bot.workflows.request import ThreadRequest

log = logging.getLogger(__name__)
# What the store and the workflow engine raise when their database is away (a full disk, Postgres down).
STORE_FAILURES = (SQLAlchemyError, dbos_errors.DBOSException, OSError)
UNAVAILABLE = (
    ":construction: I can't take new work right now: my database is not answering, so nothing was started. "
    "Please try again in a few minutes."
)


def check_personas(settings: Settings, names: list[str] | None) -> None:
    """Raises a PersonaError for a panel that is empty, names someone twice or once, or names unknown
    personas (listing the known ones). None: the default panel."""
    if names is not None:
        select_panel(load_personas(settings.personas_dir), parse_panel(names))


async def busy_message(channel: str, thread_ts: str) -> Mrkdwn | None:
    """What to say if a debate is already under way in this thread (the lookup runs off the event loop)."""
    running = await asyncio.to_thread(runtime.current().store.debates.running_in_thread, channel, thread_ts)
    if running is None:
        return None
    what = (
        fmt("A debate on {}", link(running.link, "this doc"))
        if running.link.startswith("http")
        else "A debate"
    )
    return fmt(
        ":hourglass: {} is already running in this thread; its answer will land here. Mention me again "
        "after it to ask a follow-up.",
        what,
    )


async def admit(settings: Settings, request: ThreadRequest) -> Mrkdwn | None:
    """The answer to show instead of starting, or None to go ahead.

    A link that can never be read (not http(s), a private address) gets its own answer first, and counts
    toward no limit; then the request is recorded against the quotas (`bot.quotas`)."""
    if request.question is None:
        try:
            await check_link(request.link, settings)
        except DocdebateError as exc:
            return error_text(exc)
    row = DebateRow(
        id=request.workflow_id,
        team_id=request.team_id,
        user_id=request.user_id,
        channel_id=request.channel_id,
        thread_ts=request.thread_ts,
        link=request.link,
    )
    limits = Limits.from_settings(settings)
    refused = await asyncio.to_thread(
        runtime.current().store.admissions.admit, row, limits, datetime.now(UTC)
    )
    return trusted(refused) if refused else None  # the quotas' own words, with `<!date^…>` times


async def admit_and_start(settings: Settings, request: ThreadRequest) -> Mrkdwn | None:
    """Admit the request and queue its workflow; the answer for the requester when it does not start.

    When the database does not answer, the requester is told so at once: a request is never taken and
    then dropped in silence."""
    try:
        refused = await admit(settings, request)
        if refused is None:
            await workflows.start(request)
        return refused
    except STORE_FAILURES as exc:
        log.error(
            "could not take %s: the database is not answering (%s)", request.workflow_id, type(exc).__name__
        )
        return trusted(UNAVAILABLE)


def error_text(exc: DocdebateError) -> Mrkdwn:
    """The error, escaped; the usage text a mistyped command's error ends with is the bot's own."""
    said, usage, rest = exc.message.partition(USAGE)
    return fmt(":warning: {}{}{}", said, trusted(usage), rest)
