"""The message shortcut "Debate this doc": a debate of the message's link, in the message's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.config import Settings
from bot.slack.admission import admit_and_start, busy_message
from bot.slack.parsing import message_links
from bot.workflows.request import ThreadRequest

CALLBACK_ID = "debate_this_doc"


def register(app: AsyncApp, settings: Settings) -> None:
    @app.shortcut(CALLBACK_ID)
    async def debate_this_doc(ack: AsyncAck, shortcut: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        message = shortcut.get("message", {})
        channel = shortcut["channel"]["id"]
        thread_ts = message.get("thread_ts") or message["ts"]
        links = message_links(message)
        if not links:
            await respond(
                text=":link: That message has no link to a doc. Use the shortcut on a message with one."
            )
            return
        busy = await busy_message(channel, thread_ts)
        if busy:
            await respond(text=busy)
            return
        team = shortcut["team"]["id"]
        request = ThreadRequest(
            workflow_id=f"{team}:{shortcut['trigger_id']}",
            team_id=team,
            user_id=shortcut["user"]["id"],
            channel_id=channel,
            thread_ts=thread_ts,
            link=links[0],
            response_url=shortcut.get("response_url"),
        )
        refused = await admit_and_start(settings, request)
        if refused:
            await respond(text=refused)
