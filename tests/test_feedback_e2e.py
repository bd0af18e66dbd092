"""Feedback from a thread, end to end: the buttons under a verdict's findings, the mark stored and shown in
the summary, the clicker thanked privately, and `docdebate eval export-feedback` writing the marks as a case
that `eval` can score."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings
from bot.evals.cases import load_cases
from bot.evals.scoring import anchor_spans
from bot.sources import load_document
from tests import test_slack_e2e
from tests.conftest import run_cli
from tests.fakes.slack_fake import FakeSlack
from tests.test_slack_e2e import Bot, posts, summary_posted

bot = test_slack_e2e.bot  # the same fixture: the bot serving HTTP against the fakes


def summary(slack: FakeSlack, channel: str) -> tuple[str, dict[str, Any]]:
    """The summary's first page: its ts and what was posted."""
    [first, *_] = [c for c in posts(slack, channel) if '"Verdict"' in json.dumps(c.args.get("blocks"))]
    return first.response["ts"], first.args


def button(args: dict[str, Any], block_id: str, label: str) -> dict[str, Any]:
    [block] = [b for b in args["blocks"] if b.get("block_id") == block_id]
    return next(e for e in block["elements"] if e["action_id"] == f"feedback:{label}")


def click(
    bot: Bot, channel: str, ts: str, args: dict[str, Any], block_id: str, label: str, user: str
) -> None:
    message = {"type": "message", "ts": ts, "text": args["text"], "blocks": args["blocks"], "user": "UBOT"}
    response = bot.sender().block_action(
        f"feedback:{label}",
        button(args, block_id, label)["value"],
        block_id=block_id,
        user_id=user,
        channel_id=channel,
        message=message,
    )
    assert response.status_code == 200


def updated_blocks(slack: FakeSlack, ts: str, n: int) -> list[dict[str, Any]]:
    """The blocks of the `n`th chat.update of the summary message (waiting for it)."""
    updates = slack.wait_for(
        lambda s: (u := [c for c in s.calls_to("chat.update") if c.args.get("ts") == ts])[n - 1 :] and u, 30
    )
    return updates[n - 1].args["blocks"]


def tally(blocks: list[dict[str, Any]], block_id: str) -> str:
    [context] = [b for b in blocks if b.get("block_id") == block_id]
    return context["elements"][0]["text"]


def test_marks_are_stored_shown_and_exported_as_a_case(bot: Bot, tmp_path: Path) -> None:
    channel = "CFEEDBACK"
    bot.sender().slash_command(f"<{bot.pages}/plan>", channel_id=channel)
    bot.slack.wait_for(summary_posted(channel), timeout=90)
    ts, args = summary(bot.slack, channel)
    door_buttons = next(b for b in args["blocks"] if b.get("block_id") == "fb:door:0")["elements"]
    assert [e["text"]["text"] for e in door_buttons] == ["Right", "Not a one-way door", "Wrong quote"]

    click(bot, channel, ts, args, "fb:door:0", "right", "U123")
    first = updated_blocks(bot.slack, ts, 1)
    assert tally(first, "fbt:door:0") == ":bar_chart: Marked: 1 right"
    thanked = bot.slack.wait_for(lambda s: s.calls_to("response_url"), 30)
    assert thanked[-1].args["response_type"] == "ephemeral" and thanked[-1].args["replace_original"] is False
    assert "one-way door 1 marked *right*" in thanked[-1].args["text"]

    click(bot, channel, ts, args, "fb:door:0", "right", "U124")
    click(bot, channel, ts, args, "fb:door:0", "not_one_way", "U123")  # U123 changes their mind
    third = updated_blocks(bot.slack, ts, 3)
    assert tally(third, "fbt:door:0") == ":bar_chart: Marked: 1 right · 1 not a one-way door"
    assert sum(b.get("block_id") == "fbt:door:0" for b in third) == 1, "the tally is replaced, not added"
    click(bot, channel, ts, args, "fb:door:0", "right", "U123")
    click(bot, channel, ts, args, "fb:assumption:0", "right", "U124")
    updated_blocks(bot.slack, ts, 5)

    out = tmp_path / "from-slack"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": bot.database}
    result = run_cli(["eval", "export-feedback", "--out", str(out)], env)
    assert result.code == 0, result.stderr
    [case] = load_cases(out)  # the one debate people marked
    verdict = json.dumps(args["blocks"])
    [door] = case.labels.one_way_doors
    assert door.decision.split()[0] in verdict
    assert len(case.labels.weak_assumptions) == 1
    document = asyncio.run(load_document(str(case.document), Settings()))
    anchor_spans(case, document)  # every anchor is verbatim in the exported document
    header = (case.document.parent / "labels.yaml").read_text().splitlines()[0]
    assert header.startswith("# From a debate of") and yaml.safe_load(
        (case.document.parent / "labels.yaml").read_text()
    )

    again = run_cli(["eval", "export-feedback", "--out", str(out)], env)
    assert again.code == 0 and "already in" in again.stderr, "nothing is overwritten"


def test_a_button_docdebate_did_not_write_records_nothing(bot: Bot) -> None:
    forged = json.dumps({"debate": "no-such-debate", "kind": "door", "item": 0, "label": "right"})
    for value in (forged, "not json"):
        bot.sender().block_action("feedback:right", value, block_id="fb:door:0", channel_id="CFORGED")
    answers = bot.slack.wait_for(
        lambda s: (
            (a := [c for c in s.calls_to("response_url") if "does not belong" in c.args.get("text", "")])[1:]
            and a
        ),
        30,
    )
    assert len(answers) == 2
    assert not [c for c in bot.slack.calls_to("chat.update") if c.args.get("channel") == "CFORGED"]
