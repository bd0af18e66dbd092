"""Shared source helpers: normalisation, decoding, sections from Markdown headings, the final checks."""

from __future__ import annotations

import codecs

import pytest

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Section
from bot.sources.text import Body, decode_text, finish, human_size, markdown_sections, normalise


def spans(text: str) -> list[tuple[str, int, str]]:
    """(title, level, covered text) of each section: easier to read than offsets."""
    return [(s.title, s.level, text[s.start : s.end]) for s in markdown_sections(text)]


# ---- normalise ----


def test_normalise_line_endings_trailing_spaces_and_blank_runs() -> None:
    raw = "\ufeffTitle  \r\nline one\t\r\n\r\n\r\n\r\n\rline two \x00\x07\n\n\n"
    assert normalise(raw) == "Title\nline one\n\nline two"


def test_normalise_keeps_single_blank_lines_and_indentation() -> None:
    text = "a\n\n  - nested\n    code"
    assert normalise(text) == text


def test_normalise_turns_form_feeds_into_paragraph_breaks() -> None:
    assert normalise("page one\fpage two") == "page one\n\npage two"


# ---- sections ----


def test_sections_nest_until_same_or_higher_level() -> None:
    text = "# Plan\nintro\n## Goals\ng\n### Non-goals\nn\n## Risks\nr\n# Appendix\na"
    assert spans(text) == [
        ("Plan", 1, "# Plan\nintro\n## Goals\ng\n### Non-goals\nn\n## Risks\nr\n"),
        ("Goals", 2, "## Goals\ng\n### Non-goals\nn\n"),
        ("Non-goals", 3, "### Non-goals\nn\n"),
        ("Risks", 2, "## Risks\nr\n"),
        ("Appendix", 1, "# Appendix\na"),
    ]


def test_text_before_the_first_heading_belongs_to_no_section() -> None:
    text = "preamble\n\n## Only\nbody"
    assert markdown_sections(text) == [Section(title="Only", level=2, start=10, end=len(text))]


def test_headings_in_fenced_code_are_not_sections() -> None:
    text = "# Real\n```bash\n# a comment\n```\n~~~~\n## also code\n~~~\n~~~~\n## After\nx"
    assert [(t, lvl) for t, lvl, _ in spans(text)] == [("Real", 1), ("After", 2)]


def test_a_fence_closes_only_with_its_own_character_and_length() -> None:
    text = "````\n```\n# inside\n````\n# outside"
    assert [t for t, _, _ in spans(text)] == ["outside"]


def test_an_unclosed_fence_runs_to_the_end() -> None:
    assert [t for t, _, _ in spans("# Before\n  ```\n# after\n## more")] == ["Before"]


def test_a_backtick_in_a_backtick_fences_info_string_makes_it_text() -> None:
    """CommonMark: "```a`b" opens no fence (a tilde fence may have one), so the heading after it counts."""
    assert [t for t, _, _ in spans("```a`b\n# counts")] == ["counts"]
    assert [t for t, _, _ in spans("~~~a`b\n# code")] == []


def test_offsets_count_crlf_line_breaks() -> None:
    text = "intro\r\n# One\r\nx\r\n# Two\r\n"
    assert [(s.title, text[s.start : s.end]) for s in markdown_sections(text)] == [
        ("One", "# One\r\nx\r\n"),
        ("Two", "# Two\r\n"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# Title", [("Title", 1)]),
        ("###### Six", [("Six", 6)]),
        ("####### seven is not a heading", []),
        ("#hashtag", []),
        ("   ## indented up to three", [("indented up to three", 2)]),
        ("    # four spaces is code", []),
        ("\t# a tab is code", []),
        ("> # quoted: lines start with `#` to be headings", []),
        ("## Closing hashes ##", [("Closing hashes", 2)]),
        ("# C#", [("C#", 1)]),
        ("#", []),
        ("text # not at line start", []),
    ],
)
def test_heading_syntax(line: str, expected: list[tuple[str, int]]) -> None:
    assert [(t, lvl) for t, lvl, _ in spans(line)] == expected


# ---- decoding ----


def test_decode_utf8_with_and_without_bom() -> None:
    assert decode_text("café".encode(), "f") == "café"
    assert decode_text(codecs.BOM_UTF8 + "café".encode(), "f") == "café"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_decode_utf16_with_bom(encoding: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    assert decode_text(bom + "# Plan\nnaïve".encode(encoding), "f") == "# Plan\nnaïve"


def test_decode_declared_charset() -> None:
    assert decode_text("café".encode("latin-1"), "f", charset="iso-8859-1") == "café"


def test_binary_data_is_refused() -> None:
    with pytest.raises(SourceError, match="looks like a binary file"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image.txt")


def test_invalid_utf8_is_refused_with_a_fix() -> None:
    with pytest.raises(SourceError, match=r"not valid UTF-8 text .*save it as UTF-8") as info:
        decode_text("café".encode("latin-1"), "notes.txt")
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


# ---- finish ----


def test_finish_takes_the_title_from_the_first_h1() -> None:
    doc = finish(
        Body("## Sub\n\n# The Plan\n\ntext"), source="/d/plan.md", fallback_title="plan", settings=Settings()
    )
    assert doc.title == "The Plan"
    assert [s.title for s in doc.sections] == ["Sub", "The Plan"]


def test_finish_falls_back_to_the_given_title() -> None:
    doc = finish(Body("## Sub\ntext"), source="/d/plan.md", fallback_title="plan", settings=Settings())
    assert doc.title == "plan"


def test_finish_refuses_an_empty_document() -> None:
    with pytest.raises(SourceError, match="the document is empty"):
        finish(Body(""), source="x", fallback_title="x", settings=Settings())


def test_finish_refuses_a_document_over_the_character_limit() -> None:
    settings = Settings(max_doc_chars=10)
    with pytest.raises(SourceError) as info:
        finish(Body("x" * 11), source="x", fallback_title="x", settings=settings)
    assert info.value.message.startswith(
        "the document is 11 characters; the limit is 10 (DOCDEBATE_MAX_DOC_CHARS)"
    )


@pytest.mark.parametrize(
    ("n", "text"),
    [(25_000_000, "25 MB"), (1_500_000, "1.5 MB"), (10_000, "0.01 MB"), (250_000_000, "250 MB")],
)
def test_human_size(n: int, text: str) -> None:
    assert human_size(n) == text


def test_a_document_too_short_to_debate_is_refused_before_any_model_call() -> None:
    settings = Settings(min_doc_words=40)
    with pytest.raises(SourceError, match=r"too short to review \(1 word; a debate needs at least 40\)"):
        finish(Body("x"), source="x.md", fallback_title="x", settings=settings)
    long_enough = " ".join(["word"] * 40)
    assert finish(Body(long_enough), source="x.md", fallback_title="x", settings=settings).text == long_enough
