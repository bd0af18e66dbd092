"""`/debate <link> [focus] [--personas …] [--depth …]`; `/debate digest|schedule …` go to `digests`, `/debate
ledger` to `ledger`. The bare `/debate <link>` of a doc already debated in the channel re-reviews that debate
in its thread."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import runtime
from bot.config import Settings
from bot.depth import Depth
from bot.errors import DocdebateError
from bot.posting.safety import Mrkdwn, fmt, link, trusted
from bot.slack.admission import admit_and_start, busy_message, check_personas, error_text
from bot.slack.listeners import digests, ledger
from bot.slack.parsing import USAGE, CommandArgs, parse_command
from bot.workflows.request import ThreadRequest

REREVIEWING = trusted(
    ":mag: This doc was debated in this channel, so I'm re-reviewing it in that debate's thread: what changed "
    "since, and where each finding stands now. For a fresh debate, add a focus or an option."
)


def is_bare(args: CommandArgs) -> bool:
    """`/debate <link>` and nothing else: of a doc debated in this channel, a re-review."""
    return args.focus is None and args.personas is None and args.depth is Depth.STANDARD


async def in_its_thread(request: ThreadRequest) -> tuple[ThreadRequest, Mrkdwn | None]:
    """The request as a re-review in the thread of this channel's latest debate of its doc, if there is one
    (Slack sends no thread with a slash command, so the same link in the same channel is what asks for it);
    and what to say instead if that thread is busy."""
    debates = runtime.current().store.debates
    earlier = await asyncio.to_thread(debates.latest_done_in_channel, request.channel_id, request.link)
    if earlier is None or not earlier.thread_ts:
        return request, None
    busy = await busy_message(request.channel_id, earlier.thread_ts)
    return request.model_copy(update={"thread_ts": earlier.thread_ts, "rereview": True}), busy


def register(app: AsyncApp, settings: Settings) -> None:
    @app.command("/debate")
    async def debate_command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        if digests.is_digest_command(command.get("text", "")):
            await digests.command(ack, command)
            return
        try:
            args = parse_command(command.get("text", ""))
            check_personas(settings, args.personas)
        except DocdebateError as exc:
            await ack(text=error_text(exc))
            return
        if args.help:
            await ack(text=trusted(USAGE))
            return
        if args.ledger:
            await ledger.command(ack, command)
            return
        if args.link is None:
            await ack(text=fmt(":link: I need a link to a doc.\n{}", trusted(USAGE)))
            return
        request = ThreadRequest(
            workflow_id=f"{command['team_id']}:{command['trigger_id']}",
            team_id=command["team_id"],
            user_id=command["user_id"],
            channel_id=command["channel_id"],
            link=args.link,
            focus=args.focus,
            personas=args.personas or [],
            depth=args.depth,
            response_url=command.get("response_url"),
        )
        # Acknowledge first, decide after: the quota check is a database write, and Slack waits on the ack.
        await ack(text=fmt(":mag: Reading {}… the debate will open in this channel.", link(args.link)))
        if is_bare(args):
            request, busy = await in_its_thread(request)
            if busy:
                await respond(text=busy, replace_original=True, response_type="ephemeral")
                return
            if request.rereview:
                await respond(text=REREVIEWING, replace_original=True, response_type="ephemeral")
        refused = await admit_and_start(settings, request)
        if refused:
            await respond(text=refused, replace_original=True, response_type="ephemeral")
