"""The bot's Messages tab (Slack's assistant view: one thread per chat). A new chat offers suggested prompts; a
link or a dropped file in a chat is debated in that chat's thread, with Slack's status shown while it is taken;
then, as with a mention, a question there is a follow-up and `again` a re-review. Bolt's `AsyncAssistant` routes
the events, and ignores the bot's own messages and their edits."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.set_status.async_set_status import AsyncSetStatus
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import AsyncSetSuggestedPrompts
from slack_bolt.middleware.assistant.async_assistant import AsyncAssistant
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import runtime
from bot.config import Settings
from bot.posting.render import Block, Post
from bot.posting.safety import Mrkdwn, trusted
from bot.slack.admission import STORE_FAILURES, UNAVAILABLE
from bot.slack.listeners import ledger
from bot.slack.listeners.mentions import Asked, answer
from bot.slack.parsing import message_links, strip_mentions

log = logging.getLogger(__name__)

DEBATE_A_DOC, REREVIEW, OPEN_DOORS = "Debate a doc", "Re-review", "What are our open one-way doors?"
PROMPTS = [{"title": prompt, "message": prompt} for prompt in (DEBATE_A_DOC, REREVIEW, OPEN_DOORS)]
STATUS = "is reading the doc…"
HOW_TO = trusted(
    ":page_facing_up: Paste a link to the doc here (a Google Doc, a web page, or a Slack file's link), or drop "
    "the file itself (PDF, Word .docx, Markdown or text), and the panel debates it in this chat. Add what to "
    "focus on, `--personas skeptic,exec` or `--depth quick|standard|deep` after the link.\n"
    "Once it is done, ask the panel a question here, or say `again` after the doc changed."
)
NO_LINK = trusted(
    ":link: I debate docs: paste a doc's link or drop its file (PDF, .docx, Markdown or text) here and the panel "
    "takes it on. Ask `What are our open one-way doors?` for the ledger."
)
_HOW_TO_ASK = re.compile(r"^(?:how\s+(?:do|can)\s+i\s+)?debate\s+a\s+doc[\s.!?]*$", re.I)
_DOORS_ASK = re.compile(r"\bone[- ]way\s+doors?\b|^(?:the\s+)?ledger[\s.!?]*$", re.I)

assistant = AsyncAssistant()


def register(app: AsyncApp, settings: Settings) -> None:
    app.assistant(assistant)


@assistant.thread_started
async def offer_prompts(set_suggested_prompts: AsyncSetSuggestedPrompts) -> None:
    await set_suggested_prompts(prompts=PROMPTS, title="Pressure-test a doc before the meeting")


@assistant.thread_context_changed
async def keep_no_context() -> None:
    """The channel the user is viewing changes nothing here (Bolt's default would rewrite a reply to keep it)."""


@assistant.user_message
async def on_message(
    event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, set_status: AsyncSetStatus
) -> None:
    channel, thread_ts, user = event["channel"], event["thread_ts"], event.get("user", "")

    async def post(text: Mrkdwn, blocks: list[Block] | None = None) -> None:
        await client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )

    async def working() -> None:
        try:
            await set_status(status=STATUS)
        except SlackApiError as exc:  # the debate goes ahead without it
            log.warning("assistant.threads.setStatus failed: %s", exc.response.get("error"))

    words = strip_mentions(event.get("text") or "")
    if not message_links(event) and _HOW_TO_ASK.match(words):
        await post(HOW_TO)
        return
    if not message_links(event) and _DOORS_ASK.search(words):
        shown = await open_doors(channel, user)
        await post(shown.text, shown.blocks)
        return
    asked = Asked(
        body["team_id"], body["event_id"], channel, thread_ts, user, post, NO_LINK, working, chat=True
    )
    await answer(runtime.current().settings, client, asked, event)


async def open_doors(channel: str, user: str) -> Post:
    """The one-way doors as `/debate ledger` in this DM lists them (a DM's answer is the user's own to see)."""
    try:
        return await ledger.listing(channel, user)
    except STORE_FAILURES as exc:
        log.error("ledger not answered in a chat: the database is not answering (%s)", type(exc).__name__)
        return Post(trusted(UNAVAILABLE))
