"""Posting to Slack through slack_sdk (no Bolt): every post with unfurls off, personas under their own name.

This is the boundary between Slack and the workflows: every failure leaves it as our `SlackError` (plain
data that the workflow engine can record), never as slack_sdk's own error, which it cannot serialise. A
failure a later try may cure (5xx, 429, a dropped connection) is retried here with backoff for
`DOCDEBATE_SLACK_RETRY_S`, one log line per attempt, on top of slack_sdk's own quick retries.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_random_exponential,
)

from bot.config import Settings
from bot.errors import SlackError
from bot.models import Persona
from bot.posting.render import Post
from bot.posting.tasks import Task, opening_chunks
from bot.retries.slack import add_slack_retries

log = logging.getLogger(__name__)
_EMOJI_NAME = re.compile(r"^:[a-z0-9_+'-]+:$")
POST_EVENT = "docdebate_post"  # message metadata naming the step that posted it
# `ok: false` errors that a later try may cure; every other one is final (not_in_channel, invalid_auth, ...).
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
T = TypeVar("T")


def slack_error(exc: BaseException) -> SlackError:
    """Any failure of a Slack call as our SlackError: Slack's `error` code, and whether to try again."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = str(data.get("error") or f"http_{status}")
        retryable = status >= 500 or status == 429 or error in TRANSIENT_ERRORS
        return SlackError(f"Slack answered `{error}`", error, retryable)
    return SlackError(f"Slack is unreachable ({type(exc).__name__})", "unreachable", retryable=True)


# What a Slack call may raise: Slack's answers, and the network's failures under them.
FAILURES = (SlackClientError, aiohttp.ClientError, OSError, asyncio.TimeoutError)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, SlackError) and exc.retryable


def web_client(settings: Settings, token: str | None = None) -> AsyncWebClient:
    """The Web API client every part of the bot uses: `SLACK_API_URL`, and Slack's 429s and 5xx retried."""
    client = AsyncWebClient(
        token=token or settings.secret("slack_bot_token"), base_url=settings.slack_api_url
    )
    add_slack_retries(client)
    return client


@dataclass(frozen=True)
class Conversation:
    """Who can read a Slack conversation: `private` (a DM, a group DM or a private channel), `shared` (with
    another organisation, Slack Connect)."""

    private: bool
    shared: bool


class Poster:
    def __init__(self, client: AsyncWebClient, retry_s: float = 120.0) -> None:
        self.client = client
        self.retry_s = retry_s

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one Slack call; its failures leave as SlackError, the transient ones after retries."""

        def note(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0
            log.warning("%s failed (%s); retrying in %.0f s", what, getattr(exc, "error", exc), wait)

        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_delay(self.retry_s),
            wait=wait_random_exponential(multiplier=1, max=15),
            before_sleep=note,
            reraise=True,
        ):
            with attempt:
                try:
                    return await call()
                except FAILURES as exc:
                    raise slack_error(exc) from None
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    async def post(
        self,
        channel: str,
        post: Post,
        thread_ts: str | None = None,
        as_: Persona | None = None,
        key: str | None = None,
    ) -> str:
        """Post and return its ts; `key` goes into the message's metadata so `find_posted` can find it."""
        emoji = as_.emoji if as_ is not None and _EMOJI_NAME.match(as_.emoji) else None
        response = await self._call(
            "chat.postMessage",
            lambda: self.client.chat_postMessage(
                channel=channel,
                text=post.text,
                blocks=post.blocks,
                thread_ts=thread_ts,
                username=as_.title if as_ is not None else None,
                icon_emoji=emoji,
                unfurl_links=False,  # DESIGN.md safety rules: every post, no exception
                unfurl_media=False,
                metadata={"event_type": POST_EVENT, "event_payload": {"key": key}} if key else None,
            ),
        )
        return str(response["ts"])

    async def find_posted(self, channel: str, thread_ts: str | None, key: str) -> str | None:
        """The ts of the bot's post carrying `key` (see `post`) in the thread, or among the channel's latest
        messages; None if it is not there or Slack will not say (no history scope, e.g. in DMs)."""
        try:
            if thread_ts:
                response = await self._call(
                    "conversations.replies",
                    lambda: self.client.conversations_replies(
                        channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
                    ),
                )
            else:
                response = await self._call(
                    "conversations.history",
                    lambda: self.client.conversations_history(
                        channel=channel, include_all_metadata=True, limit=50
                    ),
                )
        except SlackError as exc:
            log.warning("cannot look for an earlier post in %s: %s", channel, exc.error)
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == POST_EVENT
                and (metadata.get("event_payload") or {}).get("key") == key
            ):
                return str(message["ts"])
        return None

    async def update(self, channel: str, ts: str, post: Post) -> None:
        await self._call(
            "chat.update",
            lambda: self.client.chat_update(channel=channel, ts=ts, text=post.text, blocks=post.blocks),
        )

    async def try_update(self, channel: str, ts: str, post: Post) -> None:
        """An update that may be dropped (live progress): one try, failures logged, not raised."""
        try:
            await self.client.chat_update(channel=channel, ts=ts, text=post.text, blocks=post.blocks)
        except FAILURES as exc:
            log.info("live update of %s skipped: %s", ts, slack_error(exc).error)

    async def start_plan(
        self, channel: str, thread_ts: str, tasks: Sequence[Task], user: str, team: str
    ) -> str:
        """A chat stream in plan mode holding `tasks` (`chat.startStream`); its ts. The recipient is the
        requester (Slack needs one in channels, and takes it in DMs)."""
        chunks = opening_chunks(tasks)
        response = await self._call(
            "chat.startStream",
            lambda: self.client.chat_startStream(
                channel=channel,
                thread_ts=thread_ts,
                task_display_mode="plan",
                chunks=chunks,
                recipient_user_id=user,
                recipient_team_id=team,
            ),
        )
        return str(response["ts"])

    async def try_append_plan(
        self, channel: str, ts: str, tasks: Sequence[Task], *, last: bool = False
    ) -> str | None:
        """Tasks' new state (`chat.appendStream`; `last`: `chat.stopStream`, which ends the stream): one try,
        as live progress is. None if it went through, else Slack's error (logged)."""
        chunks = [t.chunk() for t in tasks]
        try:
            if last:
                await self.client.chat_stopStream(channel=channel, ts=ts, chunks=chunks)
            else:
                await self.client.chat_appendStream(channel=channel, ts=ts, chunks=chunks)
        except FAILURES as exc:
            error = slack_error(exc).error
            log.info("plan update of %s skipped: %s", ts, error)
            return error
        return None

    async def _user(self, user: str) -> dict[str, Any]:
        try:
            response = await self.client.users_info(user=user)
        except FAILURES as exc:
            log.warning("users.info %s failed: %s", user, slack_error(exc).error)
            return {}
        return dict(response.get("user") or {})

    async def user_email(self, user: str) -> str | None:
        """The user's email from their Slack profile (`users:read.email`), if Slack shows it."""
        email = (await self._user(user)).get("profile", {}).get("email")
        return str(email) if email else None

    async def user_tz(self, user: str) -> str | None:
        """The user's time zone as Slack has it (IANA name), if known."""
        tz = (await self._user(user)).get("tz")
        return str(tz) if tz else None

    async def dm_channel(self, user: str) -> str:
        """The bot's DM with `user` (`conversations.open`, scope `im:write`); without it, the user id, which
        `chat.postMessage` also takes for the app's Messages tab."""
        try:
            response = await self.client.conversations_open(users=user)
        except FAILURES as exc:
            log.warning(
                "conversations.open %s failed (%s): posting to the user id", user, slack_error(exc).error
            )
            return user
        return str((response.get("channel") or {}).get("id") or user)

    async def user_by_email(self, email: str) -> str | None:
        """The Slack user with this email (`users.lookupByEmail`); None if there is none, or a bot or deactivated
        account."""
        try:
            response = await self.client.users_lookupByEmail(email=email)
        except FAILURES as exc:
            if slack_error(exc).error != "users_not_found":
                log.warning("users.lookupByEmail failed: %s", slack_error(exc).error)
            return None
        user = response.get("user") or {}
        if user.get("deleted") or user.get("is_bot"):
            return None
        return str(user["id"]) if user.get("id") else None

    async def permalink(self, channel: str, ts: str) -> str:
        """A link to the message (`chat.getPermalink`); if Slack will not say, its archive link, which Slack
        resolves for anyone signed in to the workspace."""
        try:
            response = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except FAILURES as exc:
            log.warning("chat.getPermalink in %s failed: %s", channel, slack_error(exc).error)
            return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return str(response["permalink"])

    async def conversation(self, channel: str) -> Conversation:
        """Who can read the conversation (`conversations.info`, scopes `channels:read`, `groups:read`); when
        Slack will not say, taken for private and shared, so nothing from it shows anywhere else."""
        try:
            response = await self.client.conversations_info(channel=channel)
        except FAILURES as exc:
            log.warning("conversations.info %s failed: %s", channel, slack_error(exc).error)
            return Conversation(private=True, shared=True)
        info = response.get("channel") or {}
        private = any(info.get(k) for k in ("is_private", "is_im", "is_mpim", "is_group"))
        shared = any(info.get(k) for k in ("is_ext_shared", "is_org_shared", "is_pending_ext_shared"))
        return Conversation(private=private, shared=shared)

    async def member_channels(self, user: str) -> frozenset[str]:
        """The public and private channels `user` is in (`users.conversations`; private ones only where the
        bot is too); none if Slack will not say."""
        found: set[str] = set()
        cursor: str | None = None
        try:
            while True:
                response = await self.client.users_conversations(
                    user=user,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                )
                found.update(str(c["id"]) for c in response.get("channels") or [])
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    return frozenset(found)
        except FAILURES as exc:
            log.warning("users.conversations %s failed: %s", user, slack_error(exc).error)
            return frozenset()

    async def is_guest(self, user: str) -> bool:
        """A guest (single- or multi-channel) sees only the channels they are in; unknown counts as a guest."""
        found = await self._user(user)
        return not found or bool(found.get("is_restricted") or found.get("is_ultra_restricted"))

    async def respond(self, response_url: str, post: Post, *, replace_original: bool = False) -> bool:
        """Answer a command or shortcut through its `response_url`: only the requester sees it, and it works
        where the bot cannot post (a channel it is not in). False if Slack refused (the URL expired)."""
        try:
            response = await AsyncWebhookClient(response_url).send(
                text=post.text,
                blocks=post.blocks,
                response_type="ephemeral",
                replace_original=replace_original,
            )
        except FAILURES as exc:
            log.warning("answer through the response_url failed: %s", slack_error(exc).error)
            return False
        if response.status_code != 200:
            log.warning("answer through the response_url refused: HTTP %s", response.status_code)
        return response.status_code == 200

    async def ephemeral(self, channel: str, user: str, post: Post, thread_ts: str | None = None) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=channel, user=user, text=post.text, blocks=post.blocks, thread_ts=thread_ts
            )
        except FAILURES as exc:  # e.g. the bot is not in the channel: nothing better to do than log
            log.warning("ephemeral to %s in %s failed: %s", user, channel, slack_error(exc).error)
