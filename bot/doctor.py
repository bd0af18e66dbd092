"""`docdebate doctor`: the checks `serve` runs at start, each once, as a short table of what is configured,
what works and what to fix. The first thing a new operator runs; it needs nothing configured to answer.

Exit code: 0 when nothing failed, 78 when a setting must be fixed, 69 when a service did not answer (after
one quick retry: doctor is interactive, `serve` is the one that waits).
"""

from __future__ import annotations

import asyncio

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import preflight
from bot.config import Settings
from bot.preflight import Check, Status

QUICK_RETRY_S = [1.0]
EXIT_CONFIG, EXIT_UNAVAILABLE = 78, 69


def _status(row: Check) -> str:
    if row.status is Status.OK:
        return "[green]ok[/]"
    if row.status is Status.SKIPPED:
        return "[dim]skipped[/]"
    return "[bold red]failed[/]" if row.fatal else "[yellow]unreachable[/]"


def _advice(row: Check) -> str:
    text = escape(row.message)
    return text if row.status is Status.FAILED else f"[dim]{text}[/]"


def table(rows: list[Check], *, socket_mode: bool) -> Table:
    mode = "Socket Mode" if socket_mode else "HTTP mode"
    grid = Table("check", "configured", "status", "what to fix", title=f"docdebate doctor ({mode})")
    for row in rows:
        grid.add_row(escape(row.name), escape(row.configured), _status(row), _advice(row))
    return grid


def exit_code(rows: list[Check]) -> int:
    failed = [row for row in rows if row.status is Status.FAILED]
    if any(row.fatal for row in failed):
        return EXIT_CONFIG
    return EXIT_UNAVAILABLE if failed else 0


def run(settings: Settings, *, socket_mode: bool = True) -> int:
    """Run every check once, print the table on stdout, and return the exit code."""
    rows = asyncio.run(
        preflight.run_checks(settings, socket_mode=socket_mode, waits=QUICK_RETRY_S, create_database=False)
    )
    console = Console()
    console.print(table(rows, socket_mode=socket_mode))
    code = exit_code(rows)
    console.print(
        "Nothing to fix." if code == 0 else "Fix the failed rows, then run `docdebate doctor` again.",
        markup=False,
    )
    return code
