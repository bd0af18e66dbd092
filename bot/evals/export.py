"""`docdebate eval export-feedback`: the debates people marked in Slack, written as eval cases.

A finding's mark is the one most people gave it (a tie counts as no mark). A door marked "Right" becomes a
planted one-way door, one marked "Not a one-way door" a decoy, an assumption marked "Right" a weak
assumption; "Wrong quote" and unverified quotes are left out. A debate becomes a case when it has a door
marked right, or when every door it reported was marked not one-way (a control). Each anchor is the
verdict's quote as it stands in the document, so the case scores exactly as `eval` reads it.

Only what the operator's own database holds is written, and only into the folder they name.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import yaml

from bot.debate.grounding import Grounder
from bot.evals.cases import LABELS, Anchored, Labels, Planted
from bot.models import DebateResult, Quote
from bot.store.feedback import Feedback, Tally


def _mark(counts: Counter[str] | None) -> str | None:
    ranked = (counts or Counter()).most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0]


def labels_from(result: DebateResult, tally: Tally) -> Labels | None:
    grounder = Grounder(result.document)

    def anchor(quote: Quote) -> str | None:
        span = grounder.span(quote.text) if quote.verified else None
        return result.document.text[span[0] : span[1]] if span else None

    planted: list[Planted] = []
    decoys: list[Planted] = []
    for i, door in enumerate(result.verdict.one_way_doors):
        text, mark = anchor(door.quote), _mark(tally.get(("door", i)))
        if text and mark == "right":
            planted.append(Planted(decision=door.decision, anchor=text))
        elif text and mark == "not_one_way":
            decoys.append(Planted(decision=door.decision, anchor=text))
    weak = [
        Anchored(anchor=text)
        for i, item in enumerate(result.verdict.assumptions)
        if _mark(tally.get(("assumption", i))) == "right" and (text := anchor(item.quote))
    ]
    every_door_doubted = bool(decoys) and len(decoys) == len(result.verdict.one_way_doors)
    if not planted and not every_door_doubted:
        return None
    return Labels(one_way_doors=planted, weak_assumptions=weak, two_way_doors=decoys)


def case_name(debate_id: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", debate_id).strip("-.")[:60]
    return f"{readable}-{hashlib.sha256(debate_id.encode()).hexdigest()[:8]}"


def export_feedback(feedback: Feedback, out: Path) -> tuple[list[Path], int]:
    """Write a case per usable marked debate into `out`; the folders written, and how many were skipped.
    A case folder that already exists is left as it is (and counted as skipped)."""
    written: list[Path] = []
    skipped = 0
    for debate, tally in feedback.marked_debates():
        assert debate.result_json is not None
        result = DebateResult.model_validate_json(debate.result_json)
        labels = labels_from(result, tally)
        folder = out / case_name(debate.id)
        if labels is None or folder.exists():
            skipped += 1
            continue
        folder.mkdir(parents=True)
        (folder / "doc.md").write_text(result.document.text, encoding="utf-8")
        (folder / LABELS).write_text(_yaml(labels, result), encoding="utf-8")
        written.append(folder)
    return written, skipped


def _yaml(labels: Labels, result: DebateResult) -> str:
    header = (
        f"# From a debate of {result.document.title!r} ({result.document.source}), as people marked it.\n"
    )
    return header + yaml.safe_dump(labels.model_dump(), sort_keys=False, allow_unicode=True, width=120)
