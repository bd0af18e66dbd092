"""Shared helpers: text decoding and normalisation, sections from Markdown headings, the final checks.

Every converter (plain text, PDF, Word, web page) produces a `Body`: normalised Markdown-flavoured text
and, when the format has its own notion of structure (PDF pages), the sections. `finish` turns a body
into a `Document` after the checks every source shares (empty, too long).
"""

from __future__ import annotations

import codecs
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document, Section

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

# Line breaks as markdown-it counts them, so its line numbers map back to offsets in the text.
_LINE_BREAK = re.compile(r"\r\n?|\n")
_BLANK_RUN = re.compile(r"\n{3,}")
_TRAILING_SPACE = " \t\u00a0"
# C0 controls other than tab and newline, and DEL: noise from PDF extraction and binary junk.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Body:
    """Normalised text; its sections and title when the converter knows better than the Markdown headings.

    `sections=None` means: take them from the Markdown headings, and the title from the first `# `.
    """

    text: str
    sections: list[Section] | None = field(default=None)
    title: str | None = None


def normalise(text: str) -> str:
    """CRLF and CR to LF, no trailing spaces, no control characters, at most one blank line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = _CONTROL.sub("", text.replace("\f", "\n\n").replace("\v", "\n"))
    text = "\n".join(line.rstrip(_TRAILING_SPACE) for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n", text).strip("\n")


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces, if the data starts with one."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def looks_binary(data: bytes) -> bool:
    """A NUL byte early on: text files never have one (UTF-16 is caught by its BOM before this)."""
    return b"\x00" in data[:_SNIFF_BYTES]


def decode_text(data: bytes, name: str, charset: str | None = None) -> str:
    """Bytes of a text document as str: a BOM wins, then the declared charset, then UTF-8.

    Raises SourceError for binary data and for text that is not in the encoding it claims.
    """
    encoding = bom_encoding(data)
    if encoding is None:
        if looks_binary(data):
            raise SourceError(
                f"{name} looks like a binary file, not text: give a .md, .txt, .pdf or .docx file."
            )
        encoding = charset or "utf-8"
    try:
        return data.decode(encoding)
    except LookupError:
        return decode_text(data, name)  # an unknown declared charset: try UTF-8
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{name} is not valid {encoding.upper()} text (bad byte at offset {exc.start}): "
            "save it as UTF-8 and try again."
        ) from exc


def is_text(data: bytes) -> bool:
    """Whether the bytes decode as text (a BOM'd encoding, or UTF-8 with no NUL bytes)."""
    try:
        decode_text(data, "data")
    except SourceError:
        return False
    return True


def markdown_sections(text: str) -> list[Section]:
    """Sections from ATX headings outside code blocks (markdown-it, CommonMark's rules for both).

    Each section runs from its heading line to the next heading of the same or a higher level (fewer
    `#`), or to the end of the text, so sections nest.
    """
    sections: list[Section] = []
    open_sections: list[tuple[int, int, str]] = []  # (start, level, title), levels increasing
    for start, level, title in _headings(text):
        while open_sections and open_sections[-1][1] >= level:
            sections.append(_closed(open_sections.pop(), start))
        open_sections.append((start, level, title))
    sections.extend(_closed(heading, len(text)) for heading in reversed(open_sections))
    return sorted(sections, key=lambda s: s.start)


def _closed(heading: tuple[int, int, str], end: int) -> Section:
    start, level, title = heading
    return Section(title=title, level=level, start=start, end=end)


@functools.cache
def _heading_parser() -> MarkdownIt:
    """Only the block rules that decide what is a heading: ATX headings, and the fenced and indented code
    that hides them. Setext (underlined) headings are left out on purpose: in plain text a line followed by
    `---` is as often a separator as a heading; lists, quotes and HTML blocks are left out so that a `#`
    line counts as a heading wherever it starts a line. No inline parsing: the title is the heading's raw
    text. Imported on first use, as it adds ~20 ms to importing this module."""
    from markdown_it import MarkdownIt

    return MarkdownIt("zero").enable(["heading", "fence", "code"]).disable(["inline", "text_join"])


def _headings(text: str) -> Iterator[tuple[int, int, str]]:
    """(offset, level, title) of every ATX heading that has a title, outside code."""
    line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
    tokens = _heading_parser().parse(text)
    for opening, inline in itertools.pairwise(tokens):
        if opening.type == "heading_open" and opening.map and inline.content:
            yield line_starts[opening.map[0]], len(opening.markup), inline.content


def first_title(sections: list[Section]) -> str | None:
    """The first level-1 heading, which by convention is the document's title."""
    return next((s.title for s in sections if s.level == 1), None)


def finish(body: Body, *, source: str, fallback_title: str, settings: Settings) -> Document:
    """The checks every source shares (empty, too short to debate, too long), then the Document.

    The title is the body's own, else the first `# ` heading of the Markdown, else `fallback_title` (file
    stem, page title).
    """
    if not body.text.strip():
        raise SourceError(f"the document is empty: {source} has no text to debate.")
    words = len(body.text.split())
    if words < settings.min_doc_words:
        raise SourceError(
            f"the document is too short to review ({words} word{'s' if words != 1 else ''}; a debate needs at "
            f"least {settings.min_doc_words}): link the full doc, not a stub or a title"
        )
    if len(body.text) > settings.max_doc_chars:
        raise SourceError(
            f"the document is {len(body.text):,} characters; the limit is {settings.max_doc_chars:,} "
            "(DOCDEBATE_MAX_DOC_CHARS): split it or raise the limit."
        )
    if body.sections is None:
        sections = markdown_sections(body.text)
        title = body.title or first_title(sections)
    else:
        sections, title = body.sections, body.title
    title = title or fallback_title.strip() or source
    return Document(title=title, source=source, text=body.text, sections=sections)


def markdown_body(text: str) -> Body:
    """A Markdown or plain-text document: normalised, sections from its headings (computed in `finish`)."""
    return Body(normalise(text))


def human_size(n_bytes: int) -> str:
    """Bytes as megabytes for messages: 25 MB, 1.5 MB, 0.01 MB."""
    megabytes = n_bytes / 1_000_000
    return f"{megabytes:.0f} MB" if megabytes >= 100 else f"{megabytes:.3g} MB"
