"""The App Home tab: how to use docdebate, the personas, the user's recent debates and scheduled digests."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import runtime
from bot.config import Settings
from bot.debate.personas import load_personas
from bot.posting import render


def register(app: AsyncApp, settings: Settings) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        recent = [
            render.recent_debate(
                row.title, row.link, row.status, row.headline, row.channel_id, row.created_at
            )
            for row in runtime.current().store.debates.recent_for_user(user)
        ]
        upcoming = [
            render.scheduled_digest(row.link, row.channel_id, row.due_at)
            for row in runtime.current().store.digests.scheduled_by(user)
        ]
        personas = list(load_personas(settings.personas_dir).values())
        await client.views_publish(user_id=user, view=render.home_view(personas, recent, upcoming))
