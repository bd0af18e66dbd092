"""`docdebate serve`: Socket Mode by default, or Bolt's HTTP endpoint (`/slack/events`) and `/health`.

`serve` first runs the start-up checks (`bot.preflight`): a setting to fix ends the process within seconds,
with one line; a service that does not answer is retried for `DOCDEBATE_STARTUP_RETRY_S`. Then it starts
the worker processes that run debates and digests (`bot.supervise`), and acknowledges Slack in this one,
which only enqueues work (`bot.workflows.client`), until SIGTERM or SIGINT, or until Slack rejects a token
while serving (revoked, the app uninstalled): that too ends the process with one line. Socket Mode's
reconnection attempts log one line each, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot import preflight, runtime
from bot.config import Settings
from bot.errors import ConfigError
from bot.posting.auth_watch import AuthWatch, until_stopped
from bot.posting.poster import Poster, web_client
from bot.slack.app import create_app
from bot.slack.gate import signed_requests_only
from bot.store import Store
from bot.supervise import Workers
from bot.workflows import client as workflows

log = logging.getLogger(__name__)
SOCKET_MODE_LOGGER = "docdebate.socket_mode"


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


HEALTH_TIMEOUT_S = 3.0
_workers: Workers | None = None


async def health(_request: web.Request) -> web.Response:
    """200 while this replica can take work: its database answers, and its workers run. 503 otherwise,
    which is what lets an orchestrator restart it or route around it."""
    running = workflows.connected() and _workers is not None and _workers.alive()
    report = {"database": "ok", "queue": "ok" if running else "not running"}
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
        await until_stopped(watch)
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
        await until_stopped(watch)
    finally:
        connecting.cancel()
        await handler.close_async()  # type: ignore[no-untyped-call]
        if runner is not None:
            await runner.cleanup()


def serve(settings: Settings, http: bool, host: str, port: int) -> None:
    """Check, start the workers, then acknowledge Slack until stopped; the workers stop after, each giving
    its running debates `DOCDEBATE_SHUTDOWN_GRACE_S` (none after a rejected token: nothing could be posted,
    and what is left stays pending for the next start)."""
    global _workers
    watch = AuthWatch()
    _workers = Workers(settings, on_fatal=watch.fail)
    _workers.spawn()  # their imports overlap the checks
    try:
        preflight.verify(settings, socket_mode=not http)
        _workers.release()
        poster = Poster(watch.attach(web_client(settings)), settings.slack_retry_s)
        runtime.install(runtime.Runtime(settings, poster, Store(settings.database_url)))
        workflows.connect(settings.database_url)
        asyncio.run(serve_http(settings, host, port, watch) if http else serve_socket_mode(settings, watch))
    finally:
        workflows.disconnect()
        _workers.stop(0 if watch.failure else settings.shutdown_grace_s)
