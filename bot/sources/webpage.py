"""HTML bytes to a Body: the main text as Markdown, with trafilatura.

trafilatura drops the page chrome (navigation, footers, cookie banners, sidebars) and keeps headings,
lists and tables. The title comes from the page's metadata (og:title, <title> and the like).

trafilatura's time grows with the page's elements (about 0.1 ms each) and text, so a page is measured
first, with lxml's event interface (no tree built, stopping at the cap): one of more elements, or more
text, than `_check_size` allows is refused before trafilatura sees it.
"""

from __future__ import annotations

import logging

import trafilatura
from lxml import etree  # type: ignore[import-untyped]  # trafilatura's HTML library

from bot.errors import SourceError
from bot.sources.text import Body, normalise

log = logging.getLogger(__name__)

# Several times the elements of a long article (a long Wikipedia page has 20-40k): about 10 s of trafilatura.
_MAX_ELEMENTS = 100_000
# A page's main text is part of its text: one with this many times the character limit is over it.
_TEXT_PER_LIMIT = 4
_RAW_TEXT = frozenset({"script", "style", "noscript", "template", "textarea"})  # no readable text
_FEED = 1 << 20

# When a page has no main text (an app shell rendered by JavaScript, a login wall), trafilatura falls
# back to whatever text there is, often a menu item or two. Nothing this short is a document to debate.
_MIN_WORDS = 8


def html_body(
    data: bytes, name: str, *, max_chars: int, charset: str | None = None, url: str | None = None
) -> Body:
    """The main text of an HTML page. Without a declared charset, trafilatura detects the encoding."""
    html: str | bytes = data.decode(charset, errors="replace") if charset and _known(charset) else data
    _check_size(html, name, max_chars)
    try:
        markdown = _extract(html, url)
        title = _title(html)
    except Exception as exc:  # trafilatura and lxml raise many types on odd markup
        raise SourceError(
            f"could not read the text of {name} ({exc}): download it and pass the file."
        ) from exc
    if not markdown or len(markdown.split()) < _MIN_WORDS:
        raise SourceError(
            f"{name} has no readable text: it may need JavaScript or a login; "
            "save or export it as a file and pass that."
        )
    return Body(normalise(markdown), title=title)


def _extract(html: str | bytes, url: str | None) -> str | None:
    # Short pages can fall under the default extractor's thresholds: then ask for recall instead.
    return _extract_once(html, url, favor_recall=False) or _extract_once(html, url, favor_recall=True)


def _extract_once(html: str | bytes, url: str | None, *, favor_recall: bool) -> str | None:
    text: str | None = trafilatura.extract(
        html,
        url=url,
        output_format="markdown",
        include_formatting=True,  # needed for the `#` of headings
        include_tables=True,
        include_links=False,
        include_images=False,
        include_comments=False,
        favor_recall=favor_recall,
    )
    return text


def _title(html: str | bytes) -> str | None:
    """The page's title from its metadata; trafilatura falls back to <title> and the first <h1> itself."""
    metadata = trafilatura.extract_metadata(html)
    title = getattr(metadata, "title", None) if metadata is not None else None
    if title and str(title).strip():
        return " ".join(str(title).split())
    tree = trafilatura.load_html(html)
    raw = tree.findtext(".//title") if tree is not None else None
    return " ".join(raw.split()) if raw and raw.strip() else None


def _check_size(html: str | bytes, name: str, max_chars: int) -> None:
    """Refuses a page with more than _MAX_ELEMENTS elements or _TEXT_PER_LIMIT times `max_chars` of text."""
    counter = _Counter(name, max_text=_TEXT_PER_LIMIT * max_chars)
    parser = etree.HTMLParser(target=counter, no_network=True)
    try:
        for start in range(0, len(html), _FEED):
            parser.feed(html[start : start + _FEED])
        parser.close()
    except etree.LxmlError:  # odd markup: trafilatura copes, or says it cannot
        log.debug("could not measure %s", name, exc_info=True)


class _Counter:
    """An lxml parser target that counts elements and readable text, and raises at the caps."""

    def __init__(self, name: str, max_text: int) -> None:
        self.name = name
        self.max_text = max_text
        self.elements = 0
        self.text = 0
        self.raw = 0  # depth inside elements whose text is not read (scripts, styles)

    def start(self, tag: str, _attrib: object) -> None:
        self.elements += 1
        if self.elements > _MAX_ELEMENTS:
            raise SourceError(
                f"{self.name} has more than {_MAX_ELEMENTS:,} HTML elements, more than docdebate reads: "
                "save the part you want as a file (or export its text) and pass that."
            )
        if tag in _RAW_TEXT:
            self.raw += 1

    def end(self, tag: str) -> None:
        if tag in _RAW_TEXT and self.raw:
            self.raw -= 1

    def data(self, text: str) -> None:
        if self.raw:
            return
        self.text += len(text.strip())  # not the indentation between tags
        if self.text > self.max_text:
            raise SourceError(
                f"{self.name} holds more than {self.max_text:,} characters of text, more than docdebate reads "
                "(DOCDEBATE_MAX_DOC_CHARS): save the part you want as a file and pass that."
            )

    def close(self) -> None:
        pass


def _known(charset: str) -> bool:
    try:
        "".encode(charset)
    except LookupError:
        log.info("unknown charset %r: letting trafilatura detect the encoding", charset)
        return False
    return True
