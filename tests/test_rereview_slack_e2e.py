"""Re-review in Slack end to end: `docdebate serve --http` as a subprocess against the loopback fakes, a debate
in a thread, then the doc edited in one section and `@docdebate again` in that thread (and `/debate` of the
same link in the channel)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from tests.bot_process import SECRET, bot_env, serving
from tests.conftest import EXAMPLES, database_url
from tests.fakes.anthropic_fake import FakeAnthropic, RequestRecord, output_schema
from tests.fakes.slack_fake import FakeSlack
from tests.pages import Pages, serve_pages
from tests.rereview_checks import assert_only_the_edits_uncached
from tests.slack_requests import SlackSender

PLAN = (EXAMPLES / "launch-plan.md").read_text()
EDITED_SECTION = "## Rollout plan"
NEW_SENTENCE = (
    "We will keep the legacy ledger running read-only for ninety days behind the billing_engine flag, so that "
    "every migrated account can be switched back."
)
UNCHANGED = "Seats cap expansion."  # a sentence of another section, which the edit does not touch
TITLES = ("The Skeptic", "The Exec", "The Engineer")


def edited(plan: str) -> str:
    """The plan with one sentence added under one heading: one section changed, the rest as it was."""
    at = plan.index("\n", plan.index(EDITED_SECTION)) + 1
    return f"{plan[:at]}\n{NEW_SENTENCE}\n{plan[at:]}"


@dataclass
class Bot:
    url: str
    slack: FakeSlack
    anthropic: FakeAnthropic
    pages: Pages  # path -> (content type, body), served as it is at each request
    site: str
    database: str
    proc: subprocess.Popen[str]

    def sender(self) -> SlackSender:
        return SlackSender(self.url, SECRET, slack=self.slack)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    work = tmp_path_factory.mktemp("bot")
    pages: Pages = {}
    with FakeSlack() as slack, FakeAnthropic(api_key="test-key") as anthropic, serve_pages(pages) as site:
        slack.add_user("U123", "alice@acme.example", name="alice")
        database = database_url(work)
        env = bot_env(
            slack,
            anthropic,
            work,
            database,
            DOCDEBATE_SLACK_UPDATE_INTERVAL_S="0.05",
            DOCDEBATE_QUOTA_USER_BURST="1000",
            DOCDEBATE_QUOTA_CHANNEL_BURST="1000",
            DOCDEBATE_QUOTA_USER_HOURLY="1000",
            DOCDEBATE_QUOTA_CHANNEL_HOURLY="1000",
        )
        with serving(env, work) as (url, proc):
            yield Bot(url, slack, anthropic, pages, site, database, proc)


def posts(slack: FakeSlack, channel: str) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def summaries(slack: FakeSlack, channel: str) -> list:
    return [c for c in posts(slack, channel) if '"Verdict"' in json.dumps(c.args.get("blocks"))]


def told(slack: FakeSlack, channel: str) -> list[str]:
    """What the requester alone was told in `channel`: ephemerals and response_url answers."""
    private = [c.args for c in slack.calls_to("response_url")] + slack.ephemerals
    return [json.dumps(p) for p in private if p.get("channel") in (channel, None)]


def billed_input(records: list[RequestRecord]) -> float:
    """Input tokens as billed, in input-token equivalents (a cache write costs 1.25, a read 0.1)."""
    total = 0.0
    for r in records:
        u = r.usage or {}
        total += (
            u["input_tokens"] + 1.25 * u["cache_creation_input_tokens"] + 0.1 * u["cache_read_input_tokens"]
        )
    return total


def query(database: str, sql: str, **params: str) -> list:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def latest_result(database: str, channel: str) -> dict:
    rows = query(
        database,
        "SELECT result_json FROM docdebate_debates WHERE channel_id = :c AND result_json IS NOT NULL "
        "ORDER BY finished_at DESC",
        c=channel,
    )
    return json.loads(rows[0][0])


def rereview_judge(fake: FakeAnthropic):
    """The fake model, except the re-review's judge: door 1 resolved by the new sentence, one new door on it,
    every other earlier finding left for the code to keep as it was."""
    default = fake.default_response

    def respond(body: dict) -> object:
        schema = output_schema(body)
        if not schema or "new_one_way_doors" not in json.dumps(schema):
            return default(body)
        quote = {"text": NEW_SENTENCE}
        door = {
            "decision": "Keep the legacy ledger read-only for ninety days",
            "quote": quote,
            "why_hard_to_reverse": "Ninety days of double running is a commitment to Finance.",
            "cost_to_reverse": "A quarter of the ledger's upkeep.",
            "time_to_reverse": "Ninety days.",
            "blast_radius": "Finance and Support.",
            "make_it_two_way": "Review the window at day thirty.",
            "raised_by": ["skeptic"],
            "endorsed_by": [],
        }
        return json.dumps(
            {
                "headline": "The rollback path now exists; the pricing bet is still open.",
                "findings": [
                    {
                        "kind": "door",
                        "number": 1,
                        "status": "resolved",
                        "quote": quote,
                        "reason": "The old ledger stays switchable.",
                    }
                ],
                "new_one_way_doors": [door],
                "new_assumptions": [],
            }
        )

    return respond


def debate(bot: Bot, sender: SlackSender, channel: str, path: str, options: str = "") -> tuple[str, str, str]:
    """`/debate` of the page at `path` (serving the plan), once its summary is posted: the link, the thread's
    ts and the summary's."""
    bot.pages[path] = ("text/markdown", PLAN)
    link = f"{bot.site}{path}"
    sender.slash_command(f"<{link}> {options}".strip(), channel_id=channel)
    bot.slack.wait_for(lambda s: summaries(s, channel), timeout=90)
    return link, posts(bot.slack, channel)[0].response["ts"], summaries(bot.slack, channel)[0].response["ts"]


def test_a_rereview_after_an_edit_updates_the_summary_in_place(bot: Bot) -> None:
    channel = "CRR"
    with bot.sender() as sender:
        _, thread_ts, summary_ts = debate(bot, sender, channel, "/plan")
        debated = len(bot.anthropic.requests)
        debate_calls = [r for r in bot.anthropic.requests if r.ok]
        earlier = latest_result(bot.database, channel)

        # The same doc, unchanged: one short answer and no model call.
        sender.app_mention("<@UBOT> again", channel=channel, thread_ts=thread_ts)
        found = bot.slack.wait_for(
            lambda s: [t for t in told(s, channel) if "Nothing changed" in t], timeout=30
        )
        assert "since the debate on" in found[0]
        assert len(bot.anthropic.requests) == debated

        # One section edited: a focused round, and the summary updated in place.
        bot.pages["/plan"] = ("text/markdown", edited(PLAN))
        bot.anthropic.responder = rereview_judge(bot.anthropic)
        posted_before = len(posts(bot.slack, channel))
        try:
            sender.app_mention("<@UBOT> re-review", channel=channel, thread_ts=thread_ts)

            def updated(slack: FakeSlack) -> list:
                return [
                    c
                    for c in slack.calls_to("chat.update")
                    if c.args.get("ts") == summary_ts and "Re-reviewed" in json.dumps(c.args)
                ]

            update = bot.slack.wait_for(updated, timeout=90)[-1]
        finally:
            bot.anthropic.responder = bot.anthropic.default_response
    rereview_calls = [r for r in bot.anthropic.requests[debated:] if r.ok]

    assert len(summaries(bot.slack, channel)) == 1, "the summary is updated, not posted again"
    new_posts = posts(bot.slack, channel)[posted_before:]
    assert all(c.args.get("thread_ts") == thread_ts for c in new_posts)
    speakers = sorted(c.args.get("username") for c in new_posts if c.args.get("username"))
    assert speakers == sorted(TITLES), "one short turn per persona"
    assert "re-review" in json.dumps([c.args for c in new_posts])

    result = latest_result(bot.database, channel)
    review = result["rereview"]
    assert review["changes"] == [{"section": "Rollout plan", "change": "changed"}]
    doors, assumptions = earlier["verdict"]["one_way_doors"], earlier["verdict"]["assumptions"]
    assert [(f["kind"], f["number"]) for f in review["findings"]] == [
        *(("door", n) for n in range(1, len(doors) + 1)),
        *(("assumption", n) for n in range(1, len(assumptions) + 1)),
    ], "every earlier finding, in order"
    first = review["findings"][0]
    assert first["status"] == "resolved" and first["quote"]["verified"] is True
    assert first["quote"]["section"] == "Rollout plan"
    assert all(f["status"] == "still_open" for f in review["findings"][1:])
    assert [d["decision"] for d in result["verdict"]["one_way_doors"]] == [
        *(d["decision"] for d in doors[1:]),
        "Keep the legacy ledger read-only for ninety days",
    ], "the resolved door is gone, the new one added"

    ledger = query(
        bot.database,
        "SELECT debate_id, decision FROM docdebate_ledger WHERE channel_id = :c ORDER BY debate_id, item",
        c=channel,
    )
    assert len({debate for debate, _ in ledger}) == 2, "the doors as they stand are in the ledger too"
    assert "Keep the legacy ledger read-only for ninety days" in [decision for _, decision in ledger]

    shown = json.dumps(update.args)
    still_open = len(doors) - 1 + len(assumptions)
    assert f"1 resolved, {still_open} still open, 1 new" in shown
    assert "Resolved by the edits (1)" in shown and "still open" in shown and ":new:" in shown
    assert "ninety days" in shown

    assert len(rereview_calls) == 4 < len(debate_calls), "three turns and the judge, no warm-up"
    assert billed_input(rereview_calls) < 0.7 * billed_input(debate_calls)
    cached = debate_calls[0].body["system"][0]
    for call in rereview_calls:
        assert call.body["system"][0] == cached, "the earlier document is the cached block, as sent before"
        assert call.usage["cache_read_input_tokens"] > 0
        assert_only_the_edits_uncached(call.body, edited(PLAN), "Rollout plan", NEW_SENTENCE, UNCHANGED)


def test_debate_of_the_same_link_in_the_channel_rereviews_in_its_thread(bot: Bot) -> None:
    channel = "CRRCMD"
    with bot.sender() as sender:
        link, _, _ = debate(bot, sender, channel, "/cmd", "--depth quick")
        calls = len(bot.anthropic.requests)
        roots = [c for c in posts(bot.slack, channel) if not c.args.get("thread_ts")]
        sender.slash_command(f"<{link}>", channel_id=channel)
    found = bot.slack.wait_for(lambda s: [t for t in told(s, channel) if "Nothing changed" in t], timeout=30)
    assert "since the debate on" in found[0]
    assert any("re-reviewing it in that debate" in t for t in told(bot.slack, channel))
    assert len(bot.anthropic.requests) == calls, "no model call"
    assert [c for c in posts(bot.slack, channel) if not c.args.get("thread_ts")] == roots, "no new debate"


def test_rereview_mistakes_are_told_to_the_requester_alone(bot: Bot) -> None:
    channel = "CRRMISS"
    with bot.sender() as sender:
        root_ts = bot.slack.add_message(channel, "no debate here yet")
        sender.app_mention("<@UBOT> again", channel=channel, thread_ts=root_ts)
        bot.slack.wait_for(lambda s: [t for t in told(s, channel) if "no finished debate" in t], timeout=30)

        _, thread, _ = debate(bot, sender, channel, "/gone", "--depth quick")
        del bot.pages["/gone"]
        calls, public = len(bot.anthropic.requests), len(posts(bot.slack, channel))
        sender.app_mention("<@UBOT> again", channel=channel, thread_ts=thread)
        found = bot.slack.wait_for(
            lambda s: [t for t in told(s, channel) if "couldn't re-review" in t], timeout=30
        )
    assert "not found" in found[0]
    assert len(bot.anthropic.requests) == calls and len(posts(bot.slack, channel)) == public
