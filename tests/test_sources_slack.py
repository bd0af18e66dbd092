"""Slack files as documents, in-process: the real slack_sdk and httpx against the Slack fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.sources import Requester, check_link, load_document
from bot.sources.links import doc_key, require_slack_file_id, slack_file_id
from tests.fakes.slack_fake import FakeSlack

PLAN = b"# Launch plan\n\nWe move every account to usage pricing on March 2 and retire the old plans.\n"
WORKSPACE = "https://docdebate-test.slack.com"
ALICE, BOB, MALLORY = "U123", "U124", "U666"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        for user in (ALICE, BOB, MALLORY):
            server.add_user(user, f"{user.lower()}@acme.example")
        yield server


def settings_for(fake: FakeSlack, **extra: object) -> Settings:
    return Settings(slack_bot_token=fake.bot_token, slack_api_url=fake.api_url, **extra)


def link(fake: FakeSlack, file_id: str) -> str:
    return f"{WORKSPACE}/files/{ALICE}/{file_id}/plan.md"


async def read(fake: FakeSlack, file_id: str, user: str, **extra: object) -> Document:
    return await load_document(
        link(fake, file_id), settings_for(fake, **extra), Requester(slack_user_id=user)
    )


async def refused(fake: FakeSlack, file_id: str, user: str, **extra: object) -> str:
    with pytest.raises(SourceError) as info:
        await read(fake, file_id, user, **extra)
    return info.value.message


def test_slack_file_links_and_their_id() -> None:
    for url in (
        f"{WORKSPACE}/files/U123/F0ABC12345/plan.pdf",
        f"{WORKSPACE}/files/U123/F0ABC12345",
        f"{WORKSPACE}/files/F0ABC12345",
        "https://acme.enterprise.slack.com/files/W123/F0ABC12345/plan.pdf?origin_team=T1",
    ):
        assert slack_file_id(url) == "F0ABC12345" and doc_key(url) == "F0ABC12345", url
    assert slack_file_id("https://slack.com.evil.example/files/U1/F0ABC12345/x") is None
    with pytest.raises(SourceError, match="not a link to a Slack file"):
        require_slack_file_id(f"{WORKSPACE}/files/U123/")
    with pytest.raises(SourceError, match="cannot read Slack canvases yet"):
        require_slack_file_id(f"{WORKSPACE}/docs/T0001/F0ABC12345")


async def test_a_slack_file_link_is_admitted_without_resolving_the_workspace() -> None:
    await check_link(f"{WORKSPACE}/files/U123/F0ABC12345/plan.pdf", Settings())  # the host does not resolve
    with pytest.raises(SourceError, match="canvases"):
        await check_link(f"{WORKSPACE}/docs/T0001/F0ABC12345", Settings())


async def test_the_owner_reads_their_file_as_slack_names_it(fake: FakeSlack) -> None:
    file_id = fake.add_file(PLAN, "plan.md", user=ALICE, channels=["CDOCS"], title="Atlas launch plan")
    document = await read(fake, file_id, ALICE)
    assert document.text == PLAN.decode().strip()
    assert document.title == "Atlas launch plan"
    assert document.source == f"{WORKSPACE}/files/{ALICE}/{file_id}/plan.md"
    (download,) = fake.downloads
    assert download.headers["authorization"] == f"Bearer {fake.bot_token}"
    assert download.path.endswith(f"{file_id}/download/plan.md")


async def test_a_member_of_a_channel_it_was_shared_in_reads_it_and_others_do_not(fake: FakeSlack) -> None:
    crowd = [f"U{n:04d}" for n in range(300)]  # BOB is on conversations.members' second page
    fake.add_channel("CTEAM", "team", members=[*crowd, BOB])
    fake.add_channel("GPRIV", "private", is_private=True, members=[MALLORY])
    fake.outside_channels.add("GPRIV")  # shared there too, but the bot cannot list who is in it
    file_id = fake.add_file(PLAN, "plan.md", user=ALICE, channels=["CTEAM", "GPRIV"])
    assert (await read(fake, file_id, BOB)).title == "plan.md"
    pages = [c for c in fake.calls_to("conversations.members") if c.ok]
    assert len(pages) == 2 and pages[1].args.get("cursor")
    fake.reset()
    assert "you cannot see that Slack file" in await refused(fake, file_id, MALLORY)
    assert fake.downloads == [], "nothing is downloaded for someone who cannot see it"


async def test_a_file_in_a_dm_with_the_bot_is_seen_by_that_dms_user_only(fake: FakeSlack) -> None:
    dm = await _dm(fake, BOB)
    file_id = fake.add_file(PLAN, "plan.md", user=ALICE, channels=[dm])
    assert (await read(fake, file_id, BOB)).text
    assert "you cannot see" in await refused(fake, file_id, MALLORY)


async def _dm(fake: FakeSlack, user: str) -> str:
    opened = await AsyncWebClient(token=fake.bot_token, base_url=fake.api_url).conversations_open(users=user)
    return str(opened["channel"]["id"])


async def test_a_file_over_the_size_limit_is_refused_before_it_is_downloaded(fake: FakeSlack) -> None:
    file_id = fake.add_file(PLAN * 100, "plan.md", user=ALICE, channels=["CDOCS"])
    message = await refused(fake, file_id, ALICE, max_file_bytes=len(PLAN) * 50)
    assert "plan.md is larger than" in message and "DOCDEBATE_MAX_FILE_BYTES" in message
    assert fake.downloads == []


async def test_a_download_sent_to_another_host_is_not_followed(fake: FakeSlack) -> None:
    with FakeSlack() as elsewhere:
        fake.download_redirect = f"{elsewhere.url}/files-pri/T0001-F0000000001/download/plan.md"
        file_id = fake.add_file(PLAN, "plan.md", user=ALICE, channels=["CDOCS"])
        assert "not Slack's file host" in await refused(fake, file_id, ALICE)
        assert elsewhere.calls == [], "the bot token never leaves Slack"
    assert [d.status for d in fake.downloads] == [302]


async def test_what_slack_refuses_is_said_plainly(fake: FakeSlack) -> None:
    assert "cannot find that Slack file" in await refused(fake, "F0NOSUCHFILE", ALICE)
    file_id = fake.add_file(PLAN, "plan.md", user=ALICE, channels=["CDOCS"])
    fake.delete_file(file_id)
    assert "was deleted" in await refused(fake, file_id, ALICE)
    fake.bot_scopes = [s for s in fake.bot_scopes if s != "files:read"]
    assert "lacks the Slack scope files:read" in await refused(
        fake, fake.add_file(PLAN, "b.md", channels=["CDOCS"]), ALICE
    )


async def test_a_file_that_is_no_document_gets_the_local_files_answer(fake: FakeSlack) -> None:
    file_id = fake.add_file(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "chart.png", user=ALICE, channels=["CDOCS"]
    )
    assert "unsupported file type .png" in await refused(fake, file_id, ALICE)


async def test_without_a_slack_requester_nothing_is_asked_of_slack(fake: FakeSlack) -> None:
    file_id = fake.add_file(PLAN, "plan.md", user=ALICE, channels=["CDOCS"])
    with pytest.raises(SourceError, match=r"only for someone in Slack.*/debate"):
        await load_document(link(fake, file_id), settings_for(fake))
    assert fake.calls == []


async def test_a_conversation_whose_members_the_bot_may_not_list_grants_nothing(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add_channel("GPRIV", "private", is_private=True, members=[BOB])
    fake.bot_scopes = [s for s in fake.bot_scopes if s != "groups:read"]
    file_id = fake.add_file(PLAN, "plan.md", user=ALICE, channels=["GPRIV"])
    assert "you cannot see that Slack file" in await refused(fake, file_id, BOB)
    assert "no groups:read scope" in caplog.text and fake.downloads == []
