"""`docdebate serve`: Socket Mode by default, or Bolt's HTTP endpoint (`/slack/events`) and `/health`.

`serve` first runs the start-up checks (`bot.preflight`): a setting to fix ends the process within seconds,
with one line; a service that does not answer is retried for `DOCDEBATE_STARTUP_RETRY_S`. Then it launches
the durable workflows (`bot.workflows.queue`) before the event loop starts, and runs the app until SIGTERM or SIGINT,
or until Slack rejects a token while serving (revoked, the app uninstalled): that too ends the process with
one line. Socket Mode's reconnection attempts log one line each, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot import preflight, runtime
from bot.config import Settings
from bot.errors import ConfigError
from bot.posting.poster import Poster, web_client
from bot.slack.app import create_app
from bot.slack.gate import signed_requests_only
from bot.workflows import queue

log = logging.getLogger(__name__)
SOCKET_MODE_LOGGER = "docdebate.socket_mode"


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

    def _reject(self, failure: str) -> None:
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
        if rejected in preflight.SLACK_AUTH_ERRORS:
            app_token = request.url.rstrip("/").endswith("apps.connections.open")
            variable = "SLACK_APP_TOKEN" if app_token else "SLACK_BOT_TOKEN"
            fix = preflight.APP_TOKEN_FIX if app_token else preflight.BOT_TOKEN_FIX
            self._reject(f"Slack rejected {variable} ({rejected}) while serving: {fix}")
        return False


class _OneLine(logging.Filter):
    """A record as one line: no traceback, no line breaks (slack_sdk's errors span two)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "\n" in message:
            record.msg, record.args = " ".join(message.split()), None
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def socket_mode_logger() -> logging.Logger:
    """The Socket Mode client logs `exception()` with a traceback at every failed reconnection (each ping
    interval while Slack is away): through this logger, each is one line."""
    logger = logging.getLogger(SOCKET_MODE_LOGGER)
    if not any(isinstance(f, _OneLine) for f in logger.filters):
        logger.addFilter(_OneLine())
    return logger


async def _until_stopped(watch: AuthWatch) -> None:
    """Until SIGTERM/SIGINT, or a token rejected while serving (then a ConfigError, exit 78)."""
    stop = watch.subscribe()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    if watch.failure:
        raise ConfigError(watch.failure)


HEALTH_TIMEOUT_S = 3.0


async def health(_request: web.Request) -> web.Response:
    """200 while this replica can take work: its database answers and its queues are declared. 503
    otherwise, which is what lets an orchestrator restart it or route around it."""
    report = {"database": "ok", "queue": "ok" if queue.accepting() else "not running"}
    try:
        await asyncio.wait_for(asyncio.to_thread(runtime.current().store.ping), HEALTH_TIMEOUT_S)
    except Exception as exc:  # any failure to answer is the report, not a crash of the endpoint
        report["database"] = f"not answering ({type(exc).__name__})"
    healthy = all(value == "ok" for value in report.values())
    return web.json_response({"ok": healthy, **report}, status=200 if healthy else 503)


async def _listen(web_app: web.Application, host: str, port: int, variable: str) -> web.AppRunner:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}): choose another {variable}"
        ) from exc
    return runner


async def serve_http(settings: Settings, host: str, port: int, watch: AuthWatch) -> None:
    app = create_app(settings, http=True)
    watch.attach(app.client)
    web_app = app.web_app(path="/slack/events", port=port)
    web_app.middlewares.append(signed_requests_only(settings.secret("slack_signing_secret"), "/slack/events"))
    web_app.router.add_get("/health", health)
    runner = await _listen(web_app, host, port, "--port")
    log.warning("docdebate serving Slack events on http://%s:%d/slack/events", host, port)
    try:
        await _until_stopped(watch)
    finally:
        await runner.cleanup()


async def _health_server(port: int | None) -> web.AppRunner | None:
    """Socket Mode has no HTTP server of its own: `GET /health` for the container's health check."""
    if port is None:
        return None
    health_app = web.Application()
    health_app.router.add_get("/health", health)
    return await _listen(health_app, "0.0.0.0", port, "DOCDEBATE_HEALTH_PORT")  # noqa: S104


def _connected(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is None:
        log.warning("docdebate connected to Slack in Socket Mode")


async def serve_socket_mode(settings: Settings, watch: AuthWatch) -> None:
    app = create_app(settings, http=False)
    watch.attach(app.client)
    handler = AsyncSocketModeHandler(
        app, settings.secret("slack_app_token"), logger=socket_mode_logger(), web_client=app.client
    )
    runner = await _health_server(settings.health_port)
    # Connecting retries until Slack answers: meanwhile a signal or a rejected token must still stop us.
    connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
    connecting.add_done_callback(_connected)
    try:
        await _until_stopped(watch)
    finally:
        connecting.cancel()
        await handler.close_async()  # type: ignore[no-untyped-call]
        if runner is not None:
            await runner.cleanup()


def serve(settings: Settings, http: bool, host: str, port: int) -> None:
    preflight.verify(settings, socket_mode=not http)
    watch = AuthWatch()
    queue.launch(
        settings, Poster(watch.attach(web_client(settings)), settings.slack_retry_s), poll_calendars=True
    )
    try:
        asyncio.run(serve_http(settings, host, port, watch) if http else serve_socket_mode(settings, watch))
    finally:
        # After a rejected token nothing can be posted: leave running debates pending for the next start.
        queue.shutdown(0 if watch.failure else settings.shutdown_grace_s)
