"""The ledger end to end: `docdebate serve --http` against the fakes records every verdict's one-way doors,
people set their status from the thread, `/debate ledger`, the App Home and `docdebate ledger` list them (each
where its thread can be read), a later debate of the doc is given them as memory, and the consolidation runs
on its schedule once per tick across two worker processes, keeping every earlier version."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.models import DebateResult
from bot.store import Store
from tests import test_slack_e2e
from tests.bot_process import bot_env
from tests.conftest import EXAMPLES, database_url, run_cli
from tests.fakes.anthropic_fake import FakeAnthropic, prompt_texts
from tests.fakes.slack_fake import FakeSlack
from tests.test_ledger_units import row
from tests.test_slack_e2e import GDOC, GDOC_LINK, TABS, Bot

STATUS = "ledger:status"
bot = test_slack_e2e.bot  # the same fixture: the bot serving HTTP against the fakes (/plan, a Google doc)


def ledger_json(bot: Bot, *args: str) -> Any:
    """`docdebate ledger --format json` (and `args`) on the bot's database, as the operator runs it."""
    result = run_cli(
        ["ledger", "--format", "json", *args], {"PATH": "/usr/bin:/bin", "DATABASE_URL": bot.database}
    )
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def summaries(slack: FakeSlack, channel: str) -> list[Any]:
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == channel and '"Verdict"' in json.dumps(c.args.get("blocks"))
    ]


def debate(bot: Bot, link: str, channel: str) -> dict[str, Any]:
    """Alice's `/debate` of the doc, to its summary: the summary's first page (its ts, text and blocks)."""
    before = len(summaries(bot.slack, channel))
    with bot.sender() as sender:
        sender.slash_command(f"<{link}> --depth quick", channel_id=channel, user_id="U123")
    bot.slack.wait_for(lambda s: len(summaries(s, channel)) > before, timeout=90)
    first = summaries(bot.slack, channel)[before]
    return {"ts": first.response["ts"], "text": first.args["text"], "blocks": first.args["blocks"]}


def doors_in(summary: dict[str, Any]) -> int:
    return sum(str(b.get("block_id", "")).startswith("fb:door:") for b in summary["blocks"])


def root_of(slack: FakeSlack, channel: str, summary_ts: str) -> str:
    message = slack.message(channel, summary_ts)
    assert message is not None
    return str(message["thread_ts"])


def ledger_answer(bot: Bot, channel: str, user: str = "U123") -> str:
    with bot.sender() as sender:
        response = sender.slash_command("ledger", channel_id=channel, user_id=user)
    assert response.status_code == 200
    return response.text


def open_count(answer: str) -> int:
    """How many open doors a `/debate ledger` answer says it lists."""
    found = re.search(r"Open one-way doors, across docs \((\d+)\)", answer)
    assert found, answer
    return int(found.group(1))


def test_two_debates_on_two_docs_are_in_the_ledger_with_links_to_their_threads(bot: Bot) -> None:
    plan = debate(bot, f"{bot.pages}/plan", "CPLANS")
    restricted = debate(bot, GDOC_LINK, "CGDOCS")  # shared with specific people only
    entries = ledger_json(bot)["entries"]
    for channel, title, summary, private in (
        ("CPLANS", "Project Atlas", plan, False),
        ("CGDOCS", TABS["title"], restricted, True),
    ):
        mine = [e for e in entries if e["channel_id"] == channel]
        assert len(mine) == doors_in(summary) > 0, "every door of the verdict, once"
        root = root_of(bot.slack, channel, summary["ts"])
        assert {(e["doc_title"], e["thread_ts"], e["status"], e["requested_by"]) for e in mine} == {
            (title, root, "open", "U123")
        }
        assert {e["thread_url"] for e in mine} == {
            f"https://docdebate-test.slack.com/archives/{channel}/p{root.replace('.', '')}"
        }, "the thread's permalink, as Slack gave it"
        assert {e["private"] for e in mine} == {private}, "a restricted doc's doors are private"
        assert sorted(e["item"] for e in mine) == list(range(len(mine)))
    assert {e["doc_key"] for e in entries if e["channel_id"] == "CGDOCS"} == {GDOC}
    markdown = run_cli(["ledger", "--format", "md"], {"PATH": "/usr/bin:/bin", "DATABASE_URL": bot.database})
    assert "Project Atlas" in markdown.stdout and TABS["title"] in markdown.stdout


def test_a_status_set_in_the_thread_is_stored_shown_and_leaves_the_open_list(bot: Bot) -> None:
    channel = "CSTATUS"
    summary = debate(bot, f"{bot.pages}/plan", channel)
    [block] = [b for b in summary["blocks"] if b.get("block_id") == "ls:door:0"]
    [control] = [e for e in block["elements"] if e["action_id"] == STATUS]
    assert control["initial_option"]["text"]["text"] == "Status: open"
    decided = next(o for o in control["options"] if json.loads(o["value"])["status"] == "decided")
    open_before = open_count(ledger_answer(bot, channel))
    message = {"type": "message", "user": "UBOT", **summary}
    with bot.sender() as sender:
        sender.block_action(
            STATUS,
            block_id="ls:door:0",
            action_type="static_select",
            selected_option=decided,
            user_id="U666",
            channel_id=channel,
            message=message,
        )
    update = bot.slack.wait_for(
        lambda s: [c for c in s.calls_to("chat.update") if c.args.get("ts") == summary["ts"]], timeout=30
    )[-1]
    [shown] = [b for b in update.args["blocks"] if b.get("block_id") == "ls:door:0"]
    assert [e["initial_option"]["text"]["text"] for e in shown["elements"] if e["action_id"] == STATUS] == [
        "Decided"
    ], "everyone in the thread sees the new status"
    said = bot.slack.wait_for(
        lambda s: [c for c in s.calls_to("response_url") if "is now *decided*" in c.args.get("text", "")], 30
    )
    assert said[-1].args["response_type"] == "ephemeral"

    [door] = [e for e in ledger_json(bot)["entries"] if e["channel_id"] == channel and e["item"] == 0]
    assert (door["status"], door["status_by"]) == ("decided", "U666")
    assert door["id"] not in [e["id"] for e in ledger_json(bot, "--open")["entries"]], "no longer open"
    assert open_count(ledger_answer(bot, channel)) == open_before - 1, "nor in /debate ledger"

    with bot.sender() as sender:  # the same control, clicked from another channel: refused
        sender.block_action(
            STATUS,
            block_id="ls:door:0",
            action_type="static_select",
            selected_option=next(
                o for o in control["options"] if json.loads(o["value"])["status"] == "withdrawn"
            ),
            user_id="U666",
            channel_id="CELSEWHERE",
            message=message,
        )
    bot.slack.wait_for(
        lambda s: [
            c
            for c in s.calls_to("response_url")
            if "raised in another conversation" in c.args.get("text", "")
        ],
        30,
    )
    [still] = [e for e in ledger_json(bot)["entries"] if e["id"] == door["id"]]
    assert still["status"] == "decided"


def test_a_private_channels_doors_show_only_there_and_to_its_members(bot: Bot) -> None:
    bot.slack.add_channel("CSECRET", "secret", is_private=True, members=["U123"])
    bot.slack.add_channel("CPUBLIC", "public", members=["U123", "U666"])
    public = debate(bot, f"{bot.pages}/plan", "CPUBLIC")
    secret = debate(bot, f"{bot.pages}/plan", "CSECRET")
    secret_thread = root_of(bot.slack, "CSECRET", secret["ts"]).replace(".", "")
    public_thread = root_of(bot.slack, "CPUBLIC", public["ts"]).replace(".", "")

    elsewhere = ledger_answer(bot, "COTHER")
    assert public_thread in elsewhere, "a public channel's doors show in another channel"
    assert secret_thread not in elsewhere and "CSECRET" not in elsewhere, "a private channel's do not"
    there = ledger_answer(bot, "CSECRET")
    assert secret_thread in there and public_thread in there
    assert "Open one-way doors" in there

    operator = [e for e in ledger_json(bot)["entries"] if e["channel_id"] == "CSECRET"]
    assert len(operator) == doors_in(secret) and all(e["private"] for e in operator), "the CLI shows all"

    for user, sees in (("U123", True), ("U666", False)):
        home = json.dumps(home_of(bot, user))
        assert (secret_thread in home) is sees, f"{user} is{'' if sees else ' not'} in #secret"
        assert public_thread in home, "both are in #public"


def home_of(bot: Bot, user: str) -> dict[str, Any]:
    """The App Home the user gets on opening it."""

    def publishes(slack: FakeSlack) -> list[Any]:
        return [c for c in slack.calls_to("views.publish") if c.args.get("user_id") == user]

    before = len(publishes(bot.slack))
    with bot.sender() as sender:
        sender.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home"})
    return bot.slack.wait_for(lambda s: publishes(s)[before:], timeout=30)[-1].args["view"]


def remembering_judge(fake: FakeAnthropic) -> Callable[[dict[str, Any]], str]:
    """The judge names the first ledger entry it was given, and one it was not."""

    def respond(body: dict[str, Any]) -> str:
        text = fake.default_response(body)
        ids = re.findall(r'<entry id="(\d+)"', prompt_texts(body)[1])
        if not body.get("output_config") or not ids:
            return text
        verdict = json.loads(text)
        verdict["related_decisions"] = [
            {"entry": int(ids[0]), "relation": "repeats", "how": "It makes the same call again."},
            {"entry": 99999, "relation": "reverses", "how": "An entry nobody gave it."},
        ]
        return json.dumps(verdict)

    return respond


def test_a_later_debate_of_the_doc_is_given_its_ledger_entries_as_data(bot: Bot) -> None:
    channel = "CMEMORY"
    first = debate(bot, f"{bot.pages}/plan", channel)
    earlier = [e for e in ledger_json(bot)["entries"] if e["channel_id"] == channel]
    assert len(earlier) == doors_in(first)
    before = len(bot.anthropic.requests)
    bot.anthropic.responder = remembering_judge(bot.anthropic)
    try:
        second = debate(bot, f"{bot.pages}/plan", channel)
    finally:
        bot.anthropic.responder = bot.anthropic.default_response
    calls = [r.body for r in bot.anthropic.requests[before:] if r.body.get("messages")]
    cached = {json.dumps(body["system"][0]) for body in calls}
    assert len(cached) == 1 and "ledger-" not in next(iter(cached)), "the cached block stays the document's"
    tasks = [prompt_texts(body)[1] for body in calls if body.get("max_tokens", 0) > 1]
    assert tasks and all(f'<entry id="{entry["id"]}"' in task for task in tasks for entry in earlier), (
        "every call's tail holds the earlier debate's doors"
    )

    thread = root_of(bot.slack, channel, second["ts"])
    [result] = [
        DebateResult.model_validate_json(row.result_json or "")
        for row in Store(bot.database).debates.done_since(datetime.now(UTC) - timedelta(hours=1))
        if row.channel_id == channel and row.thread_ts == thread
    ]
    [related] = result.verdict.related_decisions
    named = next(e for e in earlier if e["id"] == related.entry)
    assert (related.doc_title, related.decision, related.thread_url) == (
        "Project Atlas",
        named["decision"],
        named["thread_url"],
    ), "grounded to the entry it names; the invented one is dropped"
    shown = json.dumps(second["blocks"])
    assert "Earlier decisions it bears on" in shown and named["thread_url"] in shown


# ---- consolidation: on its schedule, once per tick across two worker processes ----


def seed(database: str) -> dict[str, int]:
    """Three doors: the same decision in two channels, and one conflicting with it; by first word."""
    store = Store(database)
    store.ledger.record(
        [
            row("d1", 0, "C1", "Sunset API v1 on March 1", days=0),
            row("d2", 0, "C2", "Turn API v1 off on March 1", days=1),
            row("d3", 0, "C1", "Keep API v1 running until 2028", days=2),
        ]
    )
    return {e.decision.split()[0]: e.id for e in store.ledger.entries()}


def consolidating(fake: FakeAnthropic, ids: dict[str, int]) -> Callable[[dict[str, Any]], str]:
    def respond(body: dict[str, Any]) -> str:
        if "keep a team's ledger" not in prompt_texts(body)[0]:
            return fake.default_response(body)
        # A model answers slower than the schedule ticks, so ticks would overlap if they were not queued.
        time.sleep(1.5)
        return json.dumps(
            {
                "merges": [{"entry": ids["Turn"], "into": ids["Sunset"], "reason": "The same sunset."}],
                "resolutions": [],
                "conflicts": [
                    {"entry": ids["Keep"], "earlier": ids["Sunset"], "reason": "2028 is after March 1."},
                    {"entry": 4242, "earlier": ids["Sunset"], "reason": "No such entry."},
                ],
            }
        )

    return respond


def ticks(fake: FakeAnthropic) -> list[str]:
    """The tick each consolidation call was made for (its prompt says `as of <tick>`)."""
    found = [re.search(r"as of (\S+),", prompt_texts(r.body)[1]) for r in fake.requests]
    return [m.group(1) for m in found if m]


def test_consolidation_runs_once_per_tick_across_two_workers_and_keeps_every_version(tmp_path: Path) -> None:
    database = database_url(tmp_path)
    ids = seed(database)
    with FakeSlack() as slack, FakeAnthropic(api_key="test-key") as anthropic:
        anthropic.responder = consolidating(anthropic, ids)
        env = bot_env(
            slack,
            anthropic,
            tmp_path,
            database,
            DOCDEBATE_LEDGER_CRON="* * * * * *",
            DOCDEBATE_SHUTDOWN_GRACE_S="10",
        )
        exe = str(Path(sys.executable).parent / "docdebate")
        workers = []
        for n in (1, 2):
            log = (tmp_path / f"worker-{n}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    [exe, "worker"],
                    env={**env, "DOCDEBATE_EXECUTOR_ID": f"worker-{n}"},
                    cwd=tmp_path,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        store = Store(database)
        try:
            wait_until(lambda: len(store.ledger.versions()) >= 3, 90)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            codes = [worker.wait(timeout=60) for worker in workers]
        logs = [(tmp_path / f"worker-{n}.log").read_text() for n in (1, 2)]
        assert codes == [0, 0], logs
        assert not any("Traceback" in text for text in logs), logs

    versions = store.ledger.versions()
    called = ticks(anthropic)
    assert len(called) == len(set(called)), "no tick ran twice, though both workers' schedulers fired it"
    written = [v.workflow_id or "" for v in versions]
    assert all(w.startswith("sched-docdebate-ledger-consolidation-") for w in written)
    assert {w.removeprefix("sched-docdebate-ledger-consolidation-") for w in written} <= set(called)
    assert len(written) == len(set(written))

    first, second = versions[0], versions[1]
    assert [(m.entry, m.into) for m in first.added.merges] == [(ids["Turn"], ids["Sunset"])]
    assert [(c.entry, c.earlier) for c in first.added.conflicts] == [(ids["Keep"], ids["Sunset"])]
    assert second.added.merges == [] and second.changes == first.changes, "the prior version's work is kept"
    assert store.spending.today(first.created_at) == pytest.approx(sum(v.cost_usd for v in versions))
    assert first.cost_usd > 0

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": database}
    history = run_cli(["ledger", "--history", "--format", "json"], env)
    assert history.code == 0, history.stderr
    assert [v["version"] for v in json.loads(history.stdout)] == [v.version for v in versions]
    table = run_cli(["ledger", "--history"], env)
    assert "1 merged, 1 conflict" in table.stdout and str(second.version) in table.stdout

    shown = json.loads(run_cli(["ledger", "--format", "json"], env).stdout)["entries"]
    assert ids["Turn"] not in [e["id"] for e in shown], "merged into the earliest record"
    restored = run_cli(["ledger", "--restore", "0"], env)
    assert restored.code == 0 and "Restored version 0" in restored.stderr
    undone = json.loads(run_cli(["ledger", "--format", "json"], env).stdout)["entries"]
    assert ids["Turn"] in [e["id"] for e in undone], "the merge undone"
    assert len(store.ledger.versions()) == len(versions) + 1, "a restore is a version too"
    missing = run_cli(["ledger", "--restore", "9999"], env)
    assert missing.code == 64 and "no version 9999" in missing.stderr


def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        time.sleep(0.1)


def test_the_cli_remembers_only_with_a_database(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    database = database_url(tmp_path)
    private = row("d1", 0, "CPRIV", "Move billing to Meter on Stripe and turn Ledger off", private=True)
    Store(database).ledger.record([private])
    plan = str(EXAMPLES / "launch-plan.md")
    for env, remembers in ((cli_env, False), ({**cli_env, "DATABASE_URL": database}, True)):
        before = len(fake_anthropic.requests)
        result = run_cli(["review", plan, "--depth", "quick", "--format", "json"], env)
        assert result.code == 0, result.stderr
        tails = [prompt_texts(r.body)[1] for r in fake_anthropic.requests[before:]]
        assert any("Move billing to Meter on Stripe" in t for t in tails) is remembers
        assert "related_decisions" in json.loads(result.stdout)["verdict"]
