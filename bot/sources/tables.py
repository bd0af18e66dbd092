"""Markdown tables, written one way for every converter that finds them (Word, Google Docs and Sheets)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table of the rows, the first one its header; "" when no cell has text.

    Rows without cells are left out and short rows padded to the widest. Each row stays on one line, as a
    table needs: in a cell every line break becomes `<br>` and `|` is escaped.
    """
    cells = [[_cell(cell) for cell in row] for row in rows if row]
    if not any(cell.strip() for row in cells for cell in row):
        return ""
    width = max(len(row) for row in cells)
    lines = [_row(row, width) for row in cells]
    lines.insert(1, _row(["---"] * width, width))
    return "\n".join(lines)


def csv_to_markdown(text: str) -> str:
    """CSV (a Google Sheet's export) as a Markdown table, blank rows left out."""
    return markdown_table([row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)])


def _cell(text: str) -> str:
    return "<br>".join(text.splitlines()).replace("|", "\\|")


def _row(cells: list[str], width: int) -> str:
    return "| " + " | ".join(cells + [""] * (width - len(cells))) + " |"
