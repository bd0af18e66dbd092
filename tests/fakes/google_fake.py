"""A loopback fake of Google's OAuth2 token endpoint and of the Docs, Drive and Calendar APIs, for driving
the real `googleapiclient` and `google-auth` in tests.

The server runs on 127.0.0.1 in a background thread with its own event loop (googleapiclient is sync:
httplib2), so sync tests, async tests and subprocesses can all use it. Run it standalone with
`python -m tests.fakes.google_fake --port N`.

How the real clients reach it (checked against googleapiclient 2.202 `discovery.py` and google-auth 2.62):

* Credentials: `fake.write_service_account(path)` writes a service-account key file (a real RSA key) whose
  `token_uri` is `fake.token_url` (`http://127.0.0.1:PORT/token`). google-auth posts its JWT-bearer grant to
  the key file's `token_uri`, so `service_account.Credentials.from_service_account_file(path, scopes=...)`
  (and `.with_subject(user)` for domain-wide delegation) get their tokens from the fake. That is what
  `GOOGLE_APPLICATION_CREDENTIALS` points at. Note that the JWT's `aud` is always Google's
  `https://oauth2.googleapis.com/token` whatever `token_uri` says; the fake accepts it (and its own URL).
* APIs: `build(api, version, credentials=creds, static_discovery=True, client_options={"api_endpoint": E})`.
  `api_endpoint` *replaces* `rootUrl + servicePath` of the discovery document (it is not a root the
  service path is appended to), and method paths are joined to it with exactly one `/`. The discovery
  documents say: docs v1 `rootUrl https://docs.googleapis.com/`, `servicePath ""`, method path
  `v1/documents/{documentId}`; drive v3 `https://www.googleapis.com/` + `drive/v3/`, paths `files/...`;
  calendar v3 `https://www.googleapis.com/` + `calendar/v3/`, paths `calendars/...`. So with
  `GOOGLE_API_URL = fake.base_url` (`http://127.0.0.1:PORT/`) the product must use

      docs:     api_endpoint = GOOGLE_API_URL                 -> GET /v1/documents/{id}
      drive:    api_endpoint = GOOGLE_API_URL + "drive/v3/"    -> GET /drive/v3/files/{id}...
      calendar: api_endpoint = GOOGLE_API_URL + "calendar/v3/" -> GET /calendar/v3/calendars/{id}/events

  (`fake.api_endpoint("docs"|"drive"|"calendar")` returns these.) With Google's default
  `https://www.googleapis.com/` the drive and calendar values are the real ones; for docs the real host is
  `https://docs.googleapis.com/`, so a product that derives all three from one root must special-case docs
  when the root is Google's own (or leave `api_endpoint` unset then).

Faithful to the real services:

* Token endpoint `POST /token`: form-encoded `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and
  `assertion`. The JWT is parsed and checked as Google does: RS256, a known `iss` (an account written by
  `write_service_account`, else `invalid_grant` "Invalid grant: account not found"), the signature against
  that key (`kid` = `private_key_id`; else "Invalid JWT Signature."), `aud`, a lifetime of at most an hour
  around now, a non-empty `scope` (`invalid_scope`). A `sub` (domain-wide delegation) is refused with 401
  `unauthorized_client` when the account is not allowed to delegate or asks for scopes it was not granted.
  Errors are `{"error", "error_description"}`; successes `{"access_token": "fake-<n>", "expires_in",
  "token_type": "Bearer"}`.
* Every API request needs `Authorization: Bearer <token issued here>` that has not expired (else 401
  UNAUTHENTICATED with `WWW-Authenticate`, which makes google-auth-httplib2 refresh and retry), and one of
  the method's OAuth scopes from the discovery document (else 403 "Request had insufficient authentication
  scopes." / `insufficientPermissions`, `ACCESS_TOKEN_SCOPE_INSUFFICIENT`). The caller is the token's `sub`
  (a delegated user) or else the service account's `client_email`.
* Access follows Drive's sharing model: a file is visible to a caller with a `user` permission for their
  email, a `group` permission for a group they are in (`add_group`, nested groups too), a `domain`
  permission for their email's domain (never a service account's), or an `anyone` permission. Roles rank
  reader < commenter < writer < fileOrganizer < organizer < owner, and, as in Drive: listing permissions
  needs writer or above (403 `insufficientFilePermissions` "The user does not have sufficient permissions
  for this file."), the `permissions` field of a file appears only for writers and above, viewing
  suggestions (Docs `SUGGESTIONS_INLINE`, `PREVIEW_SUGGESTIONS_ACCEPTED`) needs commenter or above (403).
  Tokens whose only matching scope is narrow (`drive.file`, `drive.appdata`, ...) see no registered file,
  since none was opened with the app.
* Invisible and unknown files: Drive answers 404 `notFound` "File not found: ID." for both (it does not
  tell them apart); Docs answers 404 NOT_FOUND "Requested entity was not found." for unknown ids and 403
  PERMISSION_DENIED "The caller does not have permission" for documents the caller cannot read, and 400
  FAILED_PRECONDITION "This operation is not supported for this document" for a Drive file that is not a
  Google Doc. Files in a shared drive (`drive_id=`) are 404 unless `supportsAllDrives=true`.
* Error bodies: Drive and Calendar (the older "apiary" APIs) send `{"error": {"code", "message", "errors":
  [{"message", "domain", "reason"[, "location", "locationType"]}], "status"}}`; Docs (a newer API) sends
  `{"error": {"code", "message", "status"[, "details": [google.rpc.ErrorInfo]]}}` with no `errors` list,
  so googleapiclient's `HttpError.error_details` is a list of dicts with `reason` for Drive and Calendar
  but not for Docs; use `HttpError.status_code` (and for Docs the `status` string) to classify.
  googleapiclient retries (`num_retries`) 5xx, 429, and 403 whose first `errors[].reason` is
  `rateLimitExceeded` or `userRateLimitExceeded`.
* Docs `documents.get`: `includeTabsContent=true` returns `tabs` (tabProperties with `tabId`, `title`,
  `index`, `nestingLevel`, `parentTabId`; `childTabs`; `documentTab`) and no legacy content fields;
  false/absent returns the first tab's content fields (`body`, `headers`, `footers`, `footnotes`,
  `documentStyle`, `namedStyles`, `lists`, `inlineObjects`, ...) at the top level and no `tabs`; a `fields`
  mask naming `tabs` implies `includeTabsContent=true`. A document registered in legacy shape is one tab
  `t.0` titled "Tab 1". `suggestionsViewMode` defaults to DEFAULT_FOR_CURRENT_ACCESS, which resolves to
  SUGGESTIONS_INLINE for commenters and up and PREVIEW_WITHOUT_SUGGESTIONS for readers; the resolved mode
  is in the response's `suggestionsViewMode` and in `fake.doc_reads`. The preview modes drop suggested
  insertions (WITHOUT) or suggested deletions (ACCEPTED) and strip `suggested*` fields.
* Drive v3: `files.get` without `fields` returns `kind, id, name, mimeType` only; `fields` is a partial
  response mask (`a,b(c,d),e/f`, `*`) validated against the discovery schema (400 `invalidParameter`
  "Invalid field selection X"). `size` and other int64 fields are JSON strings. `alt=media` downloads
  binary files and honours `Range` (206 + `Content-Range`, as `MediaIoBaseDownload` uses); on a Google
  Workspace file it is 403 `fileNotDownloadable`, and it needs a content scope (not `drive.metadata*`).
  `files.export` needs `mimeType` (400 `required`), works only on Workspace files (403
  `fileNotExportable`), is 403 `exportSizeLimitExceeded` "This file is too large to be exported." when
  marked too large or the bytes exceed 10 MB, and is 400 `badRequest` for an unsupported target type.
  A Google Doc's `text/plain` export, unless registered, is its text as Drive exports it: a UTF-8 BOM and
  CRLF line ends. `comments.list` requires `fields` (400 "The 'fields' parameter is required for this
  method."), pages with `pageSize` (1-100, default 20) and `nextPageToken`, hides deleted comments unless
  `includeDeleted` (deleted ones then carry no content), and never returns authors' `emailAddress` or
  `permissionId` ("will not be populated", says the API); `author.me` is computed. Readers cannot list
  comments (403 `insufficientFilePermissions`; viewers do not see comments in Docs either), unless
  `fake.readers_see_comments = True`. `permissions.list` returns everything unless `pageSize` (1-100) is
  given (100 at most for shared-drive files). Invalid page tokens are 400 `invalid`.
* Calendar v3 `events.list`: `timeMin` is an exclusive lower bound on an event's end, `timeMax` an
  exclusive upper bound on its start; both must be RFC 3339 with an offset (else 400 `badRequest`), and
  an empty range is 400 `timeRangeEmpty`. `orderBy=startTime` needs `singleEvents=true` (else 400).
  `maxResults` defaults to 250 (at most 2500); the last page carries `nextSyncToken`, and a `syncToken`
  request answers 410 `fullSyncRequired` (which clients must handle anyway). Cancelled events only with
  `showDeleted`. `primary` is the caller's own calendar. All-day events (`date`) run from midnight to
  midnight in the calendar's time zone. Calendars the caller cannot read are 404 `notFound`.

Simplified (deliberately):

* Only the methods above are served (GET only); any other path is a plain 404 page, as Google's front end
  sends. Responses are not gzip-compressed; `prettyPrint`, `quotaUser` and `key` are ignored.
* JWT checks skip `typ`; `kid` must name a key the fake wrote. Delegated subjects are not checked against
  a user directory (any `sub` is a user). Tokens are `fake-<n>`, not `ya29...`.
* google-auth >= 2.6x also starts a background "regional access boundary" lookup at the hard-coded
  `https://iamcredentials.googleapis.com/...` after each token refresh; the fake cannot intercept it. It
  fails offline (google-auth then cools down for 15 minutes) and has no effect on the requests.
* Docs: document content is returned as registered (indices are not recomputed after suggestion
  previews); `commentsViewMode` is recorded but no comments are embedded. The default text export takes
  the text runs of every tab's body (tables included), without suggested insertions.
* Drive: file resources carry the common fields (see `_file_resource`); capabilities cover the read-side
  ones. Default fields of `permissions.list` without `fields` are `kind, id, type, role` plus
  `emailAddress` / `domain` / `allowFileDiscovery` where they apply. Shared-drive membership is modelled
  as permissions on the file. `startModifiedTime` filters comments; replies are not paged.
* Calendar: recurrence rules are not expanded. Register the instances you want listed (with
  `recurringEventId`): with `singleEvents=true` events carrying `recurrence` (the series) are left out,
  without it instances are left out and series are listed if their first start is before `timeMax`.
  `q` is a case-insensitive substring match on summary, description, location and attendees.
  `timeZone` is recorded, not applied. Calendars added without `readers` are readable by every caller.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import dataclasses
import functools
import hashlib
import itertools
import json
import re
import secrets
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.loopback import LoopbackServer

JSON = dict[str, Any]

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
ACCEPTED_AUDIENCES = frozenset(
    {
        GOOGLE_TOKEN_URI,
        "https://www.googleapis.com/oauth2/v4/token",
        "https://accounts.google.com/o/oauth2/token",
    }
)
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_JWT_LIFETIME_S = 3600
CLOCK_SKEW_S = 300
DEFAULT_CLIENT_EMAIL = "docdebate@proj.iam.gserviceaccount.com"
SCOPE_PREFIX = "https://www.googleapis.com/auth/"

GOOGLE_APPS_PREFIX = "application/vnd.google-apps."
GOOGLE_DOC_MIME = "application/vnd.google-apps.document"
EXPORT_SIZE_LIMIT = 10 * 1024 * 1024
MAX_REQUEST_BYTES = 1024 * 1024

API_VERSIONS = {"docs": "v1", "drive": "v3", "calendar": "v3"}
SERVICE_NAMES = {
    "docs": "docs.googleapis.com",
    "drive": "drive.googleapis.com",
    "calendar": "calendar-json.googleapis.com",
}

ROLE_RANK = {"reader": 1, "commenter": 2, "writer": 3, "fileOrganizer": 4, "organizer": 5, "owner": 6}

# Scopes that match a method but only reach files the app created or the user opened with it.
NARROW_DRIVE_SCOPES = frozenset(
    SCOPE_PREFIX + s for s in ("drive.file", "drive.appdata", "drive.meet.readonly", "drive.photos.readonly")
)
METADATA_SCOPES = frozenset(SCOPE_PREFIX + s for s in ("drive.metadata", "drive.metadata.readonly"))

# DocumentTab fields that the legacy (no tabs) shape of a Document carries at the top level.
LEGACY_CONTENT_FIELDS = (
    "body", "documentStyle", "footers", "footnotes", "headers", "inlineObjects", "lists", "namedRanges",
    "namedStyles", "positionedObjects", "suggestedDocumentStyleChanges", "suggestedNamedStylesChanges",
)  # fmt: skip
SUGGESTIONS_VIEW_MODES = (
    "DEFAULT_FOR_CURRENT_ACCESS", "SUGGESTIONS_INLINE", "PREVIEW_SUGGESTIONS_ACCEPTED",
    "PREVIEW_WITHOUT_SUGGESTIONS",
)  # fmt: skip

STATUS_NAMES = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    409: "ABORTED", 410: "NOT_FOUND", 416: "OUT_OF_RANGE", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
    501: "NOT_IMPLEMENTED", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}  # fmt: skip

# What an injected failure says when the test names no reason or message (Drive's and Calendar's words).
DEFAULT_FAILURES = {
    400: ("badRequest", "Bad Request"),
    401: ("authError", "Invalid Credentials"),
    403: ("rateLimitExceeded", "Rate Limit Exceeded"),
    404: ("notFound", "Not Found"),
    429: ("rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("backendError", "Backend Error"),
    502: ("backendError", "Bad Gateway"),
    503: ("backendError", "Service Unavailable"),
    504: ("backendError", "Deadline Exceeded"),
}
USAGE_LIMIT_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "quotaExceeded",
        "dailyLimitExceeded",
        "sharingRateLimitExceeded",
    }
)
DOCS_FAILURE_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of "
    "service 'docs.googleapis.com' for consumer 'project_number:000000000000'.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}
UNAUTHENTICATED_MESSAGE = DOCS_FAILURE_MESSAGES[401]
MISSING_CREDENTIALS_MESSAGE = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
NOT_FOUND_PAGE = (
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n"
    "  <p><b>404.</b> <ins>That's an error.</ins>\n  <p>The requested URL <code>{path}</code> was not "
    "found on this server.  <ins>That's all we know.</ins>\n"
)


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------


class GoogleApiError(Exception):
    """An API error. `reason` goes in `errors[]` (Drive, Calendar); `info_reason` in an ErrorInfo detail."""

    def __init__(
        self,
        status: int,
        message: str,
        reason: str | None = None,
        *,
        location: str | None = None,
        location_type: str = "parameter",
        domain: str = "global",
        status_name: str | None = None,
        info_reason: str | None = None,
        error_message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.location = location
        self.location_type = location_type
        self.domain = domain
        self.status_name = status_name or STATUS_NAMES.get(status, "UNKNOWN")
        self.info_reason = info_reason
        self.error_message = error_message
        self.headers = dict(headers or {})

    def body(self, api: str) -> JSON:
        error: JSON = {"code": self.status, "message": self.message}
        if api != "docs":
            item: JSON = {
                "message": self.error_message or self.message,
                "domain": self.domain,
                "reason": self.reason or DEFAULT_FAILURES.get(self.status, ("unknownError", ""))[0],
            }
            if self.location:
                item["location"] = self.location
                item["locationType"] = self.location_type
            error["errors"] = [item]
        error["status"] = self.status_name
        if self.info_reason:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": self.info_reason,
                    "domain": "googleapis.com",
                    "metadata": {"service": SERVICE_NAMES.get(api, "googleapis.com")},
                }
            ]
        return {"error": error}


class TokenError(Exception):
    """An OAuth2 token endpoint error: `{"error": error, "error_description": description}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def _camel_to_upper_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _file_not_found(file_id: str) -> GoogleApiError:
    return GoogleApiError(
        404, f"File not found: {file_id}.", "notFound", location="fileId", location_type="parameter"
    )


def _insufficient_file_permissions() -> GoogleApiError:
    return GoogleApiError(
        403, "The user does not have sufficient permissions for this file.", "insufficientFilePermissions"
    )


def _invalid_parameter(name: str, message: str, reason: str = "invalidParameter") -> GoogleApiError:
    return GoogleApiError(400, message, reason, location=name)


# ---------------------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    """An access token the token endpoint issued. `subject` is the JWT's `sub` (a delegated user), or None
    when the token acts as the service account itself; `caller` is whoever it acts as."""

    access_token: str
    client_email: str
    subject: str | None
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float
    audience: str

    @property
    def caller(self) -> str:
        return self.subject or self.client_email


@dataclass(frozen=True)
class GoogleRequest:
    """One request the fake answered. `query` holds one value per name; `headers` are lower-cased.
    `operation` is the discovery method id (`drive.files.get`, ...), `oauth2.token` for the token
    endpoint, None for unknown paths. `subject`/`caller` as in `IssuedToken` (None when unauthenticated).
    `at` is `time.monotonic()` on arrival; `reason` is the error reason sent back, if any."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    subject: str | None
    caller: str | None
    status: int
    at: float
    operation: str | None = None
    token: str | None = None
    reason: str | None = None

    def summary(self) -> str:
        shown = {k: v for k, v in self.query.items() if k not in ("alt", "assertion")}
        query = "&".join(f"{k}={v}" for k, v in shown.items())
        who = f" as {self.caller}" if self.caller else ""
        outcome = f"{self.status}" + (f" {self.reason}" if self.reason else "")
        return f"{self.method} {self.path}{'?' + query if query else ''}{who} -> {outcome}"


@dataclass
class _Failure:
    status: int
    reason: str | None
    message: str | None
    path_contains: str | None
    retry_after: float | None


@dataclass
class _TokenFailure:
    status: int
    error: str
    description: str


@dataclass
class _Account:
    client_email: str
    client_id: str
    keys: dict[str, rsa.RSAPublicKey]
    delegation: bool | frozenset[str]


@dataclass
class _File:
    id: str
    name: str
    mime_type: str
    permissions: list[JSON]
    data: bytes | None = None
    exports: dict[str, bytes] = field(default_factory=dict)
    export_too_large: bool = False
    comments: list[JSON] = field(default_factory=list)
    tabs: list[JSON] | None = None  # Google Docs only: the document, always in tabs shape
    document: JSON = field(default_factory=dict)  # Google Docs only: documentId, title, revisionId
    size: int | None = None
    drive_id: str | None = None
    web_view_link: str | None = None
    created_time: str = "2025-01-06T09:00:00.000Z"
    modified_time: str = "2025-01-06T09:00:00.000Z"
    description: str | None = None

    @property
    def is_workspace(self) -> bool:
        return self.mime_type.startswith(GOOGLE_APPS_PREFIX)


@dataclass
class _Calendar:
    id: str
    summary: str
    time_zone: str
    readers: set[str] | None
    events: list[JSON] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Helpers: discovery documents, field masks, JWT, time
# ---------------------------------------------------------------------------------------------------------


@functools.cache
def _discovery(api: str) -> JSON:
    from googleapiclient.discovery_cache import get_static_doc  # the same documents the client builds from

    text = get_static_doc(api, API_VERSIONS[api])
    if not text:
        raise RuntimeError(f"googleapiclient has no static discovery document for {api}")
    loaded: JSON = json.loads(text)
    return loaded


def _method_scopes(operation: str) -> frozenset[str]:
    api, resource, method = operation.split(".")
    return frozenset(_discovery(api)["resources"][resource]["methods"][method].get("scopes", ()))


def _resolve_schema(api: str, schema: JSON) -> JSON:
    schemas = _discovery(api)["schemas"]
    while True:
        if "$ref" in schema:
            schema = schemas[schema["$ref"]]
        elif schema.get("type") == "array" and "items" in schema:
            schema = schema["items"]
        else:
            return schema


FieldMask = dict[str, "FieldMask | None"]  # name -> sub-mask, None = the whole value


class _FieldMaskError(ValueError):
    pass


def parse_fields(spec: str) -> FieldMask:
    """Parse a partial-response `fields` value: `a,b/c,d(e,f/g),*`."""
    text = spec.replace(" ", "")
    pos = 0

    def read_name() -> str:
        nonlocal pos
        start = pos
        while pos < len(text) and text[pos] not in ",()/":
            pos += 1
        if pos == start:
            raise _FieldMaskError(spec)
        return text[start:pos]

    def merge(into: FieldMask, name: str, sub: FieldMask | None) -> None:
        if name in into and (into[name] is None or sub is None):
            into[name] = None
        elif name in into:
            existing = into[name]
            assert existing is not None
            for k, v in sub.items():  # type: ignore[union-attr]
                merge(existing, k, v)
        else:
            into[name] = sub

    def parse_item() -> tuple[str, FieldMask | None]:
        nonlocal pos
        name = read_name()
        if pos < len(text) and text[pos] == "/":
            pos += 1
            sub_name, sub = parse_item()
            return name, {sub_name: sub}
        if pos < len(text) and text[pos] == "(":
            pos += 1
            sub_mask = parse_list()
            if pos >= len(text) or text[pos] != ")":
                raise _FieldMaskError(spec)
            pos += 1
            return name, sub_mask
        return name, None

    def parse_list() -> FieldMask:
        nonlocal pos
        mask: FieldMask = {}
        while True:
            name, sub = parse_item()
            merge(mask, name, sub)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            return mask

    mask = parse_list()
    if pos != len(text):
        raise _FieldMaskError(spec)
    return mask


def _validate_mask(api: str, mask: FieldMask, schema: JSON) -> None:
    for name, sub in mask.items():
        if name == "*":
            continue
        props = schema.get("properties")
        if props is not None and name in props:
            child = _resolve_schema(api, props[name])
        elif "additionalProperties" in schema:
            child = _resolve_schema(api, schema["additionalProperties"])
        else:
            raise _FieldMaskError(name)
        if sub is not None:
            _validate_mask(api, sub, child)


def apply_fields(value: Any, mask: FieldMask | None) -> Any:
    """Keep only what `mask` selects (lists are masked element by element)."""
    if mask is None:
        return value
    if isinstance(value, list):
        return [apply_fields(v, mask) for v in value]
    if not isinstance(value, dict):
        return value
    out: JSON = {}
    if "*" in mask:
        out.update({k: apply_fields(v, mask["*"]) for k, v in value.items()})
    for name, sub in mask.items():
        if name != "*" and name in value:
            out[name] = apply_fields(value[name], sub)
    return out


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64url_json(part: str) -> JSON:
    value = json.loads(_b64url_decode(part))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


@functools.cache
def _shared_private_key() -> rsa.RSAPrivateKey:
    """One RSA key for every account written without `new_key` (key generation is the slow part)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _parse_rfc3339(value: str) -> datetime | None:
    if not RFC3339.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1")


def _display_name(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in re.split(r"[._-]+", local) if part) or email


def _permission_id(key: str) -> str:
    """A stable numeric id for a grantee, as Drive's permission ids (and User.permissionId) look."""
    return str(int(hashlib.sha256(key.lower().encode()).hexdigest()[:16], 16))[:20].rjust(20, "0")


def _text_of_content(content: Iterable[Any]) -> str:
    """The text of structural elements (paragraphs, tables, tables of contents), without suggested inserts."""
    parts: list[str] = []
    for element in content:
        if not isinstance(element, dict):
            continue
        paragraph = element.get("paragraph")
        if isinstance(paragraph, dict):
            for pe in paragraph.get("elements", []):
                run = pe.get("textRun") if isinstance(pe, dict) else None
                if isinstance(run, dict) and not run.get("suggestedInsertionIds"):
                    parts.append(str(run.get("content", "")))
        table = element.get("table")
        if isinstance(table, dict):
            for row in table.get("tableRows", []):
                for cell in row.get("tableCells", []):
                    parts.append(_text_of_content(cell.get("content", [])))
        toc = element.get("tableOfContents")
        if isinstance(toc, dict):
            parts.append(_text_of_content(toc.get("content", [])))
    return "".join(parts)


def _walk_tabs(tabs: Iterable[JSON]) -> Iterable[JSON]:
    for tab in tabs:
        yield tab
        yield from _walk_tabs(tab.get("childTabs", []))


def _suggestion_ids(item: JSON, key: str) -> bool:
    if item.get(key):
        return True
    return any(isinstance(v, dict) and v.get(key) for v in item.values())


def _preview(value: Any, drop_key: str) -> Any:
    """A suggestions preview: drop elements carrying `drop_key`, strip every `suggested*` field."""
    if isinstance(value, list):
        return [
            _preview(v, drop_key) for v in value if not (isinstance(v, dict) and _suggestion_ids(v, drop_key))
        ]
    if isinstance(value, dict):
        return {k: _preview(v, drop_key) for k, v in value.items() if not k.startswith("suggested")}
    return value


# ---------------------------------------------------------------------------------------------------------
# The fake
# ---------------------------------------------------------------------------------------------------------


Handler = Callable[[Mapping[str, str], dict[str, str], IssuedToken, dict[str, str]], web.Response]


class FakeGoogle(LoopbackServer):
    """The fake Google APIs server. Use as a context manager, or `start()` / `stop()`.

    Seed with `write_service_account`, `allow_delegation`, `add_group`, `add_doc`, `add_file`, `add_permission`,
    `add_calendar`, `add_event`; inject with `fail_next`, `fail_token_next`, `expire_tokens`; read
    `requests`, `tokens_issued`, `doc_reads`. Mutable attribute: `readers_see_comments` (default False).
    """

    max_request_bytes = MAX_REQUEST_BYTES

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, token_lifetime_s: int = 3600) -> None:
        super().__init__(host, port)
        self.token_lifetime_s = token_lifetime_s
        self.readers_see_comments = False
        self._lock = threading.RLock()
        self._accounts: dict[str, _Account] = {}
        self._groups: dict[str, set[str]] = {}
        self._files: dict[str, _File] = {}
        self._calendars: dict[str, _Calendar] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._token_counter = itertools.count(1)
        self._tokens_issued: list[IssuedToken] = []
        self._requests: list[GoogleRequest] = []
        self._doc_reads: list[JSON] = []
        self._failures: list[_Failure] = []
        self._token_failures: list[_TokenFailure] = []
        self._page_tokens: dict[str, tuple[tuple[Any, ...], int]] = {}
        self._handlers: dict[str, Handler] = {
            "docs.documents.get": self._docs_get,
            "drive.files.get": self._drive_files_get,
            "drive.files.export": self._drive_files_export,
            "drive.comments.list": self._drive_comments_list,
            "drive.permissions.list": self._drive_permissions_list,
            "calendar.events.list": self._calendar_events_list,
        }

    # ---- lifecycle ----

    @property
    def base_url(self) -> str:
        """What the product puts in `GOOGLE_API_URL`: `http://127.0.0.1:PORT/`."""
        return f"{self.url}/"

    @property
    def token_url(self) -> str:
        """The `token_uri` of the key files this fake writes: `http://127.0.0.1:PORT/token`."""
        return f"{self.url}/token"

    def api_endpoint(self, api: str) -> str:
        """`client_options={"api_endpoint": ...}` for `build(api, ...)`: the docs root, `drive/v3/` or
        `calendar/v3/` under it (api_endpoint replaces rootUrl + servicePath)."""
        suffix = {"docs": "", "drive": "drive/v3/", "calendar": "calendar/v3/"}
        if api not in suffix:
            raise ValueError(f"unknown api {api!r}; expected one of {sorted(suffix)}")
        return self.base_url + suffix[api]

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/token", self._handle_token)
        routes = {
            "/v1/documents/{documentId}": "docs.documents.get",
            "/drive/v3/files/{fileId}": "drive.files.get",
            "/drive/v3/files/{fileId}/export": "drive.files.export",
            "/drive/v3/files/{fileId}/comments": "drive.comments.list",
            "/drive/v3/files/{fileId}/permissions": "drive.permissions.list",
            "/calendar/v3/calendars/{calendarId}/events": "calendar.events.list",
        }
        for path, operation in routes.items():
            app.router.add_get(path, functools.partial(self._handle_api, operation), allow_head=False)
        app.router.add_route("*", "/{tail:.*}", self._handle_not_found)

    # ---- seeding: accounts and groups ----

    def service_account_info(
        self,
        client_email: str = DEFAULT_CLIENT_EMAIL,
        *,
        delegation: bool | Iterable[str] = True,
        new_key: bool = False,
    ) -> JSON:
        """A service-account key (the JSON Google's console downloads) whose `token_uri` is this fake's.

        `delegation`: whether `with_subject` (domain-wide delegation) may be used: True, False, or the
        scopes the Workspace admin authorised for the account's client id. `new_key`: a fresh RSA key
        instead of the shared one (both stay valid; an account may hold several keys)."""
        key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if new_key
            else _shared_private_key()
        )
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        private_key_id = secrets.token_hex(20)
        project_id = client_email.split("@", 1)[-1].split(".", 1)[0] or "proj"
        with self._lock:
            account = self._accounts.get(client_email)
            if account is None:
                client_id = str(
                    100_000_000_000_000_000_000
                    + int(hashlib.sha256(client_email.encode()).hexdigest()[:12], 16)
                )
                account = _Account(client_email, client_id, {}, True)
                self._accounts[client_email] = account
            account.keys[private_key_id] = key.public_key()
            account.delegation = delegation if isinstance(delegation, bool) else frozenset(delegation)
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": private_key_id,
            "private_key": pem,
            "client_email": client_email,
            "client_id": account.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_url,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + quote(client_email),
            "universe_domain": "googleapis.com",
        }

    def write_service_account(
        self,
        path: str | Path,
        client_email: str = DEFAULT_CLIENT_EMAIL,
        *,
        delegation: bool | Iterable[str] = True,
        new_key: bool = False,
    ) -> Path:
        """Write `service_account_info(...)` to `path` (what `GOOGLE_APPLICATION_CREDENTIALS` names)."""
        info = self.service_account_info(client_email, delegation=delegation, new_key=new_key)
        target = Path(path)
        target.write_text(json.dumps(info, indent=2), encoding="utf-8")
        return target

    def allow_delegation(self, client_email: str, delegation: bool | Iterable[str]) -> None:
        """What a Workspace admin grants the account's client id for domain-wide delegation: everything
        (True), nothing (False), or these scopes (a token request asking for any other is refused)."""
        with self._lock:
            self._accounts[client_email].delegation = (
                delegation if isinstance(delegation, bool) else frozenset(delegation)
            )

    def add_group(self, group_email: str, members: Iterable[str]) -> None:
        """A Google group; members are user or group emails (nested groups count, as in Drive)."""
        with self._lock:
            self._groups.setdefault(group_email.lower(), set()).update(m.lower() for m in members)

    # ---- seeding: files ----

    def add_doc(
        self,
        doc_id: str,
        document: JSON,
        *,
        owners: Iterable[str] = (),
        permissions: Iterable[JSON] = (),
        name: str | None = None,
        exports: Mapping[str, bytes] | None = None,
        export_too_large: bool = False,
        comments: Iterable[JSON] = (),
        size: int | None = None,
        drive_id: str | None = None,
    ) -> None:
        """A Google Doc: `document` is a Docs API Document in either shape (`tabs`, or legacy `body`...).
        It is also a Drive file (mimeType `application/vnd.google-apps.document`, name = title) that
        exports as `text/plain` from its text unless `exports` says otherwise."""
        tabs = self._normalise_tabs(document)
        title = str(document.get("title") or name or "Untitled document")
        doc = {
            "documentId": doc_id,
            "title": title,
            "revisionId": str(
                document.get("revisionId") or "ALm37BV" + hashlib.sha256(doc_id.encode()).hexdigest()[:20]
            ),
        }
        text = "".join(
            _text_of_content(tab.get("documentTab", {}).get("body", {}).get("content", []))
            for tab in _walk_tabs(tabs)
        )
        default_exports = {
            "text/plain": ("\ufeff" + text.replace("\r\n", "\n").replace("\n", "\r\n")).encode()
        }
        self._put_file(
            _File(
                id=doc_id,
                name=name or title,
                mime_type=GOOGLE_DOC_MIME,
                permissions=self._permissions(owners, permissions),
                exports={**default_exports, **dict(exports or {})},
                export_too_large=export_too_large,
                comments=self._comments(comments),
                tabs=tabs,
                document=doc,
                size=size if size is not None else len(default_exports["text/plain"]),
                drive_id=drive_id,
                web_view_link=f"https://docs.google.com/document/d/{doc_id}/edit?usp=drivesdk",
            )
        )

    def add_file(
        self,
        file_id: str,
        name: str,
        mime_type: str,
        data: bytes | None = None,
        *,
        exports: Mapping[str, bytes] | None = None,
        export_too_large: bool = False,
        permissions: Iterable[JSON] = (),
        owners: Iterable[str] = (),
        comments: Iterable[JSON] = (),
        size: int | None = None,
        drive_id: str | None = None,
        web_view_link: str | None = None,
        description: str | None = None,
    ) -> None:
        """A Drive file: binary (`data`, downloaded with `alt=media`) or a Workspace file (mimeType
        `application/vnd.google-apps.*`, with `exports` by target mime type). Use `add_doc` for Google Docs
        the Docs API should serve."""
        workspace = mime_type.startswith(GOOGLE_APPS_PREFIX)
        if workspace and data is not None:
            raise ValueError("Workspace files have no binary content; pass exports= instead of data=")
        if not workspace and data is None:
            data = b""
        if web_view_link is None:
            kinds = {"spreadsheet": "spreadsheets", "presentation": "presentation", "document": "document"}
            kind = kinds.get(mime_type.removeprefix(GOOGLE_APPS_PREFIX))
            web_view_link = (
                f"https://docs.google.com/{kind}/d/{file_id}/edit?usp=drivesdk"
                if kind
                else f"https://drive.google.com/file/d/{file_id}/view?usp=drivesdk"
            )
        self._put_file(
            _File(
                id=file_id,
                name=name,
                mime_type=mime_type,
                permissions=self._permissions(owners, permissions),
                data=data,
                exports=dict(exports or {}),
                export_too_large=export_too_large,
                comments=self._comments(comments),
                size=size if size is not None else (len(data) if data is not None else None),
                drive_id=drive_id,
                web_view_link=web_view_link,
                description=description,
            )
        )

    def add_permission(
        self,
        file_id: str,
        type: str = "user",
        role: str = "reader",
        *,
        email_address: str | None = None,
        domain: str | None = None,
        allow_file_discovery: bool = False,
    ) -> JSON:
        """Share a registered file (as permissions.create would); returns the permission as Drive shows it."""
        permission: JSON = {"type": type, "role": role}
        if email_address is not None:
            permission["emailAddress"] = email_address
        if domain is not None:
            permission["domain"] = domain
        if type in ("domain", "anyone"):
            permission["allowFileDiscovery"] = allow_file_discovery
        with self._lock:
            f = self._files[file_id]
            (normalised,) = self._permissions((), [permission])
            f.permissions = [p for p in f.permissions if p["id"] != normalised["id"]] + [normalised]
            return copy.deepcopy(normalised)

    def remove_permission(self, file_id: str, permission_id: str) -> None:
        with self._lock:
            f = self._files[file_id]
            f.permissions = [p for p in f.permissions if p["id"] != permission_id]

    def add_comment(self, file_id: str, comment: JSON) -> JSON:
        """Append a comment (Drive Comment shape; see `add_file`) and return it as stored."""
        with self._lock:
            f = self._files[file_id]
            (stored,) = self._comments([comment], start=len(f.comments))
            f.comments.append(stored)
            return copy.deepcopy(stored)

    # ---- seeding: calendars ----

    def add_calendar(
        self,
        calendar_id: str,
        *,
        readers: Iterable[str] | None = None,
        time_zone: str = "UTC",
        summary: str | None = None,
    ) -> None:
        """A calendar. `readers`: emails (users or groups) that may list its events besides its owner (the
        calendar id itself when it is an email); None lets every caller read it."""
        with self._lock:
            cal = self._calendars.get(calendar_id)
            if cal is None:
                cal = _Calendar(calendar_id, summary or calendar_id, time_zone, None)
                self._calendars[calendar_id] = cal
            cal.summary = summary or cal.summary
            cal.time_zone = time_zone
            cal.readers = None if readers is None else {r.lower() for r in readers}

    def add_event(self, calendar_id: str, event: JSON) -> JSON:
        """An event (Calendar Event shape, `start`/`end` with `dateTime` or `date`); the calendar is created
        if needed. Missing output fields (id, status, htmlLink, iCalUID, created, ...) are filled in."""
        for key in ("start", "end"):
            bound = event.get(key)
            if not isinstance(bound, dict) or not (bound.get("dateTime") or bound.get("date")):
                raise ValueError(f"event {key} needs dateTime or date: {bound!r}")
        with self._lock:
            if calendar_id not in self._calendars:
                self.add_calendar(calendar_id)
            cal = self._calendars[calendar_id]
            stored = copy.deepcopy(event)
            event_id = str(stored.get("id") or uuid.uuid4().hex[:26])
            now = _rfc3339(datetime.now(UTC))
            eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
            organizer = {"email": calendar_id, "self": True} if "@" in calendar_id else {"email": calendar_id}
            defaults: JSON = {
                "kind": "calendar#event",
                "etag": f'"{3_400_000_000_000_000 + len(cal.events)}"',
                "id": event_id,
                "status": "confirmed",
                "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
                "created": now,
                "updated": now,
                "creator": organizer,
                "organizer": organizer,
                "iCalUID": f"{event_id}@google.com",
                "sequence": 0,
                "reminders": {"useDefault": True},
                "eventType": "default",
            }
            stored = {**defaults, **stored}
            cal.events = [e for e in cal.events if e["id"] != event_id] + [stored]
            return copy.deepcopy(stored)

    # ---- failure injection ----

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        reason: str | None = None,
        *,
        path_contains: str | None = None,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> None:
        """The next `n` API requests (whose path and query contain `path_contains`, if given) fail with
        `status` after authentication. `reason` defaults by status (429/403: rateLimitExceeded, 5xx:
        backendError, 401: authError); Docs requests carry it as an ErrorInfo reason in UPPER_SNAKE case.
        `retry_after` (seconds) adds a `Retry-After` header (googleapiclient ignores it)."""
        with self._lock:
            self._failures.extend(
                _Failure(status, reason, message, path_contains, retry_after) for _ in range(n)
            )

    def fail_token_next(
        self,
        n: int = 1,
        *,
        error: str = "invalid_grant",
        description: str = "Invalid JWT Signature.",
        status: int = 400,
    ) -> None:
        """The next `n` token requests fail with `{"error": error, "error_description": description}`.
        Google answers `invalid_grant` with HTTP 400 (RFC 6749 section 5.2); `unauthorized_client` with 401.
        google-auth raises `RefreshError`, retrying first only for 408/429/500/503/504 or `server_error`,
        `internal_failure`, `temporarily_unavailable` (with real, ~1 s back-off sleeps)."""
        with self._lock:
            self._token_failures.extend(_TokenFailure(status, error, description) for _ in range(n))

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired: the next API call with one gets 401, and
        google-auth-httplib2 fetches a new token and retries."""
        with self._lock:
            now = time.time()
            for key, token in self._tokens.items():
                self._tokens[key] = dataclasses.replace(token, expires_at=min(token.expires_at, now))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()
            self._token_failures.clear()

    # ---- records ----

    @property
    def requests(self) -> list[GoogleRequest]:
        """A snapshot of every request answered so far (token requests included), in order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, operation: str) -> list[GoogleRequest]:
        """Requests of one operation (`drive.files.export`, `oauth2.token`, ...)."""
        with self._lock:
            return [r for r in self._requests if r.operation == operation]

    @property
    def tokens_issued(self) -> list[IssuedToken]:
        with self._lock:
            return list(self._tokens_issued)

    @property
    def doc_reads(self) -> list[JSON]:
        """documents.get calls that got a document: document_id, caller, include_tabs_content,
        suggestions_view_mode (as requested, None if absent) and applied_suggestions_view_mode."""
        with self._lock:
            return copy.deepcopy(self._doc_reads)

    def describe_requests(self) -> str:
        requests = self.requests
        if not requests:
            return "no requests recorded"
        return "\n".join(f"  {i}: {r.summary()}" for i, r in enumerate(requests))

    def reset(self, *, state: bool = False) -> None:
        """Forget recorded requests, issued-token records and queued failures (issued tokens stay valid);
        with `state`, also files, groups and calendars (service accounts stay)."""
        with self._lock:
            self._requests.clear()
            self._tokens_issued.clear()
            self._doc_reads.clear()
            self._failures.clear()
            self._token_failures.clear()
            self._page_tokens.clear()
            if state:
                self._files.clear()
                self._groups.clear()
                self._calendars.clear()

    # ---- seeding internals ----

    def _put_file(self, f: _File) -> None:
        with self._lock:
            self._files[f.id] = f

    @staticmethod
    def _normalise_tabs(document: JSON) -> list[JSON]:
        tabs: list[JSON]
        if "tabs" in document:
            if not isinstance(document["tabs"], list) or not document["tabs"]:
                raise ValueError("a document's tabs must be a non-empty list")
            tabs = copy.deepcopy(document["tabs"])
        else:
            content = {k: copy.deepcopy(document[k]) for k in LEGACY_CONTENT_FIELDS if k in document}
            tabs = [{"tabProperties": {"tabId": "t.0", "title": "Tab 1"}, "documentTab": content}]

        def fill(level: list[JSON], parent: str | None, depth: int) -> None:
            for i, tab in enumerate(level):
                props = tab.setdefault("tabProperties", {})
                stable = hashlib.sha256(f"{parent}/{i}".encode()).hexdigest()[:12]
                props.setdefault("tabId", "t.0" if parent is None and i == 0 else f"t.{stable}")
                props.setdefault("title", f"Tab {i + 1}")
                props.setdefault("index", i)
                props["nestingLevel"] = depth
                if parent is not None:
                    props["parentTabId"] = parent
                tab.setdefault("documentTab", {})
                fill(tab.get("childTabs", []), props["tabId"], depth + 1)

        fill(tabs, None, 0)
        return tabs

    @staticmethod
    def _permissions(owners: Iterable[str], permissions: Iterable[JSON]) -> list[JSON]:
        out: list[JSON] = []
        given = [{"type": "user", "role": "owner", "emailAddress": o} for o in owners] + [
            dict(p) for p in permissions
        ]
        for p in given:
            ptype = p.get("type")
            if ptype not in ("user", "group", "domain", "anyone"):
                raise ValueError(f"permission type must be user, group, domain or anyone: {p!r}")
            if p.get("role") not in ROLE_RANK:
                raise ValueError(f"permission role must be one of {sorted(ROLE_RANK)}: {p!r}")
            if ptype in ("user", "group") and not p.get("emailAddress"):
                raise ValueError(f"{ptype} permissions need emailAddress: {p!r}")
            if ptype == "domain" and not p.get("domain"):
                raise ValueError(f"domain permissions need domain: {p!r}")
            permission: JSON = {"kind": "drive#permission", **p}
            if ptype in ("user", "group"):
                permission.setdefault("id", _permission_id(p["emailAddress"]))
                permission.setdefault("displayName", _display_name(p["emailAddress"]))
                permission.setdefault("deleted", False)
                permission.setdefault("pendingOwner", False)
            elif ptype == "domain":
                permission.setdefault("id", _permission_id("domain:" + p["domain"]) + "k")
                permission.setdefault("displayName", p["domain"])
                permission.setdefault("allowFileDiscovery", False)
            else:
                permission.setdefault("allowFileDiscovery", False)
                permission.setdefault(
                    "id", "anyone" if permission["allowFileDiscovery"] else "anyoneWithLink"
                )
            out.append(permission)
        return out

    @staticmethod
    def _comments(comments: Iterable[JSON], start: int = 0) -> list[JSON]:
        out: list[JSON] = []
        for i, c in enumerate(comments, start=start):
            comment = copy.deepcopy(dict(c))
            comment.setdefault("id", f"AAAA{i:08d}")
            comment.setdefault("kind", "drive#comment")
            comment.setdefault("createdTime", "2025-01-06T10:00:00.000Z")
            comment.setdefault("modifiedTime", comment["createdTime"])
            comment.setdefault("content", "")
            comment.setdefault("htmlContent", comment["content"])
            comment.setdefault("deleted", False)
            comment.setdefault("resolved", False)
            comment.setdefault("author", {"displayName": "Anonymous"})
            if "quotedFileContent" in comment:
                comment["quotedFileContent"] = {"mimeType": "text/html", **comment["quotedFileContent"]}
            replies = []
            for j, r in enumerate(comment.get("replies", [])):
                reply = copy.deepcopy(dict(r))
                reply.setdefault("id", f"{comment['id']}.{j:04d}")
                reply.setdefault("kind", "drive#reply")
                reply.setdefault("createdTime", comment["createdTime"])
                reply.setdefault("modifiedTime", reply["createdTime"])
                reply.setdefault("content", "")
                reply.setdefault("htmlContent", reply["content"])
                reply.setdefault("deleted", False)
                reply.setdefault("author", {"displayName": "Anonymous"})
                replies.append(reply)
            comment["replies"] = replies
            out.append(comment)
        return out

    # ---- HTTP: the token endpoint ----

    async def _handle_token(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        headers = {k.lower(): v for k, v in request.headers.items()}
        raw = await request.read()
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        subject = caller = None
        try:
            with self._lock:
                failure = self._token_failures.pop(0) if self._token_failures else None
            if failure is not None:
                raise TokenError(failure.error, failure.description, failure.status)
            issued = self._grant(form)
            subject, caller = issued.subject, issued.caller
            status, body = (
                200,
                {
                    "access_token": issued.access_token,
                    "expires_in": self.token_lifetime_s,
                    "token_type": "Bearer",
                },
            )
            reason = None
        except TokenError as exc:
            status, body, reason = (
                exc.status,
                {"error": exc.error, "error_description": exc.description},
                exc.error,
            )
        with self._lock:
            self._requests.append(
                GoogleRequest(
                    request.method,
                    request.path,
                    form,
                    headers,
                    subject,
                    caller,
                    status,
                    at,
                    "oauth2.token",
                    None,
                    reason,
                )
            )
        return web.json_response(
            body, status=status, headers={"Cache-Control": "no-cache, no-store, max-age=0"}
        )

    def _grant(self, form: dict[str, str]) -> IssuedToken:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise TokenError("invalid_request", "Missing required parameter: grant_type")
        if grant_type != JWT_BEARER_GRANT:
            raise TokenError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = form.get("assertion")
        if not assertion:
            raise TokenError("invalid_request", "Missing required parameter: assertion")
        parts = assertion.split(".")
        if len(parts) != 3:
            raise TokenError("invalid_grant", "Invalid JWT: Failed to decode JWT.")
        try:
            header, claims = _b64url_json(parts[0]), _b64url_json(parts[1])
            signature = _b64url_decode(parts[2])
        except (ValueError, binascii.Error) as exc:
            raise TokenError("invalid_grant", "Invalid JWT: Failed to decode JWT.") from exc
        if header.get("alg") != "RS256":
            raise TokenError("invalid_grant", "Invalid JWT Signature.")
        with self._lock:
            account = self._accounts.get(str(claims.get("iss", "")))
            public_key = account.keys.get(str(header.get("kid", ""))) if account else None
        if account is None:
            raise TokenError("invalid_grant", "Invalid grant: account not found")
        if public_key is None:
            raise TokenError("invalid_grant", "Invalid JWT Signature.")
        try:
            public_key.verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature as exc:
            raise TokenError("invalid_grant", "Invalid JWT Signature.") from exc
        audience = str(claims.get("aud", ""))
        if audience not in ACCEPTED_AUDIENCES and audience != self.token_url:
            raise TokenError(
                "invalid_grant",
                f"Invalid JWT: Failed audience check. The expected value was {GOOGLE_TOKEN_URI}",
            )
        now = time.time()
        try:
            iat, exp = float(claims["iat"]), float(claims["exp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise TokenError("invalid_grant", "Invalid JWT: iat and exp claims are required.") from exc
        if exp - iat > MAX_JWT_LIFETIME_S or iat > now + CLOCK_SKEW_S or exp < now - CLOCK_SKEW_S:
            raise TokenError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the assertion and use a clock with skew to account for "
                "clock differences between systems.",
            )
        scopes = tuple(str(claims.get("scope") or "").split())
        if not scopes:
            raise TokenError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        subject = claims.get("sub")
        subject = str(subject) if subject and subject != account.client_email else None
        if subject is not None and (
            account.delegation is False
            or (isinstance(account.delegation, frozenset) and not set(scopes) <= account.delegation)
        ):
            raise TokenError(
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not "
                "authorized for any of the scopes requested.",
                401,
            )
        with self._lock:
            issued = IssuedToken(
                access_token=f"fake-{next(self._token_counter)}",
                client_email=account.client_email,
                subject=subject,
                scopes=scopes,
                issued_at=now,
                expires_at=now + self.token_lifetime_s,
                audience=audience,
            )
            self._tokens[issued.access_token] = issued
            self._tokens_issued.append(issued)
        return issued

    # ---- HTTP: the APIs ----

    async def _handle_api(self, operation: str, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        api = operation.split(".", 1)[0]
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = dict(request.query.items())
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        token_value = bearer.strip() if scheme.lower() == "bearer" else None
        token_value = token_value or query.get("access_token") or query.get("oauth_token")
        token: IssuedToken | None = None
        reason: str | None = None
        try:
            token = self._authenticate(api, token_value)
            self._check_scopes(api, operation, token, query)
            self._take_failure(api, request.path_qs)
            with self._lock:
                response = self._handlers[operation](request.match_info, query, token, headers)
        except GoogleApiError as exc:
            body = exc.body(api)
            errors = body["error"].get("errors") or body["error"].get("details") or [{}]
            reason = errors[0].get("reason") or body["error"]["status"]
            response = web.json_response(body, status=exc.status, headers=exc.headers)
        with self._lock:
            self._requests.append(
                GoogleRequest(
                    request.method,
                    request.path,
                    query,
                    headers,
                    token.subject if token else None,
                    token.caller if token else None,
                    response.status,
                    at,
                    operation,
                    token_value,
                    reason,
                )
            )
        return response

    async def _handle_not_found(self, request: web.Request) -> web.StreamResponse:
        at = time.monotonic()
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self._requests.append(
                GoogleRequest(
                    request.method, request.path, dict(request.query.items()), headers, None, None, 404, at
                )
            )
        return web.Response(
            status=404,
            text=NOT_FOUND_PAGE.format(path=request.path),
            content_type="text/html",
            charset="UTF-8",
        )

    def _authenticate(self, api: str, token_value: str | None) -> IssuedToken:
        def unauthenticated(message: str, info_reason: str) -> GoogleApiError:
            return GoogleApiError(
                401,
                message,
                "authError" if api != "docs" else None,
                location="Authorization",
                location_type="header",
                info_reason=info_reason,
                error_message="Invalid Credentials",
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
                },
            )

        if not token_value:
            error = unauthenticated(MISSING_CREDENTIALS_MESSAGE, "CREDENTIALS_MISSING")
            error.reason = "required" if api != "docs" else None
            error.error_message = "Login Required."
            raise error
        with self._lock:
            token = self._tokens.get(token_value)
        if token is None:
            raise unauthenticated(UNAUTHENTICATED_MESSAGE, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        if token.expires_at <= time.time():
            raise unauthenticated(UNAUTHENTICATED_MESSAGE, "ACCESS_TOKEN_EXPIRED")
        return token

    def _check_scopes(self, api: str, operation: str, token: IssuedToken, query: dict[str, str]) -> None:
        allowed = _method_scopes(operation)
        if operation == "drive.files.get" and query.get("alt") == "media":
            allowed = allowed - METADATA_SCOPES
        if not allowed & set(token.scopes):
            raise GoogleApiError(
                403,
                "Request had insufficient authentication scopes.",
                "insufficientPermissions",
                error_message="Insufficient Permission",
                info_reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            )

    def _take_failure(self, api: str, path_qs: str) -> None:
        with self._lock:
            for i, failure in enumerate(self._failures):
                if failure.path_contains is None or failure.path_contains in path_qs:
                    del self._failures[i]
                    break
            else:
                return
        default_reason, default_message = DEFAULT_FAILURES.get(
            failure.status, ("backendError", "Backend Error")
        )
        reason = failure.reason or default_reason
        if api == "docs":
            message = failure.message or DOCS_FAILURE_MESSAGES.get(failure.status, default_message)
        else:
            message = failure.message or default_message
        headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
        if failure.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
        domain = "usageLimits" if reason in USAGE_LIMIT_REASONS else "global"
        raise GoogleApiError(
            failure.status,
            message,
            reason,
            domain=domain,
            info_reason=_camel_to_upper_snake(reason) if api == "docs" else None,
            headers=headers,
        )

    # ---- access ----

    def _in_group(self, email: str, group: str, seen: set[str] | None = None) -> bool:
        seen = seen if seen is not None else set()
        if group in seen:
            return False
        seen.add(group)
        members = self._groups.get(group, set())
        return email in members or any(self._in_group(email, m, seen) for m in members if m in self._groups)

    def _role(self, f: _File, caller: str) -> str | None:
        email = caller.lower()
        domain = email.rsplit("@", 1)[-1]
        best: str | None = None
        for p in f.permissions:
            ptype = p["type"]
            applies = (
                (ptype == "user" and str(p.get("emailAddress", "")).lower() == email)
                or (ptype == "group" and self._in_group(email, str(p.get("emailAddress", "")).lower()))
                or (ptype == "domain" and str(p.get("domain", "")).lower() == domain)
                or ptype == "anyone"
            )
            if applies and (best is None or ROLE_RANK[p["role"]] > ROLE_RANK[best]):
                best = p["role"]
        return best

    def _effective_role(self, f: _File, token: IssuedToken, operation: str) -> str | None:
        matching = _method_scopes(operation) & set(token.scopes)
        if matching and matching <= NARROW_DRIVE_SCOPES:
            return None  # drive.file and friends: only files the app created or was handed
        return self._role(f, token.caller)

    def _visible_drive_file(
        self, params: Mapping[str, str], query: dict[str, str], token: IssuedToken, operation: str
    ) -> tuple[_File, str]:
        file_id = params["fileId"]
        f = self._files.get(file_id)
        if f is None:
            raise _file_not_found(file_id)
        role = self._effective_role(f, token, operation)
        if role is None:
            raise _file_not_found(file_id)
        all_drives = _truthy(query.get("supportsAllDrives")) or _truthy(query.get("supportsTeamDrives"))
        if f.drive_id is not None and operation != "drive.comments.list" and not all_drives:
            raise _file_not_found(file_id)
        return f, role

    def _masked(self, api: str, value: JSON, query: dict[str, str], schema_name: str) -> JSON:
        spec = query.get("fields")
        if not spec:
            return value
        try:
            mask = parse_fields(spec)
            if api != "docs":
                _validate_mask(api, mask, _discovery(api)["schemas"][schema_name])
        except _FieldMaskError as exc:
            raise _invalid_parameter("fields", f"Invalid field selection {exc}") from exc
        masked: JSON = apply_fields(value, mask)
        return masked

    def _page(
        self, key: tuple[Any, ...], items: list[JSON], size: int, page_token: str | None
    ) -> tuple[list[JSON], str | None]:
        offset = 0
        if page_token:
            known = self._page_tokens.get(page_token)
            if known is None or known[0] != key:
                raise GoogleApiError(400, "Invalid Value", "invalid", location="pageToken")
            offset = known[1]
        page = items[offset : offset + size]
        if offset + size >= len(items):
            return page, None
        token = secrets.token_urlsafe(24)
        self._page_tokens[token] = (key, offset + size)
        return page, token

    @staticmethod
    def _page_size(query: dict[str, str], name: str, default: int | None, maximum: int) -> int | None:
        raw = query.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise _invalid_parameter(
                name, f"Invalid value '{raw}'. Values must be within the range: [1, {maximum}]"
            ) from exc
        if not 1 <= value <= maximum:
            raise _invalid_parameter(
                name, f"Invalid value '{raw}'. Values must be within the range: [1, {maximum}]"
            )
        return value

    @staticmethod
    def _json(body: JSON) -> web.Response:
        return web.Response(
            body=json.dumps(body, indent=2, ensure_ascii=False).encode(),
            content_type="application/json",
            charset="UTF-8",
            headers={"Vary": "Origin, X-Origin, Referer"},
        )

    # ---- Docs ----

    def _docs_get(
        self, params: Mapping[str, str], query: dict[str, str], token: IssuedToken, headers: dict[str, str]
    ) -> web.Response:
        doc_id = params["documentId"]
        f = self._files.get(doc_id)
        if f is None:
            raise GoogleApiError(404, "Requested entity was not found.")
        role = self._effective_role(f, token, "docs.documents.get")
        if role is None:
            raise GoogleApiError(403, "The caller does not have permission")
        if f.tabs is None:
            raise GoogleApiError(
                400, "This operation is not supported for this document", status_name="FAILED_PRECONDITION"
            )
        requested = query.get("suggestionsViewMode")
        mode = requested or "DEFAULT_FOR_CURRENT_ACCESS"
        if mode not in SUGGESTIONS_VIEW_MODES:
            raise GoogleApiError(
                400,
                "Invalid value at 'suggestions_view_mode' "
                f'(type.googleapis.com/google.apps.docs.v1.SuggestionsViewMode), "{mode}"',
            )
        sees_suggestions = ROLE_RANK[role] >= ROLE_RANK["commenter"]
        if mode == "DEFAULT_FOR_CURRENT_ACCESS":
            applied = "SUGGESTIONS_INLINE" if sees_suggestions else "PREVIEW_WITHOUT_SUGGESTIONS"
        elif mode in ("SUGGESTIONS_INLINE", "PREVIEW_SUGGESTIONS_ACCEPTED") and not sees_suggestions:
            raise GoogleApiError(403, "The caller does not have permission")
        else:
            applied = mode
        fields = query.get("fields") or ""
        include_tabs = _truthy(query.get("includeTabsContent")) or bool(re.search(r"(^|[,(/])tabs\b", fields))
        tabs = copy.deepcopy(f.tabs)
        if applied == "PREVIEW_WITHOUT_SUGGESTIONS":
            tabs = _preview(tabs, "suggestedInsertionIds")
        elif applied == "PREVIEW_SUGGESTIONS_ACCEPTED":
            tabs = _preview(tabs, "suggestedDeletionIds")
        document: JSON = {**f.document, "title": f.document["title"], "suggestionsViewMode": applied}
        if include_tabs:
            document["tabs"] = tabs
        else:
            first = tabs[0].get("documentTab", {}) if tabs else {}
            document.update({k: v for k, v in first.items() if k in LEGACY_CONTENT_FIELDS})
        self._doc_reads.append(
            {
                "document_id": doc_id,
                "caller": token.caller,
                "include_tabs_content": include_tabs,
                "suggestions_view_mode": requested,
                "applied_suggestions_view_mode": applied,
                "comments_view_mode": query.get("commentsViewMode"),
            }
        )
        return self._json(self._masked("docs", document, query, "Document"))

    # ---- Drive ----

    def _user(
        self, email: str | None, caller: str, display_name: str | None = None, *, private: bool = False
    ) -> JSON:
        user: JSON = {
            "kind": "drive#user",
            "displayName": display_name or (_display_name(email) if email else ""),
        }
        user["me"] = bool(email) and str(email).lower() == caller.lower()
        if email and not private:
            user["permissionId"] = _permission_id(email)
            user["emailAddress"] = email
        return user

    def _file_resource(self, f: _File, caller: str, role: str) -> JSON:
        rank = ROLE_RANK[role]
        owners = [p["emailAddress"] for p in f.permissions if p["type"] == "user" and p["role"] == "owner"]
        can_share = rank >= ROLE_RANK["writer"]
        resource: JSON = {
            "kind": "drive#file",
            "id": f.id,
            "name": f.name,
            "mimeType": f.mime_type,
            "starred": False,
            "trashed": False,
            "explicitlyTrashed": False,
            "spaces": ["drive"],
            "version": "1",
            "webViewLink": f.web_view_link,
            "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{f.mime_type}",
            "hasThumbnail": False,
            "thumbnailVersion": "0",
            "viewedByMe": False,
            "createdTime": f.created_time,
            "modifiedTime": f.modified_time,
            "modifiedByMe": False,
            "shared": len(f.permissions) > 1,
            "ownedByMe": caller.lower() in (o.lower() for o in owners),
            "viewersCanCopyContent": True,
            "copyRequiresWriterPermission": False,
            "writersCanShare": True,
            "capabilities": {
                "canComment": rank >= ROLE_RANK["commenter"],
                "canCopy": True,
                "canDownload": True,
                "canEdit": rank >= ROLE_RANK["writer"],
                "canModifyContent": rank >= ROLE_RANK["writer"],
                "canReadRevisions": rank >= ROLE_RANK["writer"],
                "canRename": rank >= ROLE_RANK["writer"],
                "canShare": can_share,
                "canTrash": rank >= ROLE_RANK["owner"],
                "canDelete": rank >= ROLE_RANK["owner"],
                "canListChildren": False,
                "canAddChildren": False,
                "canRemoveChildren": False,
            },
        }
        if f.description is not None:
            resource["description"] = f.description
        if f.drive_id is not None:
            resource["driveId"] = f.drive_id
            resource["teamDriveId"] = f.drive_id
        else:
            resource["owners"] = [self._user(o, caller) for o in owners]
        if f.size is not None:
            resource["size"] = str(f.size)
            resource["quotaBytesUsed"] = str(f.size) if not f.is_workspace else "0"
        if f.is_workspace:
            resource["exportLinks"] = {
                mime: f"https://docs.google.com/feeds/download/documents/export/Export?id={f.id}&exportFormat={quote(mime)}"
                for mime in f.exports
            }
        else:
            data = f.data or b""
            resource["webContentLink"] = f"https://drive.google.com/uc?id={f.id}&export=download"
            resource["md5Checksum"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
            resource["sha256Checksum"] = hashlib.sha256(data).hexdigest()
            resource["originalFilename"] = f.name
            resource["headRevisionId"] = "0B" + hashlib.sha256(f.id.encode()).hexdigest()[:40]
            if "." in f.name:
                resource["fileExtension"] = f.name.rsplit(".", 1)[-1]
                resource["fullFileExtension"] = f.name.split(".", 1)[-1]
        if can_share and f.drive_id is None:
            resource["permissions"] = copy.deepcopy(f.permissions)
            resource["permissionIds"] = [p["id"] for p in f.permissions]
        return resource

    def _drive_files_get(
        self, params: Mapping[str, str], query: dict[str, str], token: IssuedToken, headers: dict[str, str]
    ) -> web.Response:
        f, role = self._visible_drive_file(params, query, token, "drive.files.get")
        if query.get("alt") == "media":
            return self._media(f, headers)
        resource = self._file_resource(f, token.caller, role)
        if not query.get("fields"):
            return self._json({k: resource[k] for k in ("kind", "id", "name", "mimeType")})
        return self._json(self._masked("drive", resource, query, "File"))

    @staticmethod
    def _media(f: _File, headers: dict[str, str]) -> web.Response:
        if f.is_workspace:
            raise GoogleApiError(
                403,
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                "fileNotDownloadable",
                location="alt",
            )
        data = f.data or b""
        extra = {"Accept-Ranges": "bytes", "X-GUploader-UploadID": uuid.uuid4().hex}
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", headers.get("range", "").strip())
        if match and data and (match.group(1) or match.group(2)):
            first, last = match.group(1), match.group(2)
            if first:
                start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
            else:
                start, end = max(len(data) - int(last), 0), len(data) - 1
            if start >= len(data) or start > end:
                return web.Response(
                    status=416, headers={**extra, "Content-Range": f"bytes */{len(data)}"}, body=b""
                )
            return web.Response(
                status=206,
                body=data[start : end + 1],
                content_type=f.mime_type,
                headers={**extra, "Content-Range": f"bytes {start}-{end}/{len(data)}"},
            )
        return web.Response(body=data, content_type=f.mime_type, headers=extra)

    def _drive_files_export(
        self, params: Mapping[str, str], query: dict[str, str], token: IssuedToken, headers: dict[str, str]
    ) -> web.Response:
        f, _role = self._visible_drive_file(params, query, token, "drive.files.export")
        mime = query.get("mimeType")
        if not mime:
            raise GoogleApiError(400, "Required parameter: mimeType", "required", location="mimeType")
        if not f.is_workspace:
            raise GoogleApiError(403, "Export only supports Docs Editors files.", "fileNotExportable")
        data = f.exports.get(mime)
        if f.export_too_large or (data is not None and len(data) > EXPORT_SIZE_LIMIT):
            raise GoogleApiError(403, "This file is too large to be exported.", "exportSizeLimitExceeded")
        if data is None:
            raise GoogleApiError(
                400, "The requested conversion is not supported.", "badRequest", location="convertTo"
            )
        return web.Response(body=data, content_type=mime, headers={"X-GUploader-UploadID": uuid.uuid4().hex})

    def _drive_comments_list(
        self, params: Mapping[str, str], query: dict[str, str], token: IssuedToken, headers: dict[str, str]
    ) -> web.Response:
        f, role = self._visible_drive_file(params, query, token, "drive.comments.list")
        if not query.get("fields"):
            raise GoogleApiError(
                400, "The 'fields' parameter is required for this method.", "required", location="fields"
            )
        if ROLE_RANK[role] < ROLE_RANK["commenter"] and not self.readers_see_comments:
            raise _insufficient_file_permissions()
        size = self._page_size(query, "pageSize", 20, 100)
        assert size is not None
        include_deleted = _truthy(query.get("includeDeleted"))
        since = query.get("startModifiedTime")
        since_at = _parse_rfc3339(since) if since else None
        if since and since_at is None:
            raise _invalid_parameter("startModifiedTime", f"Invalid value '{since}'.", "invalid")
        shown = []
        for comment in f.comments:
            if comment.get("deleted") and not include_deleted:
                continue
            modified = _parse_rfc3339(str(comment.get("modifiedTime", "")))
            if since_at is not None and modified is not None and modified < since_at:
                continue
            shown.append(self._present_comment(comment, token.caller, include_deleted))
        key = ("comments", f.id, token.caller, include_deleted, since, size)
        page, next_token = self._page(key, shown, size, query.get("pageToken"))
        body: JSON = {"kind": "drive#commentList", "comments": page}
        if next_token:
            body["nextPageToken"] = next_token
        return self._json(self._masked("drive", body, query, "CommentList"))

    def _present_comment(self, comment: JSON, caller: str, include_deleted: bool) -> JSON:
        def present(item: JSON) -> JSON:
            shown = copy.deepcopy(item)
            author = shown.get("author") or {}
            shown["author"] = self._user(
                author.get("emailAddress"), caller, author.get("displayName"), private=True
            )
            if author.get("photoLink"):
                shown["author"]["photoLink"] = author["photoLink"]
            if shown.get("deleted"):
                for key in ("content", "htmlContent", "quotedFileContent"):
                    shown.pop(key, None)
            return shown

        shown = present(comment)
        shown["replies"] = [
            present(r) for r in comment.get("replies", []) if include_deleted or not r.get("deleted")
        ]
        return shown

    def _drive_permissions_list(
        self, params: Mapping[str, str], query: dict[str, str], token: IssuedToken, headers: dict[str, str]
    ) -> web.Response:
        f, role = self._visible_drive_file(params, query, token, "drive.permissions.list")
        if ROLE_RANK[role] < ROLE_RANK["writer"]:
            raise _insufficient_file_permissions()
        size = self._page_size(query, "pageSize", None, 100)
        if size is None:
            size = 100 if f.drive_id is not None else max(len(f.permissions), 1)
        key = ("permissions", f.id, token.caller, size)
        page, next_token = self._page(key, copy.deepcopy(f.permissions), size, query.get("pageToken"))
        body: JSON = {"kind": "drive#permissionList", "permissions": page}
        if next_token:
            body["nextPageToken"] = next_token
        if not query.get("fields"):
            keep = ("kind", "id", "type", "role", "emailAddress", "domain", "allowFileDiscovery")
            body["permissions"] = [{k: p[k] for k in keep if k in p} for p in page]
            return self._json(body)
        return self._json(self._masked("drive", body, query, "PermissionList"))

    # ---- Calendar ----

    def _can_read_calendar(self, cal: _Calendar, caller: str) -> bool:
        email = caller.lower()
        if cal.readers is None or email == cal.id.lower():
            return True
        return email in cal.readers or any(self._in_group(email, r) for r in cal.readers if r in self._groups)

    def _event_bounds(self, event: JSON, cal: _Calendar) -> tuple[datetime, datetime]:
        zone = _zone(None, cal.time_zone)

        def bound(value: JSON) -> datetime:
            if value.get("dateTime"):
                moment = datetime.fromisoformat(str(value["dateTime"]).upper().replace("Z", "+00:00"))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=_zone(value.get("timeZone"), cal.time_zone))
                return moment
            return datetime.combine(date.fromisoformat(str(value["date"])), datetime.min.time(), tzinfo=zone)

        return bound(event["start"]), bound(event["end"])

    def _calendar_events_list(
        self, params: Mapping[str, str], query: dict[str, str], token: IssuedToken, headers: dict[str, str]
    ) -> web.Response:
        calendar_id = params["calendarId"]
        resolved = token.caller if calendar_id == "primary" else calendar_id
        cal = self._calendars.get(resolved)
        if cal is None or not self._can_read_calendar(cal, token.caller):
            raise GoogleApiError(404, "Not Found", "notFound")
        if query.get("syncToken"):
            raise GoogleApiError(
                410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired"
            )
        bounds: dict[str, datetime | None] = {}
        for name in ("timeMin", "timeMax", "updatedMin"):
            raw = query.get(name)
            bounds[name] = _parse_rfc3339(raw) if raw else None
            if raw and bounds[name] is None:
                raise GoogleApiError(400, "Bad Request", "badRequest")
        time_min, time_max = bounds["timeMin"], bounds["timeMax"]
        if time_min is not None and time_max is not None and time_min >= time_max:
            raise GoogleApiError(
                400, "The specified time range is empty.", "timeRangeEmpty", location="timeMax"
            )
        single = _truthy(query.get("singleEvents"))
        order = query.get("orderBy")
        if order not in (None, "startTime", "updated"):
            raise _invalid_parameter("orderBy", f"Invalid value '{order}'.", "invalid")
        if order == "startTime" and not single:
            raise GoogleApiError(
                400, "The requested ordering is not available for the particular query.", "badRequest"
            )
        size = self._page_size(query, "maxResults", 250, 2**31 - 1)
        assert size is not None
        size = min(size, 2500)
        show_deleted = _truthy(query.get("showDeleted"))
        needle = (query.get("q") or "").lower()
        selected: list[tuple[datetime, JSON]] = []
        for event in cal.events:
            if event.get("status") == "cancelled" and not show_deleted:
                continue
            if single and event.get("recurrence"):
                continue
            if not single and event.get("recurringEventId"):
                continue
            start, end = self._event_bounds(event, cal)
            if time_max is not None and start >= time_max:
                continue
            if time_min is not None and end <= time_min and not event.get("recurrence"):
                continue
            updated = _parse_rfc3339(str(event.get("updated", "")))
            if bounds["updatedMin"] is not None and updated is not None and updated < bounds["updatedMin"]:
                continue
            if needle:
                haystack = " ".join(
                    [str(event.get(k, "")) for k in ("summary", "description", "location")]
                    + [f"{a.get('email', '')} {a.get('displayName', '')}" for a in event.get("attendees", [])]
                ).lower()
                if needle not in haystack:
                    continue
            selected.append((start, event))
        if order == "startTime":
            selected.sort(key=lambda pair: pair[0])
        elif order == "updated":
            selected.sort(key=lambda pair: str(pair[1].get("updated", "")))
        items = [copy.deepcopy(e) for _, e in selected]
        key = (
            "events",
            cal.id,
            token.caller,
            tuple(sorted((k, v) for k, v in query.items() if k not in ("pageToken", "alt", "fields"))),
        )
        page, next_token = self._page(key, items, size, query.get("pageToken"))
        updated_at = max((str(e.get("updated", "")) for e in cal.events), default=_rfc3339(datetime.now(UTC)))
        body: JSON = {
            "kind": "calendar#events",
            "etag": f'"p3{hashlib.sha256(updated_at.encode()).hexdigest()[:14]}"',
            "summary": cal.summary,
            "description": "",
            "updated": updated_at,
            "timeZone": cal.time_zone,
            "accessRole": "owner" if token.caller.lower() == cal.id.lower() else "reader",
            "defaultReminders": [],
            "items": page,
        }
        if next_token:
            body["nextPageToken"] = next_token
        else:
            body["nextSyncToken"] = "CP" + secrets.token_urlsafe(12) + "="
        return self._json(self._masked("calendar", body, query, "Events"))


def _event_time(moment: datetime) -> JSON:
    """`{"dateTime": ...}` for an event start or end (a helper for tests building events)."""
    return {"dateTime": moment.isoformat()}


def event_at(summary: str, start: datetime, minutes: int = 30, **extra: Any) -> JSON:
    """A minimal timed event for `add_event`: `summary`, start, end after `minutes` (aware datetimes)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return {
        "summary": summary,
        "start": _event_time(start),
        "end": _event_time(start + timedelta(minutes=minutes)),
        **extra,
    }


# ---------------------------------------------------------------------------------------------------------
# Standalone
# ---------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve fake Google OAuth2, Docs, Drive and Calendar APIs.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--key-file", help="write a service-account key file for this fake here")
    parser.add_argument("--client-email", default=DEFAULT_CLIENT_EMAIL)
    args = parser.parse_args(argv)
    fake = FakeGoogle(host=args.host, port=args.port).start()
    if args.key_file:
        fake.write_service_account(args.key_file, args.client_email)
    print(fake.base_url, flush=True)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.wait(0.2):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
