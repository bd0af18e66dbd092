"""The Anthropic client: cache layout, streaming turns, structured output, usage and cost.

Every call of a debate sends the same first system block: the debate rules and the document, marked with
`cache_control`. What differs per call (the persona, the transcript so far, the task) comes after it, so all
turns and the judge read one cached prefix. `warm()` writes that prefix once before the fan-out; without it,
parallel calls would each pay for writing the same cache entry.

Structured output comes two ways: native (`structured`, the schema in `output_config.format`), or asked for in
the prompt's uncached tail and validated here (`structured_in_text`), for a service on which a request's schema
is part of its cache key, so that a native call would write the document to the cache again.

Retries: `bot.retries.model` (tenacity; the SDK's own retries are off so that each wait can be announced to
the caller's `on_retry`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import anthropic
from anthropic import AsyncAnthropic
from anthropic.types import MessageParam, TextBlockParam, UserMessageParam
from anthropic.types import Usage as ApiUsage
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying

from bot.config import Settings
from bot.errors import ModelError
from bot.models import Usage
from bot.retries.model import RetryListener, attempts, is_mid_stream_failure

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
TextSink = Callable[[str], Awaitable[None]]
Repair = Callable[[str, str], str]  # (the answer, what is wrong with it) -> the task's repair request

_JSON_FENCE = re.compile(r"```(?:json)?[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL | re.IGNORECASE)

# The API will not cache a prefix shorter than this (Sonnet-class models); below it, warming is wasted.
MIN_CACHEABLE_TOKENS = 1024


def estimate_tokens(text: str) -> int:
    """A cheap upper-bound-ish estimate (about four characters a token for English prose)."""
    return len(text) // 4 + 1


@dataclass(frozen=True)
class Prompt:
    """One call's prompt: the shared cached prefix, then what is particular to this call."""

    cached_system: str
    system_tail: str
    messages: list[MessageParam]

    def system_blocks(self) -> list[TextBlockParam]:
        blocks: list[TextBlockParam] = [
            {"type": "text", "text": self.cached_system, "cache_control": {"type": "ephemeral"}}
        ]
        if self.system_tail:
            blocks.append({"type": "text", "text": self.system_tail})
        return blocks

    def then(self, text: str) -> Prompt:
        """The same prompt with `text` as one more block of its last turn, the user's task (uncached tail)."""
        *earlier, last = self.messages
        if last["role"] != "user":
            raise ValueError("only a prompt that ends in the user's turn can be followed")
        task = last["content"]
        blocks = [TextBlockParam(type="text", text=task)] if isinstance(task, str) else list(task)
        turn: UserMessageParam = {"role": "user", "content": [*blocks, {"type": "text", "text": text}]}
        return Prompt(self.cached_system, self.system_tail, [*earlier, turn])


class LLM:
    """A thin layer over `AsyncAnthropic` that knows docdebate's prompt layout and accounting."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client = AsyncAnthropic(
            api_key=settings.api_key(),
            base_url=settings.anthropic_base_url,
            max_retries=0,  # retried in `_attempts`, where every wait is known
            timeout=settings.llm_call_timeout_s,
        )

    async def close(self) -> None:
        await self._client.close()

    def _attempts(self, on_retry: RetryListener | None) -> AsyncRetrying:
        settings = self._settings
        return attempts(settings.llm_max_retries, settings.llm_retry_after_cap_s, on_retry)

    def usage(self, model: str, api: ApiUsage | None) -> Usage:
        """Our `Usage` (with cost) from the API's usage block."""
        if api is None:
            return Usage(calls=1)
        written = api.cache_creation_input_tokens or 0
        read = api.cache_read_input_tokens or 0
        usage = Usage(
            input_tokens=api.input_tokens,
            output_tokens=api.output_tokens,
            cache_write_tokens=written,
            cache_read_tokens=read,
            calls=1,
        )
        price = self._settings.price(model)
        if price is None:
            log.warning("no price for model %s: cost reported as 0 (set DOCDEBATE_PRICES)", model)
            return usage
        million = 1_000_000
        usage.cost_usd = (
            api.input_tokens * price.input
            + written * price.cache_write
            + read * price.cache_read
            + api.output_tokens * price.output
        ) / million
        usage.uncached_cost_usd = (
            (api.input_tokens + written + read) * price.input + api.output_tokens * price.output
        ) / million
        return usage

    async def warm(
        self, model: str, cached_system: str, on_retry: RetryListener | None = None
    ) -> Usage | None:
        """Write the shared prefix to the cache before a fan-out; skipped when it is too short to cache."""
        if estimate_tokens(cached_system) < MIN_CACHEABLE_TOKENS:
            return None
        prompt = Prompt(cached_system, "", [{"role": "user", "content": "Reply with the single word: ready"}])
        with _model_errors(model):
            async for attempt in self._attempts(on_retry):
                with attempt:
                    message = await self._client.messages.create(
                        model=model, max_tokens=1, system=prompt.system_blocks(), messages=prompt.messages
                    )
        return self.usage(model, message.usage)

    async def stream_text(
        self,
        model: str,
        prompt: Prompt,
        max_tokens: int,
        on_text: TextSink | None = None,
        on_restart: Callable[[], Awaitable[None]] | None = None,
        on_retry: RetryListener | None = None,
    ) -> tuple[str, Usage]:
        """One free-text turn, streamed; `on_text` receives each chunk as it arrives.

        A failure before or during the stream (an overload reported as an SSE `error` event after a 200)
        starts the turn again; `on_restart` tells the listener that the text so far is void.
        """
        with _model_errors(model):
            async for attempt in self._attempts(on_retry):
                with attempt:
                    if attempt.retry_state.attempt_number > 1 and on_restart is not None:
                        await on_restart()
                    return await self._stream_once(model, prompt, max_tokens, on_text)
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    async def _stream_once(
        self, model: str, prompt: Prompt, max_tokens: int, on_text: TextSink | None
    ) -> tuple[str, Usage]:
        async with self._client.messages.stream(
            model=model, max_tokens=max_tokens, system=prompt.system_blocks(), messages=prompt.messages
        ) as stream:
            async for chunk in stream.text_stream:
                if on_text is not None:
                    await on_text(chunk)
            message = await stream.get_final_message()
        _refuse_refusals(message.stop_reason)
        text = "".join(block.text for block in message.content if block.type == "text")
        return text, self.usage(model, message.usage)

    async def structured(
        self,
        model: str,
        prompt: Prompt,
        max_tokens: int,
        output: type[T],
        on_retry: RetryListener | None = None,
    ) -> tuple[T, Usage]:
        """One call whose answer is an instance of `output`, through native structured output."""
        with _model_errors(model):
            async for attempt in self._attempts(on_retry):
                with attempt:
                    message = await self._client.messages.parse(
                        model=model,
                        max_tokens=max_tokens,
                        system=prompt.system_blocks(),
                        messages=prompt.messages,
                        output_format=output,
                    )
        _refuse_refusals(message.stop_reason)
        if message.parsed_output is None:
            raise ModelError(
                f"the model's answer was cut off (stop reason: {message.stop_reason}); try --depth quick "
                "or a shorter document"
            )
        return message.parsed_output, self.usage(model, message.usage)

    async def structured_in_text(
        self,
        model: str,
        prompt: Prompt,
        max_tokens: int,
        output: type[T],
        repair: Repair,
        on_retry: RetryListener | None = None,
    ) -> tuple[T, Usage]:
        """One call whose answer is an instance of `output`, as JSON in plain text (the prompt asks for it).

        An answer that does not validate gets one repair call: the same prompt, then `repair(answer, error)`.
        """
        answer, usage = await self.stream_text(model, prompt, max_tokens, on_retry=on_retry)
        try:
            return _parse_json(answer, output), usage
        except ValidationError as exc:
            error = _brief(exc)
        log.info("the %s answer did not validate (%s): one repair call", output.__name__, error)
        answer, repaired = await self.stream_text(
            model, prompt.then(repair(answer, error)), max_tokens, on_retry=on_retry
        )
        try:
            return _parse_json(answer, output), usage + repaired
        except ValidationError as exc:
            raise ModelError(
                f"the model's answer was not a valid {output.__name__} even after a repair ({_brief(exc)}): "
                "try again"
            ) from exc


def _parse_json(answer: str, output: type[T]) -> T:
    """`output` from a JSON answer, which may sit in a Markdown code fence."""
    fenced = _JSON_FENCE.search(answer)
    return output.model_validate_json(fenced.group(1) if fenced else answer.strip())


def _brief(exc: ValidationError, most: int = 3) -> str:
    """What is wrong, in one line: the first few errors by where they are."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = [f"{'.'.join(map(str, e['loc'])) or 'the answer'}: {e['msg']}" for e in errors[:most]]
    more = f" and {len(errors) - most} more" if len(errors) > most else ""
    return "; ".join(parts) + more


def _refuse_refusals(stop_reason: str | None) -> None:
    if stop_reason == "refusal":
        raise ModelError("the model declined to review this document; nothing was posted")


@contextmanager
def _model_errors(model: str) -> Iterator[None]:
    """Turn the SDK's exceptions into one-sentence `ModelError`s (after the SDK's own retries)."""
    try:
        yield
    except anthropic.AuthenticationError as exc:
        raise ModelError("Anthropic rejected the API key (401): check ANTHROPIC_API_KEY") from exc
    except anthropic.PermissionDeniedError as exc:
        raise ModelError(f"this API key may not use {model} (403): check the key's workspace") from exc
    except anthropic.NotFoundError as exc:
        raise ModelError(f"model {model} was not found (404): check DOCDEBATE_MODEL") from exc
    except anthropic.RateLimitError as exc:
        if exc.error_code and "spend_limit" in exc.error_code:
            raise ModelError(
                "the Anthropic account has reached its spend limit: raise the limit or try again next period"
            ) from exc
        raise ModelError("the model is rate-limited and retries ran out: try again in a few minutes") from exc
    except anthropic.InternalServerError as exc:
        raise ModelError(
            f"the model service is overloaded or failing ({exc.status_code}): try again in a few minutes"
        ) from exc
    except anthropic.APITimeoutError as exc:
        raise ModelError("a model call timed out: try again, or use --depth quick") from exc
    except anthropic.APIConnectionError as exc:
        raise ModelError("cannot reach the model service: check the network or ANTHROPIC_BASE_URL") from exc
    except anthropic.APIStatusError as exc:
        detail = exc.api_message or exc.message
        if is_mid_stream_failure(exc):
            raise ModelError(
                f"the model service failed mid-answer ({exc.type}): try again in a few minutes"
            ) from exc
        if exc.type == "billing_error":
            raise ModelError(f"Anthropic billing problem: {detail}") from exc
        raise ModelError(f"the model rejected the request ({exc.status_code}): {detail}") from exc
