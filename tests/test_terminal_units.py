"""The live terminal view: it re-draws itself (the clock moves while the model is silent) and shows retries."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel
from bot.debate.progress import DebateStarted, Retrying, TurnDelta, TurnStarted
from bot.models import Document
from bot.retries.model import RetryNotice
from bot.terminal import TerminalView

PANEL = select_panel(load_personas(), list(DEFAULT_PANEL))
DOC = Document(title="Plan [bold]x[/bold] :smile:", source="plan.md", text="We will ship it.")


def drawn(view: TerminalView) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(view)
    return console.export_text()


def test_the_clock_moves_without_events_and_a_retry_is_shown_counting_down() -> None:
    console = Console(width=120, record=True, force_terminal=False)
    view = TerminalView(console, show_turns=False)
    skeptic = PANEL[0]

    async def feed() -> None:
        await view(DebateStarted(DOC, PANEL, 1))
        view.stop()  # drawn by hand below, not by the live thread
        await view(TurnStarted(skeptic, 0))
        await view(Retrying(skeptic, RetryNotice("Anthropic", "rate-limiting", 8.0, 2, 6)))

    asyncio.run(feed())
    assert "Plan [bold]x[/bold] :smile:" in console.export_text(), "the title is printed as typed"
    first = drawn(view)
    assert "Anthropic is rate-limiting: retrying in 8 s (2 of 6)" in first
    assert "0 s" in [line.strip() for line in first.splitlines()]
    view._started -= 5  # five seconds later, with no event in between
    for key, (event, at) in list(view._retry.items()):
        view._retry[key] = (event, at - 5)
    later = drawn(view)
    assert "5 s" in [line.strip() for line in later.splitlines()], later
    assert "retrying in 3 s (2 of 6)" in later

    async def resume() -> None:
        await view(TurnDelta(skeptic, 0, "Here is what I doubt."))

    asyncio.run(resume())
    assert "retrying" not in drawn(view), "once text arrives the retry line is gone"
