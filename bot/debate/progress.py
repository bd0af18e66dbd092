"""Progress events a debate emits, for the terminal view and the Slack thread to show as they happen.

Round events are emitted between steps, where a durable workflow may post; turn events are emitted inside a
turn's own step, as the model writes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.models import Document, Persona, Turn, Usage, Verdict
from bot.retries.model import RetryNotice


@dataclass(frozen=True)
class DebateStarted:
    """`rounds` rebuttal rounds after the first, numbered from `first_round` (a re-review's one round is
    `REREVIEW_ROUND`)."""

    document: Document
    panel: list[Persona]
    rounds: int
    first_round: int = 0

    @property
    def round_numbers(self) -> range:
        return range(self.first_round, self.first_round + self.rounds + 1)


@dataclass(frozen=True)
class CacheWarmed:
    usage: Usage


@dataclass(frozen=True)
class RoundStarted:
    round: int
    panel: list[Persona]


@dataclass(frozen=True)
class RoundFinished:
    round: int
    turns: list[Turn]


@dataclass(frozen=True)
class TurnStarted:
    persona: Persona
    round: int


@dataclass(frozen=True)
class TurnDelta:
    persona: Persona
    round: int
    text: str


@dataclass(frozen=True)
class TurnFinished:
    persona: Persona
    turn: Turn


@dataclass(frozen=True)
class Retrying:
    """A model call failed in a way a retry can fix, and will be tried again after `notice.wait_s`.
    `persona` None: the call is the cache warm-up or the judge's."""

    persona: Persona | None
    notice: RetryNotice


@dataclass(frozen=True)
class RoundSkipped:
    round: int
    reason: str


@dataclass(frozen=True)
class JudgeStarted:
    pass


@dataclass(frozen=True)
class DoorsChecking:
    """The verification pass started: each candidate door is argued the other way."""

    count: int


@dataclass(frozen=True)
class VerdictReady:
    verdict: Verdict
    usage: Usage


DebateEvent = (
    DebateStarted
    | CacheWarmed
    | RoundStarted
    | RoundFinished
    | TurnStarted
    | TurnDelta
    | TurnFinished
    | Retrying
    | RoundSkipped
    | JudgeStarted
    | DoorsChecking
    | VerdictReady
)
EventSink = Callable[[DebateEvent], Awaitable[None]]


async def ignore(_event: DebateEvent) -> None:
    """The sink used when nobody listens."""
