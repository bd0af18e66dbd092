"""The two Slack app manifests (Socket Mode and HTTP) describe the same app."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EVENTS = "https://YOUR-HOST/slack/events"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text())


def test_the_http_manifest_is_the_socket_mode_one_with_request_urls() -> None:
    socket, http = load("manifest.yml"), load("manifest-http.yml")
    assert socket["settings"]["socket_mode_enabled"] is True
    assert http["settings"]["socket_mode_enabled"] is False
    assert http["settings"]["event_subscriptions"]["request_url"] == EVENTS
    assert http["settings"]["interactivity"]["request_url"] == EVENTS
    assert all(c["url"] == EVENTS for c in http["features"]["slash_commands"])
    stripped = copy.deepcopy(http)
    del stripped["settings"]["event_subscriptions"]["request_url"]
    del stripped["settings"]["interactivity"]["request_url"]
    for command in stripped["features"]["slash_commands"]:
        del command["url"]
    stripped["settings"]["socket_mode_enabled"] = True
    assert stripped == socket


def test_the_history_scopes_cover_every_kind_of_conversation_the_post_guard_reads() -> None:
    scopes = load("manifest.yml")["oauth_config"]["scopes"]["bot"]
    assert {"channels:history", "groups:history", "im:history", "mpim:history"} <= set(scopes)


def test_the_messages_tab_is_a_chat_with_the_assistant_view_its_events_and_scope() -> None:
    manifest = load("manifest.yml")
    home, view = manifest["features"]["app_home"], manifest["features"]["assistant_view"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is False
    assert view["assistant_description"]
    assert [p["title"] for p in view["suggested_prompts"]] == [
        "Debate a doc",
        "Re-review",
        "What are our open one-way doors?",
    ]
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"assistant_thread_started", "assistant_thread_context_changed", "message.im"} <= set(events)
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"assistant:write", "im:history"} <= set(scopes)
