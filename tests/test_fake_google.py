"""The fake Google APIs, driven only through the real google-auth service-account credentials and the real
googleapiclient built offline from its static discovery documents, configured as the product will be."""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httplib2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest, MediaIoBaseDownload, build_http

from tests.fakes.google_fake import GOOGLE_TOKEN_URI, FakeGoogle, event_at

SA = "docdebate@proj.iam.gserviceaccount.com"
AUTH = "https://www.googleapis.com/auth/"
DOCS_SCOPES = [AUTH + "documents.readonly", AUTH + "drive.readonly"]
ALL_SCOPES = [*DOCS_SCOPES, AUTH + "calendar.readonly"]
VERSIONS = {"docs": "v1", "drive": "v3", "calendar": "v3"}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(fake: FakeGoogle) -> None:
    fake.reset(state=True)
    fake.readers_see_comments = False


@pytest.fixture(scope="module")
def key_file(fake: FakeGoogle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake.write_service_account(tmp_path_factory.mktemp("sa") / "key.json")


def endpoints(google_api_url: str) -> dict[str, str]:
    """How the product turns GOOGLE_API_URL into each API's `api_endpoint` (it replaces rootUrl +
    servicePath: docs has an empty servicePath, drive and calendar have `drive/v3/` and `calendar/v3/`)."""
    return {
        "docs": google_api_url,
        "drive": google_api_url + "drive/v3/",
        "calendar": google_api_url + "calendar/v3/",
    }


@functools.cache
def _loaded(key_file: Path) -> Any:
    # Parsing the PEM key costs ~0.1 s (cryptography validates it), so each key file is loaded once;
    # with_scopes / with_subject copy the signer, and every copy fetches its own token.
    return service_account.Credentials.from_service_account_file(str(key_file))


def creds(key_file: Path, subject: str | None = None, scopes: list[str] | None = None) -> Any:
    credentials = _loaded(key_file).with_scopes(scopes or ALL_SCOPES)
    return credentials.with_subject(subject) if subject else credentials


@functools.cache
def _service(api: str, api_endpoint: str) -> Any:
    # Building is cheap, but googleapiclient renders docstrings from the response schemas the first time a
    # built service's resource is used (~0.25 s for docs' Document), so each API is built once per fake
    # and each identity's requests go out on its own AuthorizedHttp: exactly what build(credentials=...)
    # wraps its requests in (test_real_clients_reach_the_fake_through_api_endpoint builds it that way).
    return build(
        api,
        VERSIONS[api],
        credentials=AnonymousCredentials(),
        static_discovery=True,
        client_options={"api_endpoint": api_endpoint},
    )


class _As:
    """A built service, resource or method seen as one identity: every HttpRequest it makes (list_next
    included) is executed with that identity's AuthorizedHttp."""

    def __init__(self, target: Any, http: AuthorizedHttp) -> None:
        self._target = target
        self._http = http

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if isinstance(result, HttpRequest):
                result.http = self._http
                return result
            return None if result is None else _As(result, self._http)

        return call


def as_identity(fake: FakeGoogle, api: str, key_file: Path, subject: str | None, **kw: Any) -> Any:
    http = AuthorizedHttp(creds(key_file, subject, **kw), http=build_http())
    return _As(_service(api, endpoints(fake.base_url)[api]), http)


def docs(fake: FakeGoogle, key_file: Path, subject: str | None = None, **kw: Any) -> Any:
    """The docs `documents()` resource as the service account, or as `subject` by delegation."""
    return as_identity(fake, "docs", key_file, subject, **kw).documents()


def drive(fake: FakeGoogle, key_file: Path, subject: str | None = None, **kw: Any) -> Any:
    return as_identity(fake, "drive", key_file, subject, **kw)


def calendar(fake: FakeGoogle, key_file: Path, subject: str | None = None, **kw: Any) -> Any:
    return as_identity(fake, "calendar", key_file, subject, **kw)


def http_error(request: Any, **execute: Any) -> HttpError:
    with pytest.raises(HttpError) as info:
        request.execute(**execute)
    return info.value


def error_body(error: HttpError) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(error.content)["error"]
    return body


def no_sleep(request: Any) -> list[float]:
    """Replace googleapiclient's back-off sleep for one request; returns the sleeps it asked for."""
    sleeps: list[float] = []
    request._sleep = sleeps.append
    return sleeps


def paragraph(text: str, **run: Any) -> dict[str, Any]:
    return {"paragraph": {"elements": [{"textRun": {"content": text, **run}}]}}


def body(*texts: str) -> dict[str, Any]:
    return {"content": [paragraph(t) for t in texts]}


LEGACY_DOC = {"title": "Launch plan", "body": body("We launch in March.\n", "Pricing is final.\n")}
TABBED_DOC = {
    "title": "Design",
    "tabs": [
        {
            "tabProperties": {"tabId": "t.0", "title": "Overview"},
            "documentTab": {"body": body("First tab.\n")},
        },
        {
            "tabProperties": {"tabId": "t.appendix", "title": "Appendix"},
            "documentTab": {"body": body("Second tab.\n")},
            "childTabs": [
                {
                    "tabProperties": {"tabId": "t.child", "title": "Notes"},
                    "documentTab": {"body": body("Nested.\n")},
                }
            ],
        },
    ],
}
SA_READER = {"type": "user", "role": "reader", "emailAddress": SA}
ALICE = {"type": "user", "role": "reader", "emailAddress": "alice@example.com"}
ENG = {"type": "group", "role": "reader", "emailAddress": "eng@example.com"}
ALL = {"type": "group", "role": "reader", "emailAddress": "all@example.com"}
DOMAIN = {"type": "domain", "role": "reader", "domain": "example.com"}
ANYONE = {"type": "anyone", "role": "reader"}


# ---------------------------------------------------------------------------------------------------------
# Wiring: endpoints, key file, tokens
# ---------------------------------------------------------------------------------------------------------


def test_real_clients_reach_the_fake_through_api_endpoint(fake: FakeGoogle, key_file: Path) -> None:
    """The configuration the product uses: GOOGLE_APPLICATION_CREDENTIALS = the key file (its token_uri is
    the fake's), GOOGLE_API_URL = fake.base_url, and build(credentials=...) with each API's endpoint."""
    google_api_url = fake.base_url
    assert google_api_url.endswith("/") and fake.token_url == google_api_url + "token"
    assert {api: fake.api_endpoint(api) for api in VERSIONS} == endpoints(google_api_url)
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    fake.add_calendar("team@example.com")
    credentials = service_account.Credentials.from_service_account_file(str(key_file), scopes=ALL_SCOPES)
    services = {
        api: build(
            api,
            version,
            credentials=credentials,
            static_discovery=True,
            client_options={"api_endpoint": endpoints(google_api_url)[api]},
        )
        for api, version in VERSIONS.items()
    }
    services["docs"].documents().get(documentId="doc1").execute()
    services["drive"].files().get(fileId="doc1").execute()
    services["calendar"].events().list(calendarId="team@example.com").execute()
    assert [(r.method, r.path, r.status) for r in fake.requests] == [
        ("POST", "/token", 200),  # one token, shared by the three services
        ("GET", "/v1/documents/doc1", 200),
        ("GET", "/drive/v3/files/doc1", 200),
        ("GET", "/calendar/v3/calendars/team@example.com/events", 200),
    ]
    # No trailing slash works too: googleapiclient joins with exactly one "/".
    bare = build("drive", "v3", credentials=credentials, static_discovery=True,
                 client_options={"api_endpoint": google_api_url + "drive/v3"})  # fmt: skip
    assert bare.files().get(fileId="doc1").execute()["id"] == "doc1"


def test_key_file_is_a_service_account_key_whose_token_uri_is_the_fake(
    fake: FakeGoogle, key_file: Path
) -> None:
    info = json.loads(key_file.read_text())
    assert info["type"] == "service_account" and info["client_email"] == SA
    assert info["token_uri"] == fake.token_url
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    credentials = creds(key_file)
    assert credentials.service_account_email == SA


def test_token_grant_records_account_scopes_and_subject(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc(
        "doc1",
        LEGACY_DOC,
        permissions=[SA_READER, {"type": "user", "role": "reader", "emailAddress": "alice@example.com"}],
    )
    docs(fake, key_file).get(documentId="doc1").execute()
    docs(fake, key_file, subject="alice@example.com").get(documentId="doc1").execute()

    as_sa, as_alice = fake.tokens_issued
    assert (as_sa.client_email, as_sa.subject, as_sa.caller) == (SA, None, SA)
    assert (as_alice.client_email, as_alice.subject, as_alice.caller) == (
        SA,
        "alice@example.com",
        "alice@example.com",
    )
    assert as_sa.scopes == tuple(ALL_SCOPES) and as_sa.audience == GOOGLE_TOKEN_URI
    assert as_sa.access_token.startswith("fake-") and as_sa.expires_at - as_sa.issued_at == 3600

    token_requests = fake.requests_to("oauth2.token")
    assert [r.query["grant_type"] for r in token_requests] == [
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ] * 2
    reads = fake.requests_to("docs.documents.get")
    assert [(r.subject, r.caller) for r in reads] == [(None, SA), ("alice@example.com", "alice@example.com")]
    assert reads[0].headers["authorization"] == f"Bearer {as_sa.access_token}"
    assert reads[0].headers["x-goog-api-client"].startswith("gdcl/")


def test_token_endpoint_checks_the_jwt_signature_and_issuer(
    fake: FakeGoogle, key_file: Path, tmp_path: Path
) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    info = json.loads(key_file.read_text())
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    info["private_key"] = other_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(info))
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        docs(fake, forged).get(documentId="doc1").execute()

    unknown = tmp_path / "unknown.json"
    unknown.write_text(
        json.dumps({**json.loads(key_file.read_text()), "client_email": "ghost@proj.iam.gserviceaccount.com"})
    )
    with pytest.raises(RefreshError, match="account not found"):
        docs(fake, unknown).get(documentId="doc1").execute()
    assert [r.status for r in fake.requests_to("oauth2.token")] == [400, 400]
    assert fake.requests_to("docs.documents.get") == []


def test_fail_token_next_and_delegation_refusal(fake: FakeGoogle, key_file: Path, tmp_path: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER, ALICE])
    fake.fail_token_next(error="invalid_grant", description="Invalid JWT Signature.")
    with pytest.raises(RefreshError, match="invalid_grant"):
        docs(fake, key_file).get(documentId="doc1").execute()
    docs(fake, key_file).get(documentId="doc1").execute()  # the next grant works

    other = "other@proj.iam.gserviceaccount.com"
    other_key = fake.write_service_account(tmp_path / "other.json", other, delegation=False)
    with pytest.raises(RefreshError, match="unauthorized_client"):
        docs(fake, other_key, subject="alice@example.com").get(documentId="doc1").execute()
    fake.allow_delegation(other, [AUTH + "documents.readonly"])
    with pytest.raises(RefreshError, match="unauthorized_client"):  # drive.readonly was not granted
        docs(fake, other_key, "alice@example.com", scopes=DOCS_SCOPES).get(documentId="doc1").execute()
    as_alice = docs(fake, other_key, "alice@example.com", scopes=[AUTH + "documents.readonly"])
    assert as_alice.get(documentId="doc1").execute()["title"] == "Launch plan"
    assert [r.status for r in fake.requests_to("oauth2.token")] == [400, 200, 401, 401, 200]


def test_expired_and_rejected_tokens_make_the_client_refresh(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    service = docs(fake, key_file)
    service.get(documentId="doc1").execute()
    fake.expire_tokens()
    service.get(documentId="doc1").execute()
    fake.fail_next(status=401)
    service.get(documentId="doc1").execute()
    assert [r.status for r in fake.requests_to("docs.documents.get")] == [200, 401, 200, 401, 200]
    assert len(fake.tokens_issued) == 3
    first, second, third = (t.access_token for t in fake.tokens_issued)
    assert [r.token for r in fake.requests_to("docs.documents.get")] == [first, first, second, second, third]


def test_insufficient_scopes(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_file("pdf1", "spec.pdf", "application/pdf", b"%PDF-1.7", permissions=[SA_READER])
    error = http_error(drive(fake, key_file, scopes=[AUTH + "calendar.readonly"]).files().get(fileId="pdf1"))
    assert error.status_code == 403
    assert error_body(error)["errors"][0]["reason"] == "insufficientPermissions"
    assert error_body(error)["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"

    metadata_only = drive(fake, key_file, scopes=[AUTH + "drive.metadata.readonly"])
    assert metadata_only.files().get(fileId="pdf1").execute()["name"] == "spec.pdf"
    assert http_error(metadata_only.files().get_media(fileId="pdf1")).status_code == 403
    # drive.file matches the method but reaches only files the app created: none of these.
    narrow = drive(fake, key_file, scopes=[AUTH + "drive.file"])
    assert http_error(narrow.files().get(fileId="pdf1")).status_code == 404


# ---------------------------------------------------------------------------------------------------------
# Docs documents.get
# ---------------------------------------------------------------------------------------------------------


def test_documents_get_legacy_shape_of_a_tabbed_doc_is_its_first_tab(
    fake: FakeGoogle, key_file: Path
) -> None:
    fake.add_doc("doc1", TABBED_DOC, permissions=[SA_READER])
    service = docs(fake, key_file)
    legacy = service.get(documentId="doc1").execute()
    assert legacy["documentId"] == "doc1" and legacy["title"] == "Design"
    assert legacy["body"] == body("First tab.\n") and "tabs" not in legacy

    tabbed = service.get(documentId="doc1", includeTabsContent=True).execute()
    assert "body" not in tabbed
    first, second = tabbed["tabs"]
    assert first["tabProperties"] == {"tabId": "t.0", "title": "Overview", "index": 0, "nestingLevel": 0}
    assert second["documentTab"]["body"] == body("Second tab.\n")
    (child,) = second["childTabs"]
    assert (
        child["tabProperties"]["parentTabId"] == "t.appendix" and child["tabProperties"]["nestingLevel"] == 1
    )

    masked = service.get(documentId="doc1", fields="title,tabs(tabProperties/title)").execute()
    assert masked == {
        "title": "Design",
        "tabs": [{"tabProperties": {"title": "Overview"}}, {"tabProperties": {"title": "Appendix"}}],
    }
    assert [r["include_tabs_content"] for r in fake.doc_reads] == [False, True, True]


def test_documents_get_tabs_shape_of_a_legacy_doc_is_one_tab(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    tabbed = docs(fake, key_file).get(documentId="doc1", includeTabsContent=True).execute()
    (tab,) = tabbed["tabs"]
    assert tab["tabProperties"] == {"tabId": "t.0", "title": "Tab 1", "index": 0, "nestingLevel": 0}
    assert tab["documentTab"]["body"] == LEGACY_DOC["body"]


def test_suggestions_view_mode_follows_access(fake: FakeGoogle, key_file: Path) -> None:
    suggested = {
        "title": "Draft",
        "body": {
            "content": [
                {
                    "paragraph": {
                        "elements": [
                            {"textRun": {"content": "Ship "}},
                            {"textRun": {"content": "maybe ", "suggestedInsertionIds": ["suggest.1"]}},
                            {"textRun": {"content": "never ", "suggestedDeletionIds": ["suggest.2"]}},
                            {"textRun": {"content": "soon.\n"}},
                        ]
                    }
                }
            ]
        },
    }
    commenter = {"type": "user", "role": "commenter", "emailAddress": "carol@example.com"}
    fake.add_doc("doc1", suggested, permissions=[SA_READER, commenter])

    def text(document: dict[str, Any]) -> str:
        return "".join(
            e["textRun"]["content"] for e in document["body"]["content"][0]["paragraph"]["elements"]
        )

    as_reader = docs(fake, key_file)
    plain = as_reader.get(documentId="doc1").execute()
    assert (
        plain["suggestionsViewMode"] == "PREVIEW_WITHOUT_SUGGESTIONS" and text(plain) == "Ship never soon.\n"
    )
    assert "suggestedDeletionIds" not in json.dumps(plain)
    error = http_error(as_reader.get(documentId="doc1", suggestionsViewMode="SUGGESTIONS_INLINE"))
    assert error.status_code == 403 and error_body(error)["status"] == "PERMISSION_DENIED"

    as_commenter = docs(fake, key_file, subject="carol@example.com")
    inline = as_commenter.get(documentId="doc1").execute()
    assert (
        inline["suggestionsViewMode"] == "SUGGESTIONS_INLINE" and text(inline) == "Ship maybe never soon.\n"
    )
    accepted = as_commenter.get(
        documentId="doc1", suggestionsViewMode="PREVIEW_SUGGESTIONS_ACCEPTED"
    ).execute()
    assert text(accepted) == "Ship maybe soon.\n"
    assert [
        (r["caller"], r["suggestions_view_mode"], r["applied_suggestions_view_mode"]) for r in fake.doc_reads
    ] == [
        (SA, None, "PREVIEW_WITHOUT_SUGGESTIONS"),
        ("carol@example.com", None, "SUGGESTIONS_INLINE"),
        ("carol@example.com", "PREVIEW_SUGGESTIONS_ACCEPTED", "PREVIEW_SUGGESTIONS_ACCEPTED"),
    ]
    assert fake.requests_to("docs.documents.get")[1].query["suggestionsViewMode"] == "SUGGESTIONS_INLINE"


def test_docs_errors_use_the_newer_error_format(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_file("pdf1", "spec.pdf", "application/pdf", b"%PDF", permissions=[SA_READER])
    service = docs(fake, key_file)
    missing = http_error(service.get(documentId="nope"))
    assert missing.status_code == 404
    assert error_body(missing) == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }
    not_a_doc = http_error(service.get(documentId="pdf1"))
    assert not_a_doc.status_code == 400 and error_body(not_a_doc)["status"] == "FAILED_PRECONDITION"


# ---------------------------------------------------------------------------------------------------------
# Access rules
# ---------------------------------------------------------------------------------------------------------

ACCESS_CASES = [
    # permission on the doc (besides its owner), caller (None: the service account itself), allowed
    pytest.param(None, None, False, id="sa-not-shared"),
    pytest.param(SA_READER, None, True, id="sa-shared"),
    pytest.param(ALICE, "alice@example.com", True, id="user-shared"),
    pytest.param(ALICE, "bob@example.com", False, id="other-user"),
    pytest.param(ALICE, None, False, id="sa-when-a-user-is-shared"),
    pytest.param(ENG, "carol@example.com", True, id="group-member"),
    pytest.param(ENG, "dave@example.com", False, id="not-a-group-member"),
    pytest.param(ALL, "carol@example.com", True, id="nested-group-member"),
    pytest.param(DOMAIN, "erin@example.com", True, id="domain-user"),
    pytest.param(DOMAIN, "mallory@other.org", False, id="other-domain"),
    pytest.param(DOMAIN, None, False, id="sa-is-in-no-workspace-domain"),
    pytest.param(ANYONE, None, True, id="anyone-sa"),
    pytest.param(ANYONE, "mallory@other.org", True, id="anyone-outsider"),
]


@pytest.mark.parametrize(("permission", "caller", "allowed"), ACCESS_CASES)
def test_access_follows_drive_sharing(
    fake: FakeGoogle, key_file: Path, permission: dict[str, Any] | None, caller: str | None, allowed: bool
) -> None:
    fake.add_group("eng@example.com", ["carol@example.com"])
    fake.add_group("all@example.com", ["eng@example.com"])  # nested
    fake.add_doc(
        "doc1", LEGACY_DOC, owners=["owner@example.com"], permissions=[permission] if permission else []
    )
    docs_get = docs(fake, key_file, caller).get(documentId="doc1")
    drive_get = drive(fake, key_file, caller).files().get(fileId="doc1")
    if allowed:
        assert docs_get.execute()["title"] == "Launch plan"
        assert drive_get.execute()["id"] == "doc1"
        return
    denied = http_error(docs_get)
    assert denied.status_code == 403
    assert error_body(denied) == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    hidden = http_error(drive_get)
    assert hidden.status_code == 404  # Drive does not admit that a file it will not show exists
    assert error_body(hidden)["message"] == "File not found: doc1."
    assert error_body(hidden)["errors"] == [
        {
            "message": "File not found: doc1.",
            "domain": "global",
            "reason": "notFound",
            "location": "fileId",
            "locationType": "parameter",
        }
    ]
    assert error_body(hidden)["status"] == "NOT_FOUND"


def test_sharing_with_the_service_account_later_grants_access(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, owners=["owner@example.com"])
    service = drive(fake, key_file)
    assert http_error(service.files().get(fileId="doc1")).status_code == 404
    shared = fake.add_permission("doc1", "user", "reader", email_address=SA)
    assert service.files().get(fileId="doc1").execute()["name"] == "Launch plan"
    fake.remove_permission("doc1", shared["id"])
    assert http_error(service.files().get(fileId="doc1")).status_code == 404


def test_unknown_ids_and_shared_drives(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_file("pdf1", "spec.pdf", "application/pdf", b"%PDF", permissions=[SA_READER], drive_id="0ADrive")
    service = drive(fake, key_file)
    assert http_error(service.files().get(fileId="nope")).status_code == 404
    assert http_error(service.files().get(fileId="pdf1")).status_code == 404  # without supportsAllDrives
    got = service.files().get(fileId="pdf1", supportsAllDrives=True, fields="id,driveId,owners").execute()
    assert got == {"id": "pdf1", "driveId": "0ADrive"}  # no owners in shared drives


# ---------------------------------------------------------------------------------------------------------
# Drive files.get, media, export
# ---------------------------------------------------------------------------------------------------------


def test_files_get_fields(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_file(
        "pdf1",
        "spec.pdf",
        "application/pdf",
        b"%PDF-1.7 data",
        owners=["owner@example.com"],
        permissions=[SA_READER],
    )
    service = drive(fake, key_file)
    assert service.files().get(fileId="pdf1").execute() == {
        "kind": "drive#file", "id": "pdf1", "name": "spec.pdf", "mimeType": "application/pdf"
    }  # fmt: skip
    got = (
        service.files()
        .get(
            fileId="pdf1",
            fields="id,name,mimeType,owners(displayName,emailAddress),webViewLink,size",
            supportsAllDrives=True,
        )
        .execute()
    )
    assert got == {
        "id": "pdf1",
        "name": "spec.pdf",
        "mimeType": "application/pdf",
        "owners": [{"displayName": "Owner", "emailAddress": "owner@example.com"}],
        "webViewLink": "https://drive.google.com/file/d/pdf1/view?usp=drivesdk",
        "size": "13",
    }
    caps = (
        service.files().get(fileId="pdf1", fields="capabilities(canComment,canShare),permissions").execute()
    )
    assert caps == {"capabilities": {"canComment": False, "canShare": False}}  # readers see no permissions
    bad = http_error(service.files().get(fileId="pdf1", fields="id,nmae"))
    assert bad.status_code == 400
    assert error_body(bad)["errors"][0] == {
        "message": "Invalid field selection nmae", "domain": "global", "reason": "invalidParameter",
        "location": "fields", "locationType": "parameter",
    }  # fmt: skip


def test_binary_download_with_ranges(fake: FakeGoogle, key_file: Path) -> None:
    data = bytes(range(256)) * 40
    fake.add_file("pdf1", "spec.pdf", "application/pdf", data, permissions=[SA_READER])
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    service = drive(fake, key_file)
    assert service.files().get_media(fileId="pdf1").execute() == data

    out = io.BytesIO()
    downloader = MediaIoBaseDownload(out, service.files().get_media(fileId="pdf1"), chunksize=4096)
    done = False
    while not done:
        _, done = downloader.next_chunk()
    assert out.getvalue() == data
    assert [r.status for r in fake.requests_to("drive.files.get")] == [200, 206, 206, 206]
    assert fake.requests_to("drive.files.get")[1].headers["range"] == "bytes=0-4095"

    error = http_error(service.files().get_media(fileId="doc1"))
    assert error.status_code == 403 and error_body(error)["errors"][0]["reason"] == "fileNotDownloadable"


def test_export(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER], exports={"text/markdown": b"# Launch plan\n"})
    fake.add_file(
        "sheet1",
        "Budget",
        "application/vnd.google-apps.spreadsheet",
        exports={"text/csv": b"a,b\n1,2\n"},
        permissions=[SA_READER],
    )
    fake.add_file("pdf1", "spec.pdf", "application/pdf", b"%PDF", permissions=[SA_READER])
    service = drive(fake, key_file)
    plain = service.files().export_media(fileId="doc1", mimeType="text/plain").execute()
    assert plain == "\ufeffWe launch in March.\r\nPricing is final.\r\n".encode()
    assert service.files().export(fileId="doc1", mimeType="text/markdown").execute() == b"# Launch plan\n"
    assert service.files().export_media(fileId="sheet1", mimeType="text/csv").execute() == b"a,b\n1,2\n"

    unsupported = http_error(service.files().export_media(fileId="doc1", mimeType="image/gif"))
    assert unsupported.status_code == 400
    binary = http_error(service.files().export_media(fileId="pdf1", mimeType="text/plain"))
    assert binary.status_code == 403 and binary.error_details[0]["reason"] == "fileNotExportable"
    assert fake.requests_to("drive.files.export")[0].query == {"mimeType": "text/plain", "alt": "media"}


def test_export_too_large(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("big", LEGACY_DOC, permissions=[SA_READER], export_too_large=True)
    service = drive(fake, key_file)
    error = http_error(service.files().export_media(fileId="big", mimeType="text/plain"), num_retries=3)
    assert error.status_code == 403
    assert error.reason == "This file is too large to be exported."
    assert error.error_details == [
        {
            "message": "This file is too large to be exported.",
            "domain": "global",
            "reason": "exportSizeLimitExceeded",
        }
    ]
    assert (
        len(fake.requests_to("drive.files.export")) == 1
    )  # not a rate limit: googleapiclient does not retry

    downloader = MediaIoBaseDownload(
        io.BytesIO(), service.files().export_media(fileId="big", mimeType="text/plain")
    )
    with pytest.raises(HttpError) as info:
        downloader.next_chunk()
    assert (
        info.value.status_code == 403 and info.value.error_details[0]["reason"] == "exportSizeLimitExceeded"
    )


# ---------------------------------------------------------------------------------------------------------
# Drive comments and permissions
# ---------------------------------------------------------------------------------------------------------

COMMENTS = [
    {
        "content": f"Comment {i}",
        "quotedFileContent": {"value": f"quote {i}"},
        "resolved": i == 1,
        "deleted": i == 2,
        "author": {"displayName": f"Person {i}", "emailAddress": f"person{i}@example.com"},
        "replies": [
            {
                "content": f"Reply to {i}",
                "author": {"displayName": "Carol", "emailAddress": "carol@example.com"},
            }
        ],
    }
    for i in range(6)
]
COMMENT_FIELDS = "comments(id,content,quotedFileContent/value,resolved,deleted,author(displayName,emailAddress,me),replies(content,author/displayName)),nextPageToken"


def test_comments_pagination(fake: FakeGoogle, key_file: Path) -> None:
    commenter = {"type": "user", "role": "commenter", "emailAddress": "carol@example.com"}
    fake.add_doc("doc1", LEGACY_DOC, permissions=[commenter], comments=COMMENTS)
    comments = drive(fake, key_file, "carol@example.com").comments()
    request = comments.list(fileId="doc1", fields=COMMENT_FIELDS, pageSize=2, includeDeleted=False)
    pages = []
    while request is not None:
        response = request.execute()
        pages.append(response)
        request = comments.list_next(request, response)
    assert [len(p["comments"]) for p in pages] == [2, 2, 1]
    assert ["nextPageToken" in p for p in pages] == [True, True, False]
    shown = [c for p in pages for c in p["comments"]]
    assert [c["content"] for c in shown] == ["Comment 0", "Comment 1", "Comment 3", "Comment 4", "Comment 5"]
    first = shown[0]
    assert first["quotedFileContent"] == {"value": "quote 0"} and first["resolved"] is False
    # Drive never reveals comment authors' email addresses; `me` says whether it is the caller.
    assert first["author"] == {"displayName": "Person 0", "me": False}
    assert first["replies"] == [{"content": "Reply to 0", "author": {"displayName": "Carol"}}]
    assert [r.query.get("pageToken") is not None for r in fake.requests_to("drive.comments.list")] == [
        False,
        True,
        True,
    ]

    with_deleted = comments.list(
        fileId="doc1", fields=COMMENT_FIELDS, pageSize=100, includeDeleted=True
    ).execute()
    deleted = [c for c in with_deleted["comments"] if c["deleted"]]
    assert len(deleted) == 1 and "content" not in deleted[0]


def test_comments_need_fields_and_commenter_access(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER], comments=COMMENTS)
    comments = drive(fake, key_file).comments()
    missing_fields = http_error(comments.list(fileId="doc1"))
    assert missing_fields.status_code == 400 and missing_fields.error_details[0]["reason"] == "required"
    reader = http_error(comments.list(fileId="doc1", fields="comments(content)"))
    assert reader.status_code == 403 and reader.error_details[0]["reason"] == "insufficientFilePermissions"
    fake.readers_see_comments = True
    assert len(comments.list(fileId="doc1", fields="comments(content)").execute()["comments"]) == 5
    bad_page = http_error(comments.list(fileId="doc1", fields="comments(content)", pageSize=500))
    assert bad_page.status_code == 400


def test_permissions_list(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_group("eng@example.com", ["carol@example.com"])
    permissions = [
        SA_READER,
        {"type": "group", "role": "writer", "emailAddress": "eng@example.com"},
        {"type": "domain", "role": "reader", "domain": "example.com"},
        {"type": "anyone", "role": "reader"},
    ]
    fake.add_doc("doc1", LEGACY_DOC, owners=["owner@example.com"], permissions=permissions)
    as_writer = drive(fake, key_file, "carol@example.com").permissions()
    fields = "permissions(type,role,emailAddress,domain,allowFileDiscovery),nextPageToken"
    everything = as_writer.list(fileId="doc1", fields=fields, supportsAllDrives=True).execute()
    assert everything == {
        "permissions": [
            {"type": "user", "role": "owner", "emailAddress": "owner@example.com"},
            {"type": "user", "role": "reader", "emailAddress": SA},
            {"type": "group", "role": "writer", "emailAddress": "eng@example.com"},
            {"type": "domain", "role": "reader", "domain": "example.com", "allowFileDiscovery": False},
            {"type": "anyone", "role": "reader", "allowFileDiscovery": False},
        ]
    }
    request = as_writer.list(fileId="doc1", fields=fields, pageSize=2)
    seen = []
    while request is not None:
        response = request.execute()
        seen.extend(response["permissions"])
        request = as_writer.list_next(request, response)
    assert seen == everything["permissions"]

    # The service account only reads the file: Drive does not show it the sharing list.
    as_reader = drive(fake, key_file).permissions()
    refused = http_error(as_reader.list(fileId="doc1", fields=fields))
    assert refused.status_code == 403 and refused.error_details[0]["reason"] == "insufficientFilePermissions"


# ---------------------------------------------------------------------------------------------------------
# Failure injection and googleapiclient retries
# ---------------------------------------------------------------------------------------------------------


def test_429_then_success_with_num_retries(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    service = drive(fake, key_file)
    fake.fail_next(2, status=429, retry_after=1)
    request = service.files().get(fileId="doc1")
    sleeps = no_sleep(request)
    assert request.execute(num_retries=3)["id"] == "doc1"
    assert len(sleeps) == 2
    assert [r.status for r in fake.requests_to("drive.files.get")] == [429, 429, 200]
    assert [r.reason for r in fake.requests_to("drive.files.get")] == [
        "rateLimitExceeded",
        "rateLimitExceeded",
        None,
    ]

    fake.fail_next(status=429, retry_after=7)
    error = http_error(service.files().get(fileId="doc1"))  # no retries asked for
    assert error.status_code == 429
    assert error_body(error) == {
        "code": 429, "message": "Rate Limit Exceeded",
        "errors": [{"message": "Rate Limit Exceeded", "domain": "usageLimits", "reason": "rateLimitExceeded"}],
        "status": "RESOURCE_EXHAUSTED",
    }  # fmt: skip
    assert error.resp["retry-after"] == "7"


def test_403_rate_limit_and_5xx_are_retried_but_targeted(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    service = drive(fake, key_file)
    fake.fail_next(status=403, reason="userRateLimitExceeded", path_contains="/export")
    fake.fail_next(status=503, path_contains="/export")
    assert service.files().get(fileId="doc1").execute()["id"] == "doc1"  # not targeted
    request = service.files().export_media(fileId="doc1", mimeType="text/plain")
    no_sleep(request)
    assert request.execute(num_retries=2).startswith(b"\xef\xbb\xbf")
    assert [r.status for r in fake.requests_to("drive.files.export")] == [403, 503, 200]

    docs_service = docs(fake, key_file)
    fake.fail_next(status=500)
    docs_request = docs_service.get(documentId="doc1")
    no_sleep(docs_request)
    assert docs_request.execute(num_retries=1)["title"] == "Launch plan"
    fake.fail_next(status=429)
    docs_error = http_error(docs_service.get(documentId="doc1"))
    assert error_body(docs_error)["status"] == "RESOURCE_EXHAUSTED" and "errors" not in error_body(docs_error)
    assert error_body(docs_error)["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


# ---------------------------------------------------------------------------------------------------------
# Calendar events.list
# ---------------------------------------------------------------------------------------------------------

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def seed_calendar(fake: FakeGoogle) -> None:
    cal = "team@example.com"
    fake.add_calendar(cal, readers=["eng@example.com"], time_zone="UTC")
    fake.add_group("eng@example.com", ["carol@example.com"])
    fake.add_event(cal, event_at("Before", T0 - timedelta(hours=2), 60))  # 07:00-08:00
    fake.add_event(cal, event_at("Straddles start", T0 - timedelta(minutes=30), 60))  # 08:30-09:30
    fake.add_event(cal, event_at("Late review", T0 + timedelta(hours=5), 30))  # 14:00
    fake.add_event(
        cal, event_at("Design review", T0 + timedelta(hours=1), 30, attachments=[{"fileId": "doc1"}])
    )
    fake.add_event(cal, event_at("Ends at start", T0 - timedelta(minutes=30), 30))  # ends 09:00: excluded
    fake.add_event(cal, event_at("Starts at end", T0 + timedelta(hours=8), 30))  # starts 17:00: excluded
    fake.add_event(cal, event_at("Cancelled", T0 + timedelta(hours=2), 30, status="cancelled"))
    fake.add_event(
        cal, {"summary": "Offsite", "start": {"date": "2025-03-03"}, "end": {"date": "2025-03-04"}}
    )
    fake.add_event(
        cal,
        {"summary": "Series", "recurrence": ["RRULE:FREQ=WEEKLY"], **event_at("x", T0 + timedelta(hours=3))},
    )


def test_events_list_windowing_order_and_pages(fake: FakeGoogle, key_file: Path) -> None:
    seed_calendar(fake)
    events = calendar(fake, key_file, "carol@example.com").events()
    window = {"timeMin": rfc3339(T0), "timeMax": rfc3339(T0 + timedelta(hours=8))}
    response = events.list(
        calendarId="team@example.com", singleEvents=True, orderBy="startTime", **window
    ).execute()
    assert [e["summary"] for e in response["items"]] == [
        "Offsite",
        "Straddles start",
        "Design review",
        "Late review",
    ]
    assert (
        response["kind"] == "calendar#events"
        and response["timeZone"] == "UTC"
        and "nextSyncToken" in response
    )
    review = response["items"][2]
    assert review["attachments"] == [{"fileId": "doc1"}] and review["status"] == "confirmed" and review["id"]

    request = events.list(
        calendarId="team@example.com", singleEvents=True, orderBy="startTime", maxResults=3, **window
    )
    pages = []
    while request is not None:
        page = request.execute()
        pages.append([e["summary"] for e in page["items"]])
        request = events.list_next(request, page)
    assert pages == [["Offsite", "Straddles start", "Design review"], ["Late review"]]

    with_cancelled = events.list(
        calendarId="team@example.com", singleEvents=True, showDeleted=True, **window
    ).execute()
    assert "Cancelled" in [e["summary"] for e in with_cancelled["items"]]
    no_window = events.list(calendarId="team@example.com", singleEvents=True).execute()
    assert len(no_window["items"]) == 7  # everything but the cancelled event and the recurring series


def test_events_list_validation_and_access(fake: FakeGoogle, key_file: Path) -> None:
    seed_calendar(fake)
    fake.add_event("alice@example.com", event_at("1:1", T0))
    events = calendar(fake, key_file, "carol@example.com").events()
    unordered = http_error(events.list(calendarId="team@example.com", orderBy="startTime"))
    assert unordered.status_code == 400
    no_offset = http_error(events.list(calendarId="team@example.com", timeMin="2025-03-03T09:00:00"))
    assert no_offset.status_code == 400 and no_offset.error_details[0]["reason"] == "badRequest"
    empty = http_error(events.list(calendarId="team@example.com", timeMin=rfc3339(T0), timeMax=rfc3339(T0)))
    assert empty.error_details[0]["reason"] == "timeRangeEmpty"
    gone = http_error(events.list(calendarId="team@example.com", syncToken="CPabc="))
    assert gone.status_code == 410 and gone.error_details[0]["reason"] == "fullSyncRequired"

    outsider = calendar(fake, key_file, "mallory@other.org").events()
    assert http_error(outsider.list(calendarId="team@example.com")).status_code == 404
    mine = calendar(fake, key_file, "alice@example.com").events().list(calendarId="primary").execute()
    assert [e["summary"] for e in mine["items"]] == ["1:1"] and mine["accessRole"] == "owner"
    assert http_error(calendar(fake, key_file).events().list(calendarId="primary")).status_code == 404


# ---------------------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------------------


def test_records_and_reset(fake: FakeGoogle, key_file: Path) -> None:
    fake.add_doc("doc1", LEGACY_DOC, permissions=[SA_READER])
    drive(fake, key_file).files().get(fileId="doc1", fields="id", supportsAllDrives=True).execute()
    got = fake.requests_to("drive.files.get")[0]
    assert (got.method, got.path, got.status) == ("GET", "/drive/v3/files/doc1", 200)
    assert got.query == {"fields": "id", "supportsAllDrives": "true", "alt": "json"}
    assert got.token == fake.tokens_issued[0].access_token
    assert "/drive/v3/files/doc1?fields=id&supportsAllDrives=true" in fake.describe_requests()

    response, content = httplib2.Http().request(fake.base_url + "drive/v2/files/doc1")
    assert response.status == 404 and b"Error 404 (Not Found)" in content
    response, _ = httplib2.Http().request(fake.base_url + "drive/v3/files/doc1")
    assert response.status == 401 and "invalid_token" in response["www-authenticate"]
    assert [r.status for r in fake.requests[-2:]] == [404, 401]

    fake.reset()
    assert fake.requests == [] and fake.tokens_issued == []
    drive(fake, key_file).files().get(fileId="doc1").execute()  # files survive a plain reset
