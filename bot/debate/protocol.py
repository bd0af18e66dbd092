"""The debate protocol (DESIGN.md): blind parallel openings, rebuttal rounds, a structured verdict.

1. Openings: every persona reviews the document alone, all in parallel, after one call has written the
   shared document prefix to the prompt cache.
2. Rebuttals: `depth.rebuttal_rounds` rounds (quick 0, standard 1, deep 2). Each persona reads the debate so
   far and agrees, disputes, withdraws or sharpens. A round in which nobody reports a new disagreement ends
   the debate early: longer debates drift to the majority and lose correct minority views.
3. Judge: one structured-output call returns the `Verdict` (blind: it reads the panel as letters, in a shuffled
   order); its quotes are then checked against the document.
4. Verification (`verify_doors`): each door is argued the other way by a panelist who did not raise it and
   scored; the doubtful ones move to a "probably reversible" list.

The loop (`run`, and `follow_up` for a question after the verdict) is written once. Whoever drives it passes
a `StepRunner`, which runs each unit of work (the cache warm-up, each turn, the judge, the clock): the CLI
awaits it (`plain`); the Slack workflow makes each one a durable step. What the thread shows between steps
(each persona's message, a skipped round) comes from the round events, which the workflow turns into posts.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel

from bot.config import Settings
from bot.debate.blinding import Blinding
from bot.debate.grounding import ground_verdict
from bot.debate.memory import Related, ground_related
from bot.debate.progress import (
    CacheWarmed,
    DebateStarted,
    DoorsChecking,
    EventSink,
    JudgeStarted,
    Retrying,
    RoundFinished,
    RoundSkipped,
    RoundStarted,
    TurnDelta,
    TurnFinished,
    TurnStarted,
    VerdictReady,
    ignore,
)
from bot.debate.prompts import FOLLOW_UP_WORDS, OPENING_WORDS, REBUTTAL_WORDS, VERIFY_WORDS, DebatePrompts
from bot.depth import Depth
from bot.errors import ModelError
from bot.llm import LLM, Prompt
from bot.models import DebateResult, Document, OneWayDoor, Persona, Turn, Usage, Verdict
from bot.retries.model import RetryListener, RetryNotice

JUDGE_MAX_TOKENS = 8000
T = TypeVar("T")
Judged = TypeVar("Judged", bound=BaseModel)


class StepRunner(Protocol):
    """Runs one named unit of a debate and returns its result."""

    async def __call__(self, name: str, call: Callable[[], Awaitable[T]]) -> T: ...


class _Plain:
    """The CLI's runner: just await it."""

    async def __call__(self, name: str, call: Callable[[], Awaitable[T]]) -> T:
        return await call()


plain = _Plain()


async def _now() -> datetime:
    return datetime.now(UTC)


_DISAGREEMENT_LINE = re.compile(r"^[\s>*_`]*NEW_DISAGREEMENTS[\s*_`]*:[\s*_`]*(\d+)[\s*_`.]*$", re.I | re.M)


def split_disagreement_count(text: str) -> tuple[str, int | None]:
    """The turn without its trailing `NEW_DISAGREEMENTS: n` line, and n (None when the model left it out)."""
    matches = list(_DISAGREEMENT_LINE.finditer(text))
    if not matches:
        return text.strip(), None
    last = matches[-1]
    return (text[: last.start()] + text[last.end() :]).strip(), int(last.group(1))


_CONFIDENCE_LINE = re.compile(r"^[\s>*_`]*CONFIDENCE[\s*_`]*:[\s*_`]*(\d{1,3})\s*%?[\s*_`.]*$", re.I | re.M)


def split_confidence(text: str) -> tuple[str, int | None]:
    """The argument without its trailing `CONFIDENCE: n` line, and n within 0-100 (None when left out)."""
    matches = list(_CONFIDENCE_LINE.finditer(text))
    if not matches:
        return text.strip(), None
    last = matches[-1]
    return (text[: last.start()] + text[last.end() :]).strip(), min(100, int(last.group(1)))


class DoorCheck(BaseModel):
    """One door argued the other way by a panelist who did not raise it."""

    persona: str
    argument: str
    confidence: int | None
    usage: Usage


def checker_for(door: OneWayDoor, index: int, panel: list[Persona]) -> Persona:
    """A panelist who did not raise the door, preferring one who did not endorse it either; spread by index."""
    fresh = [p for p in panel if p.name not in door.raised_by and p.name not in door.endorsed_by]
    others = fresh or [p for p in panel if p.name not in door.raised_by] or panel
    return others[index % len(others)]


def max_tokens_for(words: int) -> int:
    """Room for `words` of Markdown prose (about 1.4 tokens a word) and a margin so turns are not cut."""
    return words * 2 + 300


class Debate:
    """One debate over one document by one panel."""

    def __init__(
        self,
        llm: LLM,
        settings: Settings,
        document: Document,
        panel: list[Persona],
        depth: Depth = Depth.STANDARD,
        focus: str | None = None,
        on_event: EventSink = ignore,
        memory: Sequence[Related] = (),
    ) -> None:
        """`memory`: the ledger entries that bear on the document (`bot.debate.memory`), given to the panel."""
        self.llm = llm
        self.settings = settings
        self.document = document
        self.panel = panel
        self.depth = depth
        self.focus = focus.strip() if focus and focus.strip() else None
        self.emit = on_event
        self.memory = list(memory)
        self.prompts = DebatePrompts(document, panel, self.focus, depth, self.memory)

    def _retrying(self, persona: Persona | None) -> RetryListener:
        async def announce(notice: RetryNotice) -> None:
            await self.emit(Retrying(persona, notice))

        return announce

    async def warm(self) -> Usage | None:
        usage = await self.llm.warm(self.settings.model, self.prompts.cached_system, self._retrying(None))
        if usage is not None:
            await self.emit(CacheWarmed(usage))
        return usage

    async def _turn(
        self, persona: Persona, round_: int, prompt: Prompt, words: int, counts_disagreements: bool = True
    ) -> Turn:
        await self.emit(TurnStarted(persona, round_))

        async def forward(chunk: str) -> None:
            await self.emit(TurnDelta(persona, round_, chunk))

        async def restart() -> None:
            await self.emit(TurnStarted(persona, round_))

        raw, usage = await self.llm.stream_text(
            self.settings.model,
            prompt,
            max_tokens_for(words),
            forward,
            on_restart=restart,
            on_retry=self._retrying(persona),
        )
        rebuttal = round_ > 0 and counts_disagreements
        text, new_disagreements = split_disagreement_count(raw) if rebuttal else (raw.strip(), None)
        if not text:
            raise ModelError(f"the {persona.title} returned an empty turn: try again")
        turn = Turn(
            persona=persona.name, round=round_, text=text, usage=usage, new_disagreements=new_disagreements
        )
        await self.emit(TurnFinished(persona, turn))
        return turn

    async def opening(self, persona: Persona) -> Turn:
        return await self._turn(persona, 0, self.prompts.opening(persona), OPENING_WORDS[self.depth])

    async def rebuttal(self, persona: Persona, round_: int, transcript: list[Turn]) -> Turn:
        prompt = self.prompts.rebuttal(persona, round_, self.depth.rebuttal_rounds, transcript)
        return await self._turn(persona, round_, prompt, REBUTTAL_WORDS[self.depth])

    async def answer(self, persona: Persona, round_: int, question: str, transcript: list[Turn]) -> Turn:
        """A brief answer to a follow-up question, with the finished debate as context."""
        prompt = self.prompts.follow_up(persona, question, transcript)
        return await self._turn(persona, round_, prompt, FOLLOW_UP_WORDS, counts_disagreements=False)

    async def judge(self, transcript: list[Turn], seed: int = 0) -> tuple[Verdict, Usage]:
        """The verdict; blind (`settings.judge_blind`): the judge reads letters for names, in an order `seed`
        shuffles, and its names are mapped back here."""
        await self.emit(JudgeStarted())
        blinding = Blinding.shuffled(self.panel, seed) if self.settings.judge_blind else None
        draft, usage = await self.judge_call(self.prompts.judge(transcript, blinding), Verdict)
        verdict = ground_verdict(draft, self.document, self.panel, blinding.aliases() if blinding else None)
        return ground_related(verdict, self.memory), usage

    async def judge_call(self, prompt: Prompt, output: type[Judged]) -> tuple[Judged, Usage]:
        """One structured call of the judge model: native, or JSON asked for in the tail (`judge_output`)."""
        model = self.settings.judge
        if self.settings.judge_output == "text":
            return await self.llm.structured_in_text(
                model,
                self.prompts.judge_in_text(prompt, output),
                JUDGE_MAX_TOKENS,
                output,
                self.prompts.judge_repair,
                self._retrying(None),
            )
        return await self.llm.structured(model, prompt, JUDGE_MAX_TOKENS, output, self._retrying(None))

    async def check_door(self, index: int, door: OneWayDoor) -> DoorCheck:
        persona = checker_for(door, index, self.panel)
        raw, usage = await self.llm.stream_text(
            self.settings.model,
            self.prompts.verify_door(persona, door),
            max_tokens_for(VERIFY_WORDS),
            on_retry=self._retrying(persona),
        )
        argument, confidence = split_confidence(raw)
        return DoorCheck(persona=persona.name, argument=argument, confidence=confidence, usage=usage)

    async def verify(self, verdict: Verdict, steps: StepRunner) -> tuple[Verdict, Usage]:
        """The verification pass (`settings.verify_doors`): each door checked in parallel, one step each; those
        scored below `settings.door_confidence_min` move to `probably_reversible`, never dropped."""
        doors = verdict.one_way_doors
        if not (self.settings.verify_doors and doors):
            return verdict, Usage()
        await self.emit(DoorsChecking(len(doors)))

        def step(index: int, door: OneWayDoor) -> Awaitable[DoorCheck]:
            return steps(f"verify:{index}", lambda: self.check_door(index, door))

        checks = await asyncio.gather(*(step(i, d) for i, d in enumerate(doors)))
        kept: list[OneWayDoor] = []
        doubtful: list[OneWayDoor] = []
        for door, check in zip(doors, checks, strict=True):
            update = {
                "confidence": check.confidence,
                "reversal_case": check.argument,
                "checked_by": check.persona,
            }
            low = check.confidence is not None and check.confidence < self.settings.door_confidence_min
            (doubtful if low else kept).append(door.model_copy(update=update))
        checked = verdict.model_copy(update={"one_way_doors": kept, "probably_reversible": doubtful})
        return checked, sum((c.usage for c in checks), Usage())

    async def _round(
        self, round_: int, turn: Callable[[Persona], Awaitable[Turn]], steps: StepRunner
    ) -> list[Turn]:
        """One round: every persona's turn in parallel, each its own step (named for a durable replay)."""
        await self.emit(RoundStarted(round_, self.panel))

        def step(persona: Persona) -> Awaitable[Turn]:
            return steps(f"turn:{persona.name}:{round_}", lambda: turn(persona))

        turns = list(await asyncio.gather(*(step(p) for p in self.panel)))
        await self.emit(RoundFinished(round_, turns))
        return turns

    async def run(self, steps: StepRunner = plain) -> DebateResult:
        """The whole debate, bounded by `settings.debate_timeout_s`: past it, a ModelError and no verdict."""
        started = await steps("clock", _now)
        rounds = self.depth.rebuttal_rounds
        await self.emit(DebateStarted(self.document, self.panel, rounds))
        try:
            async with asyncio.timeout(self.settings.debate_timeout_s):
                warm_usage = await steps("warm", self.warm) if len(self.panel) > 1 else None
                transcript: list[Turn] = []
                for round_ in range(rounds + 1):
                    turns = await self._round(round_, self._turn_of(round_, transcript), steps)
                    transcript.extend(turns)
                    if round_ and round_ < rounds and not any_new_disagreement(turns):
                        await self.emit(RoundSkipped(round_ + 1, "no new disagreement in the last round"))
                        break
                seed = int(started.timestamp() * 1_000_000)  # a shuffle per debate, the same on a replay
                verdict, judge_usage = await steps("judge", lambda: self.judge(transcript, seed))
                verdict, check_usage = await self.verify(verdict, steps)
                await self.emit(VerdictReady(verdict, judge_usage + check_usage))
        except TimeoutError:
            raise ModelError(
                f"the debate took longer than {self.settings.debate_timeout_s:.0f} s and was stopped before "
                "the verdict: try --depth quick, or try again later"
            ) from None
        usage = sum((t.usage for t in transcript), warm_usage or Usage()) + judge_usage + check_usage
        return DebateResult(
            document=self.document,
            personas=[p.name for p in self.panel],
            depth=self.depth,
            focus=self.focus,
            model=self.settings.model,
            judge_model=self.settings.judge,
            turns=transcript,
            verdict=verdict,
            usage=usage,
            started_at=started,
            finished_at=await steps("clock", _now),
        )

    def _turn_of(self, round_: int, transcript: list[Turn]) -> Callable[[Persona], Awaitable[Turn]]:
        if round_ == 0:
            return self.opening
        return lambda persona: self.rebuttal(persona, round_, transcript)

    async def follow_up(self, question: str, transcript: list[Turn], steps: StepRunner = plain) -> list[Turn]:
        """Every persona's brief answer to a question after the verdict, as one more round."""
        round_ = max((t.round for t in transcript), default=0) + 1
        return await self._round(
            round_, lambda persona: self.answer(persona, round_, question, transcript), steps
        )


def any_new_disagreement(turns: list[Turn]) -> bool:
    """True unless every turn reported zero new disagreements (a missing count counts as disagreement)."""
    return any(t.new_disagreements is None or t.new_disagreements > 0 for t in turns)
