"""The live terminal view: it re-draws itself (the clock moves while the model is silent) and shows retries;
the verdict says who raised each finding."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel
from bot.debate.progress import DebateStarted, Retrying, TurnDelta, TurnFinished, TurnStarted
from bot.models import DebateResult, Document, Turn, Usage, Verdict
from bot.retries.model import RetryNotice
from bot.terminal import TerminalView, print_verdict

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


def test_a_persona_title_is_shown_as_typed_in_the_panel_the_status_table_and_its_turn() -> None:
    console = Console(width=120, record=True, file=io.StringIO())
    view = TerminalView(console)
    persona = PANEL[0].model_copy(update={"title": "Risk [red]desk[/red]"})

    async def feed() -> None:
        await view(DebateStarted(DOC, [persona], 1))
        view.stop()
        await view(TurnFinished(persona, Turn(persona=persona.name, round=0, text="I doubt it.")))

    asyncio.run(feed())
    assert console.export_text().count("Risk [red]desk[/red]") == 2, "the panel line and the turn's title"
    assert "Risk [red]desk[/red]" in drawn(view)


def test_the_verdict_says_who_raised_and_endorsed_each_finding_and_the_judge_when_no_one_did() -> None:
    finding = {
        "quote": {"text": "We will ship it."},
        "raised_by": ["skeptic"],
        "endorsed_by": ["exec", "legal"],
    }
    door = {
        **finding,
        "decision": "Ship it",
        **dict.fromkeys(
            ["why_hard_to_reverse", "cost_to_reverse", "time_to_reverse", "blast_radius", "make_it_two_way"],
            "x",
        ),
    }
    verdict = Verdict(
        headline="h",
        assumptions=[{**finding, "assumption": "Users want it", "challenge": "ask", "raised_by": []}],
        one_way_doors=[door],
        disagreements=[],
        open_questions=[],
        next_steps=[],
    )
    result = DebateResult(
        document=DOC,
        personas=[],
        depth="quick",
        model="m",
        judge_model="m",
        turns=[],
        verdict=verdict,
        usage=Usage(),
    )
    console = Console(width=200, record=True, file=io.StringIO())
    print_verdict(console, result)
    text = console.export_text()
    assert "Ship it (raised by skeptic; endorsed by exec, legal)" in text
    assert "Users want it (raised by the judge; endorsed by exec, legal)" in text
