"""The Google API plumbing every Google read shares: credentials, services, calls, paging, errors.

googleapiclient services are built offline from the discovery documents shipped with the library
(`static_discovery=True`); `GOOGLE_API_URL` replaces Google's root for every API. Credentials come from a
service-account key (`GOOGLE_APPLICATION_CREDENTIALS`; its `token_uri` is honoured by google-auth).

googleapiclient is synchronous (httplib2): callers make these calls in a worker thread, and their transient
failures are retried as `bot.retries.google.google_execute` decides.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from bot.config import Settings
from bot.errors import ConfigError, SourceError
from bot.retries.google import google_execute

SCOPES = [
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/documents.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
]
_SERVICE_PATHS = {"docs": "", "drive": "drive/v3/", "calendar": "calendar/v3/"}  # under GOOGLE_API_URL


@functools.lru_cache(maxsize=4)
def _load_key(path: str) -> service_account.Credentials:
    """The service-account credentials, parsed once per process (about 0.1 s each time otherwise)."""
    try:
        return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call,no-any-return]
            path, scopes=SCOPES
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"GOOGLE_APPLICATION_CREDENTIALS={path} is not a service-account key: {exc}"
        ) from exc


class GoogleApi:
    """Google's APIs as the service account (or, with delegation, as a `subject` it acts for)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        path = settings.google_application_credentials
        if path is None:
            raise ConfigError(
                "Google links need a service account: set GOOGLE_APPLICATION_CREDENTIALS to its key file"
            )
        self._credentials = _load_key(str(path))

    @property
    def account(self) -> str:
        return str(self._credentials.service_account_email)

    @property
    def delegation(self) -> bool:
        """Whether the account may act as the people of its domain (`DOCDEBATE_GOOGLE_DELEGATION`)."""
        return self._settings.google_delegation

    def service(self, api: str, version: str, subject: str | None) -> Any:
        credentials = self._credentials.with_subject(subject) if subject else self._credentials  # type: ignore[no-untyped-call]
        http = google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=int(self._settings.fetch_timeout_s))
        )
        options = None
        if self._settings.google_api_url:
            options = {"api_endpoint": urljoin(self._settings.google_api_url, _SERVICE_PATHS[api])}
        return build(
            api, version, http=http, static_discovery=True, client_options=options, cache_discovery=False
        )

    def run(self, request: Any) -> Any:
        settings = self._settings
        return google_execute(request, settings.google_max_retries + 1, settings.llm_retry_after_cap_s)

    def run_media(self, request: Any) -> bytes:
        data = self.run(request)
        return data if isinstance(data, bytes) else str(data).encode()

    def listed(self, key: str, request: Callable[[str | None], Any]) -> list[dict[str, Any]]:
        """Every item under `key` of a paged list call; `request(token)` builds the call for one page."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.run(request(token))
            found += page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return found

    def errors(self, url: str) -> GoogleErrors:
        return GoogleErrors(url, self.account)


class GoogleErrors:
    """Google's HTTP errors as one-sentence SourceErrors (after googleapiclient's own retries)."""

    def __init__(self, url: str, account: str) -> None:
        self.url, self.account = url, account

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, HttpError):
            raise SourceError(self.message(exc)) from exc
        if isinstance(exc, RefreshError):
            raise SourceError(
                "Google rejected docdebate's credentials (the service-account key may be revoked, or delegation "
                "not granted for this user): check GOOGLE_APPLICATION_CREDENTIALS"
            ) from exc
        if isinstance(exc, (httplib2.HttpLib2Error, OSError)) and not isinstance(exc, SourceError):
            raise SourceError(f"could not reach Google ({exc}): try again in a minute") from exc

    def message(self, exc: HttpError) -> str:
        status = exc.resp.status
        why = reason(exc)
        if why == "exportSizeLimitExceeded":
            return (
                "this file is too large for Google to export as text (10 MB limit): split it, or download it "
                "as PDF or .docx and link or pass that"
            )
        if status == 401:
            return "Google rejected docdebate's credentials: check GOOGLE_APPLICATION_CREDENTIALS"
        if status in (403, 404):
            return (
                f"docdebate can't open {self.url}: check the link, and share the doc with {self.account} "
                "(Viewer) or with the people who will ask for debates"
            )
        if status == 429 or why in ("rateLimitExceeded", "userRateLimitExceeded"):
            return "Google is rate-limiting requests right now: try again in a minute"
        return f"Google answered HTTP {status} for {self.url}: try again later"


def reason(exc: HttpError) -> str | None:
    """The `reason` of Google's first error detail (`insufficientFilePermissions`, `rateLimitExceeded`…)."""
    try:
        detail = json.loads(exc.content.decode("utf-8"))
        return str(detail["error"]["errors"][0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
