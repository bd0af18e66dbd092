"""The Bolt app: built here, its listeners registered by kind (`bot.slack.listeners`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.config import Settings
from bot.slack import listeners
from bot.slack.poster import web_client


def create_app(settings: Settings, *, http: bool) -> AsyncApp:
    """`http=True` serves Bolt's `/slack/events` (requests signature-verified); else Socket Mode."""
    app = AsyncApp(
        signing_secret=settings.secret("slack_signing_secret") if http else None,
        client=web_client(settings),  # carries the bot token and SLACK_API_URL
        request_verification_enabled=http,
        process_before_response=False,  # ack within Slack's 3 s, work after
    )
    listeners.register(app, settings)
    return app
