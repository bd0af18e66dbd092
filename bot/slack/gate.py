"""The door of `/slack/events` in HTTP mode: a request's signature is checked before anything else reads it.

Bolt parses a body before it verifies its signature, and a non-numeric `X-Slack-Request-Timestamp` makes
slack_sdk's verifier raise: either way an anonymous sender earned a 500 and a logged traceback. Here an
unsigned, stale or badly signed request gets 401 and a malformed signed one 400, each with one log line;
only what passes reaches Bolt (which verifies again, as it always does).
"""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)


def signed_requests_only(signing_secret: str, path: str) -> Middleware:
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def gate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != path or request.method != "POST":
            return await handler(request)
        body = await request.read()
        refused = _unsigned(
            verifier,
            body,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
        if refused:
            log.warning("refused a request to %s: %s", path, refused)
            return web.json_response({"error": refused}, status=401)
        malformed = _malformed(body, request.content_type)
        if malformed:
            log.warning("refused a signed request to %s: %s", path, malformed)
            return web.json_response({"error": malformed}, status=400)
        return await handler(request)

    return gate


def _unsigned(verifier: SignatureVerifier, body: bytes, timestamp: str, signature: str) -> str | None:
    if not timestamp or not signature:
        return "no signature"
    if not timestamp.isdigit():
        return "a timestamp that is not a number"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "a body that is not UTF-8"
    return (
        None
        if verifier.is_valid(body=text, timestamp=timestamp, signature=signature)
        else "a bad or stale signature"
    )


def _malformed(body: bytes, content_type: str) -> str | None:
    """What Bolt would fail to parse: JSON that is not an object, a form whose `payload` is not JSON."""
    text = body.decode("utf-8")
    try:
        if content_type == "application/json":
            return None if isinstance(json.loads(text), dict) else "a JSON body that is not an object"
        payload = parse_qs(text).get("payload")
        if payload is not None and not isinstance(json.loads(payload[0]), dict):
            return "a payload that is not a JSON object"
    except ValueError:
        return "a body that does not parse"
    return None
