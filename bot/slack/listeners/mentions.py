"""`@docdebate` in a thread: a debate of the doc linked there, a follow-up question to the panel, or (`again`,
`re-review`) a re-review of the thread's debate against the doc as it is now."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import runtime
from bot.config import Settings
from bot.errors import DocdebateError
from bot.posting import wording
from bot.posting.safety import Mrkdwn, trusted
from bot.slack.admission import admit_and_start, busy_message, check_personas, error_text
from bot.slack.parsing import asks_for_rereview, links_in, message_links, parse_command, strip_mentions
from bot.workflows import client as workflows
from bot.workflows.request import ThreadRequest


async def thread_link(client: AsyncWebClient, channel: str, thread_ts: str, text: str) -> str | None:
    """The doc to debate: a link in the mention itself, else the first link in the thread, oldest first."""
    own = links_in(text)
    if own:
        return own[0]
    first = await client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
    async for page in first:  # slack_sdk follows `next_cursor`, one page at a time
        messages: list[dict[str, Any]] = page.get("messages", [])
        for message in messages:
            found = message_links(message)
            if found:
                return found[0]
    return None


async def debated(channel: str, thread_ts: str) -> bool:
    """Whether this thread already holds a finished debate (a question to it is then a follow-up)."""
    found = await asyncio.to_thread(
        runtime.current().store.debates.latest_result_in_thread, channel, thread_ts
    )
    return found is not None


def register(app: AsyncApp, settings: Settings) -> None:
    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        channel, user = event["channel"], event.get("user", "")
        thread_ts = event.get("thread_ts") or event["ts"]
        workflow_id = f"{body['team_id']}:{body['event_id']}"

        async def tell(text: Mrkdwn) -> None:
            await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)

        async def start(request: ThreadRequest) -> None:
            refused = await admit_and_start(settings, request)
            if refused:
                await tell(refused)

        request = ThreadRequest(
            workflow_id=workflow_id,
            team_id=body["team_id"],
            user_id=user,
            channel_id=channel,
            thread_ts=thread_ts,
            link="",
        )
        if await workflows.exists(
            workflow_id
        ):  # Slack delivered this event again: it is already being handled
            return
        busy = await busy_message(channel, thread_ts)
        if busy:
            await tell(busy)
            return
        question = strip_mentions(event.get("text", ""))
        linked = bool(links_in(event.get("text", "")))
        if not linked and asks_for_rereview(question):  # before a follow-up: "again" is no question
            earlier = await asyncio.to_thread(
                runtime.current().store.debates.latest_done_in_thread, channel, thread_ts
            )
            if earlier is None:
                await tell(wording.NOTHING_TO_REREVIEW)
                return
            await start(request.model_copy(update={"rereview": True, "link": earlier.link}))
            return
        if question and not linked and await debated(channel, thread_ts):
            await start(request.model_copy(update={"question": question, "link": "(this thread's debate)"}))
            return
        try:
            args = parse_command(event.get("text", ""))
            check_personas(settings, args.personas)
        except DocdebateError as exc:
            await tell(error_text(exc))
            return
        link = await thread_link(client, channel, thread_ts, event.get("text", ""))
        if link is None:
            await tell(
                trusted(
                    ":link: I couldn't find a doc link in this thread. Post the link (or mention me with it) "
                    "and I'll debate it."
                )
            )
            return
        focus = strip_mentions(args.focus or "") or None
        await start(
            request.model_copy(
                update={"link": link, "focus": focus, "personas": args.personas or [], "depth": args.depth}
            )
        )
