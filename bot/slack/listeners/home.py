"""The App Home tab: how to use docdebate, the personas, the user's recent debates and scheduled digests, and
the open one-way doors of the ledger in the channels they are in (each with its status control)."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import runtime
from bot.config import Settings
from bot.debate.personas import load_personas
from bot.posting import render
from bot.store.ledger import Viewer


def register(app: AsyncApp, settings: Settings) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        await publish(client, event["user"])


async def viewer(user: str) -> Viewer:
    """The user in their App Home: the ledger entries of the channels they are in, and of their own DMs."""
    channels = await runtime.current().poster.member_channels(user)
    return Viewer(user=user, member_of=channels, own_dms=True)


async def publish(client: AsyncWebClient, user: str) -> None:
    rt = runtime.current()
    recent = [
        render.recent_debate(row.title, row.link, row.status, row.headline, row.channel_id, row.created_at)
        for row in rt.store.debates.recent_for_user(user)
    ]
    upcoming = [
        render.scheduled_digest(row.link, row.channel_id, row.due_at)
        for row in rt.store.digests.scheduled_by(user)
    ]
    doors = await asyncio.to_thread(rt.store.ledger.shown, await viewer(user), open_only=False)
    personas = list(load_personas(rt.settings.personas_dir).values())
    await client.views_publish(user_id=user, view=render.home_view(personas, recent, upcoming, doors))
