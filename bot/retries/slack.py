"""Slack Web API retries: 429s after their Retry-After, 5xx and dropped connections, by slack_sdk itself."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

SLACK_RATE_LIMIT_RETRIES = 5
SLACK_SERVER_ERROR_RETRIES = 2


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
