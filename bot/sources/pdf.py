"""PDF bytes to a Body, with pypdf.

Text is extracted page by page. When the PDF has an outline (bookmarks: what Word, Google Docs and
LaTeX write for headings), its entries become Markdown headings, so sections follow the document's own
structure. Without one, each page is a section titled "Page N", which is still a useful place to
point a reader to.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, PyPdfError
from pypdf.generic import Destination

from bot.errors import SourceError
from bot.models import Section
from bot.sources.text import Body, normalise

log = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")
_MAX_LEVEL = 6


@dataclass(frozen=True)
class _Heading:
    title: str
    level: int
    page: int


def pdf_body(data: bytes, name: str) -> Body:
    """The text of a PDF, sectioned by its outline if it has one, else by page."""
    reader = _open(data, name)
    pages = [normalise(text) for text in _page_texts(reader)]
    if not any(pages):
        raise SourceError(
            f"{name} has no readable text — is it a scanned PDF? Export it with its text (or run OCR) "
            "and try again."
        )
    headings = _outline(reader)
    if headings:
        return Body(normalise("\n\n".join(_with_headings(pages, headings))))
    return _paged(pages)


def _open(data: bytes, name: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            raise SourceError(f"{name} is password-protected: remove the password and try again.")
        len(reader.pages)  # forces the page tree to be read, where most damage shows up
    except SourceError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; none should reach the user raw
        raise SourceError(f"could not read {name} as a PDF ({exc}): re-export it and try again.") from exc
    return reader


def _decrypt_without_password(reader: PdfReader) -> bool:
    """PDFs with only an owner password (no copying, no printing) open with the empty user password."""
    try:
        return bool(reader.decrypt(""))
    except (DependencyError, PyPdfError, NotImplementedError):
        return False


def _page_texts(reader: PdfReader) -> Iterator[str]:
    for number, page in enumerate(reader.pages, start=1):
        try:
            yield page.extract_text() or ""
        except Exception:  # one damaged page should not cost the rest of the document
            log.warning("could not extract the text of page %d", number, exc_info=True)
            yield ""


def _paged(pages: list[str]) -> Body:
    """Pages joined by blank lines, one section per page that has text."""
    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    for number, text in enumerate(pages, start=1):
        if not text:
            continue
        if parts:
            offset += 2  # the "\n\n" joining this page to the previous one
        sections.append(Section(title=f"Page {number}", level=1, start=offset, end=offset + len(text)))
        parts.append(text)
        offset += len(text)
    return Body("\n\n".join(parts), sections=sections)


def _outline(reader: PdfReader) -> list[_Heading]:
    try:
        return list(_walk_outline(reader, reader.outline, level=1))
    except Exception:  # a broken outline is not worth failing the document for: fall back to pages
        log.warning("could not read the PDF outline", exc_info=True)
        return []


def _walk_outline(reader: PdfReader, items: list[Any], level: int) -> Iterator[_Heading]:
    """pypdf's outline is a list of Destinations, where a nested list holds the previous one's children."""
    for item in items:
        if isinstance(item, list):
            yield from _walk_outline(reader, item, min(level + 1, _MAX_LEVEL))
        elif isinstance(item, Destination):
            title = _SPACES.sub(" ", str(item.title or "")).strip()
            page = reader.get_destination_page_number(item)
            if title and page is not None:
                yield _Heading(title=title, level=level, page=page)


def _with_headings(pages: list[str], headings: list[_Heading]) -> Iterator[str]:
    """Each page's text, with the lines that carry an outline title turned into Markdown headings.

    A title not found on its page (outlines may word it differently) is inserted where it points.
    """
    for index, text in enumerate(pages):
        lines = text.split("\n") if text else []
        cursor = 0
        for heading in (h for h in headings if h.page == index):
            marker = "#" * heading.level
            found = _find_line(lines, heading.title, cursor)
            if found is None:
                lines.insert(cursor, f"{marker} {heading.title}")
                cursor += 1
            else:
                lines[found] = f"{marker} {lines[found].strip()}"
                cursor = found + 1
        if lines:
            yield "\n".join(lines)


def _find_line(lines: list[str], title: str, start: int) -> int | None:
    wanted = _squash(title)
    return next((i for i in range(start, len(lines)) if _squash(lines[i]) == wanted), None)


def _squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()
