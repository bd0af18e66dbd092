"""The feedback buttons under a verdict's findings: the mark is stored, the summary shows the new tally, and
the person who clicked is thanked in an ephemeral only they see."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import runtime
from bot.config import Settings
from bot.posting.feedback import ACTION_PREFIX, Block, Mark, thanks, with_tally
from bot.posting.safety import trusted

log = logging.getLogger(__name__)
NOT_OURS = trusted("That button does not belong to a docdebate verdict it knows, so nothing was recorded.")


def register(app: AsyncApp, settings: Settings) -> None:
    app.action(re.compile("^" + re.escape(ACTION_PREFIX)))(on_mark)


async def on_mark(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
    await ack()
    try:
        mark = Mark.model_validate_json(body["actions"][0].get("value") or "")
    except ValidationError:
        log.warning("a feedback click whose value docdebate did not write")
        await respond(text=NOT_OURS, response_type="ephemeral", replace_original=False)
        return
    store = runtime.current().store.feedback
    tally = await asyncio.to_thread(
        store.mark, mark.debate, mark.kind, mark.item, body["user"]["id"], mark.label
    )
    if tally is None:
        await respond(text=NOT_OURS, response_type="ephemeral", replace_original=False)
        return
    await update_clicked(client, body, lambda blocks: with_tally(blocks, tally), "the feedback tally")
    await respond(text=thanks(mark), response_type="ephemeral", replace_original=False)


async def update_clicked(
    client: AsyncWebClient, body: dict[str, Any], change: Callable[[list[Block]], list[Block]], what: str
) -> None:
    """The clicked summary page again, its blocks as `change` makes them (`what` it shows, for the log):
    what the click stored is kept even if Slack refuses the update."""
    message, container = body.get("message") or {}, body.get("container") or {}
    try:
        await client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text=message.get("text") or "Verdict",
            blocks=change(message.get("blocks") or []),
        )
    except (SlackApiError, KeyError) as exc:
        log.warning("could not show %s: %s", what, exc)
