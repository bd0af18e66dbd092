"""`@docdebate` in a thread: a debate of the doc linked (or uploaded) there, a follow-up question to the panel, or (`again`,
`re-review`) a re-review of the thread's debate against the doc as it is now."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import runtime
from bot.config import Settings
from bot.errors import DocdebateError
from bot.posting import wording
from bot.posting.safety import Mrkdwn, trusted
from bot.slack.admission import admit_and_start, busy_message, check_personas, error_text
from bot.slack.parsing import asks_for_rereview, message_links, parse_command, strip_mentions
from bot.workflows import client as workflows
from bot.workflows.request import ThreadRequest

NO_LINK = trusted(
    ":link: I couldn't find a doc link in this thread. Post the link (or mention me with it) and I'll debate it."
)


async def thread_link(
    client: AsyncWebClient, channel: str, thread_ts: str, event: dict[str, Any]
) -> str | None:
    """The doc to debate: a file or link in the message itself, else the first in the thread, oldest first."""
    own = message_links(event)
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


@dataclass(frozen=True)
class Asked:
    """A message to docdebate in a thread (a mention, or a message in its Messages tab): where, by whom, and
    how to answer the requester there."""

    team_id: str
    event_id: str  # Slack's: a second delivery of the event finds its workflow already there
    channel: str
    thread_ts: str
    user: str
    tell: Callable[[Mrkdwn], Awaitable[None]]
    no_link: Mrkdwn = NO_LINK
    working: Callable[[], Awaitable[None]] | None = None  # shown while the request is taken (Slack's status)
    chat: bool = False  # a chat of the Messages tab (`ThreadRequest.chat`)


def register(app: AsyncApp, settings: Settings) -> None:
    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        channel, user = event["channel"], event.get("user", "")
        thread_ts = event.get("thread_ts") or event["ts"]

        async def tell(text: Mrkdwn) -> None:
            await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)

        asked = Asked(body["team_id"], body["event_id"], channel, thread_ts, user, tell)
        await answer(settings, client, asked, event)


async def answer(settings: Settings, client: AsyncWebClient, asked: Asked, event: dict[str, Any]) -> None:
    """A debate of the doc in the message or its thread, a follow-up question to the thread's debate, or a
    re-review of it; else what to do instead, to the requester."""
    channel, thread_ts = asked.channel, asked.thread_ts
    workflow_id = f"{asked.team_id}:{asked.event_id}"

    async def start(request: ThreadRequest) -> None:
        if asked.working is not None:
            await asked.working()
        refused = await admit_and_start(settings, request)
        if refused:
            await asked.tell(refused)

    request = ThreadRequest(
        workflow_id=workflow_id,
        team_id=asked.team_id,
        user_id=asked.user,
        channel_id=channel,
        thread_ts=thread_ts,
        link="",
        chat=asked.chat,
    )
    if await workflows.exists(workflow_id):  # Slack delivered this event again: it is already being handled
        return
    busy = await busy_message(channel, thread_ts)
    if busy:
        await asked.tell(busy)
        return
    text = event.get("text") or ""
    question = strip_mentions(text)
    linked = bool(message_links(event))
    if not linked and asks_for_rereview(question):  # before a follow-up: "again" is no question
        earlier = await asyncio.to_thread(
            runtime.current().store.debates.latest_done_in_thread, channel, thread_ts
        )
        if earlier is None:
            await asked.tell(wording.NOTHING_TO_REREVIEW)
            return
        await start(request.model_copy(update={"rereview": True, "link": earlier.link}))
        return
    if question and not linked and await debated(channel, thread_ts):
        await start(request.model_copy(update={"question": question, "link": "(this thread's debate)"}))
        return
    try:
        args = parse_command(text)
        check_personas(settings, args.personas)
    except DocdebateError as exc:
        await asked.tell(error_text(exc))
        return
    link = await thread_link(client, channel, thread_ts, event)
    if link is None:
        await asked.tell(asked.no_link)
        return
    focus = strip_mentions(args.focus or "") or None
    await start(
        request.model_copy(
            update={"link": link, "focus": focus, "personas": args.personas or [], "depth": args.depth}
        )
    )
