"""Scoring a verdict against a case's labels, by code (the README states the rule).

A reported one-way door matches a planted one when its quote was verified in the document and the quote's
span there overlaps the anchor's span by at least half of the shorter of the two. Each planted door is
matched at most once; a reported door that matches nothing planted is a false door (so is every door
reported in a control), and one that matches a decoy (`two_way_doors`) is also counted as a decoy taken.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from bot.debate.grounding import Grounder
from bot.errors import CaseError
from bot.evals.cases import Case
from bot.models import DebateResult, Document, Quote

Span = tuple[int, int]
MIN_OVERLAP = 0.5


Match = Literal["planted", "decoy", "duplicate", "none"]


class DoorFound(BaseModel):
    decision: str
    quote: str
    verified: bool
    matched: Match
    planted: str | None = None  # the planted or decoy decision it matched


class CaseScore(BaseModel):
    case: str
    control: bool
    planted: int
    found: int
    reported: int
    false_doors: int
    decoys_taken: int
    assumptions_planted: int
    assumptions_found: int
    quotes: int
    quotes_verified: int
    cost_usd: float
    wall_s: float
    doors: list[DoorFound]
    missed: list[str]

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    @property
    def grounding(self) -> float | None:
        return self.quotes_verified / self.quotes if self.quotes else None


def anchor_spans(case: Case, document: Document) -> dict[str, Span]:
    """Every anchor's span in the loaded document; a CaseError naming the first one not found verbatim."""
    grounder = Grounder(document)
    items = [*case.labels.one_way_doors, *case.labels.weak_assumptions, *case.labels.two_way_doors]
    spans: dict[str, Span] = {}
    for item in items:
        span = grounder.span(item.anchor)
        if span is None:
            raise CaseError(
                f"case {case.name}: the anchor {item.anchor!r} is not verbatim in {case.document.name} "
                "(or is shorter than 3 words)"
            )
        spans[item.anchor] = span
    return spans


def overlaps(a: Span, b: Span) -> bool:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared > 0 and shared >= MIN_OVERLAP * min(a[1] - a[0], b[1] - b[0])


def score(case: Case, document: Document, result: DebateResult, wall_s: float) -> CaseScore:
    spans = anchor_spans(case, document)
    grounder = Grounder(document)

    def where(quote: Quote) -> Span | None:
        return grounder.span(quote.text) if quote.verified else None

    labels = case.labels
    planted = {door.anchor: door.decision for door in labels.one_way_doors}
    decoys = {door.anchor: door.decision for door in labels.two_way_doors}
    unmatched = dict(planted)
    kinds: tuple[tuple[Match, dict[str, str]], ...] = (
        ("planted", unmatched),
        ("decoy", decoys),
        ("duplicate", planted),  # a planted door another reported door matched first
    )
    doors: list[DoorFound] = []
    for door in result.verdict.one_way_doors:
        span = where(door.quote)
        matched: Match = "none"
        name: str | None = None
        for kind, anchors in kinds:
            anchor = _first(span, spans, anchors)
            if anchor is not None:
                matched, name = kind, anchors[anchor]
                if kind == "planted":
                    del unmatched[anchor]
                break
        doors.append(
            DoorFound(
                decision=door.decision,
                quote=door.quote.text,
                verified=bool(door.quote.verified),
                matched=matched,
                planted=name,
            )
        )
    assumption_spans = [where(a.quote) for a in result.verdict.assumptions]
    quotes = [d.quote for d in result.verdict.one_way_doors] + [a.quote for a in result.verdict.assumptions]
    return CaseScore(
        case=case.name,
        control=case.control,
        planted=len(labels.one_way_doors),
        found=len(labels.one_way_doors) - len(unmatched),
        reported=len(doors),
        false_doors=sum(d.matched in ("none", "decoy") for d in doors),
        decoys_taken=sum(d.matched == "decoy" for d in doors),
        assumptions_planted=len(labels.weak_assumptions),
        assumptions_found=sum(
            any(s is not None and overlaps(s, spans[a.anchor]) for s in assumption_spans)
            for a in labels.weak_assumptions
        ),
        quotes=len(quotes),
        quotes_verified=sum(bool(q.verified) for q in quotes),
        cost_usd=result.usage.cost_usd,
        wall_s=wall_s,
        doors=doors,
        missed=list(unmatched.values()),
    )


def _first(span: Span | None, spans: dict[str, Span], anchors: dict[str, str]) -> str | None:
    """The first of `anchors` whose span the quote's span overlaps."""
    if span is None:
        return None
    return next((anchor for anchor in anchors if overlaps(span, spans[anchor])), None)
