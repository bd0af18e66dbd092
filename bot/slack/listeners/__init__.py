"""Listeners grouped by kind; each module registers its own."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.config import Settings
from bot.slack.listeners import commands, feedback, home, ledger, mentions, messages, shortcuts


def register(app: AsyncApp, settings: Settings) -> None:
    for kind in (commands, mentions, messages, shortcuts, home, feedback, ledger):
        kind.register(app, settings)
