"""Google API retries: 429, 5xx and 403 rate limits, honouring Retry-After (see `bot.retries`)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httplib2
from googleapiclient.errors import HttpError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

GOOGLE_TRANSIENT_STATUS = (429, 500, 502, 503, 504)


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
