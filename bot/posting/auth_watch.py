"""Seeing a Slack token rejected while serving (revoked, the app uninstalled): the process then stops."""

from __future__ import annotations

import asyncio
import signal
import threading

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ConfigError

SLACK_APPS = "api.slack.com/apps > your app"
# Slack's answers that no retry can change: the token is wrong, revoked, or of the wrong kind.
SLACK_AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "token_revoked",
        "account_inactive",
        "not_authed",
        "token_expired",
        "not_allowed_token_type",
    }
)
BOT_TOKEN_FIX = (
    f"copy the Bot User OAuth Token (xoxb-…) again from {SLACK_APPS} > OAuth & Permissions into "
    "SLACK_BOT_TOKEN, or reinstall the app if it was removed"
)
APP_TOKEN_FIX = (
    f"create an app-level token with connections:write ({SLACK_APPS} > Basic Information > App-Level Tokens) "
    "and put it (xapp-…) in SLACK_APP_TOKEN"
)


class AuthWatch(AsyncRetryHandler):
    """Sees every answer Slack gives the bot's clients, and never retries: once Slack rejects a token (revoked,
    the app uninstalled) nothing the bot does can work, so the process stops instead of failing every request.

    Clients run on two loops (the server's and DBOS's): the event a loop waits on is set from either."""

    def __init__(self) -> None:
        super().__init__(
            max_retry_count=1 << 30
        )  # consulted on every answer, however many retries came before
        self.failure: str | None = None
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def attach(self, client: AsyncWebClient) -> AsyncWebClient:
        client.retry_handlers.insert(0, self)
        return client

    def subscribe(self) -> asyncio.Event:
        """An event of the running loop, set when a token is rejected."""
        event = asyncio.Event()
        with self._lock:
            self._waiters.append((asyncio.get_running_loop(), event))
            if self.failure is not None:
                event.set()
        return event

    def fail(self, failure: str) -> None:
        """Stop whoever waits on `subscribe()`, with `failure` as the reason (first one wins)."""
        with self._lock:
            if self.failure is not None:
                return
            self.failure = failure
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        body = response.body if response is not None else None
        rejected = body.get("error") if isinstance(body, dict) and body.get("ok") is False else None
        if rejected in SLACK_AUTH_ERRORS:
            app_token = request.url.rstrip("/").endswith("apps.connections.open")
            variable = "SLACK_APP_TOKEN" if app_token else "SLACK_BOT_TOKEN"
            fix = APP_TOKEN_FIX if app_token else BOT_TOKEN_FIX
            self.fail(f"Slack rejected {variable} ({rejected}) while serving: {fix}")
        return False


async def until_stopped(watch: AuthWatch) -> None:
    """Until SIGTERM/SIGINT, or a token rejected while serving (then a ConfigError, exit 78)."""
    stop = watch.subscribe()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if watch.failure:
        raise ConfigError(watch.failure)
