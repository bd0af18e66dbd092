"""The ledger's status control: under each one-way door of a verdict, and beside each door the App Home
lists (the lists themselves are `bot.posting.render`'s).

A choice's value says which door and which status (`StatusChoice`); after a change the clicked message's own
blocks get the new status as their initial option, so everyone reading the thread sees it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bot.models import LEDGER_STATUSES, LedgerStatus
from bot.posting.safety import Mrkdwn, fmt, trusted

Block = dict[str, Any]
ACTION_ID = "ledger:status"
LABELS: dict[LedgerStatus, str] = {
    "open": "Status: open",
    "decided": "Decided",
    "mitigated": "Mitigated (made two-way)",
    "withdrawn": "Withdrawn",
}


class StatusChoice(BaseModel):
    """One option of a door's status control: door `item` (from 0) of the debate's verdict, and a status."""

    debate: str = Field(min_length=1, max_length=120)
    item: int = Field(ge=0, le=200)
    status: LedgerStatus


def _option(debate_id: str, item: int, status: LedgerStatus) -> Block:
    value = StatusChoice(debate=debate_id, item=item, status=status).model_dump_json()
    return {"text": {"type": "plain_text", "text": LABELS[status]}, "value": value}


def status_select(debate_id: str, item: int, current: LedgerStatus = "open") -> Block:
    """The control a door's status is set with (a static select showing `current`)."""
    options = [_option(debate_id, item, status) for status in LEDGER_STATUSES]
    return {
        "type": "static_select",
        "action_id": ACTION_ID,
        "placeholder": {"type": "plain_text", "text": "Status"},
        "options": options,
        "initial_option": options[LEDGER_STATUSES.index(current)],
    }


def status_block(debate_id: str, item: int) -> Block:
    """The row under a door of a verdict that holds its status control."""
    return {"type": "actions", "block_id": f"ls:door:{item}", "elements": [status_select(debate_id, item)]}


def with_status(blocks: list[Block], choice: StatusChoice) -> list[Block]:
    """`blocks` (a posted page) with the chosen door's control showing its new status."""
    out: list[Block] = []
    for block in blocks:
        elements = block.get("elements") if block.get("type") == "actions" else None
        if elements and any(_is_control_of(e, choice) for e in elements):
            block = {**block, "elements": [_showing(e, choice) for e in elements]}
        out.append(block)
    return out


def _is_control_of(element: Block, choice: StatusChoice) -> bool:
    if element.get("action_id") != ACTION_ID or not element.get("options"):
        return False
    try:
        first = StatusChoice.model_validate_json(element["options"][0].get("value") or "")
    except ValidationError:
        return False
    return (first.debate, first.item) == (choice.debate, choice.item)


def _showing(element: Block, choice: StatusChoice) -> Block:
    if not _is_control_of(element, choice):
        return element
    return status_select(choice.debate, choice.item, choice.status)


def changed(choice: StatusChoice) -> Mrkdwn:
    return fmt(
        "Noted: one-way door {} is now *{}*. `/debate ledger` lists the doors still open, across docs.",
        choice.item + 1,
        trusted(choice.status),
    )
