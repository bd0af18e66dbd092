"""`/debate digest <link>` and `/debate schedule …`: the silent-read digest, now or at a time.

Not registered on its own: Bolt gives `/debate` to one listener, which hands these sub-commands here.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt.async_app import AsyncAck

from bot import runtime
from bot.digest.due import DigestJob
from bot.digest.when import WhenError, parse_when, split_when
from bot.posting import render
from bot.posting.safety import Mrkdwn, channel, fmt, join, link, trusted
from bot.quotas import slack_time
from bot.slack.admission import STORE_FAILURES, UNAVAILABLE
from bot.slack.parsing import links_in, without_links
from bot.workflows import client as workflows

log = logging.getLogger(__name__)
SUBCOMMANDS = ("digest", "schedule")
ACK_BUDGET_S = 2.0  # of Slack's 3 s for the acknowledgement
USAGE = trusted(
    "*Silent-read digests* (what the meeting decides, its one-way doors, what to ask):\n"
    "• `/debate digest &lt;doc link&gt;`: a digest here, now\n"
    "• `/debate schedule &lt;doc link&gt; &lt;when&gt; [#channel]`: later; when is `in 2h`, `tomorrow 9:30`, "
    "`fri 10am` or `2026-12-01 14:00`, in your time zone\n"
    "• `/debate schedule list` and `/debate schedule cancel &lt;number&gt;`"
)
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def is_digest_command(text: str) -> bool:
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() in SUBCOMMANDS


async def command(ack: AsyncAck, command: dict[str, Any]) -> None:
    """The answer is the acknowledgement itself, so it must come within Slack's 3 s: a database that does
    not answer in time gets the requester a clear "not now" instead of Slack's own error."""
    try:
        answer = await asyncio.wait_for(_answer(command), ACK_BUDGET_S)
    except (TimeoutError, *STORE_FAILURES) as exc:
        log.error("digest command not taken: the database is not answering (%s)", type(exc).__name__)
        answer = trusted(UNAVAILABLE)
    await ack(text=answer)


async def _answer(command: dict[str, Any]) -> Mrkdwn:
    verb, _, rest = command.get("text", "").strip().partition(" ")
    rest = rest.strip()
    if verb.lower() == "digest":
        return await _digest_now(command, rest)
    if rest.lower() == "list":
        return await _listing(command["user_id"])
    if rest.lower().startswith("cancel"):
        return await _cancel(command["user_id"], rest[len("cancel") :].strip())
    return await _schedule(command, rest)


def _channel(words: list[str], fallback: str) -> str:
    for word in words:
        found = _CHANNEL.match(word)
        if found:
            return found.group(1)
    return fallback


async def _digest_now(command: dict[str, Any], rest: str) -> Mrkdwn:
    links = links_in(rest)
    if not links:
        return fmt(":link: I need a link to a doc.\n{}", USAGE)
    job = _job(command, links[0], "now", datetime.now(UTC), command["channel_id"])
    await workflows.start_digest(job)
    return fmt(":books: Writing a silent-read digest of {}… it will appear in this channel.", link(links[0]))


async def _schedule(command: dict[str, Any], rest: str) -> Mrkdwn:
    links = links_in(rest)
    if not links:
        return fmt(":link: I need a link to a doc, then a time.\n{}", USAGE)
    when_text, others = split_when(without_links(rest).split())
    if not when_text:
        return fmt(":alarm_clock: When should I post it?\n{}", USAGE)
    tz = await _zone(command["user_id"])
    try:
        due = parse_when(when_text, datetime.now(tz), tz)
    except WhenError as exc:
        return fmt(":alarm_clock: {}", str(exc))
    where = _channel(others, command["channel_id"])
    job = _job(command, links[0], "scheduled", due, where)
    await workflows.start_digest(job)
    return fmt(
        ":calendar: I'll post a silent-read digest of {} in {} at {}. "
        "`/debate schedule list` shows what is coming; `/debate schedule cancel &lt;number&gt;` cancels.",
        link(links[0]),
        channel(where),
        trusted(slack_time(due, with_day=True)),
    )


def _job(
    command: dict[str, Any], link: str, kind: Literal["scheduled", "now"], due: datetime, channel: str
) -> DigestJob:
    return DigestJob(
        workflow_id=f"{command['team_id']}:{command['trigger_id']}",
        kind=kind,
        link=link,
        due_at=due,
        team_id=command["team_id"],
        requester=command["user_id"],
        channel=channel,
    )


async def _zone(user: str) -> ZoneInfo:
    name = await runtime.current().poster.user_tz(user)
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def _listing(user: str) -> Mrkdwn:
    rows = await asyncio.to_thread(runtime.current().store.digests.scheduled_by, user)
    if not rows:
        return fmt(":calendar: You have no digests scheduled. {}", trusted(USAGE.split("\n", 1)[1]))
    lines = [
        fmt("{}. {}", i, render.scheduled_digest(r.link, r.channel_id, r.due_at))
        for i, r in enumerate(rows, 1)
    ]
    return fmt(":calendar: *Your scheduled digests*\n{}", join("\n", lines))


async def _cancel(user: str, which: str) -> Mrkdwn:
    rows = await asyncio.to_thread(runtime.current().store.digests.scheduled_by, user)
    if not which.isdigit() or not 1 <= int(which) <= len(rows):
        return fmt(
            ":grey_question: Which one? Give its number from `/debate schedule list` (you have {}).",
            len(rows),
        )
    row = rows[int(which) - 1]
    if not await asyncio.to_thread(runtime.current().store.digests.cancel, row.id, user):
        return trusted(":grey_question: That digest is no longer scheduled.")
    await workflows.cancel(row.id)
    return fmt(
        ":wastebasket: Cancelled the digest of {} due at {}.",
        link(row.link),
        trusted(slack_time(row.due_at, with_day=True)),
    )
