"""Re-review: the panel looks again at a debated document after its author edited it.

The earlier document stays the first, cached system block, exactly as the debate sent it
(`prompts.cached_system`), so within the cache's lifetime every call reads it from the cache. What is new goes
in the uncached tail, delimited as data: the earlier verdict, the changed and added sections' new text, the
removed sections' headings (`prompts/rereview_context.md.j2`). One short turn per persona, in parallel, then
one structured call: the judge marks each earlier finding resolved, still open or changed, with the quote that
settles it, and adds new findings; every quote is then checked against the document as edited.

`Revisit` is a `Debate` over the earlier document: the same turns, rounds, steps and events, so whoever drives
a debate (the CLI's `plain`, the Slack workflow's durable steps, a thread or terminal view) drives it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from bot.config import Settings
from bot.debate.blinding import Blinding
from bot.debate.changes import Edit
from bot.debate.grounding import Grounder, ground_verdict
from bot.debate.progress import DebateStarted, EventSink, JudgeStarted, VerdictReady, ignore
from bot.debate.prompts import DebatePrompts, document_nonce, render
from bot.debate.protocol import Debate, StepRunner, plain
from bot.debate.report import reviewed_at
from bot.errors import ModelError
from bot.llm import LLM, Prompt
from bot.models import (
    REREVIEW_ROUND,
    Assumption,
    DebateResult,
    Document,
    FindingReview,
    FindingStatus,
    OneWayDoor,
    Persona,
    ReReview,
    ReReviewVerdict,
    Turn,
    Usage,
    Verdict,
)

REREVIEW_WORDS = 180
# The prompt cache keeps an entry five minutes from its last read. A re-review that soon after its debate
# reads the document from the cache; later, one call writes it first, or every parallel turn would.
CACHE_TTL = timedelta(minutes=5)
CACHE_MARGIN = timedelta(seconds=30)
NOT_REEXAMINED = "The judge did not take it up again: it stands as the panel left it."
Finding = TypeVar("Finding", Assumption, OneWayDoor)
Kind = Literal["door", "assumption"]


async def _now() -> datetime:
    return datetime.now(UTC)


class ReReviewPrompts(DebatePrompts):
    """The prompts of a re-review: the earlier document cached, the earlier verdict and the edits after it."""

    def __init__(self, earlier: DebateResult, document: Document, panel: list[Persona], edits: list[Edit]):
        super().__init__(earlier.document, panel, earlier.focus, earlier.depth)
        self.context = {
            "since": f"{reviewed_at(earlier):%Y-%m-%d}",
            "verdict": earlier.verdict,
            "edits": edits,
            "nonce": document_nonce(document),
        }

    def turn(self, persona: Persona) -> Prompt:
        task = render("rereview_turn.md.j2", words=REREVIEW_WORDS, **self.context)
        return Prompt(self.cached_system, self._persona(persona), [{"role": "user", "content": task}])

    def judge_edits(self, turns: list[Turn], blinding: Blinding | None) -> Prompt:
        panel = blinding.panel(self.panel) if blinding else self.panel
        transcript = blinding.transcript(turns, self.panel) if blinding else turns
        role = render("rereview_judge.md.j2", panel=panel, focus=self.focus, blind=blinding is not None)
        task = render("rereview_judge_task.md.j2", panel=panel, transcript=transcript, **self.context)
        return Prompt(self.cached_system, role, [{"role": "user", "content": task}])


def _stated(item: Assumption | OneWayDoor) -> str:
    return item.decision if isinstance(item, OneWayDoor) else item.assumption


def ground_review(
    draft: ReReviewVerdict,
    earlier: Verdict,
    document: Document,
    panel: list[Persona],
    aliases: dict[str, str] | None = None,
) -> ReReviewVerdict:
    """The judge's answer checked against the edited document: one review per earlier finding, in the earlier
    order (the first the judge gave for it; one it left out stands as it was), every quote grounded, the new
    findings grounded and credited as a verdict's are (`ground_verdict`)."""
    grounder = Grounder(document)
    new = ground_verdict(
        Verdict(
            headline=draft.headline,
            assumptions=draft.new_assumptions,
            one_way_doors=draft.new_one_way_doors,
            disagreements=[],
            open_questions=[],
            next_steps=[],
        ),
        document,
        panel,
        aliases,
    )
    given: dict[tuple[str, int], FindingReview] = {}
    for finding in draft.findings:
        given.setdefault((finding.kind, finding.number), finding)
    earlier_findings: list[tuple[Kind, Sequence[Assumption | OneWayDoor]]] = [
        ("door", earlier.one_way_doors),
        ("assumption", earlier.assumptions),
    ]
    reviews: list[FindingReview] = []
    for kind, items in earlier_findings:
        for number, item in enumerate(items, 1):
            judged = given.get((kind, number)) or FindingReview(
                kind=kind,
                number=number,
                status=FindingStatus.STILL_OPEN,
                quote=item.quote,
                reason=NOT_REEXAMINED,
            )
            update = {"quote": grounder.ground(judged.quote), "finding": _stated(item)}
            reviews.append(judged.model_copy(update=update))
    return ReReviewVerdict(
        headline=draft.headline,
        findings=reviews,
        new_one_way_doors=new.one_way_doors,
        new_assumptions=new.assumptions,
    )


def current_state(earlier: Verdict, review: ReReviewVerdict, document: Document) -> Verdict:
    """The verdict as it stands after the re-review: the earlier findings not resolved (a changed one with the
    quote that shows its new form, when that quote is verified), then the new ones; the rest as it was."""
    grounder = Grounder(document)
    status = {(f.kind, f.number): f for f in review.findings}

    def kept(kind: Kind, items: list[Finding]) -> list[Finding]:
        out: list[Finding] = []
        for number, item in enumerate(items, 1):
            found = status[(kind, number)]
            if found.status is FindingStatus.RESOLVED:
                continue
            changed = found.status is FindingStatus.CHANGED and found.quote.verified
            out.append(
                item.model_copy(update={"quote": found.quote if changed else grounder.ground(item.quote)})
            )
        return out

    return earlier.model_copy(
        update={
            "headline": review.headline,
            "one_way_doors": kept("door", earlier.one_way_doors) + review.new_one_way_doors,
            "assumptions": kept("assumption", earlier.assumptions) + review.new_assumptions,
        }
    )


class Revisit(Debate):
    """One re-review: `earlier` (a debate's result, or a re-review's) of the document now read as `document`,
    whose `edits` (`bot.debate.changes.edits`, not empty) the panel looks at."""

    def __init__(
        self,
        llm: LLM,
        settings: Settings,
        earlier: DebateResult,
        document: Document,
        panel: list[Persona],
        edits: list[Edit],
        on_event: EventSink = ignore,
    ) -> None:
        super().__init__(llm, settings, earlier.document, panel, earlier.depth, earlier.focus, on_event)
        self.earlier, self.edited, self.edits = earlier, document, edits
        self.prompts = self.edit_prompts = ReReviewPrompts(earlier, document, panel, edits)

    def cache_may_be_cold(self, now: datetime) -> bool:
        """Whether to write the cache before the fan-out: unless the earlier debate finished moments ago. A
        re-review's own result holds the document it read, which it did not cache (it sent the one before)."""
        if self.earlier.rereview is not None or self.earlier.finished_at is None:
            return True
        return now - self.earlier.finished_at > CACHE_TTL - CACHE_MARGIN

    async def look_again(self, persona: Persona) -> Turn:
        prompt = self.edit_prompts.turn(persona)
        return await self._turn(persona, REREVIEW_ROUND, prompt, REREVIEW_WORDS, counts_disagreements=False)

    async def judge_edits(self, turns: list[Turn], seed: int = 0) -> tuple[ReReviewVerdict, Usage]:
        """The re-review verdict, blind like the debate's judge (`Debate.judge`), grounded in the edited doc."""
        await self.emit(JudgeStarted())
        blinding = Blinding.shuffled(self.panel, seed) if self.settings.judge_blind else None
        draft, usage = await self.judge_call(self.edit_prompts.judge_edits(turns, blinding), ReReviewVerdict)
        aliases = blinding.aliases() if blinding else None
        return ground_review(draft, self.earlier.verdict, self.edited, self.panel, aliases), usage

    async def run(self, steps: StepRunner = plain) -> DebateResult:
        """The re-review, bounded by `settings.debate_timeout_s`: the current state as a `DebateResult` whose
        `rereview` says what changed and how each earlier finding stands."""
        started = await steps("clock", _now)
        await self.emit(DebateStarted(self.edited, self.panel, 0, first_round=REREVIEW_ROUND))
        try:
            async with asyncio.timeout(self.settings.debate_timeout_s):
                cold = len(self.panel) > 1 and self.cache_may_be_cold(started)
                warm_usage = await steps("warm", self.warm) if cold else None
                turns = await self._round(REREVIEW_ROUND, self.look_again, steps)
                seed = int(started.timestamp() * 1_000_000)
                review, judge_usage = await steps("judge", lambda: self.judge_edits(turns, seed))
        except TimeoutError:
            raise ModelError(
                f"the re-review took longer than {self.settings.debate_timeout_s:.0f} s and was stopped: "
                "try again later"
            ) from None
        verdict = current_state(self.earlier.verdict, review, self.edited)
        await self.emit(VerdictReady(verdict, judge_usage))
        rereview = ReReview(
            **review.model_dump(),
            since=reviewed_at(self.earlier),
            earlier_sha256=self.earlier.document.sha256,
            changes=[edit.record() for edit in self.edits],
            turns=turns,
        )
        return DebateResult(
            document=self.edited,
            personas=[p.name for p in self.panel],
            depth=self.depth,
            focus=self.focus,
            model=self.settings.model,
            judge_model=self.settings.judge,
            turns=self.earlier.turns,
            verdict=verdict,
            usage=sum((t.usage for t in turns), warm_usage or Usage()) + judge_usage,
            started_at=started,
            finished_at=await steps("clock", _now),
            rereview=rereview,
        )
