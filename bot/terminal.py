"""The live terminal view of a debate: who is thinking, each turn as it lands, then the verdict."""

from __future__ import annotations

import time

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from bot.debate.events import (
    CacheWarmed,
    DebateEvent,
    DebateStarted,
    JudgeStarted,
    RoundSkipped,
    TurnDelta,
    TurnFinished,
    TurnStarted,
    VerdictReady,
)
from bot.debate.report import attribution, quote_status, round_title, usage_line
from bot.models import DebateResult, Persona, Quote, Verdict


class TerminalView:
    """An `EventSink` that draws progress with Rich; `show_turns=False` keeps only the status lines."""

    def __init__(self, console: Console, show_turns: bool = True) -> None:
        self.console = console
        self.show_turns = show_turns
        self._status: dict[str, tuple[str, bool]] = {}  # persona name -> (what it is doing, busy)
        self._words: dict[str, int] = {}
        self._panel: list[Persona] = []
        self._round_shown = -1
        self._started = time.monotonic()
        self._live: Live | None = None

    # --- the event sink ---
    async def __call__(self, event: DebateEvent) -> None:
        match event:
            case DebateStarted(document=doc, panel=panel, rounds=rounds):
                self._panel = panel
                names = ", ".join(f"{p.emoji} {p.title}" for p in panel)
                self.console.print(
                    f"[bold]Reviewing[/] {escape(doc.title)} [dim]({len(doc.text):,} characters, {len(doc.sections)} "
                    f"sections)[/]\n[bold]Panel:[/] {names} [dim]· {rounds} rebuttal round(s)[/]"
                )
                self._live = Live(self._render(), console=self.console, refresh_per_second=8, transient=True)
                self._live.start()
            case CacheWarmed():
                self._set("judge", "document cached for the panel", busy=False)
            case TurnStarted(persona=persona, round=round_):
                self._words[persona.name] = 0
                self._set(persona.name, f"thinking: {round_title(round_).lower()}", busy=True)
            case TurnDelta(persona=persona, text=text):
                self._words[persona.name] = self._words.get(persona.name, 0) + len(text.split())
                self._set(persona.name, f"writing… {self._words[persona.name]} words", busy=True)
            case TurnFinished(persona=persona, turn=turn):
                self._set(persona.name, f"done: {round_title(turn.round).lower()}", busy=False)
                if self.show_turns:
                    if turn.round != self._round_shown:
                        self._round_shown = turn.round
                        self.console.rule(round_title(turn.round))
                    self.console.print(
                        Panel(
                            Markdown(turn.text), title=f"{persona.emoji} {persona.title}", title_align="left"
                        )
                    )
            case RoundSkipped(round=round_, reason=reason):
                self.console.print(f"[dim]Skipping rebuttal round {round_}: {reason}.[/]")
            case JudgeStarted():
                self._set("judge", "the judge is writing the verdict", busy=True)
            case VerdictReady():
                self.stop()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    # --- drawing ---
    def _set(self, key: str, status: str, busy: bool) -> None:
        self._status[key] = (status, busy)
        if self._live is not None:
            self._live.update(self._render())

    def _render(self) -> RenderableType:
        table = Table.grid(padding=(0, 1))
        rows = [(f"{p.emoji} {p.title}", p.name) for p in self._panel] + [(":scales: Judge", "judge")]
        for label, key in rows:
            status, busy = self._status.get(key, ("waiting", False))
            icon: RenderableType = Spinner("dots") if busy else Text("·" if status == "waiting" else "✓")
            table.add_row(icon, Text.from_markup(label), Text(status, style="dim" if not busy else ""))
        elapsed = Text(f"{time.monotonic() - self._started:.0f} s", style="dim")
        return Group(table, elapsed)


def _quote(quote: Quote) -> str:
    style = "green" if quote.verified else "yellow"
    return f"  [italic]“{escape(quote.text)}”[/] [{style}]({escape(quote_status(quote))})[/]"


def print_verdict(console: Console, verdict: Verdict, result: DebateResult) -> None:
    console.rule("[bold]Verdict")
    console.print(f"[bold]{escape(verdict.headline)}[/]\n")
    console.print(f"[bold red]One-way doors ({len(verdict.one_way_doors)})[/]")
    for i, door in enumerate(verdict.one_way_doors, 1):
        console.print(f"{i}. [bold]{escape(door.decision)}[/] [dim]({escape(attribution(door))})[/]")
        console.print(_quote(door.quote))
        console.print(f"  Hard to reverse: {escape(door.why_hard_to_reverse)}")
        console.print(
            f"  Cost / time to reverse: {escape(door.cost_to_reverse)} / {escape(door.time_to_reverse)}"
        )
        console.print(f"  Blast radius: {escape(door.blast_radius)}")
        console.print(f"  [green]Make it two-way:[/] {escape(door.make_it_two_way)}")
    console.print(f"\n[bold yellow]Assumptions challenged ({len(verdict.assumptions)})[/]")
    for i, item in enumerate(verdict.assumptions, 1):
        console.print(f"{i}. [bold]{escape(item.assumption)}[/] [dim]({escape(attribution(item))})[/]")
        console.print(_quote(item.quote))
        console.print(f"  {escape(item.challenge)}")
    if verdict.disagreements:
        console.print("\n[bold]Where the panel disagrees[/]")
        for d in verdict.disagreements:
            sides = "; ".join(
                f"{escape(s.position)} [dim]({escape(', '.join(s.held_by))})[/]" for s in d.sides
            )
            console.print(f"- [bold]{escape(d.topic)}[/]: {sides}")
    for title, items in (("Open questions", verdict.open_questions), ("Next steps", verdict.next_steps)):
        if items:
            console.print(f"\n[bold]{title}[/]")
            for entry in items:
                console.print(f"- {escape(entry)}")
    console.print(f"\n[dim]{usage_line(result.usage)}[/]")
