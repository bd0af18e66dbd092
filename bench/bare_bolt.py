"""The floor for `bench/ack_bench.py`: a bare Bolt app over HTTP that acknowledges `/debate` and does nothing
else. Same Bolt, same aiohttp server, same signature check and token as docdebate; no work behind the ack.

    python bench/bare_bolt.py PORT   (BARE_BOLT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL
    from the environment; the token is not SLACK_BOT_TOKEN, which Bolt would also read, and warn)
"""

from __future__ import annotations

import os
import sys
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def bare_app() -> web.Application:
    client = AsyncWebClient(token=os.environ["BARE_BOLT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @app.command("/debate")
    async def debate(ack: Any) -> None:
        await ack()

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = app.web_app(path="/slack/events")
    web_app.router.add_get("/health", health)
    return web_app


if __name__ == "__main__":
    web.run_app(bare_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None)
