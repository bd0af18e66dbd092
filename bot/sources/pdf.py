"""PDF bytes to a Body, with pypdf.

Text is extracted page by page. When the PDF has an outline (bookmarks: what Word, Google Docs and
LaTeX write for headings), its entries become Markdown headings, so sections follow the document's own
structure. Without one, each page is a section titled "Page N", which is still a useful place to
point a reader to.

A few bytes of PDF can ask for a lot of work: a page tree can name one page a million times, and pages
can share one large content stream. So the pages are counted before pypdf lists them, a page object (or a
content stream with the same resources) is read once however many times it appears, and extraction stops
once the text passes the character limit.
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
from bot.sources.bounded import CharBudget
from bot.sources.text import Body, normalise

log = logging.getLogger(__name__)

_SPACES = re.compile(r"\s+")
_MAX_LEVEL = 6
# Far more than a document within the character limit has (600k characters is ~200 dense pages), and
# cheap to list and extract (~1 ms a page when pages are light).
_MAX_PAGES = 10_000
_NODES_PER_PAGE = 2  # page-tree nodes walked per page at most: intermediate nodes, and no cycles


@dataclass(frozen=True)
class _Heading:
    title: str
    level: int
    page: int


def pdf_body(data: bytes, name: str, *, max_chars: int) -> Body:
    """The text of a PDF, sectioned by its outline if it has one, else by page. Past `max_chars` of text
    the document is refused without reading the rest."""
    reader = _open(data, name)
    pages = list(_page_texts(reader, CharBudget(max_chars)))
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
        _count_pages(reader, name)
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


def _count_pages(reader: PdfReader, name: str) -> None:
    """Refuses a page tree of more than _MAX_PAGES pages, counting each repeat of a page as pypdf would
    list it, before pypdf lists them all."""
    if _too_many_pages(reader):
        raise SourceError(
            f"{name} has more than {_MAX_PAGES:,} pages, more than docdebate reads: split it or export the "
            "text."
        )


def _too_many_pages(reader: PdfReader) -> bool:
    """Walks the page tree, stopping at the cap; a tree too damaged to walk is left for pypdf to report."""
    try:
        root: Any = reader.trailer["/Root"].get_object()
        stack: list[Any] = [root["/Pages"].get_object()]
        pages = nodes = 0
        while stack:
            node = stack.pop()
            kids = node.get("/Kids") if hasattr(node, "get") else None
            if kids is None:
                pages += 1
                if pages > _MAX_PAGES:
                    return True
                continue
            kids = kids.get_object()
            nodes += len(kids)
            if nodes > _NODES_PER_PAGE * _MAX_PAGES:  # a tree this wide or this deep, or a cycle
                return True
            stack.extend(kid.get_object() for kid in kids)
    except Exception:  # pypdf raises many types on damaged files
        log.debug("could not walk the page tree", exc_info=True)
    return False


def _page_texts(reader: PdfReader, budget: CharBudget) -> Iterator[str]:
    """Each page's normalised text, stopping once the text passes the budget."""
    seen: dict[tuple[object, ...], str] = {}
    for number, page in enumerate(reader.pages, start=1):
        key = _content_key(page)
        text = seen.get(key) if key is not None else None
        if text is None:
            text = normalise(_extract(page, number))
            if key is not None:
                seen[key] = text
        if text:
            budget.add(len(text) + (2 if budget.used else 0))  # "\n\n" between pages
        yield text


def _content_key(page: Any) -> tuple[object, ...] | None:
    """What a page's text depends on, when pages can share it: the same page object, or the same content
    streams drawn with the same resources and rotation. None: the page is read on its own."""
    reference = page.indirect_reference
    if reference is not None and hasattr(reference, "idnum"):
        return ("page", reference.idnum, reference.generation)
    contents = page.get("/Contents")
    streams = contents if isinstance(contents, list) else [contents]
    if contents is None or not all(hasattr(s, "idnum") for s in streams):
        return None
    resources = page.get("/Resources")
    resources_key = resources.idnum if hasattr(resources, "idnum") else id(resources)
    return ("contents", tuple(s.idnum for s in streams), resources_key, page.get("/Rotate"))


def _extract(page: Any, number: int) -> str:
    try:
        return page.extract_text() or ""
    except Exception:  # one damaged page should not cost the rest of the document
        log.warning("could not extract the text of page %d", number, exc_info=True)
        return ""


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
    by_page: dict[int, list[_Heading]] = {}
    for heading in headings:
        by_page.setdefault(heading.page, []).append(heading)
    for index, text in enumerate(pages):
        lines = text.split("\n") if text else []
        cursor = 0
        for heading in by_page.get(index, []):
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
