"""Running an eval: every case, under every variant, `runs` times, at most `concurrency` debates at once.

Everything that can fail before a model call is checked first (each case's document read, each anchor found
verbatim, each variant's panel known), so a broken case costs nothing. A debate that fails (the model
unavailable) is reported with its case and the eval goes on; the exit code says so at the end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.config import Settings
from bot.debate.personas import load_personas, parse_panel, select_panel
from bot.debate.protocol import Debate
from bot.depth import Depth
from bot.errors import DocdebateError
from bot.evals.cases import Case
from bot.evals.scoring import CaseScore, anchor_spans, score
from bot.llm import LLM
from bot.models import Document, Persona, Verdict
from bot.sources import load_document

# What `--compare` may set, besides `depth` and `personas`: settings of the debate (bot.config.Settings).
SETTING_KEYS = ("model", "judge_model", "judge_blind", "verify_doors", "door_confidence_min", "judge_output")


class VariantError(DocdebateError):
    exit_code = 64  # EX_USAGE


@dataclass(frozen=True)
class Variant:
    """One way of running the debate: a name (as typed), a depth, a panel, and settings on top."""

    name: str
    depth: Depth = Depth.STANDARD
    personas: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def apply(self, base: Settings) -> Settings:
        return base.model_copy(update=self.settings)


def parse_variant(text: str, base: Variant) -> Variant:
    """`depth=deep model=claude-x` on top of `base`: the form `--compare` takes."""
    depth, personas, updates = base.depth, base.personas, dict(base.settings)
    for item in text.split():
        key, sep, value = item.partition("=")
        if not sep or not value:
            raise VariantError(f"--compare {text!r}: {item!r} is not key=value (e.g. depth=deep)")
        if key == "depth":
            try:
                depth = Depth(value)
            except ValueError:
                raise VariantError(
                    f"--compare: depth is one of {', '.join(d.value for d in Depth)}"
                ) from None
        elif key == "personas":
            personas = value
        elif key in SETTING_KEYS:
            updates[key] = _setting(key, value)
        else:
            known = ", ".join(("depth", "personas", *SETTING_KEYS))
            raise VariantError(f"--compare: unknown key {key!r}; known: {known}")
    return Variant(text, depth, personas, updates)


def _setting(key: str, value: str) -> Any:
    annotation: Any = Settings.model_fields[key].annotation
    try:
        return TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        raise VariantError(f"--compare: {key}={value}: {exc.errors()[0]['msg']}") from None


class CaseRun(BaseModel):
    variant: str
    case: str
    run: int
    score: CaseScore | None = None
    verdict: Verdict | None = None
    error: str | None = None


@dataclass(frozen=True)
class _Prepared:
    documents: dict[str, Document]
    panels: dict[str, list[Persona]]


async def prepare(settings: Settings, cases: list[Case], variants: list[Variant]) -> _Prepared:
    """Read every document and check every anchor and panel: all that can fail before money is spent."""
    available = load_personas(settings.personas_dir)
    panels = {v.name: select_panel(available, parse_panel(v.personas)) for v in variants}
    documents: dict[str, Document] = {}
    for case in cases:
        documents[case.name] = await load_document(str(case.document), settings)
        anchor_spans(case, documents[case.name])
    return _Prepared(documents, panels)


async def evaluate(
    settings: Settings,
    cases: list[Case],
    variants: list[Variant],
    runs: int,
    concurrency: int,
    on_done: Callable[[CaseRun], None],
) -> list[CaseRun]:
    prepared = await prepare(settings, cases, variants)
    limit = asyncio.Semaphore(concurrency)
    llms = {v.name: LLM(v.apply(settings)) for v in variants}

    async def one(variant: Variant, case: Case, run: int) -> CaseRun:
        async with limit:
            outcome = await _debate(llms[variant.name], variant, case, run, prepared, settings)
        on_done(outcome)
        return outcome

    try:
        return list(
            await asyncio.gather(*(one(v, c, r) for v in variants for c in cases for r in range(runs)))
        )
    finally:
        for llm in llms.values():
            await llm.close()


async def _debate(
    llm: LLM, variant: Variant, case: Case, run: int, prepared: _Prepared, settings: Settings
) -> CaseRun:
    document = prepared.documents[case.name]
    debate = Debate(
        llm, variant.apply(settings), document, prepared.panels[variant.name], depth=variant.depth
    )
    started = time.perf_counter()
    try:
        result = await debate.run()
    except DocdebateError as exc:
        return CaseRun(variant=variant.name, case=case.name, run=run, error=exc.message)
    scored = score(case, document, result, time.perf_counter() - started)
    return CaseRun(variant=variant.name, case=case.name, run=run, score=scored, verdict=result.verdict)
