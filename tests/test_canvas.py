"""The canvas of a debate (`bot.posting.canvas`): every turn under its persona's title and every door in it,
and hostile text inert, read back by a CommonMark parser (markdown-it) as a canvas would render it."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.models import DebateResult, Document, OneWayDoor, Quote, Turn, Usage, Verdict
from bot.posting.canvas import block, canvas_markdown, canvas_title, text
from tests.live_links import Allowed, live_in_text
from tests.test_slack_safety import DOC_LINK, HOSTILE, PANEL, _result

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
HEADINGS = {"Verdict", "Transcript", "One-way doors", "Assumptions challenged", "Where the panel disagrees"}
MORE_HOSTILE = [
    "![](@U999BOSS) ![](#C0FFEE) ![x](https://evil.example/pixel.png) [click](javascript:alert(1))",
    "[ref]\n\n[ref]: https://evil.example/r",
    "line\n---\n\n## a heading\n\n```\nan open fence swallows what follows",
    "\\[escaped](https://evil.example) and \\\\[double](https://evil.example)",
    "<https://evil.example> <b>bold</b> &lt;@U999BOSS&gt; &#60;!channel&#62;",
]


def _tokens(markdown: str) -> list[Token]:
    out: list[Token] = []
    for token in PARSER.parse(markdown):
        out.append(token)
        out += token.children or []
    return out


def _door(n: int) -> OneWayDoor:
    return OneWayDoor(
        decision=f"Drop the batch tables {n}",
        quote=Quote(text=f"The old tables are dropped {n}", verified=True, section="Cutover"),
        why_hard_to_reverse="the data is gone",
        cost_to_reverse=f"three days of restore {n}",
        time_to_reverse="a week",
        blast_radius=f"every invoice {n}",
        make_it_two_way=f"keep a snapshot for 30 days {n}",
        raised_by=["skeptic"],
        endorsed_by=[],
    )


def _benign() -> DebateResult:
    names = [p.name for p in PANEL]
    turns = [
        Turn(persona=n, round=r, text=f"{n} says, round {r}:\n\n- point one\n- **point two**")
        for r in (0, 1)
        for n in names
    ]
    verdict = Verdict(
        headline="Two doors need a rollback plan",
        assumptions=[],
        one_way_doors=[_door(1), _door(2)],
        disagreements=[],
        open_questions=["Who signs off?"],
        next_steps=["Write the rollback runbook"],
    )
    return DebateResult(
        document=Document(title="Heron cutover", source=DOC_LINK, text="x"),
        personas=names,
        depth="standard",
        model="m",
        judge_model="j",
        turns=turns,
        verdict=verdict,
        usage=Usage(calls=7, cost_usd=0.2),
    )


def test_every_turn_under_its_persona_and_every_door_with_its_fields() -> None:
    result = _benign()
    markdown = canvas_markdown(result, PANEL)
    headings = [
        t.content
        for t in _tokens(markdown)
        if t.type == "inline" and t.map and markdown.splitlines()[t.map[0]].startswith("#")
    ]
    for persona in PANEL:
        assert headings.count(f"{persona.title} ({persona.name})") == 2, headings  # opening and rebuttal
    assert "Opening statements" in headings and "Rebuttal, round 1" in headings
    for turn in result.turns:
        assert f"{turn.persona} says, round {turn.round}:" in markdown
    assert markdown.count("- **point two**") == len(result.turns), "a turn's own Markdown is kept"
    for n in (1, 2):
        for field in (
            "Drop the batch tables",
            "The old tables are dropped",
            "three days of restore",
            "every invoice",
        ):
            assert f"{field} {n}" in markdown
        assert f"keep a snapshot for 30 days {n}" in markdown
    assert "time: a week" in markdown and "Who signs off?" in markdown
    links = [t.attrs["href"] for t in _tokens(markdown) if t.type == "link_open"]
    assert links == [DOC_LINK], "the document's own link, and no other"
    assert canvas_title(result) == "Debate: Heron cutover"


@pytest.mark.parametrize("hostile", HOSTILE + MORE_HOSTILE)
def test_hostile_text_in_every_field_is_inert(hostile: str) -> None:
    markdown = canvas_markdown(_result(hostile), PANEL)
    tokens = _tokens(markdown)
    links = [t.attrs.get("href") for t in tokens if t.type == "link_open"]
    assert links == [DOC_LINK], links  # the source line's link to the document, nothing the text made
    assert not [t for t in tokens if t.type in ("image", "html_block", "html_inline", "fence", "code_block")]
    made_headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert made_headings.count("h1") == 2 and len(made_headings) == len(
        [line for line in markdown.splitlines() if line.startswith("#")]
    ), "no heading but the layout's own"
    assert "<" not in markdown and "![" not in markdown, "no markup, mention or image the text made"
    assert markdown.replace("\\](", "").count("](") == 1, "only the document's own link"
    # What a reader sees: `<`, `>` shown as themselves (text, not markup), no URL or name left to auto-link.
    shown = " ".join(t.content for t in tokens if t.type == "text").replace("<", " ").replace(">", " ")
    assert live_in_text(shown, Allowed(links={DOC_LINK})) == []


def test_one_line_fields_stay_on_one_line_and_turns_keep_their_paragraphs() -> None:
    assert text("a\n\n# b\n> c") == "a \\# b &gt; c"
    assert block("intro\n\n# Risks\n\n- one\n---\n```") == "intro\n\n**Risks**\n\n- one\n\\---\n\\```"
