"""An eval report for people: a table per case and the totals, side by side per variant (Markdown or Rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.evals.summary import EvalReport, Totals, case_scores
from bot.sources.tables import markdown_table


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _case_cells(report: EvalReport, variant: str, case: str) -> list[str]:
    scores = case_scores(report, variant, case)
    errors = sum(r.error is not None for r in report.cases if r.variant == variant and r.case == case)
    if not scores:
        return ["failed", "", ""]
    found = " · ".join(f"{s.found}/{s.planted}" for s in scores) if scores[0].planted else "control"
    false = " · ".join(str(s.false_doors) for s in scores)
    grounded = " · ".join(f"{s.quotes_verified}/{s.quotes}" for s in scores)
    return [found + (f" ({errors} failed)" if errors else ""), false, grounded]


def case_rows(report: EvalReport) -> tuple[list[str], list[list[str]]]:
    """Header and rows: a case per row; for each variant, doors found, false doors, quotes verified (per run)."""
    names = list(dict.fromkeys(r.case for r in report.cases))
    header = ["case"]
    for variant in report.variants:
        suffix = f" ({variant})" if len(report.variants) > 1 else ""
        header += [f"doors found{suffix}", f"false doors{suffix}", f"quotes verified{suffix}"]
    rows = [[name, *(c for v in report.variants for c in _case_cells(report, v, name))] for name in names]
    return header, rows


TOTAL_LABELS = (
    "door recall",
    "recall per run",
    "found in every run",
    "false doors",
    "weak assumptions found",
    "quotes verified",
    "cost",
    "debate time",
    "failed debates",
)


def _total_cells(t: Totals) -> list[str]:
    return [
        f"{_pct(t.recall)} ({t.found}/{t.planted})",
        ", ".join(_pct(r) for r in t.recall_per_run) or "n/a",
        _pct(t.stable),
        f"{t.false_doors} ({t.false_doors_in_controls} in controls, {t.decoys_taken} decoys)",
        _pct(t.assumptions_recall),
        _pct(t.grounding),
        f"${t.cost_usd:.2f}",
        f"{t.wall_s:.0f} s",
        f"{t.errors} of {t.debates}",
    ]


def total_rows(report: EvalReport) -> tuple[list[str], list[list[str]]]:
    """Header and rows: a metric per row, a variant per column."""
    columns = [_total_cells(t) for t in report.totals]
    return ["", *report.variants], [[label, *(c[i] for c in columns)] for i, label in enumerate(TOTAL_LABELS)]


def to_markdown(report: EvalReport) -> str:
    runs = f", {report.runs} runs each" if report.runs > 1 else ""
    return "\n\n".join(
        [
            f"# Eval: {report.corpus}",
            f"{len({r.case for r in report.cases})} cases{runs}, {report.wall_s:.0f} s.",
            "## Totals",
            _md_table(*total_rows(report)),
            "## Cases",
            _md_table(*case_rows(report)),
        ]
    )


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    return markdown_table([header, *rows])


def print_report(console: Console, report: EvalReport) -> None:
    """The two tables in the terminal: cells are data (case names, variants), never markup."""
    for title, (header, rows) in (("Cases", case_rows(report)), ("Totals", total_rows(report))):
        table = Table(title=title, title_justify="left")
        for name in header:
            table.add_column(Text(name))
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        console.print(table)
