"""Rendering the Jinja2 templates in `prompts/` into the prompts of a debate.

The layout is what makes caching work (see `bot.llm`): the rules and the document form the first system
block, identical for every call of the debate; the persona or judge role is the second system block; the
task and the transcript so far are the user message. The ledger entries that bear on the document (the
panel's memory, `bot.debate.memory`) open the user message of the openings, rebuttals and the judge: in
the uncached tail, as data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

import jinja2
from pydantic import BaseModel

from bot.debate.blinding import Blinding
from bot.debate.memory import Related
from bot.depth import Depth
from bot.llm import Prompt
from bot.models import Document, OneWayDoor, Persona, Turn, Verdict
from bot.resources import resource_dir

OPENING_WORDS = {Depth.QUICK: 220, Depth.STANDARD: 320, Depth.DEEP: 420}
REBUTTAL_WORDS = {Depth.QUICK: 180, Depth.STANDARD: 240, Depth.DEEP: 300}
FOLLOW_UP_WORDS = 150
VERIFY_WORDS = 150


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("prompts")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 -- plain text for a model, not HTML; attributes use `| e`
        keep_trailing_newline=False,
    )


def render(template: str, **context: object) -> str:
    return environment().get_template(template).render(**context).strip()


def document_nonce(document: Document) -> str:
    """A tag suffix the document cannot contain unless it contains its own hash; stable, so caching works."""
    return document.sha256[:12]


def cached_system(document: Document) -> str:
    """The rules and the document: the first system block of every call over this document (cached)."""
    return render("debate_rules.md.j2", document=document, nonce=document_nonce(document))


class DebatePrompts:
    """All prompts of one debate over one document."""

    def __init__(
        self,
        document: Document,
        panel: list[Persona],
        focus: str | None,
        depth: Depth,
        memory: Sequence[Related] = (),
    ) -> None:
        self.panel = panel
        self.focus = focus
        self.depth = depth
        self.cached_system = cached_system(document)
        self.nonce = document_nonce(document)
        self.memory = list(memory)

    def _with_memory(self, task: str, judge: bool = False) -> str:
        """The task, after the ledger entries that bear on the document (if any)."""
        if not self.memory:
            return task
        ledger = render("ledger_context.md.j2", entries=self.memory, nonce=self.nonce, judge=judge)
        return f"{ledger}\n\n{task}"

    def _persona(self, persona: Persona) -> str:
        return render("persona.md.j2", persona=persona, panel=self.panel, focus=self.focus)

    def opening(self, persona: Persona) -> Prompt:
        task = self._with_memory(render("opening.md.j2", words=OPENING_WORDS[self.depth]))
        return Prompt(self.cached_system, self._persona(persona), [{"role": "user", "content": task}])

    def rebuttal(self, persona: Persona, round_: int, rounds: int, transcript: list[Turn]) -> Prompt:
        task = render(
            "rebuttal.md.j2",
            round=round_,
            rounds=rounds,
            transcript=transcript,
            words=REBUTTAL_WORDS[self.depth],
        )
        task = self._with_memory(task)
        return Prompt(self.cached_system, self._persona(persona), [{"role": "user", "content": task}])

    def follow_up(self, persona: Persona, question: str, transcript: list[Turn]) -> Prompt:
        task = render("follow_up.md.j2", question=question, transcript=transcript, words=FOLLOW_UP_WORDS)
        return Prompt(self.cached_system, self._persona(persona), [{"role": "user", "content": task}])

    def verify_door(self, persona: Persona, door: OneWayDoor) -> Prompt:
        task = render("verify_door.md.j2", door=door, words=VERIFY_WORDS)
        return Prompt(self.cached_system, self._persona(persona), [{"role": "user", "content": task}])

    def judge(self, transcript: list[Turn], blinding: Blinding | None = None) -> Prompt:
        panel = blinding.panel(self.panel) if blinding else self.panel
        turns = blinding.transcript(transcript, self.panel) if blinding else transcript
        role = render("judge.md.j2", panel=panel, focus=self.focus, blind=blinding is not None)
        task = self._with_memory(render("judge_task.md.j2", panel=panel, transcript=turns), judge=True)
        return Prompt(self.cached_system, role, [{"role": "user", "content": task}])

    @staticmethod
    def judge_in_text(judge: Prompt, output: type[BaseModel] = Verdict) -> Prompt:
        """The judge's prompt asking for its answer (a verdict) as JSON in text; the schema is in the uncached
        tail."""
        schema = json.dumps(output.model_json_schema(), indent=1)
        return judge.then(render("judge_text.md.j2", schema=schema))

    @staticmethod
    def judge_repair(answer: str, error: str) -> str:
        """What follows `judge_in_text` when its answer did not validate."""
        return render("judge_text_repair.md.j2", answer=answer, error=error)
