"""What Slack sends to an app's Request URL, built and signed as Slack does, for driving Bolt's `/slack/events`.

`SlackSender(base_url, signing_secret)` posts to `{base_url}/slack/events` with httpx (sync) and returns
the `httpx.Response`. Every request carries `X-Slack-Request-Timestamp` and `X-Slack-Signature`
(`v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}` keyed by the signing secret), Slack's User-Agent and
content type: slash commands and interactivity are form bodies (interactivity as `payload=<json>`), Events
API callbacks are JSON. Shapes follow Slack's docs (slash commands, `event_callback` envelopes with
`authorizations`, `message_action` and `block_actions` payloads, `url_verification`).

Give `slack=FakeSlack` to tie the two together: response_urls then point at the fake (which records posts
to them as calls with method "response_url"), and `app_mention` first adds the mention to the fake's
channel, as Slack would have, so conversations.replies sees it.

`bad_signature()`, `stale()` and `unsigned()` return a sender whose requests Bolt must refuse (401).
Every request sent is kept in `sent` (the last in `last`) with its payload, response_url and trigger_id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import string
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlencode

import httpx

from tests.fakes.slack_fake import FakeSlack, rich_text_blocks

JSON = dict[str, Any]
Signing = Literal["valid", "wrong_secret", "stale", "missing"]

SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
STALE_AFTER_S = 5 * 60  # Bolt (SignatureVerifier) refuses timestamps more than five minutes away


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def new_trigger_id() -> str:
    """Shaped like Slack's: `<digits>.<digits>.<hex>`."""
    return f"{random.randint(10**10, 10**11 - 1)}.{random.randint(10**8, 10**9 - 1)}.{uuid.uuid4().hex[:28]}"


def new_event_id() -> str:
    return "Ev" + "".join(random.choices(string.ascii_uppercase + string.digits, k=10))


def slack_ts(now: float | None = None) -> str:
    """A message ts for the current time: "1700000000.123456"."""
    return f"{time.time() if now is None else now:.6f}"


@dataclass(frozen=True)
class SentRequest:
    """One request as sent: the decoded payload, the raw body, the headers and any ids minted for it."""

    kind: str
    payload: JSON
    body: bytes
    headers: dict[str, str]
    response_url: str | None = None
    trigger_id: str | None = None
    event_id: str | None = None


@dataclass
class SlackSender:
    """Sends signed Slack requests to a Bolt app's `/slack/events`.

    `base_url` is the app's root (`http://127.0.0.1:PORT`); `path` the events path. `team_id`,
    `api_app_id`, `bot_user_id` fill envelopes (match the FakeSlack's auth.test). `slack` (a FakeSlack)
    or `response_url_base` decide where response_urls point.
    """

    base_url: str
    signing_secret: str
    team_id: str = "T0001"
    slack: FakeSlack | None = None
    response_url_base: str | None = None
    api_app_id: str = "A0001"
    bot_user_id: str = "UBOT"
    team_domain: str = "docdebate-test"
    verification_token: str = "legacy-verification-token"  # Slack still sends it; Bolt ignores it
    path: str = "/slack/events"
    timeout: float = 10.0
    signing: Signing = "valid"
    sent: list[SentRequest] = field(default_factory=list)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    # ---- lifecycle ----

    def __enter__(self) -> SlackSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout)
        return self._client

    def _variant(self, signing: Signing) -> SlackSender:
        return replace(self, signing=signing, sent=self.sent)

    def bad_signature(self) -> SlackSender:
        """A sender that signs with the wrong secret."""
        return self._variant("wrong_secret")

    def stale(self) -> SlackSender:
        """A sender whose correctly signed requests are timestamped ten minutes ago (replays)."""
        return self._variant("stale")

    def unsigned(self) -> SlackSender:
        """A sender that sends no signature headers at all."""
        return self._variant("missing")

    @property
    def last(self) -> SentRequest:
        if not self.sent:
            raise LookupError("nothing sent yet")
        return self.sent[-1]

    # ---- ids ----

    def new_response_url(self) -> str:
        if self.slack is not None:
            return self.slack.new_response_url()
        base = self.response_url_base or f"https://hooks.slack.com/commands/{self.team_id}/"
        return f"{base.rstrip('/')}/{uuid.uuid4().hex}"

    # ---- signing and sending ----

    def signature_headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """`X-Slack-Request-Timestamp` and `X-Slack-Signature` for `body` (per this sender's `signing`)."""
        now = int(time.time()) if timestamp is None else timestamp
        if self.signing == "missing":
            return {}
        if self.signing == "stale":
            now -= 2 * STALE_AFTER_S
        secret = self.signing_secret if self.signing != "wrong_secret" else self.signing_secret + "-wrong"
        return {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": sign(secret, str(now), body)}

    def send(
        self,
        body: bytes,
        content_type: str,
        *,
        kind: str = "raw",
        payload: JSON | None = None,
        headers: dict[str, str] | None = None,
        **ids: str | None,
    ) -> httpx.Response:
        """POST `body` to the events path, signed; the building block of the methods below."""
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": SLACK_USER_AGENT,
            "Accept": "application/json,*/*",
            **self.signature_headers(body),
            **(headers or {}),
        }
        self.sent.append(SentRequest(kind, payload or {}, body, all_headers, **ids))
        return self._http().post(self.base_url.rstrip("/") + self.path, content=body, headers=all_headers)

    def _send_form(self, kind: str, form: dict[str, str], payload: JSON, **ids: Any) -> httpx.Response:
        headers = ids.pop("headers", None)
        body = urlencode(form).encode()
        return self.send(
            body, "application/x-www-form-urlencoded", kind=kind, payload=payload, headers=headers, **ids
        )

    def _send_json(self, kind: str, payload: JSON, **ids: Any) -> httpx.Response:
        headers = ids.pop("headers", None)
        body = json.dumps(payload, separators=(",", ":")).encode()
        return self.send(body, "application/json", kind=kind, payload=payload, headers=headers, **ids)

    @staticmethod
    def _retry_headers(retry_num: int | None, retry_reason: str | None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        elif retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        return headers

    def _user(self, user_id: str, user_name: str | None = None) -> JSON:
        name = user_name or user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> JSON:
        return {"id": self.team_id, "domain": self.team_domain}

    # ---- what Slack sends ----

    def url_verification(
        self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    ) -> httpx.Response:
        """The Events API handshake; the app must answer with the challenge."""
        payload = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return self._send_json("url_verification", payload)

    def slash_command(
        self,
        text: str,
        command: str = "/debate",
        user_id: str = "U123",
        channel_id: str = "C123",
        trigger_id: str | None = None,
        retry_num: int | None = None,
        *,
        user_name: str | None = None,
        channel_name: str | None = None,
        response_url: str | None = None,
    ) -> httpx.Response:
        """A slash command invocation, form-encoded with Slack's fields."""
        response_url = response_url or self.new_response_url()
        trigger_id = trigger_id or new_trigger_id()
        form = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or ("directmessage" if channel_id.startswith("D") else "general"),
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        return self._send_form(
            "slash_command",
            form,
            dict(form),
            response_url=response_url,
            trigger_id=trigger_id,
            headers=self._retry_headers(retry_num, None),
        )

    def event(
        self,
        event: JSON,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        *,
        event_time: int | None = None,
    ) -> httpx.Response:
        """An Events API `event_callback` envelope around `event`."""
        event_id = event_id or new_event_id()
        payload = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()) if event_time is None else event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + uuid.uuid4().hex,
        }
        return self._send_json(
            "event", payload, event_id=event_id, headers=self._retry_headers(retry_num, retry_reason)
        )

    def _user_message(self, kind: str, text: str, channel: str, ts: str | None, user: str) -> JSON:
        """What every event of a person's message carries: its text as the rich_text blocks Slack adds."""
        ts = ts or slack_ts()
        return {
            "type": kind,
            "user": user,
            "text": text,
            "ts": ts,
            "client_msg_id": str(uuid.uuid4()),
            "team": self.team_id,
            "blocks": rich_text_blocks(text) if text else [],
            "channel": channel,
            "event_ts": ts,
        }

    def app_mention_event(
        self,
        text: str,
        channel: str = "C123",
        ts: str | None = None,
        thread_ts: str | None = None,
        user: str = "U123",
    ) -> JSON:
        """The `app_mention` event itself (no envelope), with the rich_text blocks Slack includes."""
        event = self._user_message("app_mention", text, channel, ts, user)
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return event

    def app_mention(
        self,
        text: str,
        channel: str = "C123",
        ts: str | None = None,
        thread_ts: str | None = None,
        user: str = "U123",
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> httpx.Response:
        """`@bot ...` in `channel` (in the thread `thread_ts` if given), e.g. text `<@UBOT> what about pricing?`.

        With `slack` set, the mention is first added to the fake's channel (unless a message with `ts` is
        already there), so the thread the bot reads back contains it.
        """
        if self.slack is not None:
            if ts is None:
                ts = self.slack.add_message(channel, text, user=user, thread_ts=thread_ts)
            elif not self.slack.has_message(channel, ts):
                self.slack.add_message(channel, text, user=user, thread_ts=thread_ts, ts=ts)
        event = self.app_mention_event(text, channel, ts, thread_ts, user)
        return self.event(event, event_id, retry_num, retry_reason)

    def im_message_event(
        self,
        text: str,
        channel: str,
        thread_ts: str,
        ts: str | None = None,
        user: str = "U123",
        files: list[JSON] | None = None,
    ) -> JSON:
        """A `message` event (`message.im`) in the thread `thread_ts` of a DM with the app (a chat in its
        Messages tab); with `files` (objects as files.info shows them), the `file_share` message of an upload."""
        event = self._user_message("message", text, channel, ts, user)
        event.update(thread_ts=thread_ts, parent_user_id=user, channel_type="im")
        if files:
            event.update(subtype="file_share", files=files, upload=False, display_as_bot=False)
        return event

    def im_message(
        self,
        text: str,
        channel: str,
        thread_ts: str,
        user: str = "U123",
        files: list[JSON] | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> httpx.Response:
        """`user` writes `text` (or uploads `files`) in a chat in the app's Messages tab: the message is added
        to the fake's DM first (with `slack` set), then its event sent."""
        ts = None
        if self.slack is not None:
            extra = {"subtype": "file_share", "files": files, "upload": False} if files else {}
            ts = self.slack.add_message(channel, text, user=user, thread_ts=thread_ts, **extra)
        event = self.im_message_event(text, channel, thread_ts, ts, user, files)
        return self.event(event, event_id, retry_num)

    def assistant_thread_started(
        self,
        channel: str,
        thread_ts: str,
        user: str = "U123",
        context_channel: str | None = None,
        event_id: str | None = None,
    ) -> httpx.Response:
        """The user opens a new chat with the app: `assistant_thread_started`, its `assistant_thread` naming
        the DM and the chat's thread, and the channel they were viewing (`context`) if any."""
        context: JSON = {"channel_id": context_channel, "team_id": self.team_id, "enterprise_id": None}
        event: JSON = {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": user,
                "context": context if context_channel else {},
                "channel_id": channel,
                "thread_ts": thread_ts,
            },
            "event_ts": slack_ts(),
        }
        return self.event(event, event_id)

    def message_shortcut(
        self,
        callback_id: str,
        message: JSON,
        channel_id: str,
        user_id: str = "U123",
        trigger_id: str | None = None,
        *,
        channel_name: str | None = None,
        response_url: str | None = None,
    ) -> httpx.Response:
        """A message shortcut (`message_action`) on `message` (a dict with at least `ts` and `text`)."""
        response_url = response_url or self.new_response_url()
        trigger_id = trigger_id or new_trigger_id()
        payload = {
            "type": "message_action",
            "token": self.verification_token,
            "action_ts": slack_ts(),
            "team": self._team(),
            "user": self._user(user_id),
            "channel": {"id": channel_id, "name": channel_name or "general"},
            "is_enterprise_install": False,
            "enterprise": None,
            "api_app_id": self.api_app_id,
            "callback_id": callback_id,
            "trigger_id": trigger_id,
            "response_url": response_url,
            "message_ts": message.get("ts"),
            "message": message,
        }
        return self._send_form(
            "message_shortcut",
            {"payload": json.dumps(payload, separators=(",", ":"))},
            payload,
            response_url=response_url,
            trigger_id=trigger_id,
        )

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
        user_id: str = "U123",
        channel_id: str | None = "C123",
        message: JSON | None = None,
        view: JSON | None = None,
        action_type: str = "button",
        trigger_id: str | None = None,
        response_url: str | None = None,
        selected_option: JSON | None = None,
    ) -> httpx.Response:
        """A `block_actions` payload for one button press (or, with `selected_option`, a choice in a select):
        in a message (default), or in a view (`view`, e.g. the Home tab, which has no channel and no
        response_url)."""
        trigger_id = trigger_id or new_trigger_id()
        action: JSON = {
            "action_id": action_id,
            "block_id": block_id or uuid.uuid4().hex[:5],
            "type": action_type,
            "action_ts": slack_ts(),
        }
        if action_type == "button":
            action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            action["selected_option"] = selected_option
        payload: JSON = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": trigger_id,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [action],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0000000001")}
            payload["view"] = view
            response_url = None
        else:
            message = message or {"type": "message", "ts": slack_ts(), "text": "", "user": self.bot_user_id}
            response_url = response_url or self.new_response_url()
            payload["container"] = {
                "type": "message",
                "message_ts": message.get("ts"),
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = message
            payload["response_url"] = response_url
        return self._send_form(
            "block_action",
            {"payload": json.dumps(payload, separators=(",", ":"))},
            payload,
            response_url=response_url,
            trigger_id=trigger_id,
        )
