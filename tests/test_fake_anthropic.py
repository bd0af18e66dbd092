"""The fake Anthropic API, driven only through the real `anthropic` SDK over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal

import anthropic
import pytest
from anthropic.types import Message, MessageParam, TextBlock, TextBlockParam
from anthropic.types.shared import EnforcedSpendLimitReachedError
from pydantic import BaseModel, Field

from tests.fakes.anthropic_fake import FakeAnthropic, FakeError

KEY = "test-key"
MODEL = "claude-sonnet-5-5"
REPO = Path(__file__).resolve().parents[1]


def _make_document() -> str:
    areas = ["billing", "search", "onboarding", "reporting", "notifications", "exports"]
    lines = ["# Billing platform migration", ""]
    for i, area in enumerate(areas):
        lines += [f"## Phase {i + 1}: {area}", ""]
        for j in range(4):
            lines.append(
                f"The {area} team will move workload {j + 1} to the new vendor by week {3 * i + j + 2}, "
                f"and the old {area} cluster is decommissioned the same day. "
                f"We assume that traffic for {area} grows by {5 * (j + 1)} percent per quarter after the move. "
                f"Rollback for {area} workload {j + 1} relies on nightly snapshots kept for {7 + j} days."
            )
        lines.append("")
    return "\n".join(lines)


DOC = _make_document()
SYSTEM_TEXT = f'You sit on a review panel.\n\n<document-3fa9c2 title="Billing">\n{DOC}\n</document-3fa9c2>'
PROMPT = "Persona: skeptic\n\nGive your opening review."


def tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def text_of(message: Message) -> str:
    block = message.content[0]
    assert isinstance(block, TextBlock)
    return block.text


def cached_system() -> list[TextBlockParam]:
    return [{"type": "text", "text": SYSTEM_TEXT, "cache_control": {"type": "ephemeral"}}]


def user(text: str) -> list[MessageParam]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_key=KEY) as server:
        yield server


@pytest.fixture
async def client(fake: FakeAnthropic) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.base_url, max_retries=0) as sdk:
        yield sdk


# ---- the models `messages.parse` fills ----


class Quote(BaseModel):
    text: str = Field(description="Copied verbatim from the document.")


class Finding(BaseModel):
    raised_by: list[str]
    summary: str = Field(min_length=10, max_length=200)
    quote: Quote
    severity: Literal["low", "medium", "high"]
    weeks_to_reverse: int = Field(ge=1, le=52)
    owner: str | None = None


class Review(BaseModel):
    headline: str
    findings: list[Finding]
    open_questions: list[str]


# ---- responses ----


async def test_create_returns_a_review_quoting_the_document(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    message = await client.messages.create(
        model=MODEL, max_tokens=2000, system=SYSTEM_TEXT, messages=user(PROMPT)
    )

    assert message.type == "message" and message.role == "assistant" and message.model == MODEL
    assert message.id.startswith("msg_")
    assert message.stop_reason == "end_turn"
    text = text_of(message)
    assert 120 <= len(text.split()) <= 260
    quotes = re.findall(r'"([^"]+)"', text)
    assert len(quotes) >= 2 and all(q in DOC and len(q.split()) >= 6 for q in quotes)
    assert "risk" in text.lower()
    assert message.usage.output_tokens == tokens(text)

    [record] = fake.requests
    assert record.ok and not record.streamed and record.status == 200
    assert record.body is not None and record.body["model"] == MODEL
    assert record.headers["anthropic-version"]
    assert message._request_id == record.request_id  # the request-id header
    assert record.usage == message.usage.model_dump(exclude_none=True)
    assert record.finished is not None and record.finished >= record.started


async def test_same_request_gets_the_same_answer(client: anthropic.AsyncAnthropic) -> None:
    first = await client.messages.create(
        model=MODEL, max_tokens=2000, system=SYSTEM_TEXT, messages=user(PROMPT)
    )
    again = await client.messages.create(
        model=MODEL, max_tokens=2000, system=SYSTEM_TEXT, messages=user(PROMPT)
    )
    other = await client.messages.create(
        model=MODEL, max_tokens=2000, system=SYSTEM_TEXT, messages=user(PROMPT + " Be brief.")
    )
    assert text_of(first) == text_of(again)
    assert text_of(first) != text_of(other)


async def test_stream_matches_the_final_message(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    async with client.messages.stream(
        model=MODEL, max_tokens=2000, system=cached_system(), messages=user(PROMPT)
    ) as stream:
        pieces = [piece async for piece in stream.text_stream]
        final = await stream.get_final_message()

    assert len(pieces) > 5
    assert "".join(pieces) == text_of(final)
    assert final.stop_reason == "end_turn"
    [record] = fake.requests
    assert record.streamed and record.ok
    assert record.usage == final.usage.model_dump(exclude_none=True)
    assert final.usage.cache_creation_input_tokens == tokens(SYSTEM_TEXT)


async def test_raw_stream_events_come_in_the_api_order(client: anthropic.AsyncAnthropic) -> None:
    stream = await client.messages.create(model=MODEL, max_tokens=2000, messages=user(PROMPT), stream=True)
    kinds = [event.type async for event in stream]

    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(kinds[2:-3]) == {"content_block_delta"}


async def test_max_tokens_cuts_the_output(client: anthropic.AsyncAnthropic) -> None:
    message = await client.messages.create(
        model=MODEL, max_tokens=5, system=SYSTEM_TEXT, messages=user(PROMPT)
    )
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens == 5 and len(text_of(message)) == 20

    async with client.messages.stream(model=MODEL, max_tokens=7, messages=user(PROMPT)) as stream:
        final = await stream.get_final_message()
    assert final.stop_reason == "max_tokens" and final.usage.output_tokens == 7


# ---- structured output ----


async def test_parse_fills_a_pydantic_model_from_the_document(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    transcript = "[skeptic] The rollback story is thin.\n\n[cfo] The vendor contract is the real door."
    message = await client.messages.parse(
        model=MODEL, max_tokens=8000, system=cached_system(), messages=user(transcript), output_format=Review
    )

    review = message.parsed_output
    assert isinstance(review, Review) and review.findings
    for finding in review.findings:
        assert finding.quote.text in DOC and len(finding.quote.text.split()) >= 6
        assert finding.raised_by and set(finding.raised_by) <= {"skeptic", "cfo"}
    body = fake.requests[0].body
    assert body is not None and body["output_config"]["format"]["type"] == "json_schema"
    schema_tokens = tokens(json.dumps(body["output_config"]["format"]["schema"]))
    usage = message.usage
    assert usage.input_tokens == tokens(transcript) + schema_tokens  # the schema is uncached input


async def test_parse_works_through_the_stream_helper(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(
        model=MODEL, max_tokens=8000, system=SYSTEM_TEXT, messages=user("Judge it."), output_format=Review
    ) as stream:
        final = await stream.get_final_message()
    assert isinstance(final.parsed_output, Review)


async def test_fabricated_quotes_and_persona_override(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.fabricated_quote_rate = 1.0
    fake.persona_names = ["alice"]
    message = await client.messages.parse(
        model=MODEL, max_tokens=8000, system=SYSTEM_TEXT, messages=user("Judge it."), output_format=Review
    )
    review = message.parsed_output
    assert review is not None
    for finding in review.findings:
        assert finding.quote.text not in DOC
        assert finding.raised_by == ["alice"]


# ---- prompt caching ----


async def test_cache_is_written_then_read(client: anthropic.AsyncAnthropic) -> None:
    system_tokens = tokens(SYSTEM_TEXT)
    assert system_tokens > 1024
    first = await client.messages.create(
        model=MODEL, max_tokens=300, system=cached_system(), messages=user(PROMPT)
    )
    second = await client.messages.create(
        model=MODEL, max_tokens=300, system=cached_system(), messages=user("Persona: cfo\n\nYour review.")
    )

    assert first.usage.cache_creation_input_tokens == system_tokens
    assert first.usage.cache_read_input_tokens == 0
    assert first.usage.cache_creation is not None
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == system_tokens
    assert second.usage.cache_read_input_tokens == system_tokens
    assert second.usage.cache_creation_input_tokens == 0
    for usage, prompt in ((first.usage, PROMPT), (second.usage, "Persona: cfo\n\nYour review.")):
        total = (
            usage.input_tokens
            + (usage.cache_read_input_tokens or 0)
            + (usage.cache_creation_input_tokens or 0)
        )
        assert total == system_tokens + tokens(prompt)


async def test_cache_reads_an_earlier_breakpoint_by_lookback(client: anthropic.AsyncAnthropic) -> None:
    turn_1: MessageParam = {
        "role": "user",
        "content": [{"type": "text", "text": PROMPT, "cache_control": {"type": "ephemeral"}}],
    }
    first = await client.messages.create(
        model=MODEL, max_tokens=300, system=cached_system(), messages=[turn_1]
    )
    assert first.usage.cache_creation_input_tokens == tokens(SYSTEM_TEXT) + tokens(PROMPT)

    answer = text_of(first)
    turn_2: MessageParam = {
        "role": "user",
        "content": [{"type": "text", "text": "Rebut.", "cache_control": {"type": "ephemeral"}}],
    }
    history: list[MessageParam] = [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": answer},
        turn_2,
    ]
    second = await client.messages.create(
        model=MODEL, max_tokens=300, system=cached_system(), messages=history
    )
    assert second.usage.cache_read_input_tokens == tokens(SYSTEM_TEXT) + tokens(PROMPT)
    assert second.usage.cache_creation_input_tokens == tokens(answer) + tokens("Rebut.")
    assert second.usage.input_tokens == 0


async def test_short_prefixes_are_not_cached(client: anthropic.AsyncAnthropic) -> None:
    system: list[TextBlockParam] = [
        {"type": "text", "text": "Short system prompt.", "cache_control": {"type": "ephemeral"}}
    ]
    for _ in range(2):
        message = await client.messages.create(
            model=MODEL, max_tokens=100, system=system, messages=user(PROMPT)
        )
        assert message.usage.cache_creation_input_tokens == 0
        assert message.usage.cache_read_input_tokens == 0


async def test_concurrent_cold_requests_each_pay_for_a_write(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.latency_s = 0.1

    async def call(persona: str) -> Message:
        async with client.messages.stream(
            model=MODEL, max_tokens=300, system=cached_system(), messages=user(f"Persona: {persona}")
        ) as stream:
            return await stream.get_final_message()

    cold = await asyncio.gather(call("skeptic"), call("cfo"))
    assert [m.usage.cache_creation_input_tokens for m in cold] == [tokens(SYSTEM_TEXT)] * 2
    assert [m.usage.cache_read_input_tokens for m in cold] == [0, 0]

    warm = await call("operator")
    assert warm.usage.cache_read_input_tokens == tokens(SYSTEM_TEXT)
    assert warm.usage.cache_creation_input_tokens == 0
    assert fake.total_usage()["cache_creation_input_tokens"] == 2 * tokens(SYSTEM_TEXT)


@pytest.mark.parametrize("busts", [False, True])
async def test_a_structured_request_misses_the_cache_when_its_schema_busts_it(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic, busts: bool
) -> None:
    fake.schema_busts_cache = busts
    system_tokens = tokens(SYSTEM_TEXT)
    plain = await client.messages.create(
        model=MODEL, max_tokens=300, system=cached_system(), messages=user(PROMPT)
    )
    structured = await client.messages.parse(
        model=MODEL, max_tokens=8000, system=cached_system(), messages=user("Judge it."), output_format=Review
    )
    plain_again = await client.messages.create(
        model=MODEL, max_tokens=300, system=cached_system(), messages=user("Persona: cfo")
    )

    assert plain.usage.cache_creation_input_tokens == system_tokens
    read, written = structured.usage.cache_read_input_tokens, structured.usage.cache_creation_input_tokens
    assert (read, written) == ((0, system_tokens) if busts else (system_tokens, 0))
    assert plain_again.usage.cache_read_input_tokens == system_tokens
    assert plain_again.usage.cache_creation_input_tokens == 0
    assert fake.total_usage()["cache_creation_input_tokens"] == system_tokens * (2 if busts else 1)


async def test_json_asked_for_in_the_prompt_is_answered_in_a_fence(client: anthropic.AsyncAnthropic) -> None:
    schema = json.dumps(Review.model_json_schema())
    ask = f"Judge it. Answer with only JSON matching:\n<json-schema>\n{schema}\n</json-schema>"
    message = await client.messages.create(
        model=MODEL, max_tokens=8000, system=cached_system(), messages=user(ask)
    )

    fenced = re.fullmatch(r"```json\n(.*)\n```", text_of(message), re.DOTALL)
    assert fenced is not None
    review = Review.model_validate_json(fenced.group(1))
    assert review.findings and all(f.quote.text in DOC for f in review.findings)


# ---- errors ----


async def test_rate_limit_with_retry_after_is_retried(fake: FakeAnthropic) -> None:
    fake.fail_next(1, status=429, retry_after=0.05)
    async with anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.base_url, max_retries=2) as sdk:
        started = time.monotonic()
        message = await sdk.messages.create(model=MODEL, max_tokens=50, messages=user(PROMPT))
        elapsed = time.monotonic() - started

    assert text_of(message)
    first, second = fake.requests
    assert (first.status, first.error_type, first.usage) == (429, "rate_limit_error", None)
    assert second.ok and second.headers["x-stainless-retry-count"] == "1"
    assert second.started - first.finished >= 0.04  # type: ignore[operator]
    assert 0.05 <= elapsed < 1.0


async def test_wrong_key_raises_authentication_error(fake: FakeAnthropic) -> None:
    async with anthropic.AsyncAnthropic(api_key="wrong", base_url=fake.base_url, max_retries=2) as sdk:
        with pytest.raises(anthropic.AuthenticationError) as caught:
            await sdk.messages.create(model=MODEL, max_tokens=50, messages=user(PROMPT))
    err = caught.value
    assert err.status_code == 401 and err.type == "authentication_error"
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert [r.status for r in fake.requests] == [401]  # 401s are not retried


async def test_spend_limit_exposes_its_error_code(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.fail_next(1, status=429, error_code="enforced_spend_limit_reached")
    with pytest.raises(anthropic.RateLimitError) as caught:
        await client.messages.create(model=MODEL, max_tokens=50, messages=user(PROMPT))
    err = caught.value
    assert isinstance(err, EnforcedSpendLimitReachedError)
    assert err.error_code == "enforced_spend_limit_reached"
    assert err.response.headers["retry-after"] == "1"


@pytest.mark.parametrize(
    ("status", "error_class", "error_type"),
    [(529, anthropic.OverloadedError, "overloaded_error"), (500, anthropic.InternalServerError, "api_error")],
)
async def test_server_errors_map_to_sdk_classes(
    fake: FakeAnthropic,
    client: anthropic.AsyncAnthropic,
    status: int,
    error_class: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    fake.fail_next(1, status=status, retry_after=None)
    with pytest.raises(error_class) as caught:
        await client.messages.create(model=MODEL, max_tokens=50, messages=user(PROMPT))
    assert caught.value.status_code == status and caught.value.type == error_type


async def test_mid_stream_error_raises_in_the_sdk(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.fail_stream_next(1, after_deltas=2)
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with client.messages.stream(model=MODEL, max_tokens=500, messages=user(PROMPT)) as stream:
            async for piece in stream.text_stream:
                received.append(piece)

    err = caught.value
    assert err.type == "overloaded_error"
    assert err.status_code == 200  # the error arrived inside a 200 event stream
    assert len(received) == 2
    [record] = fake.requests
    assert record.streamed and record.error_type == "overloaded_error" and record.text == "".join(received)


async def test_fail_when_and_responder_errors(fake: FakeAnthropic, client: anthropic.AsyncAnthropic) -> None:
    remove = fake.fail_when(lambda body: "boom" in json.dumps(body), status=500, retry_after=None)
    with pytest.raises(anthropic.InternalServerError):
        await client.messages.create(model=MODEL, max_tokens=50, messages=user("boom"))
    await client.messages.create(model=MODEL, max_tokens=50, messages=user("fine"))
    remove()
    await client.messages.create(model=MODEL, max_tokens=50, messages=user("boom"))

    fake.responder = lambda body: FakeError(status=529)
    with pytest.raises(anthropic.OverloadedError):
        await client.messages.create(model=MODEL, max_tokens=50, messages=user("anything"))
    assert [r.status for r in fake.requests] == [500, 200, 200, 529]


@pytest.mark.parametrize(
    ("kwargs", "message_part"),
    [
        ({"messages": [{"role": "assistant", "content": "a"}]}, "first message"),
        ({"messages": []}, "at least one message"),
        (
            {
                "system": [
                    {"type": "text", "text": f"b{i}", "cache_control": {"type": "ephemeral"}}
                    for i in range(5)
                ],
                "messages": user("hi"),
            },
            "maximum of 4 blocks with cache_control",
        ),
        (
            {"messages": user("hi"), "output_config": {"format": {"type": "json", "schema": {}}}},
            "json_schema",
        ),
        ({"messages": user("hi"), "extra_body": {"temprature": 0.5}}, "Extra inputs"),
    ],
)
async def test_invalid_requests_are_rejected(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic, kwargs: dict[str, Any], message_part: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.messages.create(model=MODEL, max_tokens=50, **kwargs)
    assert caught.value.type == "invalid_request_error"
    assert message_part in (caught.value.api_message or "")
    assert [r.status for r in fake.requests] == [400]


async def test_consecutive_user_turns_are_combined_unless_strict(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    two_users: list[MessageParam] = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    await client.messages.create(model=MODEL, max_tokens=50, messages=two_users)
    fake.strict_roles = True
    with pytest.raises(anthropic.BadRequestError, match="alternate"):
        await client.messages.create(model=MODEL, max_tokens=50, messages=two_users)


# ---- latency, recording, other endpoints ----


async def test_latency_makes_parallel_requests_overlap(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.latency_s = 0.2
    started = time.monotonic()
    await asyncio.gather(
        *(client.messages.create(model=MODEL, max_tokens=50, messages=user(f"call {i}")) for i in range(3))
    )
    elapsed = time.monotonic() - started
    assert fake.max_concurrency() == 3
    assert 0.2 <= elapsed < 0.6


async def test_per_token_latency_spreads_over_the_stream(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.per_token_s = 0.004
    started = time.monotonic()
    async with client.messages.stream(model=MODEL, max_tokens=50, messages=user(PROMPT)) as stream:
        first_piece_at = None
        async for _ in stream.text_stream:
            first_piece_at = first_piece_at or time.monotonic() - started
        final = await stream.get_final_message()
    elapsed = time.monotonic() - started
    assert final.usage.output_tokens == 50
    assert first_piece_at is not None and first_piece_at < elapsed / 2
    assert elapsed >= 0.15


async def test_custom_responder_and_total_usage(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    inner = fake.responder
    assert inner is not None  # the default responder, there to be wrapped
    fake.responder = lambda body: f"{inner(body)} (wrapped)"
    wrapped = await client.messages.create(
        model=MODEL, max_tokens=2000, system=SYSTEM_TEXT, messages=user(PROMPT)
    )
    assert text_of(wrapped).endswith(" (wrapped)")
    fake.reset()

    fake.responder = lambda body: "ok " * 10
    await client.messages.create(model=MODEL, max_tokens=50, messages=user("x" * 40))
    await client.messages.create(model=MODEL, max_tokens=50, messages=user("y" * 8))
    assert fake.total_usage() == {
        "input_tokens": 12,
        "output_tokens": 16,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "requests": 2,
    }
    fake.reset()
    assert fake.requests == [] and fake.max_concurrency() == 0


async def test_stop_sequences_and_client_disconnects(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.responder = lambda body: "alpha beta STOP gamma " * 20
    message = await client.messages.create(
        model=MODEL, max_tokens=500, messages=user("go"), stop_sequences=["STOP"]
    )
    assert (message.stop_reason, message.stop_sequence, text_of(message)) == (
        "stop_sequence",
        "STOP",
        "alpha beta ",
    )

    fake.per_token_s = 0.01
    async with client.messages.stream(model=MODEL, max_tokens=500, messages=user("go")) as stream:
        async for _ in stream.text_stream:
            break
    for _ in range(50):
        if fake.requests[-1].finished is not None:
            break
        await asyncio.sleep(0.02)
    assert fake.requests[-1].error_type == "client_disconnected"


async def test_count_tokens_and_models(client: anthropic.AsyncAnthropic) -> None:
    counted = await client.messages.count_tokens(model=MODEL, system=SYSTEM_TEXT, messages=user(PROMPT))
    assert counted.input_tokens == tokens(SYSTEM_TEXT) + tokens(PROMPT)
    models = [model.id async for model in client.models.list()]
    assert MODEL in models


async def test_count_tokens_refuses_a_wrong_key_and_unknown_models(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    async with anthropic.AsyncAnthropic(api_key="wrong", base_url=fake.base_url, max_retries=0) as wrong:
        with pytest.raises(anthropic.AuthenticationError):
            await wrong.messages.count_tokens(model=MODEL, messages=user(PROMPT))
    assert (await client.messages.count_tokens(model="claude-made-up", messages=user(PROMPT))).input_tokens
    fake.models = {MODEL}
    with pytest.raises(anthropic.NotFoundError) as info:
        await client.messages.count_tokens(model="claude-made-up", messages=user(PROMPT))
    assert isinstance(info.value.body, dict)
    assert info.value.body["error"] == {"type": "not_found_error", "message": "model: claude-made-up"}
    with pytest.raises(anthropic.NotFoundError):  # the Messages API knows the same models
        await client.messages.create(model="claude-made-up", max_tokens=10, messages=user(PROMPT))
    assert (await client.messages.count_tokens(model=MODEL, messages=user(PROMPT))).input_tokens
    statuses = [(c["model"], c["status"]) for c in fake.count_tokens_calls]
    assert statuses == [(None, 401), ("claude-made-up", 200), ("claude-made-up", 404), (MODEL, 200)]
    assert fake.requests[-1].status == 404  # the failed message call is recorded with the messages


async def test_count_tokens_failures_are_queued_apart_from_messages(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.fail_count_tokens_next(2, status=529)
    message = await client.messages.create(model=MODEL, max_tokens=10, messages=user(PROMPT))
    assert message.usage.output_tokens == 10
    for _ in range(2):
        with pytest.raises(anthropic.APIStatusError) as info:
            await client.messages.count_tokens(model=MODEL, messages=user(PROMPT))
        assert info.value.status_code == 529
    assert (await client.messages.count_tokens(model=MODEL, messages=user(PROMPT))).input_tokens == tokens(
        PROMPT
    )


def test_standalone_server_in_another_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.anthropic_fake", "--port", "0", "--api-key", KEY],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        sdk = anthropic.Anthropic(api_key=KEY, base_url=base_url, max_retries=0)
        message = sdk.messages.create(model=MODEL, max_tokens=50, messages=user(PROMPT))
        assert message.usage.output_tokens == 50
        sdk.close()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert json.loads(stderr.strip().splitlines()[-1])["requests"] == 1
