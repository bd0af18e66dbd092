"""Start-up checks: what `docdebate serve` verifies before it takes any work, and `docdebate doctor` shows.

Each check gives one `Check` row per thing checked: what is configured (never a secret), ok / failed /
skipped and, for a failure, whether it is fatal (a setting to fix: retrying cannot help) or not (a service
that did not answer), with one sentence on what to do. A transient failure (connection refused, a timeout,
HTTP 5xx or 429) is retried with backoff and one log line per attempt, never a traceback, for a bounded time
(`backoff`). The checks are independent and run concurrently; each loads its SDK only when it runs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import ssl
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
)

from bot.config import Settings
from bot.errors import ConfigError, DocdebateError
from bot.posting.auth_watch import APP_TOKEN_FIX, BOT_TOKEN_FIX, SLACK_APPS, SLACK_AUTH_ERRORS
from bot.resources import resource_file

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic
    from slack_sdk.web.async_client import AsyncWebClient
    from slack_sdk.web.async_slack_response import AsyncSlackResponse

T = TypeVar("T")
log = logging.getLogger("docdebate")

TIMEOUT_S = 10.0  # one attempt of one check
LONGEST_WAIT_S = 16.0
SLACK_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class Status(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    """One row: `problem` says what is wrong (or why the check was skipped, or a note when ok); `fix` is one
    sentence on what to do. `fatal`: a failure only a change of settings can fix."""

    name: str
    configured: str
    status: Status
    fatal: bool = False
    problem: str = ""
    fix: str = ""

    @property
    def message(self) -> str:
        return f"{self.problem}: {self.fix}" if self.fix else self.problem


def _ok(name: str, configured: str, note: str = "") -> Check:
    return Check(name, configured, Status.OK, problem=note)


def _fatal(name: str, configured: str, problem: str, fix: str) -> Check:
    return Check(name, configured, Status.FAILED, fatal=True, problem=problem, fix=fix)


def _skipped(name: str, configured: str, why: str) -> Check:
    return Check(name, configured, Status.SKIPPED, problem=why)


def _unreachable(name: str, configured: str, failure: Exception, waits: Sequence[float], fix: str) -> Check:
    """A service that kept failing transiently: not fatal (nothing to change in the settings, perhaps)."""
    return Check(name, configured, Status.FAILED, problem=f"{failure}, {len(waits) + 1} attempts", fix=fix)


class UnavailableError(DocdebateError):
    """A service the bot needs did not answer within the start-up retries."""

    exit_code = 69  # EX_UNAVAILABLE


# ---- retries ----


class _Transient(Exception):
    """A failure a later attempt may not meet; its message says what happened in a few words.
    `retry_after`: the service said when to come back (a 429's Retry-After)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("retry-after")) if headers is not None else None
    except (TypeError, ValueError):
        return None  # absent, or an HTTP date


def backoff(budget_s: float) -> list[float]:
    """The waits between attempts: 1, 2, 4, 8, 16, 16, ... s, the last one cut so they add up to the budget."""
    waits: list[float] = []
    while sum(waits) < budget_s - 1e-9:
        waits.append(min(2.0 ** len(waits), LONGEST_WAIT_S, budget_s - sum(waits)))
    return waits


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


async def _attempts(call: Callable[[], Awaitable[T]], waits: Sequence[float]) -> T:
    """`call()`, retried after each `waits[i]` while it fails transiently; then its last failure is raised.
    Attempts that time out count too: the whole is bounded by the waits plus one attempt's timeout."""
    total = len(waits) + 1

    def before_sleep(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        pause = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s; retrying in %s s (%d of %d)", failure, _seconds(pause), state.attempt_number + 1, total
        )

    def wait(state: RetryCallState) -> float:
        if state.attempt_number > len(waits):
            return 0.0  # no attempt follows
        failure = state.outcome.exception() if state.outcome else None
        told = failure.retry_after if isinstance(failure, _Transient) else None
        return min(told, LONGEST_WAIT_S) if told is not None else waits[state.attempt_number - 1]

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(_Transient),
        stop=stop_after_attempt(total) | stop_after_delay(sum(waits) + TIMEOUT_S),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity re-raises the last failure")


def _why(exc: BaseException) -> str:
    """A connection failure in a few words: connection refused, timed out, unknown host, ..."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    for link in chain:
        if isinstance(link, ConnectionRefusedError):
            return "connection refused"
        if isinstance(link, socket.gaierror):
            return "unknown host"
        if isinstance(link, TimeoutError):
            return "timed out"
        if isinstance(link, ssl.SSLError):
            return "TLS handshake failed"
    text = next((str(link) for link in chain if str(link)), type(exc).__name__)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if "timed out" in lowered or "timeout" in lowered:
        return "timed out"
    return text.splitlines()[0][:160]


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:200]


def _token_shown(value: str) -> str:
    """Which kind of token is set, never its value."""
    kind = value.split("-", 1)[0] + "-…" if value.startswith(("xoxb-", "xoxp-", "xapp-")) else "…"
    return f"set ({kind})"


def _secret(settings: Settings, name: str) -> str:
    try:
        return settings.secret(name)
    except ConfigError:
        return ""


# ---- Slack ----


@lru_cache(maxsize=1)
def manifest_scopes() -> tuple[str, ...]:
    """The bot scopes `manifest.yml` asks for (`oauth_config.scopes.bot`)."""
    import yaml

    manifest = yaml.safe_load(resource_file("manifest.yml").read_text(encoding="utf-8"))
    return tuple(manifest["oauth_config"]["scopes"]["bot"])


def _slack_client(settings: Settings) -> AsyncWebClient:
    from slack_sdk.web.async_client import AsyncWebClient

    # No retry handlers of its own: `_attempts` retries, one log line each.
    return AsyncWebClient(base_url=settings.slack_api_url, timeout=int(TIMEOUT_S), retry_handlers=[])


def _slack_answer(exc: Exception) -> tuple[int, str]:
    """HTTP status and Slack's `error` of a SlackApiError (its response is not JSON when a proxy answered)."""
    response: Any = getattr(exc, "response", None)
    status = int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)
    try:
        error = str(response.get("error") or "") if hasattr(response, "get") else ""
    except (AttributeError, TypeError, ValueError):
        error = ""
    return status, error or "no error given"


async def _slack_call(
    call: Callable[[], Awaitable[AsyncSlackResponse]], service: str = "Slack"
) -> AsyncSlackResponse:
    """A Web API call whose transient failures raise `_Transient`; Slack's other errors raise SlackApiError."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    try:
        return await call()
    except SlackApiError as exc:
        status, error = _slack_answer(exc)
        if status == 429 or error == "ratelimited":
            told = _retry_after(getattr(exc.response, "headers", None))
            raise _Transient(f"{service} is rate-limiting (HTTP {status})", told) from exc
        if status >= 500 or error in SLACK_TRANSIENT_ERRORS:
            raise _Transient(f"{service} answered HTTP {status} ({error})") from exc
        raise
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise _Transient(f"{service} is unreachable ({_why(exc)})") from exc


def _slack_configured(settings: Settings, variable: str, token: str) -> str:
    shown = f"{variable} {_token_shown(token)}" if token else f"{variable} not set"
    if settings.slack_api_url.rstrip("/") != "https://slack.com/api":
        shown += f", SLACK_API_URL {settings.slack_api_url}"
    return shown


async def check_slack_bot(settings: Settings, waits: Sequence[float]) -> list[Check]:
    """`auth.test` with the bot token, then its granted scopes (`x-oauth-scopes`) against the manifest's."""
    from slack_sdk.errors import SlackApiError

    name, scopes_name = "Slack bot token", "Slack scopes"
    scopes_configured = f"manifest.yml asks for {len(manifest_scopes())}"
    token = _secret(settings, "slack_bot_token")
    configured = _slack_configured(settings, "SLACK_BOT_TOKEN", token)
    if not token:
        fix = f"copy the Bot User OAuth Token (xoxb-…) from {SLACK_APPS} > OAuth & Permissions"
        return [
            _fatal(name, configured, "not set: SLACK_BOT_TOKEN", fix),
            _skipped(scopes_name, scopes_configured, "needs SLACK_BOT_TOKEN"),
        ]
    client = _slack_client(settings)
    try:
        response = await _attempts(lambda: _slack_call(lambda: client.auth_test(token=token)), waits)
    except _Transient as exc:
        return [
            _unreachable(name, configured, exc, waits, "check the network, or SLACK_API_URL"),
            _skipped(scopes_name, scopes_configured, "needs Slack to answer"),
        ]
    except SlackApiError as exc:
        _, error = _slack_answer(exc)
        skipped = _skipped(scopes_name, scopes_configured, "needs a working SLACK_BOT_TOKEN")
        if error == "not_allowed_token_type":
            problem = "SLACK_BOT_TOKEN is not a bot token (not_allowed_token_type)"
            return [_fatal(name, configured, problem, BOT_TOKEN_FIX), skipped]
        if error in SLACK_AUTH_ERRORS:
            return [
                _fatal(name, configured, f"Slack rejected SLACK_BOT_TOKEN ({error})", BOT_TOKEN_FIX),
                skipped,
            ]
        return [_fatal(name, configured, f"Slack refused auth.test ({error})", BOT_TOKEN_FIX), skipped]
    who = f"@{response.get('user')} in {response.get('team')}"
    return [_ok(name, configured, who), _scopes(settings, scopes_name, scopes_configured, response.headers)]


CANVAS_SCOPE = "canvases:write"


def needed_scopes(settings: Settings) -> tuple[str, ...]:
    """The manifest's scopes this configuration uses: all of them but canvases:write, which only
    DOCDEBATE_CANVAS=true uses (an app installed before canvases, or a team that leaves them off, serves)."""
    return tuple(s for s in manifest_scopes() if s != CANVAS_SCOPE or settings.canvas)


def _scopes(settings: Settings, name: str, configured: str, headers: Any) -> Check:
    granted_header = headers.get("x-oauth-scopes") if headers is not None else None
    if granted_header is None:
        return _skipped(name, configured, "Slack did not list the token's scopes (no x-oauth-scopes header)")
    granted = {s.strip() for s in str(granted_header).split(",") if s.strip()}
    missing = [s for s in needed_scopes(settings) if s not in granted]
    if missing:
        return _fatal(
            name,
            configured,
            f"the bot token lacks the scope{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            f"update the app from manifest.yml ({SLACK_APPS} > App Manifest), reinstall it, and copy the new "
            "Bot User OAuth Token into SLACK_BOT_TOKEN",
        )
    if CANVAS_SCOPE not in granted:
        unused = f"{CANVAS_SCOPE} is not, which only DOCDEBATE_CANVAS=true needs"
        return _ok(name, configured, f"all {len(needed_scopes(settings))} needed granted; {unused}")
    return _ok(name, configured, f"all {len(manifest_scopes())} granted")


async def check_socket_mode(settings: Settings, waits: Sequence[float]) -> list[Check]:
    """`apps.connections.open` with the app-level token, as the Socket Mode client will call it."""
    from slack_sdk.errors import SlackApiError

    name = "Slack app token (Socket Mode)"
    token = _secret(settings, "slack_app_token")
    configured = _slack_configured(settings, "SLACK_APP_TOKEN", token)
    if not token:
        return [_fatal(name, configured, "not set: SLACK_APP_TOKEN", APP_TOKEN_FIX + " (or serve --http)")]
    client = _slack_client(settings)

    def open_connection() -> Awaitable[AsyncSlackResponse]:
        return client.apps_connections_open(app_token=token)

    try:
        await _attempts(lambda: _slack_call(open_connection, "Slack's Socket Mode endpoint"), waits)
    except _Transient as exc:
        return [_unreachable(name, configured, exc, waits, "check the network, or SLACK_API_URL")]
    except SlackApiError as exc:
        _, error = _slack_answer(exc)
        if error == "not_allowed_token_type":
            return [
                _fatal(
                    name, configured, f"SLACK_APP_TOKEN is not an app-level token ({error})", APP_TOKEN_FIX
                )
            ]
        if error in SLACK_AUTH_ERRORS:
            return [_fatal(name, configured, f"Slack rejected SLACK_APP_TOKEN ({error})", APP_TOKEN_FIX)]
        fix = f"turn Socket Mode on ({SLACK_APPS} > Socket Mode), or serve --http"
        return [_fatal(name, configured, f"Slack refused apps.connections.open ({error})", fix)]
    return [_ok(name, configured, "Socket Mode connections open")]


async def check_signing_secret(settings: Settings) -> list[Check]:
    """HTTP mode: the signing secret cannot be tried before Slack sends a request, only required."""
    name = "Slack signing secret (HTTP)"
    if _secret(settings, "slack_signing_secret"):
        return [_ok(name, "SLACK_SIGNING_SECRET set", "checked on every request Slack sends")]
    fix = f"copy the Signing Secret from {SLACK_APPS} > Basic Information > App Credentials"
    return [_fatal(name, "SLACK_SIGNING_SECRET not set", "not set: SLACK_SIGNING_SECRET", fix)]


# ---- the database ----


def shown_url(url: str) -> str:
    """`DATABASE_URL` without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


_DB_TRANSIENT = ("connection refused", "timeout expired", "timed out", "starting up", "could not connect")


def _open_database(url: str, create: bool) -> str:
    """Connect and migrate (a note on what was done); without `create`, a missing SQLite file is only
    checked to be creatable, so `doctor` leaves no file behind."""
    from sqlalchemy.engine import make_url

    from bot.store.db import engine, sqlalchemy_url

    parsed = make_url(sqlalchemy_url(url))
    path = parsed.database
    if not create and parsed.get_backend_name() == "sqlite" and path not in (None, "", ":memory:"):
        file = Path(path)
        if not file.exists():
            folder = file.resolve().parent
            if not folder.is_dir() or not os.access(folder, os.W_OK):
                raise OSError(f"{folder} is not a folder this user can write to")
            return f"{file} will be created by serve"
    engine(url)
    return "connected, schema up to date"


async def check_database(settings: Settings, waits: Sequence[float], *, create: bool = True) -> list[Check]:
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    name, configured = "Database", f"DATABASE_URL {shown_url(settings.database_url)}"

    async def attempt() -> str:
        try:
            return await asyncio.to_thread(_open_database, settings.database_url, create)
        except SQLAlchemyError as exc:
            if any(marker in _first_line(exc).lower() for marker in _DB_TRANSIENT):
                raise _Transient(f"the database is unreachable ({_why(exc)})") from exc
            raise

    try:
        note = await _attempts(attempt, waits)
    except _Transient as exc:
        return [_unreachable(name, configured, exc, waits, "check that the database server is up")]
    except (SQLAlchemyError, CommandError, OSError, ImportError, ValueError) as exc:
        fix = "check DATABASE_URL (for PostgreSQL: the server, user, password and database)"
        return [_fatal(name, configured, f"cannot open the database ({_first_line(exc)})", fix)]
    return [_ok(name, configured, note)]


# ---- Anthropic ----


def _anthropic_message(exc: Exception) -> str:
    body: Any = getattr(exc, "body", None)
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or getattr(exc, "message", "") or type(exc).__name__)[:160]


async def _count_tokens(client: AsyncAnthropic, model: str) -> None:
    """The free call: count the tokens of one word, which needs a valid key and a known model."""
    import anthropic

    try:
        await client.messages.count_tokens(model=model, messages=[{"role": "user", "content": "ping"}])
    except anthropic.APIConnectionError as exc:  # timeouts included
        raise _Transient(f"Anthropic is unreachable ({_why(exc)})") from exc
    except anthropic.APIStatusError as exc:
        if exc.status_code == 429:
            told = _retry_after(exc.response.headers)
            raise _Transient("Anthropic is rate-limiting (HTTP 429)", told) from exc
        if exc.status_code >= 500 or exc.status_code in (408, 409):
            raise _Transient(
                f"Anthropic answered HTTP {exc.status_code} ({_anthropic_message(exc)})"
            ) from exc
        raise


def _anthropic_refusal(exc: Exception, model: str, variable: str) -> tuple[str, str]:
    status = getattr(exc, "status_code", 0)
    if status == 401:
        return (
            "Anthropic rejected ANTHROPIC_API_KEY (401)",
            "copy a valid key from console.anthropic.com > API keys into ANTHROPIC_API_KEY",
        )
    if status == 404:
        return (
            f"Anthropic does not know the model {model} (404)",
            f"set {variable} to a model your key can use (docs.claude.com > Models)",
        )
    if status == 403:
        return (
            f"Anthropic refused the key for {model} (403: {_anthropic_message(exc)})",
            f"use a key whose workspace may call this model, or another model in {variable}",
        )
    return (
        f"Anthropic refused the request ({status}: {_anthropic_message(exc)})",
        "check the account at console.anthropic.com (billing, limits)",
    )


async def check_anthropic(settings: Settings, waits: Sequence[float]) -> list[Check]:
    """The key and every configured model, with `messages.count_tokens` (free)."""
    name = "Anthropic"
    models = {settings.model: "DOCDEBATE_MODEL"}
    models.setdefault(settings.judge, "DOCDEBATE_JUDGE_MODEL")
    key = settings.anthropic_api_key.get_secret_value().strip() if settings.anthropic_api_key else ""
    shown = [f"ANTHROPIC_API_KEY {'set' if key else 'not set'}"]
    shown += [f"{variable} {model}" for model, variable in models.items()]
    if settings.anthropic_base_url:
        shown.append(f"ANTHROPIC_BASE_URL {settings.anthropic_base_url}")
    configured = ", ".join(shown)
    if not key:
        fix = "create a key at console.anthropic.com > API keys"
        return [_fatal(name, configured, "not set: ANTHROPIC_API_KEY", fix)]
    import anthropic

    async with anthropic.AsyncAnthropic(
        api_key=key, base_url=settings.anthropic_base_url, max_retries=0, timeout=TIMEOUT_S
    ) as client:
        for model, variable in models.items():
            try:
                await _attempts(lambda model=model: _count_tokens(client, model), waits)  # type: ignore[misc]
            except _Transient as exc:
                return [
                    _unreachable(name, configured, exc, waits, "check the network, or ANTHROPIC_BASE_URL")
                ]
            except anthropic.APIStatusError as exc:
                return [_fatal(name, configured, *_anthropic_refusal(exc, model, variable))]
    return [_ok(name, configured, "the key works with " + ", ".join(models))]


# ---- Google ----


def _google_token(path: Path) -> str:
    """Parse the key and fetch a token from its `token_uri`, as every Google call will; the account's email."""
    from google.auth.exceptions import RefreshError, TransportError
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    from bot.sources.google import SCOPES

    class QuickRequest(Request):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", TIMEOUT_S)
            return super().__call__(*args, **kwargs)  # type: ignore[no-untyped-call]

    credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
        str(path), scopes=SCOPES
    )
    try:
        credentials.refresh(QuickRequest())
    except TransportError as exc:
        raise _Transient(f"Google's token endpoint is unreachable ({_why(exc)})") from exc
    except RefreshError as exc:
        if exc.retryable:
            raise _Transient(f"Google's token endpoint failed ({_refusal(exc)})") from exc
        raise
    return str(credentials.service_account_email)


def _refusal(exc: Exception) -> str:
    first = exc.args[0] if exc.args else exc
    return str(first).splitlines()[0][:160] if str(first) else type(exc).__name__


async def check_google(settings: Settings, waits: Sequence[float]) -> list[Check]:
    """Only with GOOGLE_APPLICATION_CREDENTIALS: its key parses and its token can be fetched."""
    name = "Google"
    path = settings.google_application_credentials
    if path is None:
        why = "not set: GOOGLE_APPLICATION_CREDENTIALS (needed only for Google Docs and Drive links)"
        return [_skipped(name, "GOOGLE_APPLICATION_CREDENTIALS not set", why)]
    from google.auth.exceptions import RefreshError

    configured = f"GOOGLE_APPLICATION_CREDENTIALS {path}"
    try:
        account = await _attempts(lambda: asyncio.to_thread(_google_token, path), waits)
    except _Transient as exc:
        return [_unreachable(name, configured, exc, waits, "check the network to Google")]
    except RefreshError as exc:
        fix = (
            "the key may have been deleted or its account disabled: create a new key for the service account"
        )
        return [_fatal(name, configured, f"Google refused the service-account key ({_refusal(exc)})", fix)]
    except (OSError, ValueError, KeyError) as exc:
        fix = (
            "download a JSON key of the service account (Google Cloud console > IAM & Admin > Service "
            "accounts > Keys) and point GOOGLE_APPLICATION_CREDENTIALS at it"
        )
        problem = f"GOOGLE_APPLICATION_CREDENTIALS is not a service-account key ({_refusal(exc)})"
        return [_fatal(name, configured, problem, fix)]
    return [_ok(name, configured, f"a token for {account}")]


# ---- all of them ----


async def run_checks(
    settings: Settings,
    *,
    socket_mode: bool,
    waits: Sequence[float],
    stop_on_fatal: bool = False,
    create_database: bool = True,
    receives_slack: bool = True,
) -> list[Check]:
    """Every check, concurrently; the rows in a fixed order. `stop_on_fatal`: return as soon as one check is
    fatal, cancelling the others (a start that must fail should not wait for another check's retries).
    `receives_slack` False (a worker): the checks of Socket Mode or the signing secret are not needed."""
    checks: list[Coroutine[Any, Any, list[Check]]] = [
        check_slack_bot(settings, waits),
        check_database(settings, waits, create=create_database),
        check_anthropic(settings, waits),
        check_google(settings, waits),
    ]
    if receives_slack:
        checks.insert(
            1, check_socket_mode(settings, waits) if socket_mode else check_signing_secret(settings)
        )
    tasks = [asyncio.create_task(check) for check in checks]
    try:
        pending: set[asyncio.Task[list[Check]]] = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if stop_on_fatal and any(row.fatal for task in done for row in task.result()):
                break
    finally:
        for task in tasks:
            task.cancel()
    return [row for task in tasks if task.done() and not task.cancelled() for row in task.result()]


def verify(settings: Settings, *, socket_mode: bool, receives_slack: bool = True) -> None:
    """Before serving: a ConfigError (exit 78) for the first fatal problem, an UnavailableError (69) when a
    service stayed unreachable through `DOCDEBATE_STARTUP_RETRY_S` of retries; else nothing."""
    rows = asyncio.run(
        run_checks(
            settings,
            socket_mode=socket_mode,
            waits=backoff(settings.startup_retry_s),
            stop_on_fatal=True,
            receives_slack=receives_slack,
        )
    )
    failed = [row for row in rows if row.status is Status.FAILED]
    fatal = [row for row in failed if row.fatal]
    if fatal:
        more = f" (and {len(fatal) - 1} more: run `docdebate doctor`)" if len(fatal) > 1 else ""
        raise ConfigError(fatal[0].message + more)
    if failed:
        raise UnavailableError(failed[0].message)
    for row in rows:
        log.info("check %s: %s %s", row.name, row.status, row.problem)
