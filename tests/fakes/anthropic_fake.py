"""A loopback fake of the Anthropic Messages API, for driving the real `anthropic` SDK in tests.

Point `anthropic.AsyncAnthropic(base_url=fake.base_url, api_key="test-key")` (or `ANTHROPIC_BASE_URL`) at a
`FakeAnthropic` and the SDK talks HTTP to it exactly as it would to the real service. The server runs on
127.0.0.1 in a background thread with its own event loop, so sync tests, async tests and subprocesses can
all use it. Run it standalone with `python -m tests.fakes.anthropic_fake --port N`.

Faithful to the real service (checked against the SDK's types, `_streaming.py` and `lib/streaming/`):

* `POST /v1/messages`, JSON and SSE. Events are `event: NAME` / `data: JSON` pairs in the real order
  (`message_start`, `content_block_start`, `ping`, `content_block_delta`*, `content_block_stop`,
  `message_delta`, `message_stop`); `message_delta.usage` carries cumulative totals as the API does.
  The SDK ignores SSE events that have no `event:` line, so the name line is not optional.
* Auth: the key in `x-api-key` or in `Authorization: Bearer` (the SDK 2.x sends an `api_key` as a Bearer
  token, not as `x-api-key`); an `anthropic-version` header is required (its value is not checked).
* Error bodies `{"type":"error","error":{"type","message"[,"details":{"error_code"}]},"request_id"}`, a
  `request-id` header on every response, `retry-after` (seconds, the SDK accepts floats) on injected
  errors. A mid-stream `event: error` arrives on an HTTP 200 response, so the SDK raises a plain
  `APIStatusError` with `status_code == 200` and `type == "overloaded_error"` (not `OverloadedError`).
* Validation of what the SDK does not check client-side: unknown top-level fields, required fields,
  first turn `user` (consecutive same-role turns are combined, as the API documents; `system`-role
  messages are accepted), empty content, cache_control shape, at most 4 cache breakpoints, the shape of
  `output_config.format` and `additionalProperties: false` on every object of its schema.
* Prompt caching: the prompt is system blocks then message blocks; each `cache_control` block is a
  breakpoint whose prefix (content only, model included) is a cache key. Reads look back up to 20 blocks
  from each breakpoint for the longest cached prefix; every uncached breakpoint prefix of at least
  `min_cache_tokens` is written, and `cache_creation_input_tokens` is the span from the read point to the
  last written breakpoint. `input_tokens + cache_read + cache_creation` is the whole prompt. A write is
  visible to other requests only once its response has started (streaming: `message_start`), so
  concurrent cold requests all pay for a write. Entries live `cache_ttl_s` (or `cache_ttl_1h_s` for
  `ttl: "1h"`) from last use. Top-level `cache_control` marks the last block.
  With `schema_busts_cache` the `output_config.format` schema is part of every key, in front of the
  blocks (as Bedrock users report of the real service): a structured-output request neither reads what
  plain requests cached nor is read by them, and writes its own entry.
* `max_tokens` cuts the output (`stop_reason: "max_tokens"`, also for structured output, which then no
  longer parses), `stop_sequences` cut it with `stop_reason: "stop_sequence"`.

Simplified:

* Tokens are `ceil(len(text) / 4)` per text block; the `output_config.format` schema counts as
  `ceil(len(json) / 4)` uncached input tokens. No per-message overhead, no tokenizer.
* Only `text` content blocks (no images, documents, tools, thinking); `tools` and `thinking` are accepted
  and ignored. Any model name is accepted unless `models` names the known ones (then others are 404
  `not_found_error` "model: NAME", as the API answers), with one `min_cache_tokens` for all models.
* Structured output is generated from the JSON schema (not produced by a model) and always conforms to
  it; `pattern` is not honoured. Constraints the SDK moved into `description` (`{minLength: 3}`) are.
* Text is canned, deterministic given `seed` and the request body: see `default_responder`. A request
  without `output_config` whose messages hold a JSON schema in `<json-schema>...</json-schema>` (JSON
  asked for in the prompt) is answered with conforming JSON in a ```json fence; `prompt_schema` finds it.
* `/v1/messages` requests are recorded in `requests`; `count_tokens` calls apart, in `count_tokens_calls`
  (its own failures are queued with `fail_count_tokens_next`); `/v1/models` is served but not recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import random
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]
Responder = Callable[[JSON], "str | FakeError"]
Predicate = Callable[[JSON], bool]

DEFAULT_API_KEY = "test-key"
MAX_CACHE_BREAKPOINTS = 4
CACHE_LOOKBACK_BLOCKS = 20
MAX_REQUEST_BYTES = 32 * 1024 * 1024
ORGANIZATION_ID = "00000000-0000-4000-8000-00000000fa4e"

# Top-level fields of `MessageCreateParams` (SDK 2.x), plus `stream` and the sampling knobs older models take.
KNOWN_PARAMS = frozenset(
    {
        "cache_control", "container", "diagnostics", "inference_geo", "max_tokens", "messages", "metadata",
        "model", "output_config", "service_tier", "speed", "stop_sequences", "system", "thinking",
        "tool_choice", "tools", "user_profile_id", "workspace_id", "stream", "temperature", "top_k", "top_p",
    }
)  # fmt: skip

ERROR_TYPES_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

DEFAULT_ERROR_MESSAGES = {
    "invalid_request_error": "Invalid request.",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low to access the Anthropic API.",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not Found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "This request would exceed the rate limit for your organization of 50 requests per "
    "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}

ERROR_CODE_MESSAGES = {
    "enforced_spend_limit_reached": "The organization has crossed the monthly API usage threshold of its API tier.",
}


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per four characters, rounded up."""
    return math.ceil(len(text) / 4)


def _random_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def new_request_id() -> str:
    return _random_id("req_011")


def new_message_id() -> str:
    return _random_id("msg_01")


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


@dataclass
class FakeError:
    """An API error to send instead of a message: queue it with `fail_next`, or return it from a responder."""

    status: int = 429
    error_type: str | None = None
    message: str | None = None
    retry_after: float | None = None
    headers: dict[str, str] | None = None
    error_code: str | None = None

    @property
    def type(self) -> str:
        return self.error_type or ERROR_TYPES_BY_STATUS.get(self.status, "api_error")

    def error_object(self) -> JSON:
        message = (
            self.message
            or ERROR_CODE_MESSAGES.get(self.error_code or "")
            or DEFAULT_ERROR_MESSAGES.get(self.type, "Error")
        )
        error: JSON = {"type": self.type, "message": message}
        if self.error_code is not None:
            error["details"] = {"error_code": self.error_code}
        return error

    def body(self, request_id: str) -> JSON:
        return {"type": "error", "error": self.error_object(), "request_id": request_id}

    def response_headers(self) -> dict[str, str]:
        headers = dict(self.headers or {})
        if self.retry_after is not None:
            headers["retry-after"] = f"{self.retry_after:g}"
        return headers


class InvalidRequest(Exception):
    """A 400 invalid_request_error; the message is what the API would say."""


@dataclass
class _FailureRule:
    error: FakeError
    predicate: Predicate | None = None


@dataclass
class _StreamFailure:
    after_deltas: int
    error: FakeError


@dataclass
class _Hold:
    predicate: Predicate
    released: asyncio.Event = field(default_factory=asyncio.Event)  # waited on in the server's loop


# ---------------------------------------------------------------------------------------------------------
# Request validation
# ---------------------------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_cache_control(value: object, where: str) -> None:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where}: Input should be a valid dictionary")
    if value.get("type") != "ephemeral":
        raise InvalidRequest(f"{where}.type: Input should be 'ephemeral'")
    extra = set(value) - {"type", "ttl"}
    if extra:
        raise InvalidRequest(f"{where}.{sorted(extra)[0]}: Extra inputs are not permitted")
    if "ttl" in value and value["ttl"] not in ("5m", "1h"):
        raise InvalidRequest(f"{where}.ttl: Input should be '5m' or '1h'")


def _validate_text_block(block: object, where: str) -> None:
    if not isinstance(block, dict):
        raise InvalidRequest(f"{where}: Input should be a valid dictionary")
    block_type = block.get("type")
    if block_type != "text":
        raise InvalidRequest(
            f"{where}.type: this fake supports only 'text' content blocks (got {block_type!r})"
        )
    if not isinstance(block.get("text"), str):
        raise InvalidRequest(f"{where}.text: Field required")
    if not block["text"]:
        raise InvalidRequest(f"{where}: text content blocks must be non-empty")
    extra = set(block) - {"type", "text", "cache_control", "citations"}
    if extra:
        raise InvalidRequest(f"{where}.{sorted(extra)[0]}: Extra inputs are not permitted")
    if block.get("cache_control") is not None:
        _validate_cache_control(block["cache_control"], f"{where}.cache_control")


def _validate_system(system: object) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list):
        raise InvalidRequest("system: Input should be a valid string or a list of text blocks")
    for i, block in enumerate(system):
        _validate_text_block(block, f"system.{i}")


def _validate_message_content(content: object, where: str, *, may_be_empty: bool) -> None:
    if isinstance(content, str) or (isinstance(content, list) and not content):
        if not content and not may_be_empty:
            raise InvalidRequest(
                f"{where}: all messages must have non-empty content except for the optional final "
                "assistant message"
            )
        return
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: Input should be a valid string or a list of content blocks")
    for j, block in enumerate(content):
        _validate_text_block(block, f"{where}.content.{j}")


def _validate_messages(messages: object, *, strict_roles: bool = False) -> None:
    """Roles, content and turn order. `system`-role messages (SDK 2.x `SystemMessageParam`) take no turn.

    The API combines consecutive `user` or `assistant` turns; `strict_roles` rejects them instead.
    """
    if not isinstance(messages, list):
        raise InvalidRequest("messages: Input should be a valid list")
    if not messages:
        raise InvalidRequest("messages: at least one message is required")
    previous_role: str | None = None
    for i, message in enumerate(messages):
        where = f"messages.{i}"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{where}: Input should be a valid dictionary")
        role = message.get("role")
        if role not in ("user", "assistant", "system"):
            raise InvalidRequest(f"{where}.role: Input should be 'user', 'assistant' or 'system'")
        if "content" not in message:
            raise InvalidRequest(f"{where}.content: Field required")
        extra = set(message) - {"role", "content"}
        if extra:
            raise InvalidRequest(f"{where}.{sorted(extra)[0]}: Extra inputs are not permitted")
        is_final_assistant = i == len(messages) - 1 and role == "assistant"
        _validate_message_content(message["content"], where, may_be_empty=is_final_assistant)
        if role == "system":
            continue
        if previous_role is None and role != "user":
            raise InvalidRequest('messages: first message must use the "user" role')
        if strict_roles and role == previous_role:
            raise InvalidRequest(
                f'messages: roles must alternate between "user" and "assistant", '
                f'but found multiple "{role}" roles in a row'
            )
        previous_role = role


def _check_strict_schema(schema: object, where: str) -> None:
    """The API's structured-output rules that the fake enforces: every object says additionalProperties false."""
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            _check_strict_schema(item, f"{where}.{i}")
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        raise InvalidRequest(
            f"output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set "
            f"to false (at {where})"
        )
    for key in ("properties", "$defs", "definitions"):
        if isinstance(schema.get(key), dict):
            for name, sub in schema[key].items():
                _check_strict_schema(sub, f"{where}.{key}.{name}")
    for key in ("items", "anyOf", "oneOf", "allOf"):
        if key in schema:
            _check_strict_schema(schema[key], f"{where}.{key}")


def _validate_output_config(config: object) -> None:
    if config is None:
        return
    if not isinstance(config, dict):
        raise InvalidRequest("output_config: Input should be a valid dictionary")
    extra = set(config) - {"format", "effort"}
    if extra:
        raise InvalidRequest(f"output_config.{sorted(extra)[0]}: Extra inputs are not permitted")
    effort = config.get("effort")
    if effort is not None and effort not in ("low", "medium", "high", "xhigh", "max"):
        raise InvalidRequest(
            "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'"
        )
    fmt = config.get("format")
    if fmt is None:
        return
    if not isinstance(fmt, dict):
        raise InvalidRequest("output_config.format: Input should be a valid dictionary")
    if fmt.get("type") != "json_schema":
        raise InvalidRequest("output_config.format.type: Input should be 'json_schema'")
    if not isinstance(fmt.get("schema"), dict):
        raise InvalidRequest("output_config.format.schema: Field required and must be a JSON schema object")
    extra = set(fmt) - {"type", "schema"}
    if extra:
        raise InvalidRequest(f"output_config.format.{sorted(extra)[0]}: Extra inputs are not permitted")
    _check_strict_schema(fmt["schema"], "schema")


def _validate_scalars(body: JSON, *, require_max_tokens: bool) -> None:
    required = ("model", "max_tokens", "messages") if require_max_tokens else ("model", "messages")
    for key in required:
        if key not in body:
            raise InvalidRequest(f"{key}: Field required")
    if not isinstance(body["model"], str) or not body["model"]:
        raise InvalidRequest("model: Input should be a valid string")
    if "max_tokens" in body:
        if not _is_int(body["max_tokens"]):
            raise InvalidRequest("max_tokens: Input should be a valid integer")
        if body["max_tokens"] < 1:
            raise InvalidRequest("max_tokens: Input should be greater than or equal to 1")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise InvalidRequest("stream: Input should be a valid boolean")
    temperature = body.get("temperature")
    if temperature is not None and (not isinstance(temperature, int | float) or not 0 <= temperature <= 1):
        raise InvalidRequest("temperature: Input should be a number between 0 and 1")
    stops = body.get("stop_sequences")
    if stops is not None and (not isinstance(stops, list) or not all(isinstance(s, str) for s in stops)):
        raise InvalidRequest("stop_sequences: Input should be a valid list of strings")
    if body.get("cache_control") is not None:
        _validate_cache_control(body["cache_control"], "cache_control")


def validate_request(body: object, *, require_max_tokens: bool = True, strict_roles: bool = False) -> JSON:
    """Check a Messages request body like the API does (the parts the fake models); raise InvalidRequest."""
    if not isinstance(body, dict):
        raise InvalidRequest("body: Input should be a valid dictionary")
    for key in body:
        if key not in KNOWN_PARAMS:
            raise InvalidRequest(f"{key}: Extra inputs are not permitted")
    _validate_scalars(body, require_max_tokens=require_max_tokens)
    _validate_system(body.get("system"))
    _validate_messages(body["messages"], strict_roles=strict_roles)
    _validate_output_config(body.get("output_config"))
    breakpoints = sum(1 for block in prompt_blocks(body) if block.cache_control is not None)
    if breakpoints > MAX_CACHE_BREAKPOINTS:
        raise InvalidRequest(
            f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {breakpoints}."
        )
    return body


# ---------------------------------------------------------------------------------------------------------
# The prompt as blocks, and prompt caching
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptBlock:
    """One text block of the prompt. `identity` is its content and position, without cache_control."""

    identity: str
    text: str
    tokens: int
    cache_control: JSON | None


def _text_blocks(content: object) -> list[JSON]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if isinstance(content, list):
        return [block for block in content if isinstance(block, dict)]
    return []


def _prompt_block(where: JSON, block: JSON, cache_control: JSON | None) -> PromptBlock:
    stripped = {k: v for k, v in block.items() if k != "cache_control"}
    identity = json.dumps({**where, "block": stripped}, sort_keys=True, separators=(",", ":"))
    text = str(block.get("text", ""))
    return PromptBlock(identity=identity, text=text, tokens=count_tokens(text), cache_control=cache_control)


def prompt_blocks(body: JSON) -> list[PromptBlock]:
    """System blocks, then message content blocks, in prompt order (the order cache prefixes are built in)."""
    blocks: list[PromptBlock] = []
    for block in _text_blocks(body.get("system")):
        blocks.append(_prompt_block({"system": True}, block, block.get("cache_control")))
    messages = body.get("messages")
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        if not isinstance(message, dict):
            continue
        for block in _text_blocks(message.get("content")):
            where = {"message": i, "role": message.get("role")}
            blocks.append(_prompt_block(where, block, block.get("cache_control")))
    top_level = body.get("cache_control")
    if isinstance(top_level, dict) and blocks and blocks[-1].cache_control is None:
        last = blocks[-1]
        blocks[-1] = PromptBlock(last.identity, last.text, last.tokens, top_level)
    return blocks


def output_schema(body: JSON) -> JSON | None:
    config = body.get("output_config")
    if isinstance(config, dict) and isinstance(config.get("format"), dict):
        schema = config["format"].get("schema")
        return schema if isinstance(schema, dict) else None
    return None


_PROMPT_SCHEMA = re.compile(r"<json-schema>\s*(\{.*?\})\s*</json-schema>", re.DOTALL)


def prompt_schema(body: JSON) -> JSON | None:
    """The JSON schema a request's messages ask the answer to match (the last `<json-schema>` element)."""
    _, messages = prompt_texts(body)
    for found in reversed(_PROMPT_SCHEMA.findall(messages)):
        with contextlib.suppress(ValueError):
            schema = json.loads(found)
            if isinstance(schema, dict):
                return schema
    return None


def schema_tokens(body: JSON) -> int:
    schema = output_schema(body)
    return count_tokens(json.dumps(schema)) if schema is not None else 0


@dataclass
class CacheEntry:
    tokens: int
    ttl_s: float
    expires_at: float


@dataclass
class CachePlan:
    """What one request reads from and will write to the cache. Writes are applied by `PromptCache.commit`."""

    prompt_tokens: int
    read_tokens: int = 0
    write_5m_tokens: int = 0
    write_1h_tokens: int = 0
    writes: list[tuple[str, int, float]] = field(default_factory=list)  # (key, prefix tokens, ttl seconds)

    @property
    def creation_tokens(self) -> int:
        return self.write_5m_tokens + self.write_1h_tokens

    @property
    def uncached_tokens(self) -> int:
        return self.prompt_tokens - self.read_tokens - self.creation_tokens


def prefix_keys(model: str, blocks: list[PromptBlock], schema: JSON | None = None) -> list[str]:
    """The cache key of the prefix ending at each block: model (and `schema`, if given) plus the content of
    every block up to it."""
    digest = hashlib.sha256(model.encode())
    if schema is not None:
        digest.update(b"\x1d" + json.dumps(schema, sort_keys=True, separators=(",", ":")).encode())
    keys = []
    for block in blocks:
        digest.update(b"\x1e" + block.identity.encode())
        keys.append(digest.copy().hexdigest())
    return keys


class PromptCache:
    """Prefix cache keyed by content. Thread-safe; time from `clock` (monotonic seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, CacheEntry] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _expire(self, now: float) -> None:
        for key in [k for k, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[key]

    def plan(
        self,
        model: str,
        blocks: list[PromptBlock],
        *,
        min_tokens: int,
        ttl_5m_s: float,
        ttl_1h_s: float,
        schema: JSON | None = None,
    ) -> CachePlan:
        """Look up the longest cached prefix (refreshing it) and work out which breakpoints get written.

        A `schema` goes into every key in front of the blocks (see `FakeAnthropic.schema_busts_cache`).
        """
        cumulative: list[int] = []
        total = 0
        for block in blocks:
            total += block.tokens
            cumulative.append(total)
        plan = CachePlan(prompt_tokens=total)
        breakpoints = [i for i, block in enumerate(blocks) if block.cache_control is not None]
        if not breakpoints:
            return plan
        keys = prefix_keys(model, blocks, schema)
        now = self._clock()
        read_at = -1
        with self._lock:
            self._expire(now)
            for bp in breakpoints:
                for pos in range(bp, max(-1, bp - CACHE_LOOKBACK_BLOCKS), -1):
                    if keys[pos] in self._entries:
                        read_at = max(read_at, pos)
                        break
            if read_at >= 0:
                entry = self._entries[keys[read_at]]
                entry.expires_at = now + entry.ttl_s
        plan.read_tokens = cumulative[read_at] if read_at >= 0 else 0
        written_up_to = plan.read_tokens
        for bp in breakpoints:
            if bp <= read_at or cumulative[bp] < min_tokens:
                continue
            one_hour = (blocks[bp].cache_control or {}).get("ttl") == "1h"
            span = cumulative[bp] - written_up_to
            written_up_to = cumulative[bp]
            if one_hour:
                plan.write_1h_tokens += span
            else:
                plan.write_5m_tokens += span
            plan.writes.append((keys[bp], cumulative[bp], ttl_1h_s if one_hour else ttl_5m_s))
        return plan

    def commit(self, plan: CachePlan) -> None:
        """Make a plan's writes visible to later requests (call when the response starts)."""
        if not plan.writes:
            return
        now = self._clock()
        with self._lock:
            for key, tokens, ttl_s in plan.writes:
                self._entries[key] = CacheEntry(tokens=tokens, ttl_s=ttl_s, expires_at=now + ttl_s)


def build_usage(plan: CachePlan, extra_input_tokens: int, output_tokens: int) -> JSON:
    return {
        "input_tokens": plan.uncached_tokens + extra_input_tokens,
        "cache_creation_input_tokens": plan.creation_tokens,
        "cache_read_input_tokens": plan.read_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": plan.write_5m_tokens,
            "ephemeral_1h_input_tokens": plan.write_1h_tokens,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


# ---------------------------------------------------------------------------------------------------------
# Content generation: material from the prompt
# ---------------------------------------------------------------------------------------------------------

_DOCUMENT_TAG = re.compile(r"<(document[\w.:-]*)(?:\s[^>]*)?>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_LEADING_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[-*+>]\s+|\d+[.)]\s+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_CLAUSE_BREAK = re.compile(r"(?<=[;:,])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_PERSONA_LINE = re.compile(r"^\s*Persona:\s*(.+?)\s*$", re.MULTILINE)
_PERSONA_BRACKET = re.compile(r"\[([^\[\]\n]{1,40})\](?!\()")
_PERSONA_BOLD = re.compile(r"\*\*([^*\n]{1,40}?)\*\*")
_PERSONA_NAME = re.compile(r"^[A-Za-z][\w .'-]{0,39}$")

_STOPWORDS = frozenset(
    re.findall(
        r"[a-z]+",
        """about above after again against also because been before being below between both cannot could
    does doing down during each every from further have having here into itself just more most must other
    over same should some such than that their them then there these they this those through under until
    very were what when where which while will with would your yours shall only need needs make made
    like want using used each many much says said makes takes gets goes know knows think thinks""",
    )
)
_FALLBACK_WORDS = ["rollout", "budget", "timeline", "migration", "vendor", "ownership", "pricing"]
_FALLBACK_PERSONAS = ["reviewer"]


def prompt_texts(body: JSON) -> tuple[str, str]:
    """(system text, message text) of a request, blocks joined by blank lines."""
    system = "\n\n".join(block["text"] for block in _text_blocks(body.get("system")) if "text" in block)
    parts: list[str] = []
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict):
            parts.extend(str(b.get("text", "")) for b in _text_blocks(message.get("content")))
    return system, "\n\n".join(parts)


def find_document(body: JSON) -> str:
    """The text inside the first `<document...>` tag of the prompt, else the system text (else all of it)."""
    system, messages = prompt_texts(body)
    match = _DOCUMENT_TAG.search(system + "\n\n" + messages)
    if match:
        return match.group(2).strip()
    return system or messages


def split_sentences(document: str) -> list[str]:
    """Sentences of the document, each a verbatim substring of it (leading Markdown markers dropped)."""
    sentences: list[str] = []
    for line in document.splitlines():
        line = _LEADING_MARKUP.sub("", line).strip()
        if not line:
            continue
        sentences.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return sentences  # each is a substring of a stripped line, hence of the document


def quote_candidates(sentences: list[str]) -> list[str]:
    """Verbatim sentences of 6-40 words, or clauses of at least 6 words from longer sentences."""
    out: list[str] = []
    for sentence in sentences:
        words = len(sentence.split())
        if 6 <= words <= 40:
            out.append(sentence)
        elif words > 40:
            out.extend(c.strip() for c in _CLAUSE_BREAK.split(sentence) if len(c.split()) >= 6)
    return list(dict.fromkeys(out))  # unique, in document order


def find_persona_names(text: str) -> list[str]:
    """Persona names named in the prompt: `Persona: NAME` lines, else `[NAME]`, else `**NAME**`."""
    for pattern in (_PERSONA_LINE, _PERSONA_BRACKET, _PERSONA_BOLD):
        names: list[str] = []
        for match in pattern.finditer(text):
            name = re.split(r"\s+[—–-]\s+|\s*\(|,", match.group(1).strip(), maxsplit=1)[0].strip(" .:*")
            if _PERSONA_NAME.match(name) and name not in names:
                names.append(name)
        if names:
            return names[:12]
    return []


def vocabulary(document: str) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(document):
        lower = word.lower().strip("'-")
        if lower in _STOPWORDS or lower in seen or len(lower) < 4:
            continue
        seen.add(lower)
        words.append(lower)
    return words or list(_FALLBACK_WORDS)


@dataclass
class PromptMaterial:
    """What the canned responses are made of, taken from one request."""

    document: str
    sentences: list[str]
    quotes: list[str]
    words: list[str]
    persona_names: list[str]

    @classmethod
    def from_body(cls, body: JSON, persona_names: list[str] | None = None) -> PromptMaterial:
        document = find_document(body)
        sentences = split_sentences(document)
        quotes = quote_candidates(sentences) or [s for s in sentences if s.strip()]
        if persona_names is None:
            system, messages = prompt_texts(body)
            outside_document = (system + "\n\n" + messages).replace(document, "")
            persona_names = find_persona_names(outside_document) or list(_FALLBACK_PERSONAS)
        return cls(document, sentences, quotes, vocabulary(document), list(persona_names))


class ContentPicker:
    """Deterministic choices of quotes, words and names; avoids repeating a quote within one response."""

    def __init__(self, rng: random.Random, material: PromptMaterial, fabricated_quote_rate: float) -> None:
        self.rng = rng
        self.material = material
        self.fabricated_quote_rate = fabricated_quote_rate
        self._used_quotes: set[str] = set()

    def word(self) -> str:
        return self.rng.choice(self.material.words)

    def words(self, n: int) -> list[str]:
        pool = self.material.words
        return self.rng.sample(pool, n) if len(pool) >= n else [self.rng.choice(pool) for _ in range(n)]

    def quote(self, *, allow_fabricated: bool = True, avoid_double_quotes: bool = False) -> str:
        if (
            allow_fabricated
            and self.fabricated_quote_rate > 0
            and self.rng.random() < self.fabricated_quote_rate
        ):
            return self.fabricated_quote()
        pool = [
            q for q in self.material.quotes if not (avoid_double_quotes and '"' in q)
        ] or self.material.quotes
        fresh = [q for q in pool if q not in self._used_quotes] or pool
        if not fresh:
            return self.fabricated_quote()
        choice = self.rng.choice(fresh)
        self._used_quotes.add(choice)
        return choice

    def fabricated_quote(self) -> str:
        w1, w2, w3 = self.words(3)
        sentence = f"We will finalise the {w1} and {w2} commitments before any review of {w3} takes place."
        while sentence in self.material.document:
            sentence = sentence[:-1] + ", without exception."
        return sentence

    def persona_names(self, k: int) -> list[str]:
        names = self.material.persona_names
        return self.rng.sample(names, min(k, len(names)))

    def phrase(self, hint: str = "") -> str:
        w1, w2 = self.words(2)
        hint = hint.lower()
        if "time" in hint or "when" in hint:
            weeks = self.rng.randint(2, 12)
            return f"About {weeks} to {weeks + self.rng.randint(2, 8)} weeks, mostly spent unwinding {w1}."
        if "cost" in hint:
            return f"Several engineer-months of rework on {w1}, plus goodwill spent on {w2}."
        if "question" in hint:
            return f"What happens to {w1} if {w2} slips?"
        if "step" in hint or "action" in hint:
            return f"Run a small pilot of {w1} before committing to {w2}."
        templates = [
            "The plan depends on {a} holding up once {b} is in place.",
            "Unclear ownership of {a} puts {b} at risk.",
            "Committing to {a} early makes {b} hard to change later.",
            "The case for {a} rests on untested assumptions about {b}.",
            "Stage the {a} change so {b} can be rolled back.",
            "The {a} and {b} decisions should be made separately.",
        ]
        return self.rng.choice(templates).format(a=w1, b=w2)


# ---------------------------------------------------------------------------------------------------------
# Content generation: JSON values that conform to a schema
# ---------------------------------------------------------------------------------------------------------

_CONSTRAINT_KEYS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
)
_HINTED_CONSTRAINT = re.compile(
    r"\b(minimum|maximum|exclusiveMinimum|exclusiveMaximum|minLength|maxLength|minItems|maxItems):\s*"
    r"(-?\d+(?:\.\d+)?)"
)
_PERSONA_FIELDS = frozenset({"persona", "personas", "speaker", "author", "owner_persona"})
_MAX_DEPTH = 8  # below it, optional parts and arrays are kept minimal so recursive schemas end
_TAPER_DEPTH = 4  # from here on, fewer optional properties and shorter arrays


def _constraints(schema: JSON) -> dict[str, float]:
    """Numeric constraints: the schema's own, and those `transform_schema` moved into the description."""
    found: dict[str, float] = {}
    description = schema.get("description")
    if isinstance(description, str):
        for key, value in _HINTED_CONSTRAINT.findall(description):
            found[key] = float(value)
    for key in _CONSTRAINT_KEYS:
        if isinstance(schema.get(key), int | float) and not isinstance(schema.get(key), bool):
            found[key] = float(schema[key])
    return found


def _is_persona_field(name: str) -> bool:
    lower = name.lower()
    return lower.endswith("_by") or lower in _PERSONA_FIELDS


class SchemaValueGenerator:
    """Builds a JSON value conforming to a (structured-outputs subset of) JSON schema."""

    def __init__(self, root: JSON, picker: ContentPicker) -> None:
        self.root = root
        self.picker = picker
        self.rng = picker.rng

    def generate(self) -> Any:
        return self.value(self.root, name="", quote=False, depth=0)

    def _resolve(self, schema: JSON) -> tuple[JSON, str]:
        ref_name = ""
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < 32:
            ref = schema["$ref"]
            ref_name = ref.rsplit("/", 1)[-1]
            target: Any = self.root
            for part in ref.lstrip("#").strip("/").split("/") if ref not in ("#", "#/") else []:
                target = (
                    target.get(part.replace("~1", "/").replace("~0", "~"), {})
                    if isinstance(target, dict)
                    else {}
                )
            schema = target if isinstance(target, dict) else {}
            seen += 1
        return schema, ref_name

    def value(self, schema: JSON, *, name: str, quote: bool, depth: int) -> Any:
        schema, ref_name = self._resolve(schema)
        title = str(schema.get("title", ""))
        quote = quote or "quote" in ref_name.lower()
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        variants = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(variants, list) and variants:
            return self.value(self._pick_variant(variants, depth), name=name, quote=quote, depth=depth + 1)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            merged: JSON = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part)[0] if isinstance(part, dict) else {})
            merged.update({k: v for k, v in schema.items() if k != "allOf"})
            return self.value(merged, name=name, quote=quote, depth=depth + 1)
        schema_type = self._pick_type(schema.get("type"))
        if schema_type == "object" or (schema_type is None and "properties" in schema):
            return self._object(schema, quote=quote or "quote" in title.lower(), depth=depth)
        if schema_type == "array":
            return self._array(schema, name=name, quote=quote, depth=depth)
        if schema_type == "integer":
            return self._integer(schema)
        if schema_type == "number":
            return self._number(schema)
        if schema_type == "boolean":
            return self.rng.random() < 0.5
        if schema_type == "null":
            return None
        return self._string(schema, name=name, quote=quote)

    def _pick_variant(self, variants: list[Any], depth: int) -> JSON:
        usable = [v for v in variants if isinstance(v, dict)]
        non_null = [v for v in usable if v.get("type") != "null"]
        null = [v for v in usable if v.get("type") == "null"]
        if null and (not non_null or depth >= _MAX_DEPTH or self.rng.random() < 0.2):
            return null[0]
        return self.rng.choice(non_null or usable or [{}])

    def _pick_type(self, schema_type: object) -> str | None:
        if isinstance(schema_type, list):
            non_null = [t for t in schema_type if t != "null"]
            return str(self.rng.choice(non_null)) if non_null else "null"
        return schema_type if isinstance(schema_type, str) else None

    def _object(self, schema: JSON, *, quote: bool, depth: int) -> JSON:
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = set(schema.get("required") or [])
        out: JSON = {}
        for prop, sub in (properties or {}).items():
            keep_optional = 0.0 if depth >= _MAX_DEPTH else (0.3 if depth >= _TAPER_DEPTH else 0.7)
            if prop not in required and self.rng.random() >= keep_optional:
                continue
            child_quote = "quote" in prop.lower() or (quote and prop == "text")
            out[prop] = self.value(
                sub if isinstance(sub, dict) else {}, name=prop, quote=child_quote, depth=depth + 1
            )
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict) and depth < _MAX_DEPTH:
            for key in self.picker.words(self.rng.randint(1, 2)):
                out[key] = self.value(extra, name=key, quote=False, depth=depth + 1)
        return out

    def _array(self, schema: JSON, *, name: str, quote: bool, depth: int) -> list[Any]:
        limits = _constraints(schema)
        low = int(limits.get("minItems", 1 if depth < _MAX_DEPTH else 0))
        high = int(limits.get("maxItems", max(3, low)))
        most = 3 if depth < _TAPER_DEPTH else 2
        count = self.rng.randint(min(low, high), max(min(most, high), min(low, high)))
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        resolved, _ = self._resolve(items or {})
        if _is_persona_field(name) and resolved.get("type", "string") == "string" and "enum" not in resolved:
            return self.picker.persona_names(max(count, low))
        return [self.value(items or {}, name=name, quote=quote, depth=depth + 1) for _ in range(count)]

    def _integer(self, schema: JSON) -> int:
        limits = _constraints(schema)
        low = limits.get("minimum", limits.get("exclusiveMinimum", 0.0) + 1)
        high = limits.get("maximum", limits.get("exclusiveMaximum", low + 10) - 1)
        low_i, high_i = math.ceil(low), math.floor(high)
        if low_i > high_i and not {"minimum", "exclusiveMinimum"} & limits.keys():
            low_i = high_i - 9  # only an upper bound was given
        return self.rng.randint(low_i, max(low_i, high_i))

    def _number(self, schema: JSON) -> float:
        limits = _constraints(schema)
        low = limits.get("minimum", limits.get("exclusiveMinimum", 0.0))
        high = limits.get("maximum", limits.get("exclusiveMaximum", low + 10.0))
        if low > high and not {"minimum", "exclusiveMinimum"} & limits.keys():
            low = high - 10.0
        value = round(self.rng.uniform(low, high), 2)
        if "exclusiveMinimum" in limits and value <= limits["exclusiveMinimum"]:
            value = (low + high) / 2
        if "exclusiveMaximum" in limits and value >= limits["exclusiveMaximum"]:
            value = (low + high) / 2
        return value

    def _string(self, schema: JSON, *, name: str, quote: bool) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            text = "2025-03-14T09:30:00Z"
        elif fmt == "date":
            text = "2025-03-14"
        elif fmt == "time":
            text = "09:30:00"
        elif fmt == "uuid":
            text = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        elif fmt == "email":
            text = f"{self.picker.word()}@example.com"
        elif fmt in ("uri", "hostname"):
            text = f"https://example.com/{self.picker.word()}" if fmt == "uri" else "example.com"
        elif quote:
            text = self.picker.quote()
        elif _is_persona_field(name):
            text = self.picker.persona_names(1)[0]
        else:
            text = self.picker.phrase(name)
        return _fit_length(text, _constraints(schema), filler=self.picker.word)


def _fit_length(text: str, limits: dict[str, float], filler: Callable[[], str]) -> str:
    min_len = int(limits.get("minLength", 0))
    while len(text) < min_len:
        text = f"{text} {filler()}"
    if "maxLength" in limits and len(text) > limits["maxLength"]:
        max_len = int(limits["maxLength"])
        cut = text[:max_len]
        text = cut.rsplit(" ", 1)[0] if " " in cut and len(cut.rsplit(" ", 1)[0]) >= min_len else cut
    return text


# ---------------------------------------------------------------------------------------------------------
# Content generation: the default responder
# ---------------------------------------------------------------------------------------------------------


def request_rng(body: JSON, seed: int) -> random.Random:
    """A generator seeded by `seed` and the request's content: same request, same answer, in any order."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return random.Random(f"{seed}:{digest}")


def review_text(picker: ContentPicker) -> str:
    """A plausible 120-250 word review with two verbatim quotes in double quotes and a named risk."""
    rng = picker.rng
    target_words = rng.randint(120, 250)
    w = picker.words(6)
    q1 = picker.quote(avoid_double_quotes=True)
    q2 = picker.quote(avoid_double_quotes=True)
    openers = [
        f"I read this as a proposal to move ahead on {w[0]} and {w[1]}, and most of it hangs together.",
        f"Reading this closely, the core bet is on {w[0]}; the rest follows from it.",
        f"My overall take: the direction on {w[0]} is sensible, but the plan leans on things it does not prove.",
    ]
    risks = [
        f"The biggest risk is that {w[2]} turns out to be harder to reverse than it looks: once {w[3]} depends "
        "on it, unwinding it costs months, not days.",
        f"There is a real risk around {w[2]}: if the assumptions about {w[3]} are wrong, we find out late and "
        "pay for it in rework.",
    ]
    fillers = [
        "I would want to see how {a} interacts with {b} before committing.",
        "A cheap experiment on {a} would tell us more than another round of estimates.",
        "Who owns {a} after launch is not stated, and that matters for {b}.",
        "The numbers for {a} look optimistic relative to what we know about {b}.",
        "If {a} slips, the schedule for {b} slips with it.",
        "We should name a clear exit criterion for {a}.",
        "Nothing here says what we would measure to know that {a} is working.",
    ]
    first = [rng.choice(openers), f'The plan says "{q1}", and that is where I would push back.']
    second = [
        rng.choice(risks),
        f'It also states "{q2}", which sounds settled, but the document does not show how that was decided.',
    ]
    closing = [
        f"My recommendation: proceed, but make the {w[4]} decision reversible first and revisit it once "
        f"{w[5]} has real data."
    ]
    paragraphs = [first, second, closing]

    def word_count() -> int:
        return sum(len(s.split()) for p in paragraphs for s in p)

    turn = 0
    while word_count() < target_words:
        a, b = picker.words(2)
        paragraphs[turn % 2].append(rng.choice(fillers).format(a=a, b=b))
        turn += 1
    if rng.random() < 0.3:  # sometimes a single paragraph
        return " ".join(s for p in paragraphs for s in p)
    return "\n\n".join(" ".join(p) for p in paragraphs)


def default_responder(
    body: JSON, *, seed: int = 0, fabricated_quote_rate: float = 0.0, persona_names: list[str] | None = None
) -> str:
    """Canned assistant text for a request: schema-conforming JSON with `output_config.format`, the same in a
    ```json fence when the messages ask for JSON matching a `<json-schema>` (`prompt_schema`), else a review.

    Quotes are verbatim sentences (or clauses of 6+ words) of the document in the prompt (the first
    `<document...>` element, else the system text); with probability `fabricated_quote_rate` a quote is
    invented instead. Persona-name fields (`*_by`, `persona`, ...) use `persona_names`, else the names found
    in the prompt outside the document (`Persona: NAME` lines, `[NAME]`, `**NAME**`).
    """
    rng = request_rng(body, seed)
    picker = ContentPicker(rng, PromptMaterial.from_body(body, persona_names), fabricated_quote_rate)
    schema = output_schema(body)
    if schema is not None:
        return json.dumps(SchemaValueGenerator(schema, picker).generate())
    schema = prompt_schema(body)
    if schema is not None:
        return f"```json\n{json.dumps(SchemaValueGenerator(schema, picker).generate(), indent=2)}\n```"
    return review_text(picker)


def finish_text(text: str, body: JSON) -> tuple[str, str, str | None]:
    """Apply stop sequences and max_tokens: (text, stop_reason, stop_sequence)."""
    cut_at, stop_reason, stop_sequence = len(text), "end_turn", None
    for seq in body.get("stop_sequences") or []:
        pos = text.find(seq) if seq else -1
        if 0 <= pos < cut_at:
            cut_at, stop_reason, stop_sequence = pos, "stop_sequence", seq
    max_chars = int(body.get("max_tokens", 1)) * 4
    if cut_at > max_chars:
        cut_at, stop_reason, stop_sequence = max_chars, "max_tokens", None
    return text[:cut_at], stop_reason, stop_sequence


# ---------------------------------------------------------------------------------------------------------
# Wire format: JSON messages and SSE
# ---------------------------------------------------------------------------------------------------------


def message_json(
    *,
    message_id: str,
    model: str,
    text: str | None,
    usage: JSON,
    stop_reason: str | None,
    stop_sequence: str | None,
) -> JSON:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [] if text is None else [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage,
    }


def sse_event(event: str, data: JSON) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def text_chunks(text: str, words_per_chunk: int = 3) -> Iterator[str]:
    """Delta-sized pieces of the text (a few tokens each), which join back to exactly the text."""
    pieces = re.findall(r"\s*\S+\s*", text) or ([text] if text else [])
    for i in range(0, len(pieces), words_per_chunk):
        yield "".join(pieces[i : i + words_per_chunk])


class SSEWriter:
    """Writes named server-sent events to an aiohttp StreamResponse."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response

    async def send(self, event: str, data: JSON) -> None:
        await self.response.write(sse_event(event, data))

    async def ping(self) -> None:
        await self.send("ping", {"type": "ping"})


# ---------------------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RequestRecord:
    """One `/v1/messages` request as the fake saw it. Times are `time.monotonic()` seconds."""

    body: JSON | None
    headers: dict[str, str]
    started: float
    finished: float | None = None
    status: int | None = None
    usage: JSON | None = None
    streamed: bool = False
    request_id: str = ""
    path: str = "/v1/messages"
    error_type: str | None = None  # set for error responses and mid-stream errors
    text: str | None = None  # the assistant text sent (partial for a mid-stream error)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error_type is None


# ---------------------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Reply:
    """Everything decided about a successful request before any bytes are sent."""

    model: str
    text: str
    stop_reason: str
    stop_sequence: str | None
    plan: CachePlan
    extra_input_tokens: int
    stream_failure: _StreamFailure | None

    @property
    def output_tokens(self) -> int:
        return max(1, count_tokens(self.text))

    def usage(self, output_tokens: int | None = None) -> JSON:
        tokens = self.output_tokens if output_tokens is None else output_tokens
        return build_usage(self.plan, self.extra_input_tokens, tokens)


class FakeAnthropic(LoopbackServer):
    """The fake Messages API server. Use as a context manager, or `start()` / `stop()`.

    Mutable attributes (read per request): `api_key`, `responder`, `seed`, `latency_s`, `per_token_s`,
    `min_cache_tokens`, `cache_ttl_s`, `cache_ttl_1h_s`, `fabricated_quote_rate`, `persona_names`,
    `strict_roles` (reject consecutive same-role turns, which the API itself combines), `models` (None:
    any model name; else the set of known ones), `schema_busts_cache` (a request's structured-output schema
    is part of its cache keys, in front of the prompt).
    """

    max_request_bytes = MAX_REQUEST_BYTES

    def __init__(
        self,
        *,
        api_key: str | None = DEFAULT_API_KEY,
        seed: int = 0,
        responder: Responder | None = None,
        latency_s: float = 0.0,
        per_token_s: float = 0.0,
        min_cache_tokens: int = 1024,
        cache_ttl_s: float = 300.0,
        cache_ttl_1h_s: float = 3600.0,
        fabricated_quote_rate: float = 0.0,
        persona_names: list[str] | None = None,
        strict_roles: bool = False,
        models: Iterable[str] | None = None,
        schema_busts_cache: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.seed = seed
        # Defaults to the bound `default_response`, so a test can wrap it: `inner = fake.responder`.
        self.responder: Responder | None = responder if responder is not None else self.default_response
        self.latency_s = latency_s
        self.per_token_s = per_token_s
        self.min_cache_tokens = min_cache_tokens
        self.cache_ttl_s = cache_ttl_s
        self.cache_ttl_1h_s = cache_ttl_1h_s
        self.fabricated_quote_rate = fabricated_quote_rate
        self.persona_names = persona_names
        self.strict_roles = strict_roles
        self.schema_busts_cache = schema_busts_cache
        self.models: set[str] | None = set(models) if models is not None else None
        self._count_tokens_failures: list[FakeError] = []
        self._count_tokens_calls: list[JSON] = []
        super().__init__(host, port)
        self.cache = PromptCache()
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._queued_failures: list[FakeError] = []
        self._rules: list[_FailureRule] = []
        self._stream_failures: list[_StreamFailure] = []
        self._holds: list[_Hold] = []

    # ---- lifecycle ----

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self._handle_messages)
        app.router.add_post("/v1/messages/count_tokens", self._handle_count_tokens)
        app.router.add_get("/v1/models", self._handle_models)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)

    # ---- failure injection ----

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        error_type: str | None = None,
        retry_after: float | None = 1.0,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        error_code: str | None = None,
    ) -> None:
        """The next `n` valid, authenticated requests (any of them) get this error instead of a message."""
        error = FakeError(status, error_type, message, retry_after, headers, error_code)
        with self._lock:
            self._queued_failures.extend(error for _ in range(n))

    def fail_when(
        self,
        predicate: Predicate,
        *,
        status: int = 429,
        error_type: str | None = None,
        retry_after: float | None = 1.0,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        error_code: str | None = None,
    ) -> Callable[[], None]:
        """Every request whose body matches `predicate` gets this error, until removed or `clear_failures()`.

        Returns a function that removes just this rule.
        """
        rule = _FailureRule(
            FakeError(status, error_type, message, retry_after, headers, error_code), predicate
        )
        with self._lock:
            self._rules.append(rule)

        def remove() -> None:
            with self._lock:
                if rule in self._rules:
                    self._rules.remove(rule)

        return remove

    def fail_stream_next(
        self,
        n: int = 1,
        *,
        after_deltas: int = 2,
        error_type: str = "overloaded_error",
        message: str | None = None,
    ) -> None:
        """The next `n` streaming requests send message_start and `after_deltas` deltas, then `event: error`."""
        failure = _StreamFailure(after_deltas, FakeError(status=200, error_type=error_type, message=message))
        with self._lock:
            self._stream_failures.extend(failure for _ in range(n))

    def hold_when(self, predicate: Predicate) -> Callable[[], None]:
        """Requests whose body matches `predicate` get no answer until the returned function is called.

        While held, a request is provably in flight (its record's `finished` is None), so a test can act at
        that moment (kill the client) on a condition instead of a sleep. Released requests, and those that
        arrive after the release, are served as usual.
        """
        hold = _Hold(predicate)
        with self._lock:
            self._holds.append(hold)

        def release() -> None:
            with self._lock:
                if hold in self._holds:
                    self._holds.remove(hold)
            loop = self._loop
            if loop is not None and loop.is_running():
                loop.call_soon_threadsafe(hold.released.set)
            else:
                hold.released.set()

        return release

    async def _wait_while_held(self, body: JSON) -> None:
        with self._lock:
            holds = list(self._holds)
        for hold in holds:
            if hold.predicate(body):
                await hold.released.wait()

    def clear_failures(self) -> None:
        with self._lock:
            self._queued_failures.clear()
            self._rules.clear()
            self._stream_failures.clear()
            self._count_tokens_failures.clear()

    def _injected_failure(self, body: JSON) -> FakeError | None:
        with self._lock:
            if self._queued_failures:
                return self._queued_failures.pop(0)
            rules = list(self._rules)
        for rule in rules:
            if rule.predicate is None or rule.predicate(body):
                return rule.error
        return None

    def _take_stream_failure(self) -> _StreamFailure | None:
        with self._lock:
            return self._stream_failures.pop(0) if self._stream_failures else None

    def fail_count_tokens_next(
        self,
        n: int = 1,
        *,
        status: int = 503,
        error_type: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """The next `n` valid, authenticated `count_tokens` calls get this error (messages are unaffected)."""
        error = FakeError(status, error_type, retry_after=retry_after)
        with self._lock:
            self._count_tokens_failures.extend(error for _ in range(n))

    @property
    def count_tokens_calls(self) -> list[JSON]:
        """Each `count_tokens` call: `{"model": name or None, "status": HTTP status}`, in order."""
        with self._lock:
            return [dict(call) for call in self._count_tokens_calls]

    # ---- records ----

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the `/v1/messages` requests received so far, in arrival order."""
        with self._lock:
            return list(self._records)

    def reset(self, *, cache: bool = True) -> None:
        """Forget recorded requests and queued failures, and (by default) empty the prompt cache."""
        with self._lock:
            self._records.clear()
        self.clear_failures()
        if cache:
            self.cache.clear()

    def max_concurrency(self) -> int:
        """Most requests in flight at once (from start/finish times of every recorded request)."""
        now = time.monotonic()
        events: list[tuple[float, int]] = []
        for record in self.requests:
            events.append((record.started, 1))
            events.append((record.finished if record.finished is not None else now, -1))
        events.sort()  # at equal times, a finish (-1) sorts before a start (+1)
        current = peak = 0
        for _, delta in events:
            current += delta
            peak = max(peak, current)
        return peak

    def total_usage(self) -> dict[str, int]:
        """Token totals over all recorded requests that reported usage, and how many did."""
        totals = {
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "requests": 0,
        }
        for record in self.requests:
            if record.usage is None:
                continue
            totals["requests"] += 1
            for key in (
                "input_tokens",
                "output_tokens",
                "cache_creation_input_tokens",
                "cache_read_input_tokens",
            ):
                totals[key] += int(record.usage.get(key) or 0)
        return totals

    def default_response(self, body: JSON) -> str:
        """What the default responder says to `body` with this fake's settings (for wrapping responders)."""
        return default_responder(
            body,
            seed=self.seed,
            fabricated_quote_rate=self.fabricated_quote_rate,
            persona_names=self.persona_names,
        )

    # ---- HTTP handlers ----

    @staticmethod
    def _base_headers(request_id: str) -> dict[str, str]:
        return {"request-id": request_id, "anthropic-organization-id": ORGANIZATION_ID}

    async def _send_json(
        self,
        request: web.Request,
        status: int,
        payload: JSON,
        request_id: str,
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        response = web.json_response(
            payload, status=status, headers={**self._base_headers(request_id), **(headers or {})}
        )
        await response.prepare(request)
        await response.write_eof()
        return response

    async def _send_error(
        self, request: web.Request, error: FakeError, record: RequestRecord | None, request_id: str
    ) -> web.StreamResponse:
        if record is not None:
            record.status = error.status
            record.error_type = error.type
        return await self._send_json(
            request, error.status, error.body(request_id), request_id, error.response_headers()
        )

    def _auth_error(self, headers: dict[str, str]) -> FakeError | None:
        if self.api_key is None:
            return None
        key = headers.get("x-api-key")
        if key is None:
            scheme, _, token = headers.get("authorization", "").partition(" ")
            key = token.strip() if scheme.lower() == "bearer" and token.strip() else None
        if key is None:
            return FakeError(401, message="x-api-key header is required")
        if key != self.api_key:
            return FakeError(401, message="invalid x-api-key")
        return None

    async def _read_body(self, request: web.Request, *, require_max_tokens: bool) -> JSON:
        """The validated JSON body; raises InvalidRequest (400) or _TooLarge (413)."""
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            raise _TooLarge() from exc
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise InvalidRequest("There was an error parsing the body of your request: invalid JSON") from exc
        return validate_request(body, require_max_tokens=require_max_tokens, strict_roles=self.strict_roles)

    async def _preflight(
        self, request: web.Request, *, require_max_tokens: bool
    ) -> tuple[JSON | None, FakeError | None]:
        """Auth, version header, body: (body, None) or (body-or-None, error)."""
        headers = {k.lower(): v for k, v in request.headers.items()}
        auth = self._auth_error(headers)
        if auth is not None:
            return None, auth
        if "anthropic-version" not in headers:
            return None, FakeError(400, message="anthropic-version: header is required")
        try:
            body = await self._read_body(request, require_max_tokens=require_max_tokens)
        except _TooLarge:
            return None, FakeError(413)
        except InvalidRequest as exc:
            return None, FakeError(400, message=str(exc))
        if self.models is not None and body["model"] not in self.models:
            return body, FakeError(404, message=f"model: {body['model']}")
        return body, None

    async def _handle_messages(self, request: web.Request) -> web.StreamResponse:
        request_id = new_request_id()
        record = RequestRecord(
            body=None,
            headers={k.lower(): v for k, v in request.headers.items()},
            started=time.monotonic(),
            request_id=request_id,
            path=request.path,
        )
        with self._lock:
            self._records.append(record)
        try:
            return await self._serve_message(request, record)
        finally:
            record.finished = time.monotonic()

    async def _serve_message(self, request: web.Request, record: RequestRecord) -> web.StreamResponse:
        body, error = await self._preflight(request, require_max_tokens=True)
        record.body = body
        if error is None and body is not None:
            record.streamed = bool(body.get("stream"))
            error = self._injected_failure(body)
            await self._wait_while_held(body)
        if error is not None or body is None:
            return await self._send_error(request, error or FakeError(500), record, record.request_id)
        reply = self._compose_reply(body)
        if isinstance(reply, FakeError):
            return await self._send_error(request, reply, record, record.request_id)
        if record.streamed:
            return await self._stream_reply(request, record, reply)
        return await self._json_reply(request, record, reply)

    def _compose_reply(self, body: JSON) -> _Reply | FakeError:
        """Run the responder, apply stop conditions, look up the cache (writes are committed later)."""
        try:
            produced = (self.responder or self.default_response)(body)
        except Exception as exc:
            traceback.print_exc()
            return FakeError(500, message=f"fake responder raised {type(exc).__name__}: {exc}")
        if isinstance(produced, FakeError):
            return produced
        text, stop_reason, stop_sequence = finish_text(str(produced), body)
        plan = self.cache.plan(
            body["model"],
            prompt_blocks(body),
            min_tokens=self.min_cache_tokens,
            ttl_5m_s=self.cache_ttl_s,
            ttl_1h_s=self.cache_ttl_1h_s,
            schema=output_schema(body) if self.schema_busts_cache else None,
        )
        stream_failure = self._take_stream_failure() if body.get("stream") else None
        return _Reply(
            body["model"], text, stop_reason, stop_sequence, plan, schema_tokens(body), stream_failure
        )

    async def _json_reply(
        self, request: web.Request, record: RequestRecord, reply: _Reply
    ) -> web.StreamResponse:
        await asyncio.sleep(self.latency_s + self.per_token_s * reply.output_tokens)
        usage = reply.usage()
        message = message_json(
            message_id=new_message_id(),
            model=reply.model,
            text=reply.text,
            usage=usage,
            stop_reason=reply.stop_reason,
            stop_sequence=reply.stop_sequence,
        )
        self.cache.commit(reply.plan)
        record.status, record.usage, record.text = 200, usage, reply.text
        return await self._send_json(request, 200, message, record.request_id)

    async def _stream_reply(
        self, request: web.Request, record: RequestRecord, reply: _Reply
    ) -> web.StreamResponse:
        await asyncio.sleep(self.latency_s)
        response = web.StreamResponse(
            status=200,
            headers={
                **self._base_headers(record.request_id),
                "content-type": "text/event-stream; charset=utf-8",
                "cache-control": "no-cache",
            },
        )
        await response.prepare(request)
        writer = SSEWriter(response)
        start_usage = reply.usage(output_tokens=1)
        record.status, record.usage, record.text = 200, start_usage, ""
        self.cache.commit(reply.plan)
        try:
            await self._write_stream(writer, record, reply, start_usage)
        except asyncio.CancelledError:
            record.error_type = record.error_type or "client_disconnected"
            raise
        except ConnectionError:  # the client went away mid-stream (aiohttp's reset error is one)
            record.error_type = record.error_type or "client_disconnected"
            return response
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response

    async def _write_stream(
        self, writer: SSEWriter, record: RequestRecord, reply: _Reply, start_usage: JSON
    ) -> None:
        start = message_json(
            message_id=new_message_id(),
            model=reply.model,
            text=None,
            usage=start_usage,
            stop_reason=None,
            stop_sequence=None,
        )
        await writer.send("message_start", {"type": "message_start", "message": start})
        await writer.send(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        await writer.ping()
        failure = reply.stream_failure
        sent = ""
        for n, chunk in enumerate(text_chunks(reply.text)):
            if failure is not None and n >= failure.after_deltas:
                break
            await asyncio.sleep(self.per_token_s * count_tokens(chunk))
            await writer.send(
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": chunk}},
            )
            sent += chunk
            record.text = sent
        if failure is not None:
            record.error_type = failure.error.type
            record.usage = reply.usage(output_tokens=max(1, count_tokens(sent)))
            await writer.send("error", {"type": "error", "error": failure.error.error_object()})
            return
        await writer.send("content_block_stop", {"type": "content_block_stop", "index": 0})
        usage = reply.usage()
        cumulative = (
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
        )
        delta_usage = {key: usage[key] for key in cumulative}
        await writer.send(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
                "usage": delta_usage,
            },
        )
        await writer.send("message_stop", {"type": "message_stop"})
        record.usage = usage

    async def _handle_count_tokens(self, request: web.Request) -> web.StreamResponse:
        request_id = new_request_id()
        body, error = await self._preflight(request, require_max_tokens=False)
        if error is None and body is not None:
            with self._lock:
                error = self._count_tokens_failures.pop(0) if self._count_tokens_failures else None
        with self._lock:
            model = body.get("model") if body is not None else None
            self._count_tokens_calls.append({"model": model, "status": error.status if error else 200})
        if error is not None or body is None:
            return await self._send_error(request, error or FakeError(500), None, request_id)
        total = sum(block.tokens for block in prompt_blocks(body)) + schema_tokens(body)
        return await self._send_json(request, 200, {"input_tokens": total}, request_id)

    async def _handle_models(self, request: web.Request) -> web.StreamResponse:
        request_id = new_request_id()
        auth = self._auth_error({k.lower(): v for k, v in request.headers.items()})
        if auth is not None:
            return await self._send_error(request, auth, None, request_id)
        models = [
            ("claude-sonnet-5-5", "Claude Sonnet 5.5"),
            ("claude-opus-4-5", "Claude Opus 4.5"),
            ("claude-sonnet-4-5", "Claude Sonnet 4.5"),
            ("claude-haiku-4-5", "Claude Haiku 4.5"),
        ]
        data = [
            {
                "type": "model",
                "id": model_id,
                "display_name": name,
                "created_at": "2025-01-01T00:00:00Z",
                "lifecycle": "active",
            }
            for model_id, name in models
        ]
        page = {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]}
        return await self._send_json(request, 200, page, request_id)

    async def _handle_not_found(self, request: web.Request) -> web.StreamResponse:
        request_id = new_request_id()
        return await self._send_error(request, FakeError(404), None, request_id)


class _TooLarge(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------
# Standalone
# ---------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a fake Anthropic Messages API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="required x-api-key; '' accepts any key")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency-s", type=float, default=0.0, help="time to the first byte")
    parser.add_argument("--per-token-s", type=float, default=0.0, help="added per output token")
    parser.add_argument("--min-cache-tokens", type=int, default=1024)
    parser.add_argument("--cache-ttl-s", type=float, default=300.0)
    parser.add_argument("--fabricated-quote-rate", type=float, default=0.0)
    parser.add_argument("--persona", action="append", dest="personas", help="persona name (repeatable)")
    args = parser.parse_args(argv)
    fake = FakeAnthropic(
        api_key=args.api_key or None,
        seed=args.seed,
        latency_s=args.latency_s,
        per_token_s=args.per_token_s,
        min_cache_tokens=args.min_cache_tokens,
        cache_ttl_s=args.cache_ttl_s,
        fabricated_quote_rate=args.fabricated_quote_rate,
        persona_names=args.personas,
        host=args.host,
        port=args.port,
    ).start()
    print(fake.base_url, flush=True)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.wait(0.2):
        pass
    print(json.dumps(fake.total_usage()), file=sys.stderr, flush=True)
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
