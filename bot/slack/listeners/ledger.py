"""The ledger from Slack: `/debate ledger` (the open one-way doors across docs, to the requester alone), the
status control under each door of a verdict and in the App Home, and who may see which entry from where.

Access (README, "The ledger"): `/debate ledger` in a conversation shows that conversation's entries, the
requester's own DMs' entries, and (unless they are a guest) the entries of public channels; the App Home shows
the entries of the channels the user is in, and of their own DMs. A private channel's, a shared channel's, a
DM's or a restricted doc's entries show nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import runtime
from bot.config import Settings
from bot.posting import render
from bot.posting.ledger import ACTION_ID, StatusChoice, changed, with_status
from bot.posting.safety import trusted
from bot.slack.admission import STORE_FAILURES, UNAVAILABLE
from bot.slack.listeners import home
from bot.slack.listeners.feedback import update_clicked
from bot.store.ledger import Viewer

log = logging.getLogger(__name__)
ACK_BUDGET_S = 2.0  # of Slack's 3 s for the acknowledgement
NOT_OURS = trusted("That control does not belong to a one-way door docdebate knows, so nothing was recorded.")
NOT_HERE = trusted("That one-way door was raised in another conversation: set its status there.")


def register(app: AsyncApp, settings: Settings) -> None:
    app.action(ACTION_ID)(on_status)


async def viewer_in(channel_id: str, user_id: str) -> Viewer:
    """Who runs `/debate ledger` in `channel_id`: public channels' entries too, unless they are a guest."""
    guest = await runtime.current().poster.is_guest(user_id)
    return Viewer(user=user_id, channel=channel_id, public=not guest, own_dms=True)


async def command(ack: AsyncAck, command: dict[str, Any]) -> None:
    """`/debate ledger`: the answer is the acknowledgement itself, within Slack's 3 s."""
    try:
        post = await asyncio.wait_for(listing(command["channel_id"], command["user_id"]), ACK_BUDGET_S)
    except (TimeoutError, *STORE_FAILURES) as exc:
        log.error("ledger command not answered: the database is not answering (%s)", type(exc).__name__)
        await ack(text=trusted(UNAVAILABLE))
        return
    await ack(text=post.text, blocks=post.blocks)


async def listing(channel_id: str, user_id: str) -> render.Post:
    """The ledger as `user_id` may see it from `channel_id`: the answer to `/debate ledger` there."""
    viewer = await viewer_in(channel_id, user_id)
    shown = await asyncio.to_thread(runtime.current().store.ledger.shown, viewer, open_only=False)
    return render.ledger_post(shown)


async def on_status(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
) -> None:
    """A door's status chosen in a thread's summary or in the App Home: stored (and shown there)."""
    await ack()
    action = body["actions"][0]
    user = body["user"]["id"]
    try:
        choice = StatusChoice.model_validate_json((action.get("selected_option") or {}).get("value") or "")
    except ValidationError:
        log.warning("a ledger status choice whose value docdebate did not write")
        await _tell(respond, body, NOT_OURS)
        return
    store = runtime.current().store.ledger
    entry = await asyncio.to_thread(store.door, choice.debate, choice.item)
    container = body.get("container") or {}
    in_view = container.get("type") == "view"
    allowed = entry is not None and (
        (await home.viewer(user)).sees(entry) if in_view else entry.channel_id == container.get("channel_id")
    )
    if entry is None or not allowed:
        await _tell(respond, body, NOT_OURS if entry is None else NOT_HERE)
        return
    await asyncio.to_thread(store.set_status, choice.debate, choice.item, choice.status, user)
    if in_view:
        await home.publish(client, user)
        return
    await update_clicked(client, body, lambda blocks: with_status(blocks, choice), "the door's new status")
    await respond(text=changed(choice), response_type="ephemeral", replace_original=False)


async def _tell(respond: AsyncRespond, body: dict[str, Any], text: str) -> None:
    """An answer only the clicker sees (a choice in the App Home has nowhere to answer: it is logged)."""
    if body.get("response_url"):
        await respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        log.warning("ledger status from the App Home refused: %s", text)
