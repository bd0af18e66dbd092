"""Google Docs and Drive links: the whole document, its open comment threads, and the requester's access.

googleapiclient services are built offline from the discovery documents shipped with the library
(`static_discovery=True`); `GOOGLE_API_URL` replaces Google's root for every API. Credentials come from a
service-account key (`GOOGLE_APPLICATION_CREDENTIALS`; its `token_uri` is honoured by google-auth).

Access (the bot must never become a way to read a doc one cannot open):
- with domain-wide delegation (`DOCDEBATE_GOOGLE_DELEGATION=true`) every call is made *as the requester*
  (`with_subject(email)`), so Google itself decides;
- without it, before anything is read, the doc's permissions must grant the requester: a user permission for
  their email, a domain permission for their domain, or anyone-with-the-link. Group permissions cannot be
  expanded without admin APIs, so they do not count: share with the person or the domain, or use delegation.
The CLI has no requester: whoever runs it holds the key, so no check is made there.

googleapiclient is synchronous (httplib2): each call runs in a worker thread, its transient failures retried
as `bot.retries.google.google_execute` decides.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urljoin

import google_auth_httplib2
import httplib2
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from bot.config import Settings
from bot.errors import ConfigError, SourceError
from bot.models import Document
from bot.retries.google import google_execute
from bot.sources.convert import Kind, to_body
from bot.sources.gdocs import gdoc_body
from bot.sources.links import Requester, google_file_id
from bot.sources.tables import csv_to_markdown
from bot.sources.text import Body, finish

log = logging.getLogger(__name__)
SCOPES = [
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/documents.readonly",
    "https://www.googleapis.com/auth/calendar.readonly",
]
GOOGLE_DOC = "application/vnd.google-apps.document"
GOOGLE_SLIDES = "application/vnd.google-apps.presentation"
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
_COMMENT_FIELDS = (
    "nextPageToken,comments(id,content,resolved,deleted,quotedFileContent/value,author/displayName,"
    "replies(content,deleted,author/displayName))"
)


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


class GoogleSource:
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

    def _service(self, api: str, version: str, subject: str | None) -> Any:
        credentials = self._credentials.with_subject(subject) if subject else self._credentials  # type: ignore[no-untyped-call]
        http = google_auth_httplib2.AuthorizedHttp(
            credentials, http=httplib2.Http(timeout=int(self._settings.fetch_timeout_s))
        )
        options = None
        if self._settings.google_api_url:
            service_path = {"docs": "", "drive": "drive/v3/", "calendar": "calendar/v3/"}[api]
            options = {"api_endpoint": urljoin(self._settings.google_api_url, service_path)}
        return build(
            api, version, http=http, static_discovery=True, client_options=options, cache_discovery=False
        )

    def _run(self, request: Any) -> Any:
        settings = self._settings
        return google_execute(request, settings.google_max_retries + 1, settings.llm_retry_after_cap_s)

    async def load(self, url: str, requester: Requester | None) -> Document:
        file_id = google_file_id(url)
        if file_id is None:
            raise SourceError(
                f"{url} is not a link to a Google doc or Drive file: copy the link from the doc"
            )
        return await asyncio.to_thread(self._load, url, file_id, requester)

    def _load(self, url: str, file_id: str, requester: Requester | None) -> Document:
        delegated = self._settings.google_delegation and requester is not None
        subject = requester.email if delegated and requester else None
        audience = None
        with self._errors(url):
            drive = self._service("drive", "v3", subject)
            if requester is not None and not delegated:  # decided before anything of the doc is read
                permissions = self._permissions(drive, file_id)
                check_access(permissions, requester, url)
                audience = audience_of(permissions)
            meta = self._run(
                drive.files().get(fileId=file_id, fields="id,name,mimeType,size", supportsAllDrives=True)
            )
            body = self._body(drive, subject, file_id, meta)
        document = finish(
            body, source=url, fallback_title=meta.get("name") or "Google document", settings=self._settings
        )
        return document.model_copy(update={"audience": audience})

    async def readers(self, url: str, emails: list[str]) -> list[str]:
        """Which of `emails` may open the doc, by the rule `load` applies to a requester (in order)."""
        file_id = google_file_id(url)
        if file_id is None:
            raise SourceError(f"{url} is not a link to a Google doc or Drive file")
        return await asyncio.to_thread(self._readers, url, file_id, emails)

    def _readers(self, url: str, file_id: str, emails: list[str]) -> list[str]:
        if self._settings.google_delegation:
            return [email for email in emails if self._opens_as(file_id, email)]
        with self._errors(url):
            permissions = self._permissions(self._service("drive", "v3", None), file_id)
        return [email for email in emails if grants(permissions, Requester(email))]

    def _opens_as(self, file_id: str, email: str) -> bool:
        """Delegation: the person may read the file if Drive shows it to them."""
        try:
            drive = self._service("drive", "v3", email)
            self._run(drive.files().get(fileId=file_id, fields="id", supportsAllDrives=True))
        except HttpError as exc:
            if exc.resp.status in (403, 404):
                return False
            raise
        except RefreshError:  # delegation does not cover this person (another domain): they cannot be checked
            return False
        return True

    async def events(self, calendar_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Calendar v3 events (recurring ones expanded) that overlap [start, end), in start order."""
        return await asyncio.to_thread(self._events, calendar_id, start, end)

    def _events(self, calendar_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        # With delegation a person's own calendar is read as them; shared calendars as the service account.
        own = (
            self._settings.google_delegation
            and "@" in calendar_id
            and "calendar.google.com" not in calendar_id
        )
        try:
            events = self._service("calendar", "v3", calendar_id if own else None).events()
            return self._listed(
                "items",
                lambda token: events.list(
                    calendarId=calendar_id,
                    timeMin=start.isoformat(),
                    timeMax=end.isoformat(),
                    singleEvents=True,
                    orderBy="startTime",
                    pageToken=token,
                ),
            )
        except HttpError as exc:
            if exc.resp.status in (403, 404):
                raise SourceError(
                    f"I can't read calendar {calendar_id}: share it with {self.account} (See all event details)"
                ) from exc
            raise SourceError(self._errors(calendar_id).message(exc)) from exc
        except RefreshError as exc:
            raise SourceError(
                f"Google refused docdebate's credentials for calendar {calendar_id}: check "
                "GOOGLE_APPLICATION_CREDENTIALS and delegation"
            ) from exc

    def _permissions(self, drive: Any, file_id: str) -> list[dict[str, Any]]:
        """The doc's sharing list. Drive shows it only to editors: a service account with less access cannot
        check who may read, and so reads nothing."""
        try:
            return self._all_permissions(drive, file_id)
        except HttpError as exc:
            if exc.resp.status == 403 and _reason(exc) == "insufficientFilePermissions":
                raise SourceError(
                    f"I can't check who may open this doc, so I won't read it: share it with {self.account} as "
                    "Editor (docdebate only reads), or ask your admin to enable domain-wide delegation"
                ) from exc
            raise

    def _listed(self, key: str, request: Callable[[str | None], Any]) -> list[dict[str, Any]]:
        """Every item under `key` of a paged list call; `request(token)` builds the call for one page."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._run(request(token))
            found += page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return found

    def _all_permissions(self, drive: Any, file_id: str) -> list[dict[str, Any]]:
        return self._listed(
            "permissions",
            lambda token: drive.permissions().list(
                fileId=file_id,
                supportsAllDrives=True,
                pageToken=token,
                fields="nextPageToken,permissions(type,role,emailAddress,domain)",
            ),
        )

    def _body(self, drive: Any, subject: str | None, file_id: str, meta: dict[str, Any]) -> Body:
        mime = meta.get("mimeType", "")
        name = meta.get("name", file_id)
        if mime == GOOGLE_DOC:
            docs = self._service("docs", "v1", subject)
            doc = self._run(
                docs.documents().get(
                    documentId=file_id,
                    includeTabsContent=True,
                    suggestionsViewMode="PREVIEW_WITHOUT_SUGGESTIONS",
                )
            )
            body = gdoc_body(doc)
        elif mime == GOOGLE_SLIDES:
            body = Body(self._export(drive, file_id, "text/plain").decode("utf-8", "replace"))
        elif mime == GOOGLE_SHEET:
            body = Body(csv_to_markdown(self._export(drive, file_id, "text/csv").decode("utf-8", "replace")))
        elif mime in (
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ):
            data = self._run_media(drive.files().get_media(fileId=file_id, supportsAllDrives=True))
            kind = Kind.PDF if mime == "application/pdf" else Kind.DOCX
            body = to_body(data, kind, name, self._settings)
        elif mime.startswith("text/"):
            data = self._run_media(drive.files().get_media(fileId=file_id, supportsAllDrives=True))
            body = Body(data.decode("utf-8", "replace"))
        else:
            raise SourceError(
                f"“{name}” is a {mime or 'file'} that docdebate cannot read: link a Doc, Slides, "
                "Sheet, PDF or Word file"
            )
        discussion = self._discussion(drive, file_id)
        if discussion:
            body = Body(body.text.rstrip() + "\n\n" + discussion, None, body.title)
        return body

    def _export(self, drive: Any, file_id: str, mime: str) -> bytes:
        return self._run_media(drive.files().export_media(fileId=file_id, mimeType=mime))

    def _run_media(self, request: Any) -> bytes:
        data = self._run(request)
        return data if isinstance(data, bytes) else str(data).encode()

    def _discussion(self, drive: Any, file_id: str) -> str:
        """The open comment threads as a final "Existing discussion" section (resolved ones left out).

        Best effort: Drive hides comments from readers, and a debate without them is still worth having.
        """
        try:
            return self._comments(drive, file_id)
        except HttpError as exc:
            log.info("comments of %s not read: HTTP %s %s", file_id, exc.resp.status, _reason(exc))
            return ""

    def _comments(self, drive: Any, file_id: str) -> str:
        comments = self._listed(
            "comments",
            lambda token: drive.comments().list(
                fileId=file_id, fields=_COMMENT_FIELDS, includeDeleted=False, pageSize=100, pageToken=token
            ),
        )
        lines = [_comment_lines(c) for c in comments if not (c.get("resolved") or c.get("deleted"))]
        if not lines:
            return ""
        return "# Existing discussion (open comments)\n\n" + "\n\n".join(lines)

    def _errors(self, url: str) -> _GoogleErrors:
        return _GoogleErrors(url, self.account)


def grants(permissions: list[dict[str, Any]], requester: Requester) -> bool:
    """Whether a permission lets the requester read: anyone, their domain, or their own email."""
    for permission in permissions:
        kind = permission.get("type")
        if kind == "anyone":
            return True
        if kind == "domain" and str(permission.get("domain", "")).lower() == requester.domain:
            return True
        if kind == "user" and str(permission.get("emailAddress", "")).lower() == requester.email.lower():
            return True
    return False


def check_access(permissions: list[dict[str, Any]], requester: Requester, name: str) -> None:
    """Passes if a permission grants the requester; else a SourceError saying whom to ask."""
    if grants(permissions, requester):
        return
    raise SourceError(
        f"you ({requester.email}) don't have access to {name}: ask its owner to share it with you "
        "(docdebate only reads docs their requester can open)"
    )


def audience_of(permissions: list[dict[str, Any]]) -> Literal["anyone", "domain", "restricted"]:
    kinds = {p.get("type") for p in permissions}
    return "anyone" if "anyone" in kinds else "domain" if "domain" in kinds else "restricted"


def _comment_lines(comment: dict[str, Any]) -> str:
    who = (comment.get("author") or {}).get("displayName", "someone")
    quoted = ((comment.get("quotedFileContent") or {}).get("value") or "").strip()
    head = f"- **{who}**" + (f" on “{quoted}”" if quoted else "") + f": {comment.get('content', '').strip()}"
    replies = [
        f"  - **{(r.get('author') or {}).get('displayName', 'someone')}**: {r.get('content', '').strip()}"
        for r in comment.get("replies", [])
        if not r.get("deleted") and r.get("content")
    ]
    return "\n".join([head, *replies])


class _GoogleErrors:
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
        reason = _reason(exc)
        if reason == "exportSizeLimitExceeded":
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
        if status == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            return "Google is rate-limiting requests right now: try again in a minute"
        return f"Google answered HTTP {status} for {self.url}: try again later"


def _reason(exc: HttpError) -> str | None:
    try:
        detail = json.loads(exc.content.decode("utf-8"))
        return str(detail["error"]["errors"][0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
