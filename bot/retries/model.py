"""Anthropic retries, with tenacity rather than the SDK's own loop, so each wait is known and can be shown.

A call is retried on what a new attempt can fix: 408, 409, 429, 5xx and 529 answers, dropped connections
and timeouts, and an overload reported inside a 200 stream (which the SDK cannot retry at all). Never on a
spend limit or a billing hold (a 429 or 400 that waiting will not cure), nor on any other 4xx. The server's
`x-should-retry` header, when sent, decides; its Retry-After is honoured up to a cap.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anthropic
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

NO_RETRY_CODES = ("spend_limit", "billing", "organization_on_hold")
_RETRIED_STATUS = (408, 409, 429)
_MID_STREAM_TYPES = ("overloaded_error", "api_error", "rate_limit_error", "timeout_error")
_BACKOFF = wait_random_exponential(multiplier=0.5, max=8)


@dataclass(frozen=True)
class RetryNotice:
    """A retry about to happen: shown to whoever watches the call."""

    service: str
    problem: str  # "rate-limiting", "overloaded", "unreachable", ...
    wait_s: float
    retry: int  # this is retry `retry` of `retries`
    retries: int

    def text(self) -> str:
        seconds = max(1, round(self.wait_s))
        return f"{self.service} is {self.problem}: retrying in {seconds} s ({self.retry} of {self.retries})"


RetryListener = Callable[[RetryNotice], Awaitable[None]]


def is_mid_stream_failure(exc: BaseException) -> bool:
    """An error event inside a 200 stream, of a kind that a new attempt can fix. The SDK raises it as an
    `APIStatusError` with the stream's 200 status."""
    return (
        isinstance(exc, anthropic.APIStatusError) and exc.status_code < 400 and exc.type in _MID_STREAM_TYPES
    )


def _final_code(exc: anthropic.APIStatusError) -> bool:
    text = f"{exc.error_code or ''} {exc.type or ''} {exc.body!r}"
    return any(code in text for code in NO_RETRY_CODES)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, anthropic.APIConnectionError):  # timeouts included
        return True
    if not isinstance(exc, anthropic.APIStatusError) or _final_code(exc):
        return False
    told = exc.response.headers.get("x-should-retry")
    if told in ("true", "false"):
        return told == "true"
    return is_mid_stream_failure(exc) or exc.status_code in _RETRIED_STATUS or exc.status_code >= 500


def problem(exc: BaseException | None) -> str:
    """What is wrong with the service, in a few words for a status line."""
    if isinstance(exc, anthropic.APITimeoutError):
        return "not answering in time"
    if isinstance(exc, anthropic.APIConnectionError):
        return "unreachable"
    if isinstance(exc, anthropic.APIStatusError):
        if exc.type == "overloaded_error" or exc.status_code == 529:
            return "overloaded"
        if exc.status_code == 429 or exc.type == "rate_limit_error":
            return "rate-limiting"
        if exc.status_code < 400:
            return "failing mid-answer"
        return f"failing (HTTP {exc.status_code})"
    return "failing"


def retry_after(exc: BaseException | None) -> float | None:
    """The server's Retry-After (ms or s, or an HTTP date) in seconds, if it sent one."""
    if not isinstance(exc, anthropic.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(value) / scale
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    return None


def _wait(cap_s: float) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        if asked is not None and asked > 0:
            return min(asked, cap_s)
        return float(_BACKOFF(state))

    return wait


def attempts(retries: int, retry_after_cap_s: float, on_retry: RetryListener | None = None) -> AsyncRetrying:
    """The attempts of one model call: `retries` retries at most, each announced to `on_retry`."""

    async def announce(state: RetryCallState) -> None:
        if on_retry is not None and state.next_action is not None:
            exc = state.outcome.exception() if state.outcome else None
            notice = RetryNotice(
                "Anthropic", problem(exc), state.next_action.sleep, state.attempt_number, retries
            )
            await on_retry(notice)

    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(retries + 1),
        wait=_wait(retry_after_cap_s),
        before_sleep=announce,
        reraise=True,
    )
