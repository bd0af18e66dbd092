"""The verdict's one-way doors as a Block Kit table in the summary: its columns, inert cells, the text form
when a table cannot hold the doors, and every page within what Slack (the fake's validator) accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.models import DebateResult, Document, OneWayDoor, Quote, ReReview, Usage, Verdict
from bot.posting import render
from bot.posting.safety import LinkPolicy
from tests.fakes.slack_fake import block_errors
from tests.live_links import Allowed, describe, live_links
from tests.test_slack_safety import HOSTILE

DOC_LINK = "https://docs.example.com/plan"
LINKS = LinkPolicy(DOC_LINK)
COLUMNS = [
    "Decision",
    "Reversal cost",
    "Time to reverse",
    "Blast radius",
    "How to make it two-way",
    "Who raised it",
]


def door(n: int, text: str | None = None) -> OneWayDoor:
    def field(name: str) -> str:
        return text if text is not None else f"{name} {n}"

    return OneWayDoor(
        decision=field("decision"),
        quote=Quote(text=f"quote {n}", verified=True),
        why_hard_to_reverse=field("why"),
        cost_to_reverse=field("cost"),
        time_to_reverse=field("time"),
        blast_radius=field("blast"),
        make_it_two_way=field("two-way"),
        raised_by=["skeptic"],
        endorsed_by=["exec"] if n % 2 else [],
    )


def result(doors: list[OneWayDoor]) -> DebateResult:
    verdict = Verdict(
        headline="Ship it, but keep the old ledger",
        assumptions=[],
        one_way_doors=doors,
        disagreements=[],
        open_questions=[],
        next_steps=[],
    )
    return DebateResult(
        document=Document(title="Plan", source=DOC_LINK, text="x"),
        personas=["skeptic"],
        depth="quick",
        model="m",
        judge_model="m",
        turns=[],
        verdict=verdict,
        usage=Usage(calls=1),
    )


def texts(row: list[dict[str, Any]]) -> list[str]:
    assert all(cell["type"] == "raw_text" for cell in row), row
    return [cell["text"] for cell in row]


def tables(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == "table"]


def test_the_table_has_a_column_per_fact_and_a_row_per_door_numbered_as_in_the_text() -> None:
    table = render.doors_table([door(1), door(2)])
    assert table is not None
    header, first, second = table["rows"]
    assert texts(header) == COLUMNS
    assert texts(first) == [
        "1. decision 1",
        "cost 1",
        "time 1",
        "blast 1",
        "two-way 1",
        "raised by skeptic; endorsed by exec",
    ]
    assert texts(second)[0] == "2. decision 2" and texts(second)[-1] == "raised by skeptic"
    assert table["column_settings"] == [{"is_wrapped": True}] * len(COLUMNS)


def test_the_summary_puts_the_table_under_the_doors_heading_and_keeps_each_doors_text_and_buttons() -> None:
    [page] = render.summary_posts(result([door(1), door(2)]), LINKS, debate_id="d1")
    types = [b["type"] for b in page.blocks]
    heading = next(i for i, b in enumerate(page.blocks) if "One-way doors (2)" in json.dumps(b))
    assert types[heading + 1] == "table" and types.count("table") == 1
    sections = json.dumps(page.blocks[heading + 2 :])
    assert "*1. decision 1*" in sections and "*2. decision 2*" in sections, "each door's text stays"
    assert "> quote 1" in sections and "*Why it is hard to reverse:* why 2" in sections
    block_ids = {b.get("block_id") for b in page.blocks}
    assert {"fb:door:0", "fb:door:1"} <= block_ids, "the feedback buttons stay under each door"
    assert block_errors(page.blocks) == []


def test_a_hostile_door_stays_inert_in_every_cell() -> None:
    table = render.doors_table([door(n, hostile) for n, hostile in enumerate(HOSTILE, 1)])
    assert table is not None
    findings = live_links(table, Allowed(links={DOC_LINK}))
    assert findings == [], describe(findings)
    cells = [c["text"] for row in table["rows"] for c in row]
    assert all("<" not in c and ">" not in c for c in cells), cells
    mentions = texts(table["rows"][HOSTILE.index(next(h for h in HOSTILE if "<!channel>" in h)) + 1])
    assert mentions[0].startswith("5. &lt;!channel&gt; &lt;!here&gt; &lt;@U999BOSS&gt;"), mentions
    assert "https[:]//evil[.]example/login" in texts(table["rows"][1])[1]
    assert not any(ch in json.dumps(table, ensure_ascii=False) for ch in "\u202e\u200b\u2060"), "stripped"


def test_long_cells_are_cut_with_an_ellipsis() -> None:
    table = render.doors_table([door(1, "word " * 200)])
    assert table is not None
    cells = texts(table["rows"][1])
    assert all(len(c) <= render.TABLE_CELL and c.endswith("…") for c in cells[:5]), cells
    assert cells[1].startswith("word word")


def test_many_doors_share_the_tables_text_budget() -> None:
    doors = [door(n, "x" * 500) for n in range(1, 31)]
    table = render.doors_table(doors)
    assert table is not None and len(table["rows"]) == 31
    cells = [c["text"] for row in table["rows"] for c in row]
    assert sum(map(len, cells)) <= render.TABLE_CHARS
    cut = {len(c) for row in table["rows"][1:] for c in texts(row)[:5]}
    assert len(cut) == 1 and render.TABLE_MIN_CELL <= cut.pop() < render.TABLE_CELL, "cut alike, to fit"
    assert block_errors([table]) == []


def test_more_doors_than_a_table_can_hold_get_the_text_form_only() -> None:
    assert render.doors_table([]) is None
    assert render.doors_table([door(n) for n in range(1, 100)]) is None, "Slack: 100 rows with the header"
    assert render.TABLE_CHARS // (render.TABLE_MIN_CELL * len(COLUMNS)) < render.TABLE_ROWS
    many = [door(n) for n in range(1, 60)]
    posts = render.summary_posts(result(many), LINKS, debate_id="d1")
    blocks = [b for p in posts for b in p.blocks]
    assert tables(blocks) == []
    sent = json.dumps(blocks)
    assert all(f"*{n}. decision {n}*" in sent for n in range(1, 60)), "every door is in the text form"
    assert {f"fb:door:{n}" for n in range(59)} <= {b.get("block_id") for b in blocks}
    for post in posts:
        assert block_errors(post.blocks) == []


def test_every_page_of_a_long_summary_passes_slack_with_one_table_at_most() -> None:
    doors = [door(n, f"a longer reason for door {n} " * 8) for n in range(1, 25)]
    posts = render.summary_posts(result(doors), LINKS, debate_id="d1")
    assert len(posts) > 1, "the doors' text spans pages"
    assert [len(tables(p.blocks)) for p in posts] == [1] + [0] * (len(posts) - 1)
    for post in posts:
        assert block_errors(post.blocks) == []


def test_a_rereview_summary_keeps_the_table_within_one_message() -> None:
    doors = [door(n) for n in range(1, 20)]
    rereview = ReReview(
        headline="Still open",
        findings=[],
        new_one_way_doors=[],
        new_assumptions=[],
        since=datetime(2026, 11, 1, tzinfo=UTC),
        earlier_sha256="0" * 64,
        changes=[],
        turns=[],
    )
    post = render.rereview_summary(result(doors), rereview, LINKS, debate_id="d1")
    assert len(tables(post.blocks)) == 1 and len(post.blocks) <= render.BLOCKS_PER_POST
    assert "cut to fit one Slack message" in json.dumps(post.blocks), "the doors' text was cut, not the table"
    assert block_errors(post.blocks) == []
