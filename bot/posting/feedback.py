"""Feedback on a verdict: buttons under each one-way door and assumption ("Right", "Not a one-way door",
"Wrong quote"), and the tally of people's marks shown under them. A team's disagreements with the panel
become its own eval cases (`docdebate eval export-feedback`).

A button's value says what it marks (`Mark`); the tally is put into the clicked message's own blocks, next
to the buttons, so the summary is updated in place without being rendered again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from bot.posting.safety import Mrkdwn, trusted

Block = dict[str, Any]
Kind = Literal["door", "assumption"]
ACTION_PREFIX = "feedback:"
MARKS: dict[str, tuple[tuple[str, str], ...]] = {
    "door": (("right", "Right"), ("not_one_way", "Not a one-way door"), ("wrong_quote", "Wrong quote")),
    "assumption": (("right", "Right"), ("not_weak", "Not a weak point"), ("wrong_quote", "Wrong quote")),
}


class Mark(BaseModel):
    """What a button marks: finding `item` (its number in the verdict, from 0) of `kind` in a debate."""

    debate: str = Field(min_length=1, max_length=200)
    kind: Kind
    item: int = Field(ge=0, le=200)
    label: str

    @model_validator(mode="after")
    def _known_label(self) -> Mark:
        if self.label not in dict(MARKS[self.kind]):
            raise ValueError(f"no mark {self.label!r} for a {self.kind}")
        return self

    @property
    def words(self) -> str:
        return dict(MARKS[self.kind])[self.label].lower()


def buttons(debate_id: str, kind: Kind, item: int) -> Block:
    return {
        "type": "actions",
        "block_id": f"fb:{kind}:{item}",
        "elements": [
            {
                "type": "button",
                "action_id": f"{ACTION_PREFIX}{label}",
                "text": {"type": "plain_text", "text": text},
                "value": Mark(debate=debate_id, kind=kind, item=item, label=label).model_dump_json(),
            }
            for label, text in MARKS[kind]
        ],
    }


def tally_text(kind: str, counts: Counter[str]) -> Mrkdwn:
    parts = [f"{counts[label]} {text.lower()}" for label, text in MARKS[kind] if counts[label]]
    return trusted(":bar_chart: Marked: " + " · ".join(parts))


def with_tally(blocks: list[Block], tally: dict[tuple[str, int], Counter[str]]) -> list[Block]:
    """`blocks` (a posted summary page) with each finding's tally under its buttons, replacing the old one."""
    out: list[Block] = []
    for block in blocks:
        if str(block.get("block_id", "")).startswith("fbt:"):
            continue
        out.append(block)
        kind, _, item = str(block.get("block_id", "")).removeprefix("fb:").partition(":")
        if block.get("type") == "actions" and kind in MARKS and item.isdigit():
            counts = tally.get((kind, int(item)))
            if counts:
                text = {"type": "mrkdwn", "text": tally_text(kind, counts), "verbatim": True}
                out.append({"type": "context", "block_id": f"fbt:{kind}:{item}", "elements": [text]})
    return out


def thanks(mark: Mark) -> Mrkdwn:
    finding = "one-way door" if mark.kind == "door" else "assumption"
    return trusted(
        f"Noted: {finding} {mark.item + 1} marked *{mark.words}*. Marks are kept with this debate; "
        "`docdebate eval export-feedback` turns them into test cases for the panel."
    )
