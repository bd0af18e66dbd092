"""`/debate <link> [focus] [--personas …] [--depth …]`; `/debate digest|schedule …` go to `digests`, `/debate
ledger` to `ledger`."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.config import Settings
from bot.errors import DocdebateError
from bot.posting.safety import fmt, link, trusted
from bot.slack.admission import admit_and_start, check_personas, error_text
from bot.slack.listeners import digests, ledger
from bot.slack.parsing import USAGE, parse_command
from bot.workflows.request import ThreadRequest


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
        refused = await admit_and_start(settings, request)
        if refused:
            await respond(text=refused, replace_original=True, response_type="ephemeral")
