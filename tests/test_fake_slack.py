"""The fake Slack Web API, driven only through the real slack_sdk clients, and the signed-request sender,
checked against slack_sdk's SignatureVerifier and a real Bolt AsyncApp over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import yaml
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_fake import FakeSlack, block_errors
from tests.slack_requests import SlackSender

TOKEN = "xoxb-test"
SECRET = "shh-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=fake.api_url)


async def api_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


# ---------------------------------------------------------------------------------------------------------
# Identity, auth, unknown methods
# ---------------------------------------------------------------------------------------------------------


async def test_auth_test_identifies_the_bot(fake: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["ok"] is True
    assert (response["team_id"], response["user_id"], response["bot_id"]) == ("T0001", "UBOT", "BBOT")
    assert response["url"].startswith("https://") and response["team"] and response["user"]
    (call,) = fake.calls_to("auth.test")
    assert call.token == TOKEN and call.ok and call.headers["authorization"] == f"Bearer {TOKEN}"


async def test_wrong_or_missing_token_is_refused(fake: FakeSlack) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url)
    error = await api_error(wrong.chat_postMessage(channel="C1", text="hi"))
    assert error.response.status_code == 200 and error.response["error"] == "invalid_auth"
    anonymous = AsyncWebClient(base_url=fake.api_url)
    assert (await api_error(anonymous.auth_test())).response["error"] == "not_authed"
    assert fake.messages("C1") == []


async def test_app_token_only_opens_socket_connections(fake: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.apps_connections_open(app_token="xapp-test")
    assert opened["url"].startswith("ws://")
    error = await api_error(client.apps_connections_open(app_token=TOKEN))
    assert error.response["error"] == "not_allowed_token_type"


def manifest_bot_scopes() -> list[str]:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])


async def test_bot_token_answers_carry_its_scopes(fake: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response.headers["x-oauth-scopes"].split(",") == manifest_bot_scopes()
    fake.bot_scopes = ["chat:write", "commands"]
    assert (await client.auth_test()).headers["x-oauth-scopes"] == "chat:write,commands"
    opened = await client.apps_connections_open(app_token="xapp-test")
    assert "x-oauth-scopes" not in opened.headers  # the app token's answers do not list the bot's scopes


async def test_a_revoked_token_is_refused(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.revoke()
    error = await api_error(client.auth_test())
    assert error.response["error"] == "token_revoked" and "x-oauth-scopes" not in error.response.headers
    assert (await api_error(client.chat_postMessage(channel="C1", text="hi"))).response[
        "error"
    ] == "token_revoked"
    fake.revoke("xapp-test", error="invalid_auth")
    error = await api_error(client.apps_connections_open(app_token="xapp-test"))
    assert error.response["error"] == "invalid_auth"
    assert fake.messages("C1") == []


async def test_socket_mode_client_connects_and_is_closed_when_the_fake_stops() -> None:
    fake = FakeSlack().start()
    web = AsyncWebClient(base_url=fake.api_url)
    hello: list[dict[str, Any]] = []

    async def on_message(_client: Any, message: dict[str, Any], _raw: str | None) -> None:
        hello.append(message)

    socket = SocketModeClient(app_token="xapp-test", web_client=web, auto_reconnect_enabled=False)
    socket.message_listeners.append(on_message)
    try:
        await socket.connect()
        await fake.wait_for_async(lambda f: hello and f.sockets_open == 1)
        assert hello[0]["type"] == "hello" and hello[0]["connection_info"]["app_id"] == "A0001"
        await socket.send_socket_mode_response({"envelope_id": "e1"})
        await fake.wait_for_async(lambda f: f.socket_messages == [{"envelope_id": "e1"}])
        await asyncio.to_thread(fake.stop)
        for _ in range(200):
            if socket.current_session is not None and socket.current_session.closed:
                break
            await asyncio.sleep(0.05)
        assert socket.current_session is not None and socket.current_session.closed
        assert socket.current_session.close_code == 1001
    finally:
        await socket.close()
        fake.stop()


async def test_disconnect_asks_the_socket_mode_client_to_reconnect(fake: FakeSlack) -> None:
    socket = SocketModeClient(app_token="xapp-test", web_client=AsyncWebClient(base_url=fake.api_url))
    try:
        await socket.connect()
        await fake.wait_for_async(lambda f: f.sockets_open == 1)
        await asyncio.to_thread(fake.disconnect_sockets)
        await fake.wait_for_async(
            lambda f: f.sockets_opened == 2 and len(f.calls_to("apps.connections.open")) == 2
        )
    finally:
        await socket.close()


async def test_a_socket_url_this_fake_did_not_issue_is_refused(fake: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(f"ws://127.0.0.1:{fake.port}/link/?ticket=made-up")
    assert info.value.status == 401 and fake.sockets_opened == 0


async def test_refused_sockets_fail_the_handshake_until_allowed(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.refuse_sockets = 503
    url = (await client.apps_connections_open(app_token="xapp-test"))["url"]
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(url)
        assert info.value.status == 503 and fake.sockets_opened == 0
        fake.refuse_sockets = None
        async with session.ws_connect(url) as ws:
            assert (await ws.receive_json())["type"] == "hello"


async def test_unknown_method(client: AsyncWebClient) -> None:
    error = await api_error(client.api_call("chat.frobnicate", json={"channel": "C1"}))
    assert error.response["error"] == "unknown_method"


# ---------------------------------------------------------------------------------------------------------
# Messages and threads
# ---------------------------------------------------------------------------------------------------------


async def test_post_update_and_replies_round_trip(fake: FakeSlack, client: AsyncWebClient) -> None:
    root = fake.add_message("C1", "<@UBOT> review <https://example.com/doc>", user="U123")
    posted = await client.chat_postMessage(
        channel="C1",
        text="Panel is reading",
        blocks=[section("*Panel* is reading")],
        thread_ts=root,
        username="Skeptic",
        icon_emoji=":thinking_face:",
        unfurl_links=False,
        unfurl_media=False,
        metadata={"event_type": "debate_started", "event_payload": {"id": "d1"}},
    )
    assert posted["channel"] == "C1" and posted["ts"] > root
    assert posted["message"]["thread_ts"] == root and posted["message"]["bot_id"] == "BBOT"
    assert posted["message"]["username"] == "Skeptic"
    second = await client.chat_postMessage(channel="C1", text="Round 1", thread_ts=root)

    updated = await client.chat_update(
        channel="C1", ts=posted["ts"], text="Panel done", blocks=[section("done")]
    )
    assert updated["ts"] == posted["ts"] and updated["text"] == "Panel done"
    assert updated["message"]["blocks"] == [section("done")]

    replies = await client.conversations_replies(channel="C1", ts=root)
    messages = replies["messages"]
    assert [m["ts"] for m in messages] == [root, posted["ts"], second["ts"]]
    assert messages[0]["reply_count"] == 2 and messages[0]["latest_reply"] == second["ts"]
    assert messages[1]["text"] == "Panel done" and messages[1]["parent_user_id"] == "U123"
    assert replies["has_more"] is False
    # a reply's ts finds the same thread; the record holds the decoded arguments
    assert [m["ts"] for m in fake.thread("C1", second["ts"])] == [root, posted["ts"], second["ts"]]
    (call,) = fake.calls_to("chat.postMessage")[:1]
    assert call.args["blocks"] == [section("*Panel* is reading")] and call.args["unfurl_links"] is False
    assert call.args["metadata"]["event_payload"] == {"id": "d1"}


async def test_ts_are_unique_and_increasing(fake: FakeSlack, client: AsyncWebClient) -> None:
    first = fake.add_message("C1", "hello")
    assert first == "1700000000.000100"
    posted = [(await client.chat_postMessage(channel="C1", text=str(i)))["ts"] for i in range(5)]
    assert len(set(posted)) == 5 and posted == sorted(posted, key=float) and float(posted[0]) > float(first)
    later = fake.add_message("C1", "explicit", ts="1800000000.000000")
    assert float((await client.chat_postMessage(channel="C1", text="after"))["ts"]) > float(later)


async def test_replies_paginate_with_a_cursor(fake: FakeSlack, client: AsyncWebClient) -> None:
    root = fake.add_message("C1", "root")
    for i in range(4):
        fake.add_message("C1", f"reply {i}", thread_ts=root)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await client.conversations_replies(channel="C1", ts=root, limit=2, cursor=cursor)
        pages += 1
        seen += [m["text"] for m in page["messages"]]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            assert page["has_more"] is False
            break
    assert pages == 3 and seen == ["root", "reply 0", "reply 1", "reply 2", "reply 3"]
    error = await api_error(client.conversations_replies(channel="C1", ts=root, cursor="bm9wZQ=="))
    assert error.response["error"] == "invalid_cursor"
    error = await api_error(client.conversations_replies(channel="C1", ts="1600000000.000001"))
    assert error.response["error"] == "thread_not_found"


async def test_form_encoded_arguments_are_decoded(fake: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [section("from a form")]
    await client.api_call(
        "chat.postMessage",
        data={"channel": "C1", "text": "form", "blocks": json.dumps(blocks), "unfurl_links": "false"},
    )
    (call,) = fake.calls_to("chat.postMessage")
    assert call.args["blocks"] == blocks and call.args["unfurl_links"] is False
    assert fake.messages("C1")[0]["blocks"] == blocks


async def test_channel_and_message_errors(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.missing_channels.add("CGONE")
    assert (await api_error(client.chat_postMessage(channel="CGONE", text="x"))).response[
        "error"
    ] == "channel_not_found"
    with pytest.warns(UserWarning, match="top-level `text`"):  # the SDK warns, Slack refuses
        assert (await api_error(client.chat_postMessage(channel="C1"))).response["error"] == "no_text"
    long_text = "x" * 40_001
    assert (await api_error(client.chat_postMessage(channel="C1", text=long_text))).response[
        "error"
    ] == "msg_too_long"
    missing = await api_error(client.chat_update(channel="C1", ts="1700000000.999999", text="x"))
    assert missing.response["error"] == "message_not_found"
    posted = await client.chat_postMessage(channel="C1", text="bye")
    assert (await client.chat_delete(channel="C1", ts=posted["ts"]))["ts"] == posted["ts"]
    assert fake.messages("C1") == []


async def test_user_id_as_channel_posts_to_the_dm(fake: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="U123", text="your report")
    assert posted["channel"] == "D123"
    assert [m["text"] for m in fake.messages("D123")] == ["your report"]


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([section(f"s{i}") for i in range(51)], "/blocks"),
        ([section("x" * 3001)], "/blocks/0/text/text"),
        ([section("")], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}], "/blocks/0/text/type"),
        ([{"text": {"type": "mrkdwn", "text": "no type"}}], "/blocks/0"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "/blocks/0/elements"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "/blocks/0/fields/0/text"),
        ([section("a", block_id="same"), section("b", block_id="same")], "/blocks/1/block_id"),
        ([{"type": "sparkle"}], "/blocks/0/type"),
    ],
    ids=[
        "51-blocks", "section-3001", "section-empty", "header-151", "header-mrkdwn", "no-type",
        "context-11", "fields-11", "field-2001", "duplicate-block-id", "unknown-type",
    ],
)  # fmt: skip
async def test_invalid_blocks_are_refused_like_slack(
    fake: FakeSlack, client: AsyncWebClient, blocks: list[dict[str, Any]], pointer: str
) -> None:
    error = await api_error(client.chat_postMessage(channel="C1", text="fallback", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}]" in e for e in error.response["errors"]), error.response["errors"]
    assert error.response["response_metadata"]["messages"][0].startswith("[ERROR] ")
    assert fake.messages("C1") == []


async def test_update_validates_blocks_too(fake: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="ok", blocks=[section("ok")])
    error = await api_error(
        client.chat_update(channel="C1", ts=posted["ts"], text="ok", blocks=[section("y" * 3001)])
    )
    assert error.response["error"] == "invalid_blocks"
    assert fake.message("C1", posted["ts"])["blocks"] == [section("ok")]  # type: ignore[index]


def test_valid_blocks_pass_the_validator() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Verdict"}},
        section("x" * 3000, fields=[{"type": "mrkdwn", "text": "f" * 2000}] * 10),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "divider"},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"}}]},
    ]
    assert block_errors(blocks) == []
    assert block_errors([section("s")] * 100, max_blocks=100) == []


async def test_ephemeral_messages_are_kept_apart(fake: FakeSlack, client: AsyncWebClient) -> None:
    root = fake.add_message("C1", "root")
    sent = await client.chat_postEphemeral(channel="C1", user="U123", text="only you", thread_ts=root)
    assert sent["message_ts"]
    assert fake.ephemerals == [
        {
            "channel": "C1",
            "message_ts": sent["message_ts"],
            "user": "U123",
            "text": "only you",
            "thread_ts": root,
        }
    ]
    assert [m["text"] for m in fake.messages("C1")] == ["root"]


# ---------------------------------------------------------------------------------------------------------
# Failures and retries
# ---------------------------------------------------------------------------------------------------------


async def test_ratelimited_call_is_retried_by_the_sdk_handler(fake: FakeSlack) -> None:
    fake.ratelimit_next(1, method="chat.postMessage", retry_after=0)
    client = AsyncWebClient(
        token=TOKEN,
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    posted = await client.chat_postMessage(channel="C1", text="eventually")
    assert posted["ok"] is True
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in fake.messages("C1")] == ["eventually"]


async def test_ratelimit_without_a_handler_surfaces_429(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.ratelimit_next(1, retry_after=7)
    error = await api_error(client.auth_test())
    assert error.response.status_code == 429 and error.response["error"] == "ratelimited"
    assert error.response.headers["Retry-After"] == "7"
    assert (await client.auth_test())["ok"] is True  # only the next call


async def test_fail_next_and_server_errors(fake: FakeSlack) -> None:
    client = AsyncWebClient(
        token=TOKEN,
        base_url=fake.api_url,
        retry_handlers=[
            AsyncServerErrorRetryHandler(
                max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
            )
        ],
    )
    fake.fail_next("chat.update", "edit_window_closed")
    posted = await client.chat_postMessage(channel="C1", text="a")  # other methods are unaffected
    error = await api_error(client.chat_update(channel="C1", ts=posted["ts"], text="b"))
    assert error.response["error"] == "edit_window_closed"
    fake.fail_next("chat.postMessage", "internal_error", status=503)
    assert (await client.chat_postMessage(channel="C1", text="c"))["ok"] is True
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [200, 503, 200]


# ---------------------------------------------------------------------------------------------------------
# Users, channels, views, assistant status
# ---------------------------------------------------------------------------------------------------------


async def test_users_info_and_lookup(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_user("U123", "ada@example.com", name="ada", tz="Europe/London", real_name="Ada Lovelace")
    user = (await client.users_info(user="U123"))["user"]
    assert (user["id"], user["name"], user["real_name"], user["tz"]) == (
        "U123",
        "ada",
        "Ada Lovelace",
        "Europe/London",
    )
    assert user["tz_offset"] in (0, 3600)
    assert user["profile"]["email"] == "ada@example.com" and user["profile"]["display_name"] == "ada"
    found = await client.users_lookupByEmail(email="ADA@example.com")
    assert found["user"]["id"] == "U123"
    assert (await api_error(client.users_info(user="U404"))).response["error"] == "user_not_found"
    missing = await api_error(client.users_lookupByEmail(email="nobody@example.com"))
    assert missing.response["error"] == "users_not_found"


async def test_conversations_info(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C1", "design-reviews", is_private=True, num_members=12)
    plain = (await client.conversations_info(channel="C1"))["channel"]
    assert (plain["id"], plain["name"], plain["is_private"], plain["is_im"]) == (
        "C1",
        "design-reviews",
        True,
        False,
    )
    assert "num_members" not in plain  # Slack sends it only when asked
    counted = (await client.conversations_info(channel="C1", include_num_members=True))["channel"]
    assert counted["num_members"] == 12
    dm = (await client.conversations_info(channel="D9"))["channel"]
    assert dm["is_im"] is True
    fake.missing_channels.add("C404")
    assert (await api_error(client.conversations_info(channel="C404"))).response[
        "error"
    ] == "channel_not_found"


async def test_views_publish(fake: FakeSlack, client: AsyncWebClient) -> None:
    view = {"type": "home", "blocks": [section("Recent debates")]}
    published = await client.views_publish(user_id="U123", view=view)
    assert published["view"]["type"] == "home" and published["view"]["blocks"] == view["blocks"]
    assert fake.views["U123"]["id"] == published["view"]["id"]
    stale = await api_error(client.views_publish(user_id="U123", view=view, hash="1.old"))
    assert stale.response["error"] == "hash_conflict"
    again = await client.views_publish(user_id="U123", view=view, hash=published["view"]["hash"])
    assert again["view"]["id"] == published["view"]["id"]
    bad = await api_error(
        client.views_publish(user_id="U123", view={"type": "home", "blocks": [section("")]})
    )
    assert bad.response["error"] == "invalid_arguments"
    modal = await api_error(client.views_publish(user_id="U123", view={"type": "modal", "blocks": []}))
    assert modal.response["error"] == "invalid_arguments"


async def test_assistant_thread_status(fake: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.assistant_threads_setStatus(
        channel_id="D1", thread_ts="1700000000.000100", status="is thinking…"
    )
    assert response["ok"] is True
    assert fake.calls_to("assistant.threads.setStatus")[0].args["status"] == "is thinking…"


async def test_assistant_thread_prompts_and_title(fake: FakeSlack, client: AsyncWebClient) -> None:
    thread = {"channel_id": "D1", "thread_ts": "1700000000.000100"}
    prompts = [{"title": "Debate a doc", "message": "Debate a doc"}]
    assert (await client.assistant_threads_setSuggestedPrompts(**thread, prompts=prompts))["ok"] is True
    assert fake.calls_to("assistant.threads.setSuggestedPrompts")[0].args["prompts"] == prompts
    assert (await client.assistant_threads_setTitle(**thread, title="Heron plan"))["ok"] is True
    five = prompts * 5
    for bad in (five, [{"title": "no message"}]):
        refused = await api_error(client.assistant_threads_setSuggestedPrompts(**thread, prompts=bad))
        assert refused.response["error"] == "invalid_arguments"
    in_channel = await api_error(
        client.assistant_threads_setSuggestedPrompts(
            channel_id="C1", thread_ts=thread["thread_ts"], prompts=prompts
        )
    )
    assert in_channel.response["error"] == "channel_not_found"
    fake.bot_scopes = [s for s in fake.bot_scopes if s != "assistant:write"]
    for call in (
        client.assistant_threads_setStatus(**thread, status="is reading…"),
        client.assistant_threads_setSuggestedPrompts(**thread, prompts=prompts),
        client.assistant_threads_setTitle(**thread, title="Heron plan"),
    ):
        missing = await api_error(call)
        assert (missing.response["error"], missing.response["needed"]) == ("missing_scope", "assistant:write")


# ---------------------------------------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------------------------------------


async def test_streaming_methods(fake: FakeSlack, client: AsyncWebClient) -> None:
    root = fake.add_message("C1", "<@UBOT> go")
    started = await client.chat_startStream(
        channel="C1",
        thread_ts=root,
        markdown_text="**Skeptic:** ",
        recipient_user_id="U123",
        recipient_team_id="T0001",
    )
    ts = started["ts"]
    await client.chat_appendStream(channel="C1", ts=ts, markdown_text="the rollback ")
    await client.chat_appendStream(
        channel="C1", ts=ts, chunks=[{"type": "markdown_text", "text": "is untested."}]
    )
    conflict = await api_error(client.chat_update(channel="C1", ts=ts, text="no"))
    assert conflict.response["error"] == "streaming_state_conflict"
    stopped = await client.chat_stopStream(channel="C1", ts=ts, blocks=[section("Rate this")])
    assert stopped["message"]["text"] == "**Skeptic:** the rollback is untested."
    assert stopped["message"]["thread_ts"] == root
    (stream,) = fake.streams
    assert stream["state"] == "stopped" and stream["blocks"] == [section("Rate this")]
    late = await api_error(client.chat_appendStream(channel="C1", ts=ts, markdown_text="more"))
    assert late.response["error"] == "message_not_in_streaming_state"
    plain = await client.chat_postMessage(channel="C1", text="plain")
    not_a_stream = await api_error(client.chat_stopStream(channel="C1", ts=plain["ts"]))
    assert not_a_stream.response["error"] == "message_not_in_streaming_state"
    assert (await client.chat_update(channel="C1", ts=ts, text="edited after"))["ok"] is True


async def test_streaming_in_a_channel_needs_recipients(client: AsyncWebClient) -> None:
    error = await api_error(client.chat_startStream(channel="C1", thread_ts="1700000000.000100"))
    assert error.response["error"] == "missing_recipient_user_id"
    assert (await client.chat_startStream(channel="D1", thread_ts="1700000000.000100"))["ok"] is True


async def test_a_plan_stream_keeps_each_task_latest_state(fake: FakeSlack, client: AsyncWebClient) -> None:
    root = fake.add_message("D1", "debate this")
    task = {"type": "task_update", "id": "t1", "title": "Skeptic · opening", "status": "pending"}
    started = await client.chat_startStream(
        channel="D1", thread_ts=root, task_display_mode="plan", chunks=[task, {**task, "id": "t2"}]
    )
    ts = started["ts"]
    await client.chat_appendStream(
        channel="D1", ts=ts, chunks=[{**task, "status": "in_progress", "details": "writing… 40 words"}]
    )
    await client.chat_stopStream(channel="D1", ts=ts, chunks=[{**task, "status": "complete"}])
    (stream,) = fake.streams
    assert stream["task_display_mode"] == "plan" and list(stream["tasks"]) == ["t1", "t2"]
    assert stream["tasks"]["t1"]["status"] == "complete" and stream["tasks"]["t2"]["status"] == "pending"
    assert len(stream["chunks"]) == 4


@pytest.mark.parametrize(
    ("chunk", "problem"),
    [
        ({"type": "task_update", "id": "t1", "title": "x", "status": "done"}, "/chunks/0/status"),
        ({"type": "task_update", "id": "t1", "status": "pending"}, "missing required field: title"),
        ({"type": "thinking", "text": "x"}, "unsupported type: thinking"),
        ({"type": "markdown_text"}, "missing required field: text"),
    ],
)
async def test_malformed_chunks_are_refused_as_slack_does(
    client: AsyncWebClient, chunk: dict[str, object], problem: str
) -> None:
    error = await api_error(
        client.chat_startStream(channel="D1", thread_ts="1700000000.000100", chunks=[chunk])
    )
    assert error.response["error"] == "invalid_arguments"
    assert any(problem in m for m in error.response["response_metadata"]["messages"])


async def test_an_unknown_task_display_mode_is_refused(client: AsyncWebClient) -> None:
    error = await api_error(
        client.chat_startStream(channel="D1", thread_ts="1700000000.000100", task_display_mode="grid")
    )
    assert error.response["error"] == "invalid_arguments"


async def test_sdk_chat_stream_helper(fake: FakeSlack, client: AsyncWebClient) -> None:
    root = fake.add_message("C1", "<@UBOT> go")
    streamer = await client.chat_stream(
        channel="C1", thread_ts=root, recipient_user_id="U123", recipient_team_id="T0001", buffer_size=10
    )
    for word in ("alpha ", "beta ", "gamma ", "delta"):
        await streamer.append(markdown_text=word)
    await streamer.stop()
    assert fake.thread("C1", root)[-1]["text"] == "alpha beta gamma delta"
    assert next(c.method for c in fake.calls if c.method.endswith("Stream")) == "chat.startStream"


# ---------------------------------------------------------------------------------------------------------
# response_url, records, waiting
# ---------------------------------------------------------------------------------------------------------


async def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    url = fake.new_response_url()
    sent = await AsyncWebhookClient(url).send(text="Debate started", response_type="ephemeral")
    assert sent.status_code == 200
    (call,) = fake.calls_to("response_url")
    assert call.args == {"text": "Debate started", "response_type": "ephemeral"}
    assert call.path == url.removeprefix(fake.url)


def test_wait_for_returns_or_explains(fake: FakeSlack) -> None:
    fake.add_message("C1", "seed")
    assert fake.wait_for(lambda f: f.messages("C1"), timeout=0.5)[0]["text"] == "seed"
    with pytest.raises(TimeoutError, match="no calls recorded"):
        fake.wait_for(lambda f: f.calls_to("chat.postMessage"), timeout=0.05)
    fake.reset(state=True)
    assert fake.messages("C1") == [] and fake.calls == []


async def test_wait_for_async_lets_the_loop_run(fake: FakeSlack, client: AsyncWebClient) -> None:
    async def post_later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C1", text="later")

    task = asyncio.create_task(post_later())
    calls = await fake.wait_for_async(lambda f: f.calls_to("chat.postMessage"), timeout=5)
    await task
    assert calls[0].args["text"] == "later"


# ---------------------------------------------------------------------------------------------------------
# SlackSender: signatures, and a real Bolt app behind /slack/events
# ---------------------------------------------------------------------------------------------------------


def test_sender_signature_verifies_with_slack_sdk() -> None:
    sender = SlackSender("http://127.0.0.1:9", SECRET)
    body = b"token=x&team_id=T0001&text=hello+world"
    headers = sender.signature_headers(body)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + b"&user_id=U666", headers)
    assert not verifier.is_valid_request(body, sender.bad_signature().signature_headers(body))
    assert not verifier.is_valid_request(body, sender.stale().signature_headers(body))
    assert sender.unsigned().signature_headers(body) == {}


class BoltServer:
    """A Bolt AsyncApp served by aiohttp on 127.0.0.1 in its own thread and loop (as the bot's HTTP mode)."""

    def __init__(self, build: Callable[[], AsyncApp]) -> None:
        self.build = build
        self.loop = asyncio.new_event_loop()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.runner: web.AppRunner | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())
        self.ready.set()
        self.loop.run_forever()

    async def _serve(self) -> None:
        self.runner = web.AppRunner(self.build().web_app(), handle_signals=False, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.SockSite(self.runner, self.sock).start()

    def __enter__(self) -> BoltServer:
        self.ready = threading.Event()
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def build_app(fake: FakeSlack) -> AsyncApp:
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=fake.api_url),
        process_before_response=False,
    )

    @app.command("/debate")
    async def debate(ack: Any, command: dict[str, Any], respond: Any) -> None:
        await ack(f"Queued: {command['text']}")
        await respond(f"Debating {command['text']}")

    @app.event("app_mention")
    async def mention(event: dict[str, Any], client: AsyncWebClient, say: Any) -> None:
        thread_ts = event.get("thread_ts") or event["ts"]
        replies = await client.conversations_replies(channel=event["channel"], ts=thread_ts)
        await say(text=f"{len(replies['messages'])} messages in this thread", thread_ts=thread_ts)

    @app.shortcut("debate_message")
    async def shortcut(ack: Any, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postEphemeral(
            channel=shortcut["channel"]["id"], user=shortcut["user"]["id"], text=shortcut["message"]["text"]
        )

    @app.action("rerun")
    async def rerun(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        await respond(f"rerun {body['actions'][0]['value']}")

    return app


@pytest.fixture
def bolt(fake: FakeSlack) -> Iterator[BoltServer]:
    with BoltServer(lambda: build_app(fake)) as server:
        yield server


@pytest.fixture
def sender(bolt: BoltServer, fake: FakeSlack) -> Iterator[SlackSender]:
    with SlackSender(bolt.url, SECRET, slack=fake) as s:
        yield s


def test_bolt_accepts_signed_requests_and_refuses_others(sender: SlackSender, fake: FakeSlack) -> None:
    verified = sender.url_verification("challenge-123")
    assert verified.status_code == 200 and verified.json() == {"challenge": "challenge-123"}
    for refused in (sender.bad_signature(), sender.stale(), sender.unsigned()):
        assert refused.url_verification("nope").status_code == 401
        assert refused.slash_command("https://example.com/doc").status_code == 401
    assert fake.calls == []  # refused requests never reach a listener


def test_slash_command_acks_and_responds(sender: SlackSender, fake: FakeSlack) -> None:
    response = sender.slash_command("https://example.com/doc", channel_id="C1")
    assert response.status_code == 200 and response.text == "Queued: https://example.com/doc"
    form = sender.last.payload
    assert form["command"] == "/debate" and form["trigger_id"] and form["response_url"].startswith(fake.url)
    (call,) = fake.wait_for(lambda f: f.calls_to("response_url"), timeout=5)
    assert call.args["text"] == "Debating https://example.com/doc"
    assert call.path.endswith(form["response_url"].rsplit("/", 1)[1])


def test_app_mention_replies_in_the_thread(sender: SlackSender, fake: FakeSlack) -> None:
    root = fake.add_message("C1", "Doc: <https://example.com/doc>", user="U777")
    response = sender.app_mention("<@UBOT> what about pricing?", channel="C1", thread_ts=root, retry_num=1)
    assert response.status_code == 200
    assert sender.last.headers["X-Slack-Retry-Num"] == "1"
    event = sender.last.payload["event"]
    assert event["type"] == "app_mention" and event["thread_ts"] == root
    assert {"type": "user", "user_id": "UBOT"} in event["blocks"][0]["elements"][0]["elements"]
    (post,) = fake.wait_for(lambda f: f.calls_to("chat.postMessage"), timeout=5)
    assert post.args["text"] == "2 messages in this thread" and post.args["thread_ts"] == root
    assert fake.calls_to("auth.test")  # Bolt's single-team authorization asked who it is
    assert [m["text"] for m in fake.thread("C1", root)][-1] == "2 messages in this thread"


def test_shortcut_and_block_action(sender: SlackSender, fake: FakeSlack) -> None:
    ts = fake.add_message("C1", "Ship it on Friday")
    message = fake.message("C1", ts)
    assert message is not None
    assert sender.message_shortcut("debate_message", message, channel_id="C1").status_code == 200
    (ephemeral,) = fake.wait_for(lambda f: f.ephemerals, timeout=5)
    assert ephemeral == {
        "channel": "C1",
        "message_ts": ephemeral["message_ts"],
        "user": "U123",
        "text": "Ship it on Friday",
    }
    assert sender.block_action("rerun", "d42", message=message).status_code == 200
    (call,) = fake.wait_for(lambda f: f.calls_to("response_url"), timeout=5)
    assert call.args["text"] == "rerun d42"


async def test_history_and_replies_show_metadata_only_when_asked(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    metadata = {"event_type": "docdebate_post", "event_payload": {"key": "wf#3"}}
    root = await client.chat_postMessage(channel="CMETA", text="root", metadata=metadata)
    await client.chat_postMessage(channel="CMETA", text="reply", thread_ts=root["ts"], metadata=metadata)
    await client.chat_postMessage(channel="CMETA", text="later")
    history = await client.conversations_history(channel="CMETA", limit=1)
    assert [m["text"] for m in history["messages"]] == ["later"] and history["has_more"]
    older = await client.conversations_history(
        channel="CMETA", cursor=history["response_metadata"]["next_cursor"], include_all_metadata=True
    )
    assert [m["text"] for m in older["messages"]] == ["root"], "thread replies are not in the history"
    assert older["messages"][0]["metadata"] == metadata
    plain = await client.conversations_replies(channel="CMETA", ts=root["ts"])
    assert all("metadata" not in m for m in plain["messages"])
    full = await client.conversations_replies(channel="CMETA", ts=root["ts"], include_all_metadata=True)
    assert [m["metadata"] for m in full["messages"]] == [metadata, metadata]


async def test_a_slow_answer_takes_effect_before_it_is_answered(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.slow_next("chat.postMessage", 0.5)
    posting = asyncio.create_task(client.chat_postMessage(channel="CSLOW", text="held"))
    await fake.wait_for_async(lambda s: s.calls_to("chat.postMessage"), timeout=5)
    assert not posting.done(), "Slack has it, the client has not heard back"
    assert (await posting)["ok"]


async def test_conversations_open_gives_the_dm_channel(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_user("U777", "dm@acme.example")
    opened = await client.conversations_open(users="U777")
    assert opened["channel"]["id"] == "D777"
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.conversations_open(users="U000")


async def test_a_channel_the_bot_is_not_in_answers_not_in_channel_until_it_is_invited(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.outside_channels.add("COUT")
    for call in (
        client.chat_postMessage(channel="COUT", text="hi"),
        client.chat_postEphemeral(channel="COUT", user="U1", text="hi"),
        client.conversations_history(channel="COUT"),
    ):
        assert (await api_error(call)).response["error"] == "not_in_channel"
    assert (await client.conversations_info(channel="COUT"))["channel"]["id"] == "COUT"
    fake.join("COUT")
    assert (await client.chat_postMessage(channel="COUT", text="hi"))["ok"]


# ---------------------------------------------------------------------------------------------------------
# Files and the people in a conversation
# ---------------------------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n% a plan\n"


def shared_plan(fake: FakeSlack) -> str:
    """plan.pdf, uploaded by U123 and shared in a public channel, a private one and a DM."""
    fake.add_channel("CPUB", "general")
    fake.add_channel("GPRIV", "secret", is_private=True)
    return fake.add_file(PDF, "plan.pdf", user="U123", channels=["CPUB", "GPRIV", "D123"], title="Plan")


async def test_files_info_describes_a_shared_file_as_slack_does(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    file_id = shared_plan(fake)
    info = await client.files_info(file=file_id)
    file = info["file"]
    assert (file["id"], file["name"], file["title"], file["user"]) == (file_id, "plan.pdf", "Plan", "U123")
    assert (file["mimetype"], file["filetype"], file["size"]) == ("application/pdf", "pdf", len(PDF))
    assert (file["channels"], file["groups"], file["ims"]) == (["CPUB"], ["GPRIV"], ["D123"])
    assert file["is_public"] is True and set(file["shares"]) == {"public", "private"}
    assert file["permalink"] == f"https://docdebate-test.slack.com/files/U123/{file_id}/plan.pdf"
    assert file["url_private"].startswith(f"{fake.url}/files-pri/T0001-{file_id}/")
    assert file["url_private_download"] == f"{fake.url}/files-pri/T0001-{file_id}/download/plan.pdf"
    assert info["comments"] == [] and info["response_metadata"] == {"next_cursor": ""}
    (call,) = fake.calls_to("files.info")
    assert call.http_method == "GET" and call.args["file"] == file_id


async def test_files_info_errors(fake: FakeSlack, client: AsyncWebClient) -> None:
    async def error(file: str, with_client: AsyncWebClient = client) -> dict[str, Any]:
        return dict((await api_error(with_client.files_info(file=file))).response.data)

    assert (await error("F0NONE"))["error"] == "file_not_found"
    fake.outside_channels.add("CHIDDEN")
    hidden = fake.add_file(PDF, "hidden.pdf", channels=["CHIDDEN"])
    assert (await error(hidden))["error"] == "file_not_found", "shared only where the bot is not"
    file_id = shared_plan(fake)
    fake.delete_file(file_id)
    assert (await error(file_id))["error"] == "file_deleted"
    assert (await error(file_id, AsyncWebClient(token="xoxb-wrong", base_url=fake.api_url)))["error"] == (
        "invalid_auth"
    )
    fake.bot_scopes = [s for s in fake.bot_scopes if s != "files:read"]
    missing = await error(file_id)
    assert (missing["error"], missing["needed"]) == ("missing_scope", "files:read")
    assert "chat:write" in missing["provided"].split(",")


async def test_a_file_is_served_only_with_the_bot_token(fake: FakeSlack, client: AsyncWebClient) -> None:
    file = (await client.files_info(file=shared_plan(fake)))["file"]
    url = file["url_private_download"]
    async with httpx.AsyncClient() as http:
        served = await http.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert served.status_code == 200 and served.content == PDF
        assert served.headers["content-type"] == "application/pdf"
        for headers in ({}, {"Authorization": "Bearer xoxb-wrong"}):
            page = await http.get(url, headers=headers)
            assert page.status_code == 200, "Slack answers a sign-in page, not an error"
            assert page.headers["content-type"].startswith("text/html") and b"Sign in" in page.content
        fake.download_redirect = "http://elsewhere.example/plan.pdf"
        moved = await http.get(file["url_private"], headers={"Authorization": f"Bearer {TOKEN}"})
        assert moved.status_code == 302 and moved.headers["location"] == fake.download_redirect
    assert [(d.args["file"], d.token, d.status) for d in fake.downloads] == [
        (file["id"], TOKEN, 200),
        (file["id"], None, 200),
        (file["id"], "xoxb-wrong", 200),
        (file["id"], TOKEN, 302),
    ]


async def test_conversations_members_pages_and_fails_as_slack_does(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.bot_scopes = ["channels:read", "groups:read", "im:read"]
    fake.add_channel("CTEAM", "team", members=["U1", "U2", "U3", "U4"])
    first = await client.conversations_members(channel="CTEAM", limit=3)
    assert first["members"] == ["U1", "U2", "U3"]
    rest = await client.conversations_members(
        channel="CTEAM", limit=3, cursor=first["response_metadata"]["next_cursor"]
    )
    assert rest["members"] == ["U4", "UBOT"] and rest["response_metadata"]["next_cursor"] == ""
    fake.add_channel("D123", user="U123")
    assert (await client.conversations_members(channel="D123"))["members"] == ["U123", "UBOT"]
    fake.add_channel("GOUT", "hidden", is_private=True, members=["U1"])
    fake.outside_channels.add("GOUT")
    for call, expected in (
        (client.conversations_members(channel="GOUT"), "channel_not_found"),
        (client.conversations_members(channel="CTEAM", limit=1001), "invalid_limit"),
        (client.conversations_members(channel="CTEAM", cursor="not-a-cursor"), "invalid_cursor"),
    ):
        assert (await api_error(call)).response["error"] == expected
    fake.bot_scopes = [s for s in fake.bot_scopes if s != "im:read"]
    refused = (await api_error(client.conversations_members(channel="D123"))).response
    assert (refused["error"], refused["needed"]) == ("missing_scope", "im:read")


# ---------------------------------------------------------------------------------------------------------
# Table blocks
# ---------------------------------------------------------------------------------------------------------


def table(rows: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "table", "rows": rows, **extra}


def raw(text: Any) -> dict[str, Any]:
    return {"type": "raw_text", "text": text}


def test_a_table_within_slacks_limits_passes() -> None:
    rich = {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": []}]}
    number = {"type": "raw_number", "value": 3, "text": "3"}
    settings = [{"is_wrapped": True}, None, {"align": "right"}] + [{"align": "center"}] * 17
    blocks = [
        section("doors"),
        table([[raw("a")] * 20] + [[raw("b"), rich, number]] * 99, column_settings=settings),
    ]
    assert block_errors(blocks) == []


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "table"}, "missing required field [json-pointer:/blocks/0/rows]"),
        (table([]), "must provide at least 1 items [json-pointer:/blocks/0/rows]"),
        (table([[raw("x")]] * 101), "no more than 100 items allowed [json-pointer:/blocks/0/rows]"),
        (table([[]]), "must provide at least 1 items [json-pointer:/blocks/0/rows/0]"),
        (table([[raw("x")] * 21]), "no more than 20 items allowed [json-pointer:/blocks/0/rows/0]"),
        (table([[raw("")]]), "must be more than 0 characters [json-pointer:/blocks/0/rows/0/0/text]"),
        (table([[{"type": "raw_text"}]]), "missing required field: text [json-pointer:/blocks/0/rows/0/0]"),
        (
            table([[{"type": "mrkdwn", "text": "*x*"}]]),
            "must be a valid enum value [json-pointer:/blocks/0/rows/0/0/type]",
        ),
        (
            table([[{"type": "raw_number", "value": "3", "text": "3"}]]),
            "missing required field: value [json-pointer:/blocks/0/rows/0/0]",
        ),
        (
            table([[raw("x")]], column_settings=[{}] * 21),
            "no more than 20 items allowed [json-pointer:/blocks/0/column_settings]",
        ),
        (
            table([[raw("x")]], column_settings=[{"align": "justify"}]),
            "must be a valid enum value [json-pointer:/blocks/0/column_settings/0/align]",
        ),
        (
            table([[raw("x")]], column_settings=[{"is_wrapped": "yes"}]),
            "must be a boolean [json-pointer:/blocks/0/column_settings/0/is_wrapped]",
        ),
    ],
)
def test_a_table_outside_slacks_limits_is_refused(block: dict[str, Any], expected: str) -> None:
    assert block_errors([block]) == [expected]


async def test_only_one_table_a_message(fake: FakeSlack, client: AsyncWebClient) -> None:
    one = table([[raw("decision")], [raw("drop the old ledger")]])
    posted = await client.chat_postMessage(channel="C1", text="doors", blocks=[section("doors"), one])
    assert fake.message("C1", posted["ts"])["blocks"][1] == one  # type: ignore[index]
    for call in (
        client.chat_postMessage(channel="C1", text="doors", blocks=[one, section("more"), one]),
        client.chat_update(channel="C1", ts=posted["ts"], text="doors", blocks=[one, one]),
    ):
        error = (await api_error(call)).response
        assert error["error"] == "invalid_blocks"
        assert error["response_metadata"]["messages"][-1].startswith(
            "[ERROR] only one table block allowed per message [json-pointer:/blocks/"
        ), error
    assert fake.message("C1", posted["ts"])["blocks"] == [section("doors"), one]  # type: ignore[index]


# ---- canvases ----


async def test_canvases_create_keeps_the_canvas_and_files_info_gives_its_permalink(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    content = {"type": "markdown", "markdown": "# Verdict\n\nTwo doors."}
    created = await client.canvases_create(
        title="Debate: Heron", document_content=content, channel_id="CCANVAS"
    )
    canvas_id = created["canvas_id"]
    (canvas,) = [c for c in fake.canvases if c["canvas_id"] == canvas_id]
    assert canvas == {
        "canvas_id": canvas_id,
        "title": "Debate: Heron",
        "markdown": content["markdown"],
        "channel_id": "CCANVAS",
    }
    from tests.fakes.slack_fake import TEAM_DOMAIN

    file = (await client.files_info(file=canvas_id))["file"]
    assert file["filetype"] == "quip" and file["channels"] == ["CCANVAS"]
    assert file["permalink"] == f"https://{TEAM_DOMAIN}.slack.com/docs/{fake.team_id}/{canvas_id}"


async def test_canvases_create_refuses_what_slack_refuses(fake: FakeSlack, client: AsyncWebClient) -> None:
    bad = await api_error(client.canvases_create(document_content={"type": "html", "markdown": "x"}))
    assert bad.response["error"] == "invalid_arguments"
    bad = await api_error(client.canvases_create(document_content={"type": "markdown", "markdown": 3}))
    assert bad.response["error"] == "invalid_arguments"
    fake.outside_channels.add("COUTSIDE")
    outside = await api_error(client.canvases_create(title="t", channel_id="COUTSIDE"))
    assert outside.response["error"] == "not_in_channel"
    fake.bot_scopes = [s for s in fake.bot_scopes if s != "canvases:write"]
    missing = await api_error(client.canvases_create(title="t"))
    assert (missing.response["error"], missing.response["needed"]) == ("missing_scope", "canvases:write")
    assert fake.canvases == [], "nothing refused was kept"
