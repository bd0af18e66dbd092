"""Every retry decision of the bot, in one place.

| service   | retried (transient)                              | never retried                          | by whom |
|-----------|--------------------------------------------------|----------------------------------------|---------|
| Anthropic | 408, 409, 429, 5xx, 529, connection errors       | 4xx that cannot succeed, auth, a spend limit or billing hold | the SDK (`max_retries`), adjusted by `AnthropicRetryPolicy` |
| Anthropic | an overload reported inside a 200 stream         | other stream errors                    | tenacity: `mid_stream_attempts` |
| Slack     | 429 (Retry-After), 5xx, connection errors        | every `ok: false` error                | slack_sdk's retry handlers: `add_slack_retries` |
| Google    | 429, 5xx, 403 rate limits, connection errors     | 400, 401, 403, 404                     | tenacity: `google_execute` |

Retry-After is honoured everywhere, capped by `DOCDEBATE_LLM_RETRY_AFTER_CAP_S` for Anthropic and Google
(a debate should rather fail clearly than stall for minutes). Slack's is honoured as given: calling Slack
earlier only earns another 429.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, TypeVar

import anthropic
import httplib2
from anthropic import APIRequest, AsyncAPIResponse, AsyncCallNext, Middleware
from googleapiclient.errors import HttpError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

T = TypeVar("T")

ANTHROPIC_NO_RETRY_CODES = ("spend_limit", "billing", "organization_on_hold")
MID_STREAM_ATTEMPTS = 3
SLACK_RATE_LIMIT_RETRIES = 5
SLACK_SERVER_ERROR_RETRIES = 2
GOOGLE_TRANSIENT_STATUS = (429, 500, 502, 503, 504)


# ---- Anthropic ----


class AnthropicRetryPolicy(Middleware):
    """What the SDK's options cannot say: a spend-limit or billing 429 is final (`x-should-retry: false`),
    and a Retry-After longer than the cap is shortened. Runs once per HTTP attempt, before the SDK decides."""

    def __init__(self, retry_after_cap_s: float) -> None:
        self._cap = retry_after_cap_s

    async def handle_async(self, request: APIRequest, call_next: AsyncCallNext) -> AsyncAPIResponse[Any]:
        response = await call_next(request)
        http = response.http_response
        if http.status_code >= 400:
            body = (await http.aread()).decode("utf-8", "replace")
            if any(code in body for code in ANTHROPIC_NO_RETRY_CODES):
                http.headers["x-should-retry"] = "false"
            self._cap_retry_after(http.headers)
        return response

    def _cap_retry_after(self, headers: Any) -> None:
        for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
            try:
                seconds = float(headers.get(name)) / scale
            except (TypeError, ValueError):
                continue  # absent, or an HTTP date (rare; the SDK parses it)
            if seconds > self._cap:
                headers[name] = str(int(self._cap * scale))


def is_mid_stream_failure(exc: BaseException) -> bool:
    """An error event inside a 200 stream, of a kind that a new attempt can fix. The SDK raises it as an
    `APIStatusError` with the stream's 200 status and cannot retry it."""
    return (
        isinstance(exc, anthropic.APIStatusError)
        and exc.status_code < 400
        and exc.type in ("overloaded_error", "api_error", "rate_limit_error", "timeout_error")
    )


def mid_stream_attempts() -> AsyncRetrying:
    """Attempts of one streamed turn: restarted (bounded, with jittered backoff) after a mid-stream failure."""
    return AsyncRetrying(
        retry=retry_if_exception(is_mid_stream_failure),
        stop=stop_after_attempt(MID_STREAM_ATTEMPTS),
        wait=wait_random_exponential(multiplier=1, max=8),
        reraise=True,
    )


# ---- Slack ----


def add_slack_retries(client: AsyncWebClient) -> None:
    """Slack's 429s (after their Retry-After), 5xx and dropped connections, retried by slack_sdk itself."""
    client.retry_handlers.extend(
        [
            AsyncRateLimitErrorRetryHandler(max_retry_count=SLACK_RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=SLACK_SERVER_ERROR_RETRIES),
        ]
    )
    if not any(isinstance(h, AsyncConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=2))


# ---- Google ----


def is_google_transient(exc: BaseException) -> bool:
    if isinstance(exc, HttpError):
        status = exc.status_code
        # Drive says `userRateLimitExceeded`, Docs `USER_RATE_LIMIT_EXCEEDED` (an ErrorInfo reason).
        details = (str(exc.reason) + exc.content[:2000].decode("utf-8", "replace")).lower().replace("_", "")
        return status in GOOGLE_TRANSIENT_STATUS or (status == 403 and "ratelimitexceeded" in details)
    return isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, httplib2.HttpLib2Error))


def _google_wait(cap_s: float) -> Callable[[RetryCallState], float]:
    """Google's Retry-After when it sends one (googleapiclient's own retries ignore it), else jittered
    exponential backoff; both capped."""
    backoff = wait_random_exponential(multiplier=0.5, max=cap_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, HttpError):
            try:
                return min(float(exc.resp.get("retry-after", "")), cap_s)
            except ValueError:
                pass
        return backoff(state)

    return wait


def google_execute(request: Any, attempts: int, retry_after_cap_s: float) -> Any:
    """Execute a googleapiclient request (blocking), retrying transient failures; others raise at once."""
    for attempt in Retrying(
        retry=retry_if_exception(is_google_transient),
        stop=stop_after_attempt(attempts),
        wait=_google_wait(retry_after_cap_s),
        reraise=True,
    ):
        with attempt:
            return request.execute()
    raise AssertionError("unreachable: tenacity re-raises the last failure")
