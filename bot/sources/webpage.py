"""HTML bytes to a Body: the main text as Markdown, with trafilatura.

trafilatura drops the page chrome (navigation, footers, cookie banners, sidebars) and keeps headings,
lists and tables. The title comes from the page's metadata (og:title, <title> and the like).
"""

from __future__ import annotations

import logging

import trafilatura

from bot.errors import SourceError
from bot.sources.text import Body, normalise

log = logging.getLogger(__name__)

# When a page has no main text (an app shell rendered by JavaScript, a login wall), trafilatura falls
# back to whatever text there is, often a menu item or two. Nothing this short is a document to debate.
_MIN_WORDS = 8


def html_body(data: bytes, name: str, *, charset: str | None = None, url: str | None = None) -> Body:
    """The main text of an HTML page. Without a declared charset, trafilatura detects the encoding."""
    html: str | bytes = data.decode(charset, errors="replace") if charset and _known(charset) else data
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


def _known(charset: str) -> bool:
    try:
        "".encode(charset)
    except LookupError:
        log.info("unknown charset %r: letting trafilatura detect the encoding", charset)
        return False
    return True
