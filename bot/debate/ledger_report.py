"""The ledger for the terminal (`docdebate ledger`): a Rich table, Markdown or JSON; and its versions."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.models import LedgerEntry, LedgerVersion
from bot.sources.tables import markdown_table


def _notes(entry: LedgerEntry, known: dict[int, LedgerEntry]) -> list[str]:
    def doc(other: int) -> str:
        found = known.get(other)
        return f"{found.doc_title} ({found.created_at:%Y-%m-%d})" if found else f"entry {other}"

    notes = [f"also in {doc(n.other)}: {n.reason}" for n in entry.same_as]
    notes += [f"conflicts with {doc(n.other)}: {n.reason}" for n in entry.conflicts]
    if entry.status_note:
        notes.append(f"{entry.status} ({entry.status_by}): {entry.status_note}")
    return notes


def _status(entry: LedgerEntry) -> str:
    return entry.status if entry.status_by is None else f"{entry.status} (by {entry.status_by})"


def ledger_json(version: int, entries: Sequence[LedgerEntry]) -> str:
    return json.dumps({"version": version, "entries": [e.model_dump(mode="json") for e in entries]}, indent=2)


def ledger_markdown(version: int, entries: Sequence[LedgerEntry]) -> str:
    known = {e.id: e for e in entries}
    rows = [["#", "decision", "doc", "thread", "channel", "raised", "status"]]
    for e in entries:
        decision = "\n".join([e.decision, *(f"_{n}_" for n in _notes(e, known))])  # a line break is <br>
        doc = f"[{e.doc_title}]({e.doc_link})" if e.doc_link.startswith("http") else e.doc_title
        channel = e.channel_id + (" (private)" if e.private else "")
        rows.append(
            [
                str(e.id),
                decision,
                doc,
                f"[thread]({e.thread_url})",
                channel,
                f"{e.created_at:%Y-%m-%d}",
                _status(e),
            ]
        )
    table = markdown_table(rows) if entries else "No one-way doors in the ledger yet."
    return f"# The ledger of one-way doors (version {version})\n\n{table}"


def print_ledger(console: Console, version: int, entries: Sequence[LedgerEntry]) -> None:
    known = {e.id: e for e in entries}
    table = Table("#", "decision", title=f"The ledger (version {version})")
    table.add_column("doc and thread", overflow="fold")  # a link cut short opens nothing
    for name in ("channel", "raised", "status"):
        table.add_column(name)
    for e in entries:
        decision = Text(e.decision)
        for note in _notes(e, known):
            decision.append("\n" + note, style="italic")
        doc = Text(e.doc_title)
        doc.append("\n" + e.thread_url, style=f"dim link {e.thread_url}")
        channel = e.channel_id + (" (private)" if e.private else "")
        table.add_row(str(e.id), decision, doc, channel, f"{e.created_at:%Y-%m-%d}", _status(e))
    console.print(table if entries else "No one-way doors in the ledger yet.")


def history_json(versions: Sequence[LedgerVersion]) -> str:
    return json.dumps([v.model_dump(mode="json") for v in versions], indent=2)


def history_markdown(versions: Sequence[LedgerVersion]) -> str:
    rows = [["version", "written", "kind", "what changed", "cost"]]
    rows += [
        [str(v.version), f"{v.created_at:%Y-%m-%d %H:%M} UTC", v.kind, v.note, f"${v.cost_usd:.4f}"]
        for v in reversed(versions)
    ]
    return markdown_table(rows) if versions else "No version yet: the ledger has not been consolidated."


def print_history(console: Console, versions: Sequence[LedgerVersion]) -> None:
    if not versions:
        console.print("No version yet: the ledger has not been consolidated.")
        return
    table = Table("version", "written (UTC)", "kind", "what changed", "cost", title="Versions of the ledger")
    for v in reversed(versions):
        table.add_row(
            str(v.version), f"{v.created_at:%Y-%m-%d %H:%M}", v.kind, Text(v.note), f"${v.cost_usd:.4f}"
        )
    console.print(table)
