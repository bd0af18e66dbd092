"""Quote grounding: tolerant of how models re-type quotes, strict about content."""

import pytest

from bot.debate.grounding import Grounder, ground_verdict, normalize
from bot.debate.personas import DEFAULT_PANEL, load_personas, select_panel
from bot.models import Assumption, Disagreement, Document, OneWayDoor, Quote, Section, Side, Verdict

TEXT = (
    "# Rollout\n"
    "We will **delete the legacy billing tables** thirty days after cut-over.\n"
    "The new service handles 12,000 req/s\u2014based on one load test.\n"
    "## Pricing\n"
    "Customers won\u2019t mind the new \u201cusage-based\u201d plans.\n"
)
PANEL = select_panel(load_personas(), list(DEFAULT_PANEL))
DOC = Document(
    title="Plan",
    source="plan.md",
    text=TEXT,
    sections=[
        Section(title="Rollout", level=1, start=0, end=len(TEXT)),
        Section(title="Pricing", level=2, start=TEXT.index("## Pricing"), end=len(TEXT)),
    ],
)


@pytest.fixture
def grounder() -> Grounder:
    return Grounder(DOC)


@pytest.mark.parametrize(
    "quote",
    [
        "We will delete the legacy billing tables thirty days after cut-over.",  # emphasis markers dropped
        "we will DELETE the legacy   billing\ntables",  # case and whitespace
        'Customers won\'t mind the new "usage-based" plans',  # straight vs typographic quotes
        "\u201cThe new service handles 12,000 req/s - based on one load test.\u201d",  # dash variants, wrapping
        "We will delete the legacy billing tables ... based on one load test",  # elision, in order
        "We will delete the legacy billing tables \u2026 one load test",
    ],
)
def test_typographic_and_spacing_variants_are_found(grounder: Grounder, quote: str) -> None:
    assert grounder.locate(quote) is not None


@pytest.mark.parametrize(
    "quote",
    [
        "We will archive the legacy billing tables thirty days after cut-over.",  # a changed word
        "Customers will love the new plans.",  # invented
        "one load test ... We will delete the legacy billing tables",  # elided parts out of order
        "the new",  # too short to mean anything
        "",
    ],
)
def test_paraphrases_inventions_and_trivial_quotes_fail(grounder: Grounder, quote: str) -> None:
    assert grounder.locate(quote) is None


def test_offset_points_into_the_original_text(grounder: Grounder) -> None:
    offset = grounder.locate("Customers won't mind the new")
    assert offset == TEXT.index("Customers")


def test_normalize_maps_every_character_back() -> None:
    text, offsets = normalize("A\u00a0 *b*\u2014c \u201cd\u201d")
    assert text == "ab-cd"
    assert offsets == [0, 4, 6, 7, 10]


def _verdict(*quotes: str) -> Verdict:
    door = OneWayDoor(
        decision="d",
        quote=Quote(text=quotes[0]),
        why_hard_to_reverse="w",
        cost_to_reverse="c",
        time_to_reverse="t",
        blast_radius="b",
        make_it_two_way="m",
        raised_by=["skeptic"],
        endorsed_by=[],
    )
    assumption = Assumption(
        assumption="a",
        quote=Quote(text=quotes[1]),
        challenge="c",
        raised_by=["exec"],
        endorsed_by=["skeptic"],
    )
    return Verdict(
        headline="h",
        assumptions=[assumption],
        one_way_doors=[door],
        disagreements=[],
        open_questions=[],
        next_steps=[],
    )


def test_ground_verdict_marks_each_quote_and_finds_its_section() -> None:
    grounded = ground_verdict(
        _verdict("Customers won\u2019t mind the new usage-based plans", "All users love it."), DOC, PANEL
    )
    door_quote, assumption_quote = grounded.one_way_doors[0].quote, grounded.assumptions[0].quote
    assert door_quote.verified and door_quote.section == "Pricing"
    assert not assumption_quote.verified and assumption_quote.section is None


def test_verified_flag_from_the_model_is_never_trusted() -> None:
    verdict = _verdict("An invented sentence the model claims.", "Another invented one here.")
    verdict.one_way_doors[0].quote.verified = True
    assert not ground_verdict(verdict, DOC, PANEL).one_way_doors[0].quote.verified


def test_attributions_keep_only_panel_members_by_name() -> None:
    verdict = _verdict("We will delete the legacy billing tables", "Customers won't mind the new plans")
    door = verdict.one_way_doors[0]
    door.raised_by = ["The Skeptic", "one-way doors", "@engineer"]
    door.endorsed_by = ["skeptic", "Exec", "Marcus"]
    verdict.disagreements = [Disagreement(topic="t", sides=[Side(position="p", held_by=["exec", "Finance"])])]
    grounded = ground_verdict(verdict, DOC, PANEL)
    assert grounded.one_way_doors[0].raised_by == ["skeptic", "engineer"]
    assert grounded.one_way_doors[0].endorsed_by == ["exec"]  # a raiser is not also an endorser
    assert grounded.disagreements[0].sides[0].held_by == ["exec"]
