"""A loopback fake of the Slack Web API, for driving the real `slack_sdk` clients in tests.

Point `AsyncWebClient(token="xoxb-test", base_url=fake.api_url)` (or the product's `SLACK_API_URL`) at a
`FakeSlack` and the SDK talks HTTP to it exactly as it would to slack.com. The server runs on 127.0.0.1
in a background thread with its own event loop, so sync tests, async tests and subprocesses can all use
it. Run it standalone with `python -m tests.fakes.slack_fake --port N`.

Faithful to the real service (checked against slack_sdk 3.47 `web/async_client.py`, `internal_utils.py`,
`http_retry/` and Slack's method reference):

* `/api/<method>`, GET or POST; arguments from the query string (the SDK sends `params=` there even on
  POST), a form body or a JSON body, merged. Form and query values arrive as strings: JSON-valued fields
  (`blocks`, `attachments`, `metadata`, `view`, `chunks`, ...) are decoded, and boolean flags become bools,
  so records hold real objects whichever encoding the SDK picked.
* Errors are HTTP 200 with `{"ok": false, "error": ...}`; `unknown_method` (checked before auth, with
  `req_method`), `not_authed` (no token), `invalid_auth` (wrong token), `not_allowed_token_type` (an app
  token on a bot method or the reverse), and for a token `revoke`d, `token_revoked` (or the error given,
  e.g. `invalid_auth` or `account_inactive`). The token comes from `Authorization: Bearer` or a `token`
  form / query field.
* Scopes: every answer to a call made with the bot token carries the token's scopes in `x-oauth-scopes`
  (comma-separated, as Slack sends them); `bot_scopes` defaults to the bot scopes of the repository's
  `manifest.yml`, so an app installed from the manifest passes. Methods do not check their scopes (but
  for files.info and conversations.members, below). Block Kit errors carry `errors` and
  `response_metadata.messages` with json-pointers, as Slack's do (`must be less than 3001 characters
  [json-pointer:/blocks/0/text/text]`).
* Rate limits: HTTP 429, `Retry-After` (whole seconds) and `{"ok": false, "error": "ratelimited"}`. Note
  that slack_sdk's *async* `AsyncRateLimitErrorRetryHandler` reads only the first character of
  `Retry-After` (`headers[name][0]` on a string) and sleeps that many seconds plus up to one random second,
  so tests use `retry_after=0` to stay fast.
* Messages: ts strings unique and increasing ("1700000000.000100", +100 µs each); thread parents carry
  `thread_ts`, `reply_count`, `reply_users`, `latest_reply` as conversations.replies shows them;
  `conversations.replies` accepts a parent's or a reply's ts, pages with `limit` (default and max 1000)
  and a `next_ts:` cursor in `response_metadata.next_cursor`, without repeating the parent on later pages.
* Streaming (`chat.startStream` / `appendStream` / `stopStream`): outside a DM (channel ids not starting
  with D) Slack requires `recipient_user_id` and `recipient_team_id` (`missing_recipient_user_id` /
  `missing_recipient_team_id`); append and stop on a message that is not streaming fail with
  `message_not_in_streaming_state` (`message_not_found` for a ts that is no message at all); `chat.update`
  of a message that is still streaming fails with `streaming_state_conflict`.

Simplified (deliberately):

* `msg_too_long` for `text` over 40,000 characters on post/update/ephemeral (chat.update documents the
  error; chat.postMessage nowadays truncates with a `message_truncated` warning instead). `markdown_text`
  is not length-checked (Slack documents a 12,000 limit without naming its error).
* Block validation covers the limits that matter for this product (see `block_errors`), not the whole
  Block Kit schema; element-level schemas (buttons, selects, rich_text elements) are not checked.
* Any channel id works unless listed in `missing_channels`; a user id (`U...`/`W...`) as `channel` posts
  to the DM `D` + id[1:], as Slack posts to the app's DM with that user. The bot's membership is modelled
  as `outside_channels`: channels the bot is not in, where posting, updating, ephemerals and reading history
  answer `not_in_channel` (as Slack does without `chat:write.public`) and conversations.info still works;
  `join(channel)` is the bot being invited. People's membership is what `add_channel(members=...)` gave
  (a DM's member is its user): `users.conversations` lists a user's channels by `types` (default
  `public_channel`; `im` and `mpim` too, `invalid_types` for another), private ones only where the bot is
  as well, as Slack does for a bot token, paged with `limit` (default 100, at most 999) and a cursor in
  `response_metadata.next_cursor`; `user_not_found` for a user never added. Scopes are not modelled beyond
  `x-oauth-scopes` (files.info and conversations.members excepted, below). `response_url` posts are
  recorded (method `"response_url"`) and answered `{"ok": true}`, not turned into messages. A `thread_ts`
  naming a reply is filed under that reply's parent (an assumption: Slack only says not to do it).
* `chat.getPermalink` (`channel`, `message_ts`) answers `https://docdebate-test.slack.com/archives/C/p<ts
  digits>`, with `?thread_ts=…&cid=C` for a thread reply; `message_not_found` for a ts not in the channel.
* Files: `add_file` is someone uploading one and sharing it in conversations. `files.info` (`file`, and
  `count`/`page`, `cursor`/`limit` for the comments, always none) needs `files:read` (`missing_scope` with
  `needed` and `provided`, as Slack answers), and answers `file_not_found` for a file the bot cannot see
  (not its own, and shared in no conversation the bot is in) and `file_deleted` for one `delete_file`d.
  Its `file` has Slack's fields; `channels`, `groups` and `ims` list the public channels, private channels
  and DMs it was shared in that the bot is in (no message is posted for a share). `url_private` and
  `url_private_download` are on this server (`/files-pri/T-F/…`): they serve the bytes only to
  `Authorization: Bearer <bot token>` with `files:read` granted; any other request gets what Slack sends
  it, an HTML sign-in page with HTTP 200 (so a client that forgets the token "reads" HTML). Downloads are
  recorded (method `"url_private"`, see `downloads`); `download_redirect` makes an authorised download a
  302 to that URL. `conversations.members` (`channel`, `cursor`, `limit` 1..1000, default 100) lists the
  people in a conversation and the bot, paged; it needs `channels:read`, `groups:read` or `im:read` by
  the conversation's kind, and answers `channel_not_found` for a private channel the bot is not in.
* Canvases: `canvases.create` (`title`, `document_content` `{type: "markdown", markdown: str}` else
  `invalid_arguments`, `channel_id` whose tab it joins: `not_in_channel` outside the bot's channels) needs
  `canvases:write` (`missing_scope`), answers `{canvas_id}`, and keeps the canvas (see `canvases`); a
  canvas is a file: `files.info` on its id answers it (filetype `quip`) with its `/docs/T/F` permalink.
* Socket Mode, minimally: `apps.connections.open` (app token only) issues a `ws://.../link/?ticket=...`
  URL; a WebSocket opened with a ticket this fake issued gets Slack's `hello` message and stays open
  (pings answered) until the fake stops, which closes it with 1001 "going away"; an unknown ticket is an
  HTTP 401 handshake failure; while `refuse_sockets` is an HTTP status (e.g. 503: Slack's WebSocket host
  is down while its Web API is not), every handshake fails with it. `disconnect_sockets()` sends Slack's `{"type": "disconnect", "reason":
  "refresh_requested"}` (which Slack sends every few hours): the client is expected to open a new
  connection. No events are delivered over it; what the client sends is recorded (`socket_messages`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import copy
import json
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

import yaml
from aiohttp import WSCloseCode, WSMsgType, web

from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]

DEFAULT_BOT_TOKEN = "xoxb-test"
DEFAULT_APP_TOKEN = "xapp-test"
TEAM_ID = "T0001"
TEAM_NAME = "Docdebate Test"
TEAM_DOMAIN = "docdebate-test"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0001"
BOT_NAME = "docdebate"

FIRST_TS_US = 1_700_000_000_000_100  # "1700000000.000100"
TS_STEP_US = 100
MAX_REQUEST_BYTES = 8 * 1024 * 1024

# Slack's limits (Block Kit reference, chat.* method pages).
MAX_TEXT_CHARS = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BLOCK_ID = 255
MAX_MARKDOWN_BLOCK_TEXT = 12_000
MAX_TABLE_ROWS = 100
MAX_TABLE_CELLS = 20  # a row's cells, and column_settings' items
TABLE_CELL_TYPES = frozenset({"raw_text", "raw_number", "rich_text"})
TABLE_ALIGNS = frozenset({"left", "center", "right"})
MAX_REPLIES_LIMIT = 1000
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
MAX_MEMBERS_LIMIT = 1000
FILES_SCOPE = "files:read"
CANVASES_SCOPE = "canvases:write"
ASSISTANT_SCOPE = "assistant:write"  # assistant.threads.setStatus, setSuggestedPrompts, setTitle
# What files.info says of an upload, by its extension (else a binary file of unknown kind).
FILE_KINDS = {
    ".pdf": ("pdf", "application/pdf"),
    ".docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".md": ("markdown", "text/plain"),
    ".txt": ("text", "text/plain"),
    ".html": ("html", "text/html"),
}
SIGN_IN_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>Slack</title></head><body>'
    '<h1>Sign in to Docdebate Test</h1><form action="/signin" method="post"><input name="email">'
    "<button>Sign in with email</button></form></body></html>"
)


def manifest_scopes(manifest: Path = MANIFEST) -> list[str]:
    """The bot scopes an app installed from `manifest` is granted (`oauth_config.scopes.bot`)."""
    return list(yaml.safe_load(manifest.read_text(encoding="utf-8"))["oauth_config"]["scopes"]["bot"])


KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions", "call", "context", "context_actions", "divider", "file", "header", "image", "input",
        "markdown", "plan", "rich_text", "section", "table", "task_card", "video",
    }
)  # fmt: skip

# Arguments Slack takes as JSON (URL-encoded strings in form bodies).
JSON_ARGS = frozenset(
    {
        "attachments", "blocks", "chunks", "document_content", "loading_messages", "metadata", "prompts",
        "unfurls",
        "user_auth_blocks", "view",
    }
)  # fmt: skip
BOOL_ARGS = frozenset(
    {
        "as_user", "include_all_metadata", "include_locale", "include_num_members", "inclusive",
        "link_names", "mrkdwn", "reply_broadcast", "unfurl_links", "unfurl_media",
    }
)  # fmt: skip

TZ_LABELS = {
    "EST": "Eastern Standard Time", "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time", "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time", "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time", "PDT": "Pacific Daylight Time",
    "GMT": "Greenwich Mean Time", "BST": "British Summer Time", "UTC": "Coordinated Universal Time",
    "CET": "Central European Time", "CEST": "Central European Summer Time",
}  # fmt: skip


class SlackError(Exception):
    """A Slack API error answer: `{"ok": false, "error": error, **extra}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.error, **self.extra}


def _with_messages(error: str, problems: list[str]) -> SlackError:
    return SlackError(
        error, errors=problems, response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
    )


def _invalid_arguments(*problems: str) -> SlackError:
    return _with_messages("invalid_arguments", list(problems))


# ---------------------------------------------------------------------------------------------------------
# Timestamps and text
# ---------------------------------------------------------------------------------------------------------


def format_ts(us: int) -> str:
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def parse_ts(ts: str) -> int:
    """Microseconds of a Slack ts ("1700000000.000100"); ValueError if it is not one."""
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > 6:
        raise ValueError(f"not a Slack ts: {ts!r}")
    return int(seconds) * 1_000_000 + int(fraction.ljust(6, "0") or "0")


def _ts_key(message: JSON) -> int:
    return parse_ts(message["ts"])


_MARKUP = re.compile(r"<([^<>]+)>")


def rich_text_blocks(text: str) -> list[JSON]:
    """The `rich_text` block Slack's clients attach to a user's message: mentions, links and plain text."""
    elements: list[JSON] = []
    pos = 0
    for match in _MARKUP.finditer(text):
        if match.start() > pos:
            elements.append({"type": "text", "text": text[pos : match.start()]})
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            elements.append({"type": "user", "user_id": target[1:]})
        elif target.startswith("#"):
            elements.append({"type": "channel", "channel_id": target[1:]})
        elif target.startswith("!"):
            elements.append({"type": "broadcast", "range": target[1:]})
        else:
            link: JSON = {"type": "link", "url": target}
            if label:
                link["text"] = label
            elements.append(link)
        pos = match.end()
    if pos < len(text):
        elements.append({"type": "text", "text": text[pos:]})
    section = {"type": "rich_text_section", "elements": elements}
    block_id = uuid.uuid5(uuid.NAMESPACE_OID, text).hex[:5]
    return [{"type": "rich_text", "block_id": block_id, "elements": [section]}]


# ---------------------------------------------------------------------------------------------------------
# Block Kit validation
# ---------------------------------------------------------------------------------------------------------


def _at(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


def _text_object_errors(obj: object, where: str, max_chars: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [_at("must provide an object", where)]
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in allowed:
        return [_at("must be a valid enum value", f"{where}/type")]
    text = obj.get("text")
    if not isinstance(text, str):
        return [_at("missing required field: text", where)]
    if not text:
        return [_at("must be more than 0 characters", f"{where}/text")]
    if len(text) > max_chars:
        return [_at(f"must be less than {max_chars + 1} characters", f"{where}/text")]
    return []


def _list_errors(value: object, where: str, max_items: int, *, required: bool = True) -> list[str]:
    if value is None:
        return [_at("missing required field", where)] if required else []
    if not isinstance(value, list):
        return [_at("must provide an array", where)]
    if required and not value:
        return [_at("must provide at least 1 items", where)]
    if len(value) > max_items:
        return [_at(f"no more than {max_items} items allowed", where)]
    return []


def _section_errors(block: JSON, where: str) -> list[str]:
    if block.get("text") is None and block.get("fields") is None:
        return [_at("must provide either text or fields", where)]
    problems: list[str] = []
    if block.get("text") is not None:
        problems += _text_object_errors(block["text"], f"{where}/text", MAX_SECTION_TEXT)
    if block.get("fields") is not None:
        fields_problems = _list_errors(block["fields"], f"{where}/fields", MAX_FIELDS)
        problems += fields_problems
        if not fields_problems:
            for j, item in enumerate(block["fields"]):
                problems += _text_object_errors(item, f"{where}/fields/{j}", MAX_FIELD_TEXT)
    return problems


def _cell_errors(cell: object, where: str) -> list[str]:
    """A table cell: raw_text (non-empty `text`), raw_number (a number `value`, non-empty `text`) or a
    rich_text block."""
    if not isinstance(cell, dict):
        return [_at("must provide an object", where)]
    kind = cell.get("type")
    if kind not in TABLE_CELL_TYPES:
        return [_at("must be a valid enum value", f"{where}/type")]
    if kind == "rich_text":
        return _list_errors(cell.get("elements"), f"{where}/elements", 10_000)
    problems: list[str] = []
    value = cell.get("value")
    if kind == "raw_number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        problems.append(_at("missing required field: value", where))
    text = cell.get("text")
    if not isinstance(text, str):
        problems.append(_at("missing required field: text", where))
    elif not text:
        problems.append(_at("must be more than 0 characters", f"{where}/text"))
    return problems


def _column_setting_errors(setting: object, where: str) -> list[str]:
    if setting is None:  # a column left to the default
        return []
    if not isinstance(setting, dict):
        return [_at("must provide an object", where)]
    problems: list[str] = []
    if "align" in setting and setting["align"] not in TABLE_ALIGNS:
        problems.append(_at("must be a valid enum value", f"{where}/align"))
    if "is_wrapped" in setting and not isinstance(setting["is_wrapped"], bool):
        problems.append(_at("must be a boolean", f"{where}/is_wrapped"))
    return problems


def _table_errors(block: JSON, where: str) -> list[str]:
    """A table block: 1..100 rows of 1..20 cells, column_settings at most 20."""
    rows = block.get("rows")
    problems = _list_errors(rows, f"{where}/rows", MAX_TABLE_ROWS)
    if not problems:
        for r, row in enumerate(rows):
            row_problems = _list_errors(row, f"{where}/rows/{r}", MAX_TABLE_CELLS)
            problems += row_problems
            if not row_problems:
                for c, cell in enumerate(row):
                    problems += _cell_errors(cell, f"{where}/rows/{r}/{c}")
    settings = block.get("column_settings")
    settings_problems = _list_errors(settings, f"{where}/column_settings", MAX_TABLE_CELLS, required=False)
    problems += settings_problems
    if settings is not None and not settings_problems:
        for c, setting in enumerate(settings):
            problems += _column_setting_errors(setting, f"{where}/column_settings/{c}")
    return problems


def _block_errors(block: object, where: str) -> list[str]:
    if not isinstance(block, dict):
        return [_at("must provide an object", where)]
    kind = block.get("type")
    if not isinstance(kind, str) or not kind:
        return [_at("missing required field: type", where)]
    if kind not in KNOWN_BLOCK_TYPES:
        return [_at(f"unsupported type: {kind}", f"{where}/type")]
    problems: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > MAX_BLOCK_ID):
        problems.append(_at(f"must be less than {MAX_BLOCK_ID + 1} characters", f"{where}/block_id"))
    if kind == "section":
        problems += _section_errors(block, where)
    elif kind == "header":
        problems += _text_object_errors(block.get("text"), f"{where}/text", MAX_HEADER_TEXT, plain_only=True)
    elif kind == "context":
        problems += _list_errors(block.get("elements"), f"{where}/elements", MAX_CONTEXT_ELEMENTS)
    elif kind == "actions":
        problems += _list_errors(block.get("elements"), f"{where}/elements", MAX_ACTIONS_ELEMENTS)
    elif kind == "rich_text":
        problems += _list_errors(block.get("elements"), f"{where}/elements", 10_000)
    elif kind == "table":
        problems += _table_errors(block, where)
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            problems.append(_at("missing required field: text", where))
        elif len(text) > MAX_MARKDOWN_BLOCK_TEXT:
            problems.append(
                _at(f"must be less than {MAX_MARKDOWN_BLOCK_TEXT + 1} characters", f"{where}/text")
            )
    elif kind == "image":
        if not block.get("image_url") and not block.get("slack_file"):
            problems.append(_at("missing required field: image_url", where))
        if not isinstance(block.get("alt_text"), str) or not block["alt_text"]:
            problems.append(_at("missing required field: alt_text", where))
    return problems


def block_errors(
    blocks: object, *, max_blocks: int = MAX_MESSAGE_BLOCKS, pointer: str = "/blocks"
) -> list[str]:
    """What Slack would say about `blocks` (empty list: valid). Checked: at most `max_blocks` blocks, each
    with a known `type`, unique `block_id`s of at most 255 characters; section text 1..3000 characters,
    at most 10 `fields` of 1..2000 characters, text or fields present; header plain_text 1..150; context
    1..10 elements; actions 1..25 elements; markdown text 1..12,000; image url and alt_text; table 1..100
    rows of 1..20 cells (raw_text or raw_number with a non-empty text, or rich_text), column_settings at most
    20 (align left/center/right, is_wrapped a boolean), and at most one table a message."""
    if not isinstance(blocks, list):
        return [_at("must provide an array", pointer)]
    if len(blocks) > max_blocks:
        return [_at(f"no more than {max_blocks} items allowed", pointer)]
    problems: list[str] = []
    seen_ids: set[str] = set()
    tables = 0
    for i, block in enumerate(blocks):
        where = f"{pointer}/{i}"
        problems += _block_errors(block, where)
        if isinstance(block, dict) and block.get("type") == "table":
            tables += 1
            if tables > 1:
                problems.append(_at("only one table block allowed per message", where))
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen_ids:
                problems.append(_at(f"duplicate block_id: {block_id}", f"{where}/block_id"))
            seen_ids.add(block_id)
    return problems


def _check_blocks(args: JSON) -> None:
    """Raises invalid_blocks_format / invalid_blocks for a message's `blocks` argument."""
    if "blocks" not in args or args["blocks"] is None:
        return
    blocks = args["blocks"]
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    problems = block_errors(blocks)
    if problems:
        raise _with_messages("invalid_blocks", problems)


def _check_metadata(args: JSON) -> None:
    metadata = args.get("metadata")
    if metadata is None or metadata == {}:
        return
    if not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format")
    if not isinstance(metadata.get("event_type"), str) or not isinstance(metadata.get("event_payload"), dict):
        raise SlackError("invalid_metadata_schema")


def _check_message_content(args: JSON, *, require: bool = True) -> None:
    """no_text / markdown_text_conflict / msg_too_long / blocks / metadata, as chat.postMessage checks."""
    text = args.get("text")
    markdown = args.get("markdown_text")
    has_blocks = bool(args.get("blocks"))
    has_attachments = bool(args.get("attachments"))
    if markdown and (text or has_blocks):
        raise SlackError("markdown_text_conflict")
    if require and not (text or markdown or has_blocks or has_attachments):
        raise SlackError("no_text")
    if isinstance(text, str) and len(text) > MAX_TEXT_CHARS:
        raise SlackError("msg_too_long")
    _check_blocks(args)
    _check_metadata(args)


# ---------------------------------------------------------------------------------------------------------
# Records and state
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlackCall:
    """One request the fake answered. `args` are decoded (JSON fields as objects, flags as bools) and
    exclude the token; `at` is `time.monotonic()` on arrival; `response` is the JSON body sent back."""

    method: str
    args: JSON
    token: str | None
    headers: dict[str, str]
    at: float
    path: str = ""
    http_method: str = "POST"
    status: int = 200
    response: JSON | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.response is None else self.response.get("error")

    def summary(self) -> str:
        shown = {k: v for k, v in self.args.items() if k in ("channel", "ts", "thread_ts", "user", "text")}
        text = shown.get("text")
        if isinstance(text, str) and len(text) > 60:
            shown["text"] = text[:57] + "..."
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        return f"{self.method}({json.dumps(shown, ensure_ascii=False)}) -> {outcome}"


@dataclass
class _Channel:
    id: str
    name: str | None
    is_private: bool = False
    is_im: bool = False
    user: str | None = None
    num_members: int | None = None
    messages: dict[str, JSON] = field(default_factory=dict)  # ts -> stored message
    members: set[str] = field(default_factory=set)  # people in it (a DM's user is its member)

    def info(self, *, include_num_members: bool) -> JSON:
        if self.is_im:
            return {
                "id": self.id, "created": 1_700_000_000, "is_im": True, "is_org_shared": False,
                "context_team_id": TEAM_ID, "user": self.user, "is_user_deleted": False, "priority": 0,
            }  # fmt: skip
        name = self.name or self.id.lower()
        info: JSON = {
            "id": self.id, "name": name, "is_channel": not self.is_private, "is_group": self.is_private,
            "is_im": False, "is_mpim": False, "is_private": self.is_private, "created": 1_700_000_000,
            "is_archived": False, "is_general": False, "unlinked": 0, "name_normalized": name,
            "is_shared": False, "is_org_shared": False, "is_ext_shared": False,
            "is_pending_ext_shared": False, "pending_shared": [], "context_team_id": TEAM_ID,
            "updated": 1_700_000_000_000, "parent_conversation": None, "creator": "U0CREATOR",
            "shared_team_ids": [TEAM_ID], "pending_connected_team_ids": [], "is_member": True,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0}, "previous_names": [],
        }  # fmt: skip
        if include_num_members and self.num_members is not None:
            info["num_members"] = self.num_members
        return info


@dataclass
class _Stream:
    channel: str
    ts: str
    thread_ts: str | None
    state: str = "streaming"  # then "stopped"
    chunks: list[JSON] = field(default_factory=list)
    mode: str = "timeline"  # task_display_mode

    def tasks(self) -> dict[str, JSON]:
        """Each task as the reader sees it now: its latest `task_update`, by id, in order of first mention."""
        latest: dict[str, JSON] = {}
        for chunk in self.chunks:
            if chunk.get("type") == "task_update":
                latest[str(chunk["id"])] = chunk
        return latest

    def public(self, message: JSON | None) -> JSON:
        return {
            "channel": self.channel,
            "ts": self.ts,
            "thread_ts": self.thread_ts,
            "state": self.state,
            "task_display_mode": self.mode,
            "tasks": copy.deepcopy(self.tasks()),
            "text": (message or {}).get("text", ""),
            "chunks": copy.deepcopy(self.chunks),
            "blocks": copy.deepcopy((message or {}).get("blocks")),
        }


@dataclass
class _File:
    id: str
    name: str
    title: str
    data: bytes
    user: str
    filetype: str
    mimetype: str
    created: int
    shared: dict[str, str]  # conversation id -> ts of the share
    deleted: bool = False


@dataclass
class _Canvas:
    id: str
    title: str
    markdown: str
    channel_id: str | None
    created: int


@dataclass
class _Injected:
    method: str | None
    status: int
    body: JSON
    headers: dict[str, str]


class _InjectedReply(Exception):
    def __init__(self, injected: _Injected) -> None:
        super().__init__(injected.body.get("error"))
        self.status, self.body, self.headers = injected.status, injected.body, injected.headers


TASK_STATUSES = frozenset({"pending", "in_progress", "complete", "error"})
TASK_DISPLAY_MODES = frozenset({"timeline", "plan"})
MAX_STREAM_MARKDOWN = 12_000  # chat.*Stream: "Limit this field to 12,000 characters"


def _chunk_errors(chunk: object, where: str) -> list[str]:
    """What Slack says of one streaming chunk: a known `type` and that type's required fields."""
    if not isinstance(chunk, dict):
        return [_at("must provide an object", where)]
    kind = chunk.get("type")
    required = {
        "markdown_text": ("text",),
        "task_update": ("id", "title", "status"),
        "plan_update": ("title",),
        "blocks": ("blocks",),
    }.get(kind if isinstance(kind, str) else "")
    if required is None:
        return [_at(f"unsupported type: {kind}", f"{where}/type")]
    problems = [
        _at(f"missing required field: {name}", where)
        for name in required
        if chunk.get(name) in (None, "", [])
    ]
    if kind == "task_update" and chunk.get("status") not in TASK_STATUSES and "status" in chunk:
        problems.append(_at(f"must be one of {sorted(TASK_STATUSES)}", f"{where}/status"))
    for name in ("text", "details", "output", "title"):
        value = chunk.get(name)
        if value is not None and not isinstance(value, str):
            problems.append(_at("must be a string", f"{where}/{name}"))
    if kind == "blocks":
        problems += block_errors(chunk.get("blocks"), pointer=f"{where}/blocks")
    return problems


def _check_stream_args(args: JSON) -> None:
    """invalid_arguments for malformed `chunks` or `task_display_mode`, msg_too_long for long markdown."""
    chunks = args.get("chunks")
    problems: list[str] = []
    if chunks is not None:
        if not isinstance(chunks, list):
            problems.append(_at("must provide an array", "/chunks"))
        else:
            for i, chunk in enumerate(chunks):
                problems += _chunk_errors(chunk, f"/chunks/{i}")
    mode = args.get("task_display_mode")
    if mode is not None and mode not in TASK_DISPLAY_MODES:
        problems.append(_at(f"must be one of {sorted(TASK_DISPLAY_MODES)}", "/task_display_mode"))
    if problems:
        raise _invalid_arguments(*problems)
    markdown = args.get("markdown_text")
    if isinstance(markdown, str) and len(markdown) > MAX_STREAM_MARKDOWN:
        raise SlackError("msg_too_long")


def _chunks_text(chunks: object) -> str:
    if not isinstance(chunks, list):
        return ""
    return "".join(
        str(c.get("text", "")) for c in chunks if isinstance(c, dict) and c.get("type") == "markdown_text"
    )


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


# ---------------------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------------------


class FakeSlack(LoopbackServer):
    """The fake Slack Web API server. Use as a context manager, or `start()` / `stop()`.

    Mutable attributes: `bot_token`, `app_token`, `bot_scopes`, `refuse_sockets`, `missing_channels` (a set
    of channel ids that answer `channel_not_found`), `outside_channels` (channels the bot is not in). Seed with `add_user`, `add_channel`, `add_message`; revoke a token
    with `revoke`; read with `messages`, `thread`, `message`, `views`, `ephemerals`, `streams`, `calls`,
    `calls_to`, `sockets_open`, `sockets_opened`, `socket_messages`.
    """

    max_request_bytes = MAX_REQUEST_BYTES

    def __init__(
        self,
        *,
        bot_token: str = DEFAULT_BOT_TOKEN,
        app_token: str = DEFAULT_APP_TOKEN,
        team_id: str = TEAM_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        bot_scopes: Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_scopes: list[str] = list(bot_scopes) if bot_scopes is not None else manifest_scopes()
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        super().__init__(host, port)
        self.missing_channels: set[str] = set()
        self.outside_channels: set[str] = set()
        self.refuse_sockets: int | None = None
        self._lock = threading.RLock()
        self._calls: list[SlackCall] = []
        self._injected: list[_Injected] = []
        self._slow: list[tuple[str, float]] = []
        self._channels: dict[str, _Channel] = {}
        self._users: dict[str, JSON] = {}
        self._views: dict[str, JSON] = {}
        self._ephemerals: list[JSON] = []
        self._streams: dict[tuple[str, str], _Stream] = {}
        self._files: dict[str, _File] = {}
        self._canvases: dict[str, _Canvas] = {}
        self.download_redirect: str | None = None
        self._revoked: dict[str, str] = {}  # token -> the error Slack answers it with
        self._tickets: set[str] = set()
        self._sockets: set[web.WebSocketResponse] = set()
        self._sockets_opened = 0
        self._socket_messages: list[JSON] = []
        self._clock_us = FIRST_TS_US - TS_STEP_US
        self._methods: dict[str, Callable[[JSON, str | None], JSON]] = {
            "api.test": self._api_test,
            "apps.connections.open": self._apps_connections_open,
            "assistant.threads.setStatus": self._assistant_threads_set_status,
            "assistant.threads.setSuggestedPrompts": self._assistant_threads_set_suggested_prompts,
            "assistant.threads.setTitle": self._assistant_threads_set_title,
            "auth.test": self._auth_test,
            "canvases.create": self._canvases_create,
            "chat.appendStream": self._chat_append_stream,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.postMessage": self._chat_post_message,
            "chat.startStream": self._chat_start_stream,
            "chat.stopStream": self._chat_stop_stream,
            "chat.update": self._chat_update,
            "conversations.history": self._conversations_history,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.open": self._conversations_open,
            "conversations.replies": self._conversations_replies,
            "files.info": self._files_info,
            "users.conversations": self._users_conversations,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "views.publish": self._views_publish,
        }

    # ---- lifecycle ----

    @property
    def api_url(self) -> str:
        """What the product puts in `SLACK_API_URL`: `http://127.0.0.1:PORT/api/`."""
        return f"{self.url}/api/"

    @property
    def response_url_base(self) -> str:
        """Prefix of the response_urls this fake records: `http://127.0.0.1:PORT/response_url/`."""
        return f"{self.url}/response_url/"

    def new_response_url(self) -> str:
        return f"{self.response_url_base}{uuid.uuid4().hex}"

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response_url/{id}", self._handle_response_url)
        app.router.add_get("/link/", self._handle_socket)
        app.router.add_get("/files-pri/{key}/{tail:.*}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)
        app.on_shutdown.append(self._close_sockets)

    # ---- seeding ----

    def add_user(
        self,
        id: str,
        email: str,
        name: str | None = None,
        tz: str = "America/New_York",
        *,
        real_name: str | None = None,
        display_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> JSON:
        """A workspace member, as users.info returns it (tz_offset from the zone's current offset)."""
        name = name or email.split("@", 1)[0]
        real_name = real_name or name.replace(".", " ").replace("_", " ").title()
        display_name = display_name if display_name is not None else name
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        abbreviation = now.tzname() or tz
        user = {
            "id": id, "team_id": self.team_id, "name": name, "deleted": deleted, "color": "9f69e7",
            "real_name": real_name, "tz": tz, "tz_label": TZ_LABELS.get(abbreviation, abbreviation),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {
                "avatar_hash": "g0000000000", "status_text": "", "status_emoji": "",
                "real_name": real_name, "display_name": display_name,
                "real_name_normalized": real_name, "display_name_normalized": display_name,
                "email": email, "first_name": real_name.split(" ")[0],
                "last_name": " ".join(real_name.split(" ")[1:]),
                "image_24": "https://avatars.example/24.png", "image_48": "https://avatars.example/48.png",
                "team": self.team_id,
            },
            "is_admin": False, "is_owner": False, "is_primary_owner": False, "is_restricted": False,
            "is_ultra_restricted": False, "is_bot": is_bot, "is_app_user": False,
            "updated": 1_700_000_000, "has_2fa": False,
        }  # fmt: skip
        with self._lock:
            self._users[id] = user
        return copy.deepcopy(user)

    def add_channel(
        self,
        id: str,
        name: str | None = None,
        *,
        is_private: bool = False,
        is_im: bool | None = None,
        num_members: int | None = None,
        user: str | None = None,
        members: Iterable[str] = (),
    ) -> None:
        """Describe a channel for conversations.info (any channel id works without this); `members`: the
        people in it, for users.conversations."""
        with self._lock:
            channel = self._channel(id)
            channel.name = name
            channel.is_private = is_private
            channel.is_im = id.startswith("D") if is_im is None else is_im
            channel.num_members = num_members
            channel.user = user or channel.user
            channel.members.update(members)

    def add_file(
        self,
        data: bytes,
        name: str,
        *,
        user: str = "U123",
        channels: Iterable[str] = (),
        title: str | None = None,
    ) -> str:
        """`user` uploads `data` as `name` and shares it in `channels` (none: only they see it); its id."""
        filetype, mimetype = FILE_KINDS.get(Path(name).suffix.lower(), ("binary", "application/octet-stream"))
        with self._lock:
            file_id = f"F{len(self._files) + 1:010X}"
            shared = {self._channel(c).id: self._next_ts() for c in channels}
            self._files[file_id] = _File(
                file_id, name, title or name, bytes(data), user, filetype, mimetype, int(time.time()), shared
            )
            return file_id

    def file(self, file_id: str) -> JSON:
        """A file as a `file_share` message event carries it (the object files.info answers)."""
        with self._lock:
            return self._file_object(self._files[file_id])

    def delete_file(self, file_id: str) -> None:
        with self._lock:
            self._files[file_id].deleted = True

    def add_message(
        self,
        channel: str,
        text: str,
        user: str = "U123",
        thread_ts: str | None = None,
        ts: str | None = None,
        *,
        blocks: list[JSON] | None = None,
        **extra: Any,
    ) -> str:
        """A message posted by a person (for threads a mention refers to); returns its ts. Links in `text`
        are written as Slack writes them: `<https://example.com/doc>`; `blocks` default to the rich_text
        block Slack's clients send."""
        with self._lock:
            ch = self._channel(channel)
            if ts is None:
                ts = self._next_ts()
            else:
                us = parse_ts(ts)
                if ts in ch.messages:
                    raise ValueError(f"{channel} already has a message with ts {ts}")
                self._clock_us = max(self._clock_us, us)
            message: JSON = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts,
                "team": self.team_id,
                "client_msg_id": str(uuid.uuid4()),
                "blocks": blocks if blocks is not None else rich_text_blocks(text),
                **extra,
            }
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
                parent = ch.messages.get(thread_ts)
                if parent is not None:
                    message["parent_user_id"] = parent.get("user")
            ch.messages[ts] = message
            return ts

    # ---- reading state ----

    def has_message(self, channel: str, ts: str) -> bool:
        with self._lock:
            ch = self._channels.get(channel)
            return ch is not None and ts in ch.messages

    def message(self, channel: str, ts: str) -> JSON | None:
        """One message as conversations.replies would show it, or None."""
        with self._lock:
            ch = self._channels.get(self._resolve_channel_id(channel))
            if ch is None or ts not in ch.messages:
                return None
            return self._present(ch, ch.messages[ts])

    def messages(self, channel: str, *, top_level_only: bool = False) -> list[JSON]:
        """Every message in `channel` (thread replies included unless `top_level_only`), oldest first."""
        with self._lock:
            ch = self._channels.get(self._resolve_channel_id(channel))
            if ch is None:
                return []
            found = sorted(ch.messages.values(), key=_ts_key)
            if top_level_only:
                found = [
                    m
                    for m in found
                    if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
                ]
            return [self._present(ch, m) for m in found]

    def thread(self, channel: str, ts: str) -> list[JSON]:
        """The thread of `ts` (a parent's or a reply's ts): parent first, then replies; [] if unknown."""
        with self._lock:
            ch = self._channels.get(self._resolve_channel_id(channel))
            if ch is None:
                return []
            return [self._present(ch, m) for m in self._thread_of(ch, ts)]

    @property
    def views(self) -> dict[str, JSON]:
        """The Home tab last published for each user id."""
        with self._lock:
            return copy.deepcopy(self._views)

    @property
    def ephemerals(self) -> list[JSON]:
        """chat.postEphemeral messages: channel, user, text, blocks, thread_ts, message_ts, ..."""
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    @property
    def canvases(self) -> list[JSON]:
        """Canvases made with canvases.create, in order: canvas_id, title, markdown, channel_id."""
        with self._lock:
            return [
                {"canvas_id": c.id, "title": c.title, "markdown": c.markdown, "channel_id": c.channel_id}
                for c in self._canvases.values()
            ]

    @property
    def downloads(self) -> list[SlackCall]:
        """Requests for a file's url_private(_download): `args["file"]`, `token`, `headers`, `status`."""
        return self.calls_to("url_private")

    @property
    def streams(self) -> list[JSON]:
        """Streams started with chat.startStream: channel, ts, thread_ts, state, task_display_mode, text,
        chunks (every chunk sent, in order), tasks (each task's latest update, by id) and blocks."""
        with self._lock:
            return [
                s.public(
                    self._channels[s.channel].messages.get(s.ts) if s.channel in self._channels else None
                )
                for s in self._streams.values()
            ]

    def end_stream(self, channel: str, ts: str) -> None:
        """Stop a stream server-side, as Slack does when a stream expires."""
        with self._lock:
            stream = self._streams.get((channel, ts))
            if stream is not None:
                stream.state = "stopped"

    # ---- records ----

    @property
    def calls(self) -> list[SlackCall]:
        """A snapshot of every request answered so far (API methods and response_url posts), in order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def reset(self, *, state: bool = False) -> None:
        """Forget recorded calls and queued failures; with `state`, also messages, views, ephemerals and
        streams (users and `missing_channels` stay)."""
        with self._lock:
            self._calls.clear()
            self._injected.clear()
            if state:
                self._channels.clear()
                self._views.clear()
                self._ephemerals.clear()
                self._streams.clear()
                self._files.clear()
                self._canvases.clear()

    def describe_calls(self) -> str:
        calls = self.calls
        if not calls:
            return "no calls recorded"
        return "\n".join(f"  {i}: {c.summary()}" for i, c in enumerate(calls))

    def wait_for(
        self, predicate: Callable[[FakeSlack], Any], timeout: float = 10.0, interval: float = 0.02
    ) -> Any:
        """Poll until `predicate(self)` is truthy and return its value; TimeoutError lists what was recorded.

        Blocks the calling thread: from a test whose event loop also runs the product, use `wait_for_async`.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(predicate, timeout))
            time.sleep(interval)

    async def wait_for_async(
        self,
        predicate: Callable[[FakeSlack], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 - the same signature as wait_for
        interval: float = 0.02,
    ) -> Any:
        """`wait_for` that sleeps with `asyncio.sleep`, so the caller's loop keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(predicate, timeout))
            await asyncio.sleep(interval)

    def _timeout_message(self, predicate: Callable[..., Any], timeout: float) -> str:
        name = getattr(predicate, "__name__", repr(predicate))
        return f"FakeSlack.wait_for({name}) still false after {timeout:g}s; calls:\n{self.describe_calls()}"

    # ---- failure injection ----

    def ratelimit_next(self, n: int = 1, method: str | None = None, retry_after: int = 1) -> None:
        """The next `n` API calls (of `method`, or any) get HTTP 429 `ratelimited` with `Retry-After`."""
        injected = _Injected(
            method, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(int(retry_after))}
        )
        with self._lock:
            self._injected.extend(injected for _ in range(n))

    def fail_next(
        self, method: str | None, error: str, n: int = 1, *, status: int = 200, **extra: Any
    ) -> None:
        """The next `n` calls of `method` (None: any) answer `{"ok": false, "error": error, **extra}` with
        HTTP `status` (200 as Slack does; 500/503 to exercise server-error retries). `method` may be
        `"response_url"`."""
        injected = _Injected(method, status, {"ok": False, "error": error, **extra}, {})
        with self._lock:
            self._injected.extend(injected for _ in range(n))

    def slow_next(self, method: str, seconds: float, n: int = 1) -> None:
        """The next `n` calls of `method` take effect at once but are answered `seconds` later (to kill a
        client between Slack doing something and the client learning it was done)."""
        with self._lock:
            self._slow.extend((method, seconds) for _ in range(n))

    def _take_slow(self, method: str) -> float:
        with self._lock:
            for i, (slow_method, seconds) in enumerate(self._slow):
                if slow_method == method:
                    del self._slow[i]
                    return seconds
        return 0.0

    def clear_failures(self) -> None:
        with self._lock:
            self._injected.clear()

    def revoke(self, token: str | None = None, error: str = "token_revoked") -> None:
        """Every later call with `token` (default: the bot token) answers `error`: `token_revoked` for a
        revoked token, `invalid_auth`, `account_inactive` for an uninstalled app or a deactivated user."""
        with self._lock:
            self._revoked[token or self.bot_token] = error

    # ---- Socket Mode ----

    @property
    def sockets_open(self) -> int:
        """Socket Mode WebSockets connected right now."""
        with self._lock:
            return len(self._sockets)

    @property
    def sockets_opened(self) -> int:
        """Socket Mode WebSockets ever connected (a reconnect counts again)."""
        with self._lock:
            return self._sockets_opened

    def disconnect_sockets(self, reason: str = "refresh_requested") -> None:
        """Ask every connected client to reconnect, as Slack does, then close the old connections."""
        with self._lock:
            sockets, loop = list(self._sockets), self._loop
        if loop is None:
            return

        async def send() -> None:
            for ws in sockets:
                with contextlib.suppress(Exception):
                    await ws.send_json(
                        {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}
                    )

        asyncio.run_coroutine_threadsafe(send(), loop).result(timeout=10)

    @property
    def socket_messages(self) -> list[JSON]:
        """What clients sent over their WebSockets (envelope acknowledgements), decoded, in order."""
        with self._lock:
            return copy.deepcopy(self._socket_messages)

    def _take_injected(self, method: str) -> _Injected | None:
        """The first queued failure for `method`; failures queued for any method skip response_url posts."""
        with self._lock:
            for i, injected in enumerate(self._injected):
                if injected.method == method or (injected.method is None and method != "response_url"):
                    return self._injected.pop(i)
        return None

    # ---- HTTP ----

    async def _read_args(self, request: web.Request) -> tuple[JSON, str | None]:
        """Query, form and JSON arguments merged; the token field removed and returned."""
        args: JSON = dict(request.query)
        if request.method == "POST":
            ctype = request.content_type
            if ctype.startswith("multipart/"):
                form = await request.post()
                args.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                raw = await request.read()
                if raw and ctype == "application/json":
                    try:
                        body = json.loads(raw)
                    except ValueError as exc:
                        raise SlackError("invalid_json") from exc
                    if not isinstance(body, dict):
                        raise SlackError("invalid_json")
                    args.update(body)
                elif raw:
                    args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        token = args.pop("token", None)
        for key in JSON_ARGS & args.keys():
            if isinstance(args[key], str) and args[key].strip():
                with contextlib.suppress(ValueError):
                    args[key] = json.loads(args[key])
        for key in BOOL_ARGS & args.keys():
            if isinstance(args[key], str):
                args[key] = _truthy(args[key])
        return args, token if isinstance(token, str) else None

    def _record(self, call: SlackCall) -> None:
        with self._lock:
            self._calls.append(call)

    @staticmethod
    def _reply(status: int, body: JSON, headers: dict[str, str] | None = None) -> web.Response:
        return web.json_response(
            body, status=status, headers={"x-slack-req-id": uuid.uuid4().hex, **(headers or {})}
        )

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        method = request.match_info["method"]
        headers = {k.lower(): v for k, v in request.headers.items()}
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        args: JSON = {}
        token: str | None = None
        status, extra_headers = 200, {}
        try:
            args, token_arg = await self._read_args(request)
            token = bearer.strip() if scheme.lower() == "bearer" and bearer.strip() else token_arg
            if token == self.bot_token and self._auth_error(method, token) is None:
                extra_headers = {"x-oauth-scopes": ",".join(self.bot_scopes)}
            body = self._answer(method, args, token)
        except SlackError as exc:
            body = exc.body()
        except _InjectedReply as injected:
            status, body = injected.status, dict(injected.body)
            extra_headers = {**extra_headers, **injected.headers}
        call = SlackCall(method, args, token, headers, at, request.path, request.method, status, body)
        self._record(call)
        delay = self._take_slow(method)
        if delay:
            await asyncio.sleep(delay)  # done, recorded, but the caller has not heard back yet
        return self._reply(status, body, extra_headers)

    def _answer(self, method: str, args: JSON, token: str | None) -> JSON:
        """Slack's order: unknown method, then auth, then (injected) rate limits and failures, then the method."""
        if method not in self._methods:
            raise SlackError("unknown_method", req_method=method)
        auth_error = self._auth_error(method, token)
        if auth_error:
            raise SlackError(auth_error)
        injected = self._take_injected(method)
        if injected is not None:
            raise _InjectedReply(injected)
        return self._run(method, args, token)

    def _run(self, method: str, args: JSON, token: str | None) -> JSON:
        try:
            with self._lock:
                return {"ok": True, **self._methods[method](args, token)}
        except SlackError as exc:
            return exc.body()

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if method == "api.test":  # the one method Slack answers without a token
            return None
        if not token:
            return "not_authed"
        with self._lock:
            revoked = self._revoked.get(token)
        if revoked:
            return revoked
        if token not in (self.bot_token, self.app_token):
            return "invalid_auth"
        wants_app_token = method == "apps.connections.open"
        if (token == self.app_token) != wants_app_token:
            return "not_allowed_token_type"
        return None

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        headers = {k.lower(): v for k, v in request.headers.items()}
        raw = await request.read()
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            args = {"_raw": raw.decode("utf-8", "replace")}
        if not isinstance(args, dict):
            args = {"_raw": args}
        injected = self._take_injected("response_url")
        status, body = (injected.status, dict(injected.body)) if injected else (200, {"ok": True})
        self._record(SlackCall("response_url", args, None, headers, at, request.path, "POST", status, body))
        return self._reply(status, body)

    async def _handle_not_found(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=404, text="Not Found")

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        """A Socket Mode connection: `hello`, then whatever the client sends is recorded until it closes."""
        with self._lock:
            known = request.query.get("ticket", "") in self._tickets
        if self.refuse_sockets is not None:
            return web.Response(status=self.refuse_sockets, text="unavailable")
        if not known:
            return web.Response(status=401, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._lock:
            self._sockets.add(ws)
            self._sockets_opened += 1
            connections = len(self._sockets)
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": connections,
                    "debug_info": {
                        "host": "applink-fake",
                        "build_number": 1,
                        "approximate_connection_time": 3600,
                    },
                    "connection_info": {"app_id": APP_ID},
                }
            )
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    with contextlib.suppress(ValueError), self._lock:
                        self._socket_messages.append(json.loads(message.data))
        finally:
            with self._lock:
                self._sockets.discard(ws)
        return ws

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        """A file's bytes, for the bot's token; Slack's sign-in page (HTTP 200) for anyone else."""
        at = time.monotonic()
        headers = {k.lower(): v for k, v in request.headers.items()}
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        token = bearer.strip() if scheme.lower() == "bearer" and bearer.strip() else None
        file_id = request.match_info["key"].rpartition("-")[2]
        with self._lock:
            found = self._files.get(file_id)
            allowed = (
                token == self.bot_token
                and token not in self._revoked
                and FILES_SCOPE in self.bot_scopes
                and found is not None
                and self._bot_sees(found)
            )
            redirect = self.download_redirect
        response: web.Response
        if found is None or found.deleted:
            response = web.Response(status=404, text="File not found", content_type="text/html")
        elif not allowed:
            response = web.Response(text=SIGN_IN_PAGE, content_type="text/html")
        elif redirect:
            response = web.Response(status=302, headers={"Location": redirect})
        else:
            disposition = (
                f'attachment; filename="{found.name}"'
                if request.match_info["tail"].startswith("download/")
                else "inline"
            )
            response = web.Response(
                body=found.data, content_type=found.mimetype, headers={"Content-Disposition": disposition}
            )
        self._record(
            SlackCall(
                "url_private", {"file": file_id}, token, headers, at, request.path, "GET", response.status
            )
        )
        return response

    async def _close_sockets(self, _app: web.Application) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    # ---- state helpers (called with the lock held) ----

    def _next_ts(self) -> str:
        self._clock_us += TS_STEP_US
        return format_ts(self._clock_us)

    @staticmethod
    def _resolve_channel_id(channel: str) -> str:
        return "D" + channel[1:] if channel[:1] in ("U", "W") else channel

    def _channel(self, channel: str) -> _Channel:
        channel_id = self._resolve_channel_id(channel)
        ch = self._channels.get(channel_id)
        if ch is None:
            is_im = channel_id.startswith("D")
            user = channel if channel != channel_id else None
            ch = _Channel(id=channel_id, name=None, is_im=is_im, user=user)
            self._channels[channel_id] = ch
        return ch

    def _require_channel(self, args: JSON, key: str = "channel", *, member: bool = True) -> _Channel:
        channel = args.get(key)
        if not isinstance(channel, str) or not channel.strip():
            raise SlackError("channel_not_found")
        if channel in self.missing_channels or self._resolve_channel_id(channel) in self.missing_channels:
            raise SlackError("channel_not_found")
        if member and self._resolve_channel_id(channel) in self.outside_channels:
            raise SlackError("not_in_channel")
        return self._channel(channel.strip())

    def join(self, channel: str) -> None:
        """The bot is invited to `channel` (`/invite @bot`)."""
        with self._lock:
            self.outside_channels.discard(channel)

    @staticmethod
    def _require(args: JSON, *names: str) -> None:
        missing = [n for n in names if args.get(n) in (None, "")]
        if missing:
            raise _invalid_arguments(*(f"missing required field: {n}" for n in missing))

    def _thread_of(self, ch: _Channel, ts: str) -> list[JSON]:
        message = ch.messages.get(ts)
        if message is None:
            return []
        root_ts = message.get("thread_ts") or ts
        root = ch.messages.get(root_ts)
        replies = sorted(
            (m for m in ch.messages.values() if m.get("thread_ts") == root_ts and m["ts"] != root_ts),
            key=_ts_key,
        )
        return ([root] if root is not None else []) + replies

    def _present(self, ch: _Channel, message: JSON) -> JSON:
        shown = copy.deepcopy(message)
        replies = [
            m for m in ch.messages.values() if m.get("thread_ts") == message["ts"] and m is not message
        ]
        if replies:
            replies.sort(key=_ts_key)
            users = list(dict.fromkeys(str(m.get("user")) for m in replies))
            shown.update(
                thread_ts=message["ts"],
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=replies[-1]["ts"],
                is_locked=False,
                subscribed=False,
            )
        return shown

    def _bot_message(self, args: JSON, ts: str) -> JSON:
        message: JSON = {
            "user": self.bot_user_id,
            "type": "message",
            "ts": ts,
            "bot_id": self.bot_id,
            "app_id": APP_ID,
            "text": args.get("text") or args.get("markdown_text") or "",
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": APP_ID,
                "name": BOT_NAME,
                "icons": {"image_48": "https://avatars.example/bot_48.png"},
                "deleted": False,
                "updated": 1_700_000_000,
                "team_id": self.team_id,
            },
        }
        for key in ("blocks", "attachments", "metadata"):
            if args.get(key):
                message[key] = copy.deepcopy(args[key])
        if args.get("username"):
            message["username"] = args["username"]
            message["subtype"] = "bot_message"
        icons = {k: args[v] for k, v in (("emoji", "icon_emoji"), ("image_48", "icon_url")) if args.get(v)}
        if icons:
            message["icons"] = icons
        return message

    def _attach_to_thread(self, ch: _Channel, message: JSON, thread_ts: object, broadcast: bool) -> None:
        if not thread_ts:
            return
        root_ts = str(thread_ts)
        parent = ch.messages.get(root_ts)
        if parent is not None and parent.get("thread_ts") not in (None, root_ts):
            root_ts = parent["thread_ts"]  # a reply's ts (which Slack asks you not to send): its thread
            parent = ch.messages.get(root_ts)
        message["thread_ts"] = root_ts
        if parent is not None:
            message["parent_user_id"] = parent.get("user")
        if broadcast:
            message["subtype"] = "thread_broadcast"

    def _find_message(self, ch: _Channel, args: JSON) -> JSON:
        self._require(args, "ts")
        message = ch.messages.get(str(args["ts"]))
        if message is None:
            raise SlackError("message_not_found")
        return message

    # ---- methods (called with the lock held; return the body without "ok", or raise SlackError) ----

    def _api_test(self, args: JSON, token: str | None) -> JSON:
        return {"args": args} if args else {}

    def _auth_test(self, args: JSON, token: str | None) -> JSON:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: JSON, token: str | None) -> JSON:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {"url": f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"}

    def _assistant_thread(self, args: JSON) -> None:
        """What the assistant.threads.* methods check: assistant:write, then a thread of a DM with the bot."""
        self._needs(ASSISTANT_SCOPE)
        self._require(args, "channel_id")
        ch = self._require_channel(args, "channel_id")
        if not ch.is_im:
            raise SlackError("channel_not_found")  # an assistant thread lives only in a DM with the app
        thread_ts = args.get("thread_ts")
        if thread_ts is not None:
            try:
                parse_ts(str(thread_ts))
            except ValueError as exc:
                raise SlackError("invalid_thread_ts") from exc

    def _assistant_threads_set_status(self, args: JSON, token: str | None) -> JSON:
        """`status` ("" clears it), for `thread_ts` of a DM; `loading_messages` at most 10."""
        self._require(args, "channel_id", "thread_ts")
        if "status" not in args:
            raise _invalid_arguments("missing required field: status")
        self._assistant_thread(args)
        loading = args.get("loading_messages")
        if loading is not None and (not isinstance(loading, list) or len(loading) > 10):
            raise _invalid_arguments("loading_messages must be a list of at most 10 strings")
        return {}

    def _assistant_threads_set_suggested_prompts(self, args: JSON, token: str | None) -> JSON:
        """1..4 `prompts`, each a `title` and the `message` a click sends; an optional list `title`."""
        self._require(args, "channel_id", "prompts")
        self._assistant_thread(args)
        prompts = args["prompts"]
        if not isinstance(prompts, list) or not 1 <= len(prompts) <= 4:
            raise _invalid_arguments("prompts must be a list of 1 to 4 prompts")
        for n, prompt in enumerate(prompts):
            if not isinstance(prompt, dict) or not all(
                isinstance(prompt.get(k), str) and prompt[k].strip() for k in ("title", "message")
            ):
                raise _invalid_arguments(f"prompts[{n}] must have a title and a message")
        if args.get("title") is not None and not isinstance(args["title"], str):
            raise _invalid_arguments("title must be a string")
        return {}

    def _assistant_threads_set_title(self, args: JSON, token: str | None) -> JSON:
        self._require(args, "channel_id", "thread_ts", "title")
        self._assistant_thread(args)
        return {}

    def _chat_post_message(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        _check_message_content(args)
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        self._attach_to_thread(ch, message, args.get("thread_ts"), bool(args.get("reply_broadcast")))
        ch.messages[ts] = message
        return {"channel": ch.id, "ts": ts, "message": self._present(ch, message)}

    def _chat_update(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        message = self._find_message(ch, args)
        stream = self._streams.get((ch.id, message["ts"]))
        if stream is not None and stream.state == "streaming":
            raise SlackError("streaming_state_conflict")
        if message.get("user") != self.bot_user_id:
            raise SlackError("cant_update_message")
        _check_message_content(args)
        text = args.get("text") or args.get("markdown_text")
        if text is not None:
            message["text"] = text
        for key in ("blocks", "attachments"):
            if key in args:
                message[key] = copy.deepcopy(args[key])
        if "metadata" in args:
            if args["metadata"]:
                message["metadata"] = copy.deepcopy(args["metadata"])
            else:
                message.pop("metadata", None)
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        shown = self._present(ch, message)
        return {"channel": ch.id, "ts": message["ts"], "text": message["text"], "message": shown}

    def _chat_delete(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        message = self._find_message(ch, args)
        if message.get("user") != self.bot_user_id:
            raise SlackError("cant_delete_message")
        del ch.messages[message["ts"]]
        return {"channel": ch.id, "ts": message["ts"]}

    def _chat_post_ephemeral(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        if not args.get("user"):
            raise SlackError("user_not_found")
        _check_message_content(args)
        message_ts = self._next_ts()
        keep = ("user", "text", "blocks", "attachments", "thread_ts", "username", "icon_emoji", "icon_url")
        self._ephemerals.append(
            {
                "channel": ch.id,
                "message_ts": message_ts,
                **{k: copy.deepcopy(args[k]) for k in keep if k in args},
            }
        )
        return {"message_ts": message_ts}

    def _chat_start_stream(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        self._require(args, "thread_ts")
        if not ch.is_im:
            if not args.get("recipient_user_id"):
                raise SlackError("missing_recipient_user_id")
            if not args.get("recipient_team_id"):
                raise SlackError("missing_recipient_team_id")
        _check_stream_args(args)
        ts = self._next_ts()
        chunks = list(args.get("chunks") or [])
        text = str(args.get("markdown_text") or "") + _chunks_text(chunks)
        message = self._bot_message({**args, "text": text, "markdown_text": None}, ts)
        self._attach_to_thread(ch, message, args.get("thread_ts"), broadcast=False)
        ch.messages[ts] = message
        stream = _Stream(
            ch.id, ts, message.get("thread_ts"), mode=str(args.get("task_display_mode") or "timeline")
        )
        if args.get("markdown_text"):
            stream.chunks.append({"type": "markdown_text", "text": str(args["markdown_text"])})
        stream.chunks.extend(copy.deepcopy(chunks))
        self._streams[(ch.id, ts)] = stream
        return {"channel": ch.id, "ts": ts}

    def _streaming(self, ch: _Channel, args: JSON) -> tuple[_Stream, JSON]:
        message = self._find_message(ch, args)
        stream = self._streams.get((ch.id, message["ts"]))
        if stream is None or stream.state != "streaming":
            raise SlackError("message_not_in_streaming_state")
        return stream, message

    @staticmethod
    def _append(stream: _Stream, message: JSON, args: JSON) -> None:
        chunks = list(args.get("chunks") or [])
        if args.get("markdown_text"):
            stream.chunks.append({"type": "markdown_text", "text": str(args["markdown_text"])})
        stream.chunks.extend(copy.deepcopy(chunks))
        message["text"] = (
            message.get("text", "") + str(args.get("markdown_text") or "") + _chunks_text(chunks)
        )

    def _chat_append_stream(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        stream, message = self._streaming(ch, args)
        if not args.get("markdown_text") and not args.get("chunks"):
            raise SlackError("no_text")
        _check_stream_args(args)
        self._append(stream, message, args)
        return {"channel": ch.id, "ts": message["ts"]}

    def _chat_stop_stream(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        stream, message = self._streaming(ch, args)
        _check_stream_args(args)
        _check_blocks(args)
        _check_metadata(args)
        self._append(stream, message, args)
        if args.get("blocks"):
            message["blocks"] = copy.deepcopy(args["blocks"])
        if args.get("metadata"):
            message["metadata"] = copy.deepcopy(args["metadata"])
        stream.state = "stopped"
        return {"channel": ch.id, "ts": message["ts"], "message": self._present(ch, message)}

    def _chat_get_permalink(self, args: JSON, token: str | None) -> JSON:
        self._require(args, "channel", "message_ts")
        ch = self._require_channel(args, member=False)
        message = ch.messages.get(str(args["message_ts"]))
        if message is None:
            raise SlackError("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{ch.id}/p{message['ts'].replace('.', '')}"
        root = message.get("thread_ts")
        if root and root != message["ts"]:
            link += f"?thread_ts={root}&cid={ch.id}"
        return {"channel": ch.id, "permalink": link}

    def _conversation_type(self, ch: _Channel) -> str:
        if ch.is_im:
            return "im"
        return "private_channel" if ch.is_private else "public_channel"

    def _users_conversations(self, args: JSON, token: str | None) -> JSON:
        """The user's conversations (the bot's own without `user`), oldest channel id first."""
        user = str(args.get("user") or self.bot_user_id)
        if user != self.bot_user_id and user not in self._users:
            raise SlackError("user_not_found")
        types = {t.strip() for t in str(args.get("types") or "public_channel").split(",") if t.strip()}
        if types - {"public_channel", "private_channel", "im", "mpim"}:
            raise SlackError("invalid_types")
        try:
            limit = max(1, min(int(args.get("limit") or 100), 999))
        except ValueError as exc:
            raise _invalid_arguments(str(exc)) from exc
        found = [
            ch
            for ch in sorted(self._channels.values(), key=lambda c: c.id)
            if self._conversation_type(ch) in types
            and (user in ch.members or (ch.is_im and ch.user == user))
            and not (ch.is_private and ch.id in self.outside_channels)
        ]
        try:
            start = int(base64.b64decode(str(args["cursor"])).decode()) if args.get("cursor") else 0
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise SlackError("invalid_cursor") from exc
        page = found[start : start + limit]
        more = start + limit < len(found)
        next_cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
        return {
            "channels": [ch.info(include_num_members=False) for ch in page],
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_info(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args, member=False)
        return {"channel": ch.info(include_num_members=_truthy(args.get("include_num_members")))}

    def _needs(self, scope: str) -> None:
        if scope not in self.bot_scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(self.bot_scopes))

    @staticmethod
    def _page(args: JSON, items: list[Any], *, default: int, maximum: int, key: str) -> JSON:
        """One page of `items` by `limit` (`invalid_limit` outside 1..maximum) and an offset `cursor`."""
        try:
            limit = int(args.get("limit") or default)
        except ValueError as exc:
            raise SlackError("invalid_limit") from exc
        if not 1 <= limit <= maximum:
            raise SlackError("invalid_limit")
        try:
            start = int(base64.b64decode(str(args["cursor"])).decode()) if args.get("cursor") else 0
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise SlackError("invalid_cursor") from exc
        more = start + limit < len(items)
        next_cursor = base64.b64encode(str(start + limit).encode()).decode() if more else ""
        return {key: items[start : start + limit], "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_members(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args, member=False)
        self._needs("im:read" if ch.is_im else "groups:read" if ch.is_private else "channels:read")
        inside = ch.id not in self.outside_channels
        if ch.is_private and not inside:
            raise SlackError("channel_not_found")
        people = [ch.user] if ch.is_im and ch.user else sorted(ch.members)
        members = [*people, self.bot_user_id] if inside else people
        return self._page(args, members, default=100, maximum=MAX_MEMBERS_LIMIT, key="members")

    def _bot_sees(self, file: _File) -> bool:
        return file.user == self.bot_user_id or any(c not in self.outside_channels for c in file.shared)

    def _files_info(self, args: JSON, token: str | None) -> JSON:
        self._needs(FILES_SCOPE)
        self._require(args, "file")
        try:
            for key in ("count", "page", "limit"):
                int(args.get(key) or 1)
        except ValueError as exc:
            raise _invalid_arguments(str(exc)) from exc
        canvas = self._canvases.get(str(args["file"]))
        if canvas is not None:
            return {
                "file": self._canvas_file(canvas),
                "comments": [],
                "response_metadata": {"next_cursor": ""},
            }
        found = self._files.get(str(args["file"]))
        if found is None or not self._bot_sees(found):
            raise SlackError("file_not_found")
        if found.deleted:
            raise SlackError("file_deleted")
        return {"file": self._file_object(found), "comments": [], "response_metadata": {"next_cursor": ""}}

    def _file_object(self, file: _File) -> JSON:
        """The file as files.info shows it to the bot: only the conversations the bot is in."""
        where = [self._channels[c] for c in file.shared if c not in self.outside_channels]
        public = [c.id for c in where if not (c.is_im or c.is_private)]
        private = [c.id for c in where if c.is_private and not c.is_im]
        ims = [c.id for c in where if c.is_im]
        shares: JSON = {}
        for ch in where:
            share = {
                "reply_users": [], "reply_users_count": 0, "reply_count": 0, "ts": file.shared[ch.id],
                "channel_name": ch.name or ch.id.lower(), "team_id": self.team_id, "share_user_id": file.user,
            }  # fmt: skip
            shares.setdefault("public" if ch.id in public else "private", {})[ch.id] = [share]
        base, slug = f"{self.url}/files-pri/{self.team_id}-{file.id}", quote(file.name)
        return {
            "id": file.id, "created": file.created, "timestamp": file.created, "name": file.name,
            "title": file.title, "mimetype": file.mimetype, "filetype": file.filetype,
            "pretty_type": file.filetype.upper(), "user": file.user, "user_team": self.team_id,
            "editable": False, "size": len(file.data), "mode": "hosted", "is_external": False,
            "external_type": "", "is_public": bool(public), "public_url_shared": False,
            "display_as_bot": False, "username": "", "url_private": f"{base}/{slug}",
            "url_private_download": f"{base}/download/{slug}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{file.user}/{file.id}/{slug}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{file.id}-{file.id[-6:].lower()}",
            "comments_count": 0, "is_starred": False, "shares": shares, "channels": public, "groups": private,
            "ims": ims, "has_rich_preview": False, "file_access": "visible",
        }  # fmt: skip

    def _canvas_file(self, canvas: _Canvas) -> JSON:
        """A canvas as files.info shows it: a file of type `quip`, its permalink the canvas's `/docs/` link."""
        channels = [canvas.channel_id] if canvas.channel_id else []
        return {
            "id": canvas.id, "created": canvas.created, "timestamp": canvas.created, "name": canvas.title,
            "title": canvas.title, "mimetype": "application/vnd.slack-docs", "filetype": "quip",
            "pretty_type": "canvas", "user": self.bot_user_id, "user_team": self.team_id, "editable": True,
            "mode": "quip", "is_external": False, "is_public": False, "url_private": f"{self.url}/docs/{canvas.id}",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/docs/{self.team_id}/{canvas.id}",
            "channels": channels, "groups": [], "ims": [], "file_access": "visible",
        }  # fmt: skip

    def _canvases_create(self, args: JSON, token: str | None) -> JSON:
        """canvases.create: `title`, `document_content` ({type: markdown, markdown}) and `channel_id` (the
        channel whose tab it goes in, which the bot must be in), all optional; answers `canvas_id`."""
        self._needs(CANVASES_SCOPE)
        content = args.get("document_content")
        markdown = ""
        if content is not None:
            if not isinstance(content, dict) or content.get("type") != "markdown":
                raise _invalid_arguments("document_content.type must be markdown")
            if not isinstance(content.get("markdown"), str):
                raise _invalid_arguments("document_content.markdown must be a string")
            markdown = content["markdown"]
            if len(markdown) > 1_048_576:
                raise SlackError("canvas_creation_failed")
        title = args.get("title")
        if title is not None and not isinstance(title, str):
            raise _invalid_arguments("title must be a string")
        channel_id = self._require_channel(args, "channel_id").id if args.get("channel_id") else None
        canvas_id = f"F0CANVAS{len(self._canvases) + 1:04d}"
        created = int(time.time())
        self._canvases[canvas_id] = _Canvas(canvas_id, title or "", markdown, channel_id, created)
        return {"canvas_id": canvas_id}

    def _conversations_open(self, args: JSON, token: str | None) -> JSON:
        """A DM with one user (`users`); multi-person DMs are not modelled."""
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            raise SlackError("not_implemented")
        if users[0] not in self._users:
            raise SlackError("user_not_found")
        ch = self._channel(users[0])
        return {
            "channel": {"id": ch.id}
            if not _truthy(args.get("return_im"))
            else ch.info(include_num_members=False)
        }

    def _conversations_history(self, args: JSON, token: str | None) -> JSON:
        """Top-level messages (and thread roots), newest first; `limit` (default 100) and `cursor`."""
        ch = self._require_channel(args)
        top = sorted((m for m in ch.messages.values() if m.get("thread_ts") in (None, m["ts"])), key=_ts_key)
        top.reverse()
        try:
            limit = max(1, min(int(args.get("limit") or 100), 999))
        except ValueError as exc:
            raise _invalid_arguments(str(exc)) from exc
        start = int(base64.b64decode(str(args["cursor"])).decode()) if args.get("cursor") else 0
        page = top[start : start + limit]
        metadata = _truthy(args.get("include_all_metadata"))
        body: JSON = {
            "messages": [self._shown(ch, m, metadata) for m in page],
            "has_more": start + limit < len(top),
        }
        if body["has_more"]:
            body["response_metadata"] = {
                "next_cursor": base64.b64encode(str(start + limit).encode()).decode()
            }
        return body

    def _shown(self, ch: _Channel, message: JSON, metadata: bool) -> JSON:
        """A message as a read method returns it: metadata only when `include_all_metadata` is set."""
        shown = self._present(ch, message)
        if not metadata:
            shown.pop("metadata", None)
        return shown

    def _conversations_replies(self, args: JSON, token: str | None) -> JSON:
        ch = self._require_channel(args)
        self._require(args, "ts")
        thread = self._thread_of(ch, str(args["ts"]))
        if not thread:
            raise SlackError("thread_not_found")
        try:
            limit = int(args.get("limit") or MAX_REPLIES_LIMIT)
            oldest = parse_ts(str(args["oldest"])) if args.get("oldest") else None
            latest = parse_ts(str(args["latest"])) if args.get("latest") else None
        except ValueError as exc:
            raise _invalid_arguments(str(exc)) from exc
        limit = max(1, min(limit, MAX_REPLIES_LIMIT))
        inclusive = _truthy(args.get("inclusive"))
        if oldest is not None:
            thread = [m for m in thread if _ts_key(m) > oldest or (inclusive and _ts_key(m) == oldest)]
        if latest is not None:
            thread = [m for m in thread if _ts_key(m) < latest or (inclusive and _ts_key(m) == latest)]
        start = 0
        if args.get("cursor"):
            start = self._cursor_position(thread, str(args["cursor"]))
        page = thread[start : start + limit]
        has_more = start + limit < len(thread)
        metadata = _truthy(args.get("include_all_metadata"))
        body: JSON = {"messages": [self._shown(ch, m, metadata) for m in page], "has_more": has_more}
        if has_more:
            next_ts = thread[start + limit]["ts"]
            cursor = base64.b64encode(f"next_ts:{next_ts}".encode()).decode()
            body["response_metadata"] = {"next_cursor": cursor}
        return body

    @staticmethod
    def _cursor_position(thread: list[JSON], cursor: str) -> int:
        try:
            decoded = base64.b64decode(cursor.encode(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise SlackError("invalid_cursor") from exc
        prefix, _, ts = decoded.partition(":")
        for i, message in enumerate(thread):
            if prefix == "next_ts" and message["ts"] == ts:
                return i
        raise SlackError("invalid_cursor")

    def _users_info(self, args: JSON, token: str | None) -> JSON:
        user = self._users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _users_lookup_by_email(self, args: JSON, token: str | None) -> JSON:
        email = str(args.get("email") or "").lower()
        for user in self._users.values():
            if str(user["profile"].get("email", "")).lower() == email and email:
                return {"user": copy.deepcopy(user)}
        raise SlackError("users_not_found")

    def _views_publish(self, args: JSON, token: str | None) -> JSON:
        self._require(args, "user_id", "view")
        view = args["view"]
        if not isinstance(view, dict):
            raise _invalid_arguments("must provide an object [json-pointer:/view]")
        if view.get("type") != "home":
            raise _invalid_arguments("must be a valid enum value [json-pointer:/view/type]")
        problems = block_errors(view.get("blocks"), max_blocks=MAX_VIEW_BLOCKS, pointer="/view/blocks")
        if problems:
            raise _invalid_arguments(*problems)
        user_id = str(args["user_id"])
        previous = self._views.get(user_id)
        if args.get("hash") and (previous is None or previous["hash"] != args["hash"]):
            raise SlackError("hash_conflict")
        view_id = previous["id"] if previous else "V" + uuid.uuid4().hex[:10].upper()
        published = {
            "id": view_id, "team_id": self.team_id, "type": "home",
            "blocks": copy.deepcopy(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""), "callback_id": view.get("callback_id", ""),
            "state": {"values": {}}, "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": "View Title", "emoji": True},
            "clear_on_close": False, "notify_on_close": False, "close": None, "submit": None,
            "previous_view_id": None, "root_view_id": view_id, "app_id": APP_ID,
            "external_id": view.get("external_id", ""), "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }  # fmt: skip
        self._views[user_id] = published
        return {"view": copy.deepcopy(published)}


# ---------------------------------------------------------------------------------------------------------
# Standalone
# ---------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake Slack Web API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--bot-token", default=DEFAULT_BOT_TOKEN)
    args = parser.parse_args(argv)
    fake = FakeSlack(bot_token=args.bot_token, host=args.host, port=args.port).start()
    print(fake.api_url, flush=True)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.wait(0.2):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
