"""`docdebate serve`: Socket Mode by default, or Bolt's HTTP endpoint (`/slack/events`) and `/health`.

`serve` launches the durable workflows (`bot.jobs`) before the event loop starts, then runs the app.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot import jobs
from bot.config import Settings
from bot.digest import workflows
from bot.slack.app import create_app
from bot.slack.poster import Poster, web_client

log = logging.getLogger(__name__)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def serve_http(settings: Settings, host: str, port: int) -> None:
    app = create_app(settings, http=True)
    web_app = app.web_app(path="/slack/events", port=port)
    web_app.router.add_get("/health", health)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.warning("docdebate serving Slack events on http://%s:%d/slack/events", host, port)
    try:
        await _until_signalled()
    finally:
        await runner.cleanup()


async def serve_socket_mode(settings: Settings) -> None:
    app = create_app(settings, http=False)
    handler = AsyncSocketModeHandler(app, settings.secret("slack_app_token"), web_client=app.client)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.warning("docdebate connected to Slack in Socket Mode")
    try:
        await _until_signalled()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


def serve(settings: Settings, http: bool, host: str, port: int) -> None:
    jobs.launch(settings, Poster(web_client(settings)))
    workflows.launch(settings, poll_calendars=True)
    try:
        asyncio.run(serve_http(settings, host, port) if http else serve_socket_mode(settings))
    finally:
        jobs.shutdown(settings.shutdown_grace_s)
