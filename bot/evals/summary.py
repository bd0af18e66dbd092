"""An eval's report: each case's runs, and per variant the totals (recall, false doors, grounding, cost)."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel

from bot.evals.runner import CaseRun
from bot.evals.scoring import CaseScore


class Totals(BaseModel):
    variant: str
    debates: int
    errors: int
    planted: int  # planted doors, counted once per run
    found: int
    recall: float | None
    recall_per_run: list[float]  # the spread: reruns of the same case disagree
    stable: float | None  # of the planted doors found in some run, the share found in every run
    false_doors: int
    false_doors_in_controls: int
    decoys_taken: int
    assumptions_recall: float | None
    grounding: float | None
    cost_usd: float
    wall_s: float  # the debates' own time, added up


class EvalReport(BaseModel):
    schema_version: int = 1
    corpus: str
    runs: int
    variants: list[str]
    wall_s: float
    totals: list[Totals]
    cases: list[CaseRun]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def totals(variant: str, runs: list[CaseRun], n_runs: int) -> Totals:
    mine = [r for r in runs if r.variant == variant]
    scores = [r.score for r in mine if r.score is not None]
    per_run = [[r.score for r in mine if r.score is not None and r.run == i] for i in range(n_runs)]
    planted = sum(s.planted for s in scores)
    found = sum(s.found for s in scores)
    return Totals(
        variant=variant,
        debates=len(mine),
        errors=sum(r.error is not None for r in mine),
        planted=planted,
        found=found,
        recall=_ratio(found, planted),
        recall_per_run=[
            ratio
            for run in per_run
            if (ratio := _ratio(sum(s.found for s in run), sum(s.planted for s in run))) is not None
        ],
        stable=_stability(mine, n_runs),
        false_doors=sum(s.false_doors for s in scores),
        false_doors_in_controls=sum(s.false_doors for s in scores if s.control),
        decoys_taken=sum(s.decoys_taken for s in scores),
        assumptions_recall=_ratio(
            sum(s.assumptions_found for s in scores), sum(s.assumptions_planted for s in scores)
        ),
        grounding=_ratio(sum(s.quotes_verified for s in scores), sum(s.quotes for s in scores)),
        cost_usd=sum(s.cost_usd for s in scores),
        wall_s=sum(s.wall_s for s in scores),
    )


def _stability(runs: list[CaseRun], n_runs: int) -> float | None:
    """Planted doors found in every run, of those found in any (None for a single run)."""
    if n_runs < 2:
        return None
    found: dict[tuple[str, str], int] = defaultdict(int)
    for run in runs:
        for door in run.score.doors if run.score else []:
            if door.matched == "planted" and door.planted is not None:
                found[(run.case, door.planted)] += 1
    return _ratio(sum(n == n_runs for n in found.values()), len(found))


def build(corpus: str, variants: list[str], runs: list[CaseRun], n_runs: int, wall_s: float) -> EvalReport:
    ordered = sorted(runs, key=lambda r: (variants.index(r.variant), r.case, r.run))
    return EvalReport(
        corpus=corpus,
        runs=n_runs,
        variants=variants,
        wall_s=wall_s,
        totals=[totals(v, ordered, n_runs) for v in variants],
        cases=ordered,
    )


def case_scores(report: EvalReport, variant: str, case: str) -> list[CaseScore]:
    return [r.score for r in report.cases if r.variant == variant and r.case == case and r.score is not None]
