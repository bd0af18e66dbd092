"""The verdict's one-way doors as a table, end to end: a debate run by the bot serving HTTP posts a summary
whose table block (accepted by the Slack fake's validator) has a row for each door the verdict names."""

from __future__ import annotations

import json
import re

from tests import test_slack_e2e
from tests.fakes.slack_fake import block_errors
from tests.test_feedback_e2e import summary
from tests.test_slack_e2e import Bot, summary_posted

bot = test_slack_e2e.bot  # the same fixture: the bot serving HTTP against the fakes

DOOR_TITLE = re.compile(r"^\*(\d+)\. (.+?)\* \(raised by ", re.MULTILINE)


def test_the_summary_carries_a_table_with_a_row_per_door(bot: Bot) -> None:
    channel = "CTABLE"
    with bot.sender() as sender:
        sender.slash_command(f"<{bot.pages}/plan>", channel_id=channel)
    bot.slack.wait_for(summary_posted(channel), timeout=60)
    _, args = summary(bot.slack, channel)
    blocks = args["blocks"]
    assert block_errors(blocks) == []
    [table] = [b for b in blocks if b["type"] == "table"]
    header, *rows = [[cell["text"] for cell in row] for row in table["rows"]]
    assert header[0] == "Decision" and header[-1] == "Who raised it" and len(header) == 6
    start = next(i for i, b in enumerate(blocks) if "*One-way doors (" in json.dumps(b))
    end = next(i for i, b in enumerate(blocks) if i > start and b["type"] == "divider")
    heading = blocks[start]["text"]["text"]
    count = int(re.search(r"One-way doors \((\d+)\)", heading).group(1))  # type: ignore[union-attr]
    assert count >= 1 and len(rows) == count, (heading, rows)
    titles = {  # each door's text, under the table
        int(m.group(1)): m.group(2)
        for b in blocks[start:end]
        if b["type"] == "section"
        for m in DOOR_TITLE.finditer(b["text"]["text"])
    }
    assert sorted(titles) == list(range(1, count + 1)), titles
    for n, row in enumerate(rows, 1):
        decision = row[0].removeprefix(f"{n}. ").removesuffix("…")
        assert titles[n].startswith(decision), (n, row[0], titles[n])
        assert all(cell.strip() for cell in row), row
    assert all(f"fb:door:{n}" in {b.get("block_id") for b in blocks} for n in range(count))
