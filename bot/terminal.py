"""The live terminal view of a debate: who is thinking, each turn as it lands, then the verdict.

The status table is re-drawn by Rich's refresh (`__rich__`), not only when an event arrives, so its clock
ticks every second and a retry's countdown moves even while the model is silent. Text from the document
(its title) goes in as `Text`, never as markup, so `[bold]` or `:smile:` in a title prints as typed.
"""

from __future__ import annotations

import time
from dataclasses import replace

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text

from bot.debate.progress import (
    CacheWarmed,
    DebateEvent,
    DebateStarted,
    DoorsChecking,
    JudgeStarted,
    Retrying,
    RoundSkipped,
    TurnDelta,
    TurnFinished,
    TurnStarted,
    VerdictReady,
)
from bot.debate.report import rereview_markdown, round_title, usage_line, verdict_markdown
from bot.models import DebateResult, Persona


def _label(persona: Persona) -> str:
    """A persona as Rich markup: its emoji code, its title as typed."""
    return f"{persona.emoji} {escape(persona.title)}"


class TerminalView:
    """An `EventSink` that draws progress with Rich; `show_turns=False` keeps only the status lines."""

    def __init__(self, console: Console, show_turns: bool = True) -> None:
        self.console = console
        self.show_turns = show_turns
        self._status: dict[str, tuple[str, bool]] = {}  # persona name -> (what it is doing, busy)
        self._retry: dict[str, tuple[Retrying, float]] = {}  # persona name -> latest retry, when it came
        self._words: dict[str, int] = {}
        self._spinners: dict[str, Spinner] = {}  # kept, so each spins on instead of restarting every frame
        self._panel: list[Persona] = []
        self._round_shown = -1
        self._started = time.monotonic()
        self._live: Live | None = None

    # --- the event sink ---
    async def __call__(self, event: DebateEvent) -> None:
        match event:
            case DebateStarted(document=doc, panel=panel, rounds=rounds):
                self._panel = panel
                self._started = time.monotonic()
                names = ", ".join(map(_label, panel))
                self.console.print(
                    Text.assemble(
                        ("Reviewing ", "bold"),
                        doc.title,
                        (f" ({len(doc.text):,} characters, {len(doc.sections)} sections)", "dim"),
                    )
                )
                self.console.print(f"[bold]Panel:[/] {names} [dim]· {rounds} rebuttal round(s)[/]")
                self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)
                self._live.start()
            case Retrying(persona=persona):
                self._retry[persona.name if persona else "judge"] = (event, time.monotonic())
            case CacheWarmed():
                self._set("judge", "document cached for the panel", busy=False)
            case TurnStarted(persona=persona, round=round_):
                self._retry.pop(persona.name, None)
                self._words[persona.name] = 0
                self._set(persona.name, f"thinking: {round_title(round_).lower()}", busy=True)
            case TurnDelta(persona=persona, text=text):
                self._retry.pop(persona.name, None)
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
                            Markdown(turn.text),
                            title=_label(persona),
                            title_align="left",
                        )
                    )
            case RoundSkipped(round=round_, reason=reason):
                self.console.print(f"[dim]Skipping rebuttal round {round_}: {reason}.[/]")
            case JudgeStarted():
                self._retry.pop("judge", None)
                self._set("judge", "the judge is writing the verdict", busy=True)
            case DoorsChecking(count=count):
                self._set("judge", f"checking {count} one-way door(s): could each be undone?", busy=True)
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
            self._live.refresh()

    def _retry_line(self, key: str) -> Text | None:
        """The retry under way for `key`, its wait counting down; None once the wait is over."""
        found = self._retry.get(key)
        if found is None:
            return None
        event, at = found
        left = event.notice.wait_s - (time.monotonic() - at)
        if left <= 0:
            return Text(f"{event.notice.service} is {event.notice.problem}: retrying now", style="yellow")
        notice = event.notice
        return Text(replace(notice, wait_s=left).text(), style="yellow")

    def __rich__(self) -> RenderableType:
        """Drawn at every refresh of the live display (four times a second)."""
        table = Table.grid(padding=(0, 1))
        rows = [(_label(p), p.name) for p in self._panel] + [(":scales: Judge", "judge")]
        for label, key in rows:
            status, busy = self._status.get(key, ("waiting", False))
            icon: RenderableType = (
                self._spinners.setdefault(key, Spinner("dots"))
                if busy
                else Text("·" if status == "waiting" else "✓")
            )
            retry = self._retry_line(key)
            shown = retry or Text(status, style="dim" if not busy else "")
            table.add_row(icon, Text.from_markup(label), shown)
        elapsed = Text(f"{time.monotonic() - self._started:.0f} s", style="dim")
        return Group(table, elapsed)


def print_verdict(console: Console, result: DebateResult) -> None:
    """The verdict, or a re-review's findings (`result.rereview`), and the cost."""
    if result.rereview is None:
        console.rule("[bold]Verdict")
        console.print(Markdown("\n".join(verdict_markdown(result.verdict))))
    else:
        console.rule("[bold]Re-review")
        console.print(Markdown("\n".join(rereview_markdown(result, result.rereview))))
    console.print(f"[dim]{usage_line(result.usage)}[/]")
