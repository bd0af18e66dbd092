"""Consolidating the ledger ("dreaming"): one structured call over the ledger and the recent verdicts finds
entries that are the same decision, entries a later verdict settled, and decisions that conflict; code then
keeps only what it can check (`accept`).

The rules the call follows are in `prompts/consolidate.md.j2`; the ledger goes in the user message, inside
tags, as data. The checks: every id must be one the call was given; merges only between entries of the same
scope (public, or one private conversation), so a merged entry never hides behind one its readers cannot see,
the earliest kept; a resolution only of an open entry, by a verdict of a later debate in the entry's channel;
a conflict only with an earlier entry; nothing a version already holds is added again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bot.config import Settings
from bot.debate.prompts import render
from bot.llm import LLM, Prompt
from bot.models import (
    LedgerChanges,
    LedgerConflict,
    LedgerEntry,
    LedgerMerge,
    LedgerResolution,
    RecentVerdict,
    Usage,
)

MAX_TOKENS = 4000


def scope(entry: LedgerEntry) -> str:
    """Where an entry may be read: `public`, or its own conversation."""
    return entry.channel_id if entry.private else "public"


def prompt(entries: list[LedgerEntry], verdicts: list[RecentVerdict], tick: datetime) -> Prompt:
    data = "".join(e.model_dump_json() for e in entries) + "".join(v.model_dump_json() for v in verdicts)
    nonce = hashlib.sha256(data.encode()).hexdigest()[:12]
    task = render(
        "consolidate_task.md.j2",
        entries=entries,
        verdicts=verdicts,
        tick=tick.isoformat(),
        nonce=nonce,
        scope=scope,
    )
    return Prompt(render("consolidate.md.j2"), "", [{"role": "user", "content": task}])


async def consolidate(
    llm: LLM, settings: Settings, entries: list[LedgerEntry], verdicts: list[RecentVerdict], tick: datetime
) -> tuple[LedgerChanges, Usage]:
    """The one model call of a consolidation: what it found, unchecked."""
    return await llm.structured(settings.model, prompt(entries, verdicts, tick), MAX_TOKENS, LedgerChanges)


def _root(entry: int, merged: dict[int, int]) -> int:
    while entry in merged:
        entry = merged[entry]
    return entry


def accept(
    found: LedgerChanges,
    entries: list[LedgerEntry],
    verdicts: list[RecentVerdict],
    previous: LedgerChanges,
) -> LedgerChanges:
    """What of `found` checks out against the entries (as the current version shows them) and the verdicts
    the call was given, and is not already in `previous`."""
    by_id = {e.id: e for e in entries}
    merged = {m.entry: m.into for m in previous.merges}
    merges: list[LedgerMerge] = []
    for merge in found.merges:
        if merge.entry not in by_id or merge.into not in by_id:
            continue
        later, earlier = sorted(
            (by_id[_root(merge.entry, merged)], by_id[_root(merge.into, merged)]),
            key=lambda e: (e.created_at, e.id),
            reverse=True,
        )
        if later.id == earlier.id or scope(later) != scope(earlier):
            continue
        merged[later.id] = earlier.id
        merges.append(LedgerMerge(entry=later.id, into=earlier.id, reason=merge.reason))

    settled = {r.entry for r in previous.resolutions}
    by_verdict = {v.id: v for v in verdicts}
    resolutions: list[LedgerResolution] = []
    for resolution in found.resolutions:
        entry, verdict = by_id.get(resolution.entry), by_verdict.get(resolution.verdict)
        if entry is None or verdict is None or entry.status != "open" or entry.id in settled:
            continue
        if verdict.channel_id != entry.channel_id or verdict.debate_id == entry.debate_id:
            continue
        if verdict.finished_at <= entry.created_at:
            continue
        settled.add(entry.id)
        resolutions.append(resolution)

    pairs = {(c.entry, c.earlier) for c in previous.conflicts}
    conflicts: list[LedgerConflict] = []
    for conflict in found.conflicts:
        if conflict.entry not in by_id or conflict.earlier not in by_id or conflict.entry == conflict.earlier:
            continue
        later, earlier = sorted(
            (by_id[conflict.entry], by_id[conflict.earlier]), key=lambda e: (e.created_at, e.id), reverse=True
        )
        if (later.id, earlier.id) in pairs:
            continue
        pairs.add((later.id, earlier.id))
        conflicts.append(LedgerConflict(entry=later.id, earlier=earlier.id, reason=conflict.reason))
    return LedgerChanges(merges=merges, resolutions=resolutions, conflicts=conflicts)


def combined(previous: LedgerChanges, added: LedgerChanges) -> LedgerChanges:
    return LedgerChanges(
        merges=previous.merges + added.merges,
        resolutions=previous.resolutions + added.resolutions,
        conflicts=previous.conflicts + added.conflicts,
    )


def summary(added: LedgerChanges) -> str:
    """`2 merged, 1 resolved, 1 conflict` (or `no change`)."""
    parts = [
        f"{len(added.merges)} merged" if added.merges else "",
        f"{len(added.resolutions)} resolved" if added.resolutions else "",
        f"{len(added.conflicts)} conflict{'s' if len(added.conflicts) > 1 else ''}"
        if added.conflicts
        else "",
    ]
    return ", ".join(p for p in parts if p) or "no change"
