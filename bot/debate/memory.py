"""The panel's memory: the ledger entries that bear on a document, and the judge's references to them.

An entry bears on a document when it came from the same document (its `doc_key`), or when most of its
decision's distinctive words are in the document's text: at least `MIN_SHARED` of them and `MIN_SHARE` of
all, a word being four letters or more (or holding a digit) and not a common English word. Same-document
entries come first, then the larger share, then the newest. Withdrawn doors and doors merged into another are
left out. The match is simple on purpose: a reader can see why an entry was given to the panel (`why`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Document, LedgerEntry, RelatedDecision, Verdict

MIN_SHARED = 3
MIN_SHARE = 0.6
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_COMMON = frozenset(
    """about above after again against also among another because been before being below between both could
    does doing done down during each either even every from further have having here into itself just keep
    kept last made make many more most much must next only other over same shall should since some such
    than that their them then there these they this those through under until upon very want were what when
    where which while will with within without would your""".split()  # noqa: SIM905 -- a word list reads better as words
)


def distinctive_words(text: str) -> set[str]:
    return {
        w
        for w in _WORD.findall(text.lower())
        if (len(w) >= 4 or any(c.isdigit() for c in w)) and w not in _COMMON
    }


@dataclass(frozen=True)
class Related:
    """A ledger entry given to the panel, and why it was chosen."""

    entry: LedgerEntry
    why: str
    rank: tuple[int, float, float]


def _match(entry: LedgerEntry, key: str, words: set[str]) -> Related | None:
    newest = entry.created_at.timestamp()
    if entry.doc_key == key:
        return Related(entry, "the same document", (1, 1.0, newest))
    decision = distinctive_words(entry.decision)
    shared = decision & words
    share = len(shared) / len(decision) if decision else 0.0
    if len(shared) < MIN_SHARED or share < MIN_SHARE:
        return None
    return Related(entry, "shared words: " + ", ".join(sorted(shared)), (0, share, newest))


def related_entries(entries: list[LedgerEntry], document: Document, key: str, limit: int) -> list[Related]:
    """The entries (already those the debate's audience may see) that bear on `document`, best first."""
    words = distinctive_words(document.text)
    candidates = [e for e in entries if e.status != "withdrawn" and e.merged_into is None]
    found = [m for e in candidates if (m := _match(e, key, words))]
    return sorted(found, key=lambda m: m.rank, reverse=True)[:limit]


def ground_related(verdict: Verdict, given: list[Related]) -> Verdict:
    """Keep the judge's related decisions that name an entry it was given (once each), filled in from it."""
    known = {r.entry.id: r.entry for r in given}
    kept: list[RelatedDecision] = []
    for related in verdict.related_decisions:
        entry = known.get(related.entry)
        if entry is None or any(k.entry == related.entry for k in kept):
            continue
        kept.append(
            related.model_copy(
                update={
                    "decision": entry.decision,
                    "doc_title": entry.doc_title,
                    "doc_link": entry.doc_link,
                    "thread_url": entry.thread_url,
                    "decided_on": entry.created_at,
                }
            )
        )
    return verdict.model_copy(update={"related_decisions": kept})
