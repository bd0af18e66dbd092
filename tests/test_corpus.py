"""The built-in corpus of `docdebate eval`: enough cases, of several kinds and lengths, each one scorable.

Each case is loaded the way `eval` loads it (the document through `review`'s reader), so an anchor that is
not verbatim in what the panel will read fails here, not in a paid run.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings
from bot.evals.cases import Case, builtin_corpus, load_cases
from bot.evals.scoring import anchor_spans
from bot.sources import load_document

CASES = load_cases(builtin_corpus())


def test_the_corpus_has_two_dozen_cases_and_six_controls() -> None:
    assert len(CASES) >= 24
    assert sum(case.control for case in CASES) >= 6
    assert all(case.labels.one_way_doors for case in CASES if not case.name.startswith("control-"))


def test_the_corpus_spans_lengths_up_to_about_forty_thousand_tokens() -> None:
    words = sorted(len(case.document.read_text().split()) for case in CASES)
    assert words[0] < 1500, "short documents"
    assert any(5000 < w < 15000 for w in words), "long documents"
    assert 20000 < words[-1] < 32000, "one of about 40k tokens"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_anchor_is_verbatim_once_in_what_the_panel_reads(case: Case) -> None:
    document = asyncio.run(load_document(str(case.document), Settings()))
    spans = anchor_spans(case, document)  # raises for an anchor not found
    raw = case.document.read_text()
    labels = case.labels
    for item in [*labels.one_way_doors, *labels.weak_assumptions, *labels.two_way_doors]:
        assert raw.count(item.anchor) == 1, item.anchor
        assert 4 <= len(item.anchor.split()) <= 25, item.anchor
    assert len(set(spans.values())) == len(spans), "no two labels on the same text"
