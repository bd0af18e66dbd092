"""The Bolt app: built here, its listeners registered by kind (`bot.slack.listeners`)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.config import Settings
from bot.posting.poster import web_client
from bot.slack import listeners


def create_app(settings: Settings, *, http: bool) -> AsyncApp:
    """`http=True` serves Bolt's `/slack/events` (requests signature-verified); else Socket Mode."""
    # Bolt is given the token, not a client: given a client, it reads SLACK_BOT_TOKEN from the environment on
    # its own and warns at every start that this `token` "will be unused". Its client then gets what
    # `web_client` gives every client of the bot: SLACK_API_URL and Slack's retries.
    app = AsyncApp(
        token=settings.secret("slack_bot_token"),
        signing_secret=settings.secret("slack_signing_secret") if http else None,
        request_verification_enabled=http,
        process_before_response=False,  # ack within Slack's 3 s, work after
    )
    reference = web_client(settings)
    app.client.base_url = reference.base_url
    app.client.retry_handlers[:] = reference.retry_handlers
    listeners.register(app, settings)
    return app
