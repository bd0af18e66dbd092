"""Google Docs and Drive links, read through the real google-auth and googleapiclient from a loopback fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import SourceError
from bot.sources import Requester, load_document
from bot.sources.links import google_file_id
from tests.fakes.google_fake import FakeGoogle

SA = "docdebate@proj.iam.gserviceaccount.com"
ALICE = Requester("alice@acme.example")
MALLORY = Requester("mallory@elsewhere.example")
TABS = json.loads((Path(__file__).parent / "data" / "gdocs" / "tabs.json").read_text())
DOC_ID = "1DocAtlasPlan0123456789"
EDITOR_SA = {
    "type": "user",
    "role": "writer",
    "emailAddress": SA,
}  # Drive shows sharing lists to editors only
URL = f"https://docs.google.com/document/d/{DOC_ID}/edit?tab=t.0"


@pytest.fixture
def google(tmp_path: Path) -> Iterator[tuple[FakeGoogle, Settings]]:
    with FakeGoogle() as fake:
        key = fake.write_service_account(tmp_path / "sa.json", SA)
        settings = Settings(google_application_credentials=key, google_api_url=fake.base_url)
        yield fake, settings


def share(fake: FakeGoogle, *, sa_role: str = "writer", **requester: str) -> None:
    fake.add_doc(
        DOC_ID,
        TABS,
        owners=["owner@acme.example"],
        comments=[
            {
                "content": "Is 80% sourced?",
                "quotedFileContent": {"value": "eighty percent"},
                "author": {"displayName": "Bo"},
                "replies": [{"content": "From one month.", "author": {"displayName": "Al"}}],
            },
            {"content": "Fixed the typo", "resolved": True, "author": {"displayName": "Cy"}},
        ],
    )
    fake.add_permission(DOC_ID, "user", sa_role, email_address=SA)
    if requester:
        fake.add_permission(DOC_ID, **requester)


@pytest.mark.parametrize(
    "url",
    [
        f"https://docs.google.com/document/d/{DOC_ID}/edit?tab=t.0",
        f"https://docs.google.com/document/u/0/d/{DOC_ID}/edit",
        f"https://drive.google.com/file/d/{DOC_ID}/view?usp=sharing",
        f"https://drive.google.com/open?id={DOC_ID}",
        f"https://docs.google.com/spreadsheets/d/{DOC_ID}/edit#gid=0",
        f"https://docs.google.com/presentation/d/{DOC_ID}/edit",
    ],
)
def test_every_link_form_gives_the_file_id(url: str) -> None:
    assert google_file_id(url) == DOC_ID


def test_not_a_google_file_link() -> None:
    assert google_file_id("https://docs.google.com/") is None
    assert google_file_id(f"https://example.com/document/d/{DOC_ID}") is None


async def test_reader_gets_every_tab_in_order_and_open_comments(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    share(fake, type="user", role="reader", email_address=ALICE.email)
    doc = await load_document(URL, settings, ALICE)
    titles = [t["tabProperties"]["title"] for t in TABS["tabs"]]
    positions = [doc.text.find(f"# {title}") for title in titles]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), positions
    assert "# Existing discussion (open comments)" in doc.text
    assert "**Bo** on “eighty percent”: Is 80% sourced?" in doc.text and "From one month." in doc.text
    assert "Fixed the typo" not in doc.text  # resolved threads are left out
    assert doc.audience == "restricted"
    read = fake.requests_to("docs.documents.get")[0]
    assert read.query["includeTabsContent"] == "true"
    assert read.query["suggestionsViewMode"] == "PREVIEW_WITHOUT_SUGGESTIONS"


@pytest.mark.parametrize(
    ("grant", "audience"),
    [
        ({"type": "domain", "role": "reader", "domain": "acme.example"}, "domain"),
        ({"type": "anyone", "role": "reader"}, "anyone"),
    ],
)
async def test_domain_and_link_sharing_count(
    google: tuple[FakeGoogle, Settings], grant: dict[str, str], audience: str
) -> None:
    fake, settings = google
    share(fake, **grant)
    doc = await load_document(URL, settings, ALICE)
    assert doc.audience == audience


async def test_a_requester_who_cannot_open_the_doc_is_refused_before_it_is_read(
    google: tuple[FakeGoogle, Settings],
) -> None:
    fake, settings = google
    share(fake, type="user", role="reader", email_address=ALICE.email)
    fake.add_group("team@acme.example", [MALLORY.email])
    fake.add_permission(DOC_ID, "group", "reader", email_address="team@acme.example")
    with pytest.raises(SourceError, match=r"you \(mallory@elsewhere.example\) don't have access"):
        await load_document(URL, settings, MALLORY)
    assert fake.requests_to("docs.documents.get") == []
    assert fake.requests_to("drive.comments.list") == []


async def test_a_service_account_that_cannot_see_the_sharing_list_reads_nothing(
    google: tuple[FakeGoogle, Settings],
) -> None:
    fake, settings = google
    share(fake, sa_role="reader", type="user", role="reader", email_address=ALICE.email)
    with pytest.raises(SourceError, match=f"share it with {SA} as Editor"):
        await load_document(URL, settings, ALICE)
    assert fake.requests_to("docs.documents.get") == []


async def test_with_delegation_google_decides_as_the_requester(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    settings = settings.model_copy(update={"google_delegation": True})
    fake.add_doc(DOC_ID, TABS, owners=["owner@acme.example"])
    fake.add_permission(DOC_ID, "user", "reader", email_address=ALICE.email)
    doc = await load_document(URL, settings, ALICE)
    assert doc.text
    assert {t.subject for t in fake.tokens_issued} == {ALICE.email}
    with pytest.raises(SourceError, match="can't open"):
        await load_document(URL, settings, MALLORY)


async def test_the_cli_has_no_requester_and_reads_with_the_key(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    share(fake, sa_role="reader")
    doc = await load_document(URL, settings)
    assert doc.title == TABS["title"] and doc.audience is None


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [(404, None, "can't open"), (403, "forbidden", "can't open")],
)
async def test_google_errors_end_in_a_clear_message(
    google: tuple[FakeGoogle, Settings], status: int, reason: str | None, expected: str
) -> None:
    fake, settings = google
    share(fake, type="anyone")
    fake.fail_next(1, status=status, reason=reason, path_contains="/files/")
    with pytest.raises(SourceError, match=expected):
        await load_document(URL, settings, ALICE)


async def test_a_revoked_key_is_explained(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    share(fake, type="anyone")
    fake.fail_token_next()
    with pytest.raises(SourceError, match="rejected docdebate's credentials"):
        await load_document(URL, settings, ALICE)


async def test_a_429_is_retried(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    share(fake, type="anyone")
    fake.fail_next(1, status=429, path_contains="documents")
    doc = await load_document(URL, settings, ALICE)
    assert doc.text
    assert [r.status for r in fake.requests_to("docs.documents.get")] == [429, 200]


async def test_google_retry_after_is_honoured(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    share(fake, type="anyone")
    fake.fail_next(1, status=503, path_contains="documents", retry_after=0.6)
    await load_document(URL, settings, ALICE)
    first, second = fake.requests_to("docs.documents.get")
    assert second.at - first.at >= 0.6


async def test_a_403_rate_limit_is_retried_but_a_403_refusal_is_not(
    google: tuple[FakeGoogle, Settings],
) -> None:
    fake, settings = google
    share(fake, type="anyone")
    fake.fail_next(1, status=403, reason="userRateLimitExceeded", path_contains="documents")
    assert (await load_document(URL, settings, ALICE)).text
    fake.fail_next(1, status=403, reason="forbidden", path_contains="documents")
    with pytest.raises(SourceError):
        await load_document(URL, settings, ALICE)
    assert [r.status for r in fake.requests_to("docs.documents.get")] == [403, 200, 403]


async def test_unshared_doc_tells_whom_to_share_with(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    fake.add_doc(DOC_ID, TABS, owners=["owner@acme.example"])
    with pytest.raises(SourceError, match=f"share the doc with {SA}"):
        await load_document(URL, settings)


async def test_sheets_become_markdown_tables_and_slides_text(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    sheet, slides = "1SheetBudget0123456789", "1SlidesDeck0123456789"
    fake.add_file(
        sheet,
        "Budget",
        "application/vnd.google-apps.spreadsheet",
        exports={"text/csv": b'quarter,spend\nQ1,100\nQ2,"1,200"\n'},
        permissions=[{"type": "anyone", "role": "reader"}, EDITOR_SA],
    )
    fake.add_file(
        slides,
        "Deck",
        "application/vnd.google-apps.presentation",
        exports={"text/plain": b"Launch in March\nPricing: usage-based\n"},
        permissions=[{"type": "anyone", "role": "reader"}, EDITOR_SA],
    )
    table = await load_document(f"https://docs.google.com/spreadsheets/d/{sheet}/edit", settings, ALICE)
    assert "| quarter | spend |" in table.text and "| Q2 | 1,200 |" in table.text
    deck = await load_document(f"https://docs.google.com/presentation/d/{slides}/edit", settings, ALICE)
    assert "Pricing: usage-based" in deck.text and deck.title == "Deck"


async def test_an_export_over_googles_limit_is_explained(google: tuple[FakeGoogle, Settings]) -> None:
    fake, settings = google
    deck = "1SlidesHuge0123456789"
    fake.add_file(
        deck,
        "Huge",
        "application/vnd.google-apps.presentation",
        exports={"text/plain": b"x"},
        export_too_large=True,
        permissions=[{"type": "anyone", "role": "reader"}, EDITOR_SA],
    )
    with pytest.raises(SourceError, match="too large for Google to export"):
        await load_document(f"https://docs.google.com/presentation/d/{deck}/edit", settings, ALICE)


async def test_google_rate_limiting_that_outlasts_the_retries_is_explained(
    google: tuple[FakeGoogle, Settings],
) -> None:
    fake, settings = google
    share(fake, type="anyone", role="reader")
    fake.fail_next(5, status=429, path_contains="documents")
    with pytest.raises(SourceError, match="rate-limiting"):
        await load_document(URL, settings.model_copy(update={"google_max_retries": 1}), ALICE)
    assert len(fake.requests_to("docs.documents.get")) == 2  # the first try and one retry, bounded
