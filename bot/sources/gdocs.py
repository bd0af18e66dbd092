"""A Google Docs API v1 `documents.get` response to Markdown-flavoured text (pure: no network).

`gdoc_body(doc)` returns a `Body` for the caller to `finish` into a `Document` (its title is the API's
`title`; sections come from the Markdown headings, as for every other source). `document_to_markdown(doc)`
is the same text alone.

Both shapes of the response are read: the legacy one (`body`, with `lists`, `footnotes`, `inlineObjects`
and `positionedObjects` at the top level) and the tabs one (`includeTabsContent=true`: `tabs[].documentTab`
holds each tab's body and maps; child tabs in `childTabs`). Every tab is rendered, in order, children right
after their parent. When the document has more than one tab (children included), each tab becomes a
heading, `#` for top-level tabs, `##` for their children and so on, and the tab's own headings are shifted
below it.

Heading mapping (levels capped at 6):
- TITLE -> `#`.
- HEADING_n -> n `#`s, one more when the tab has a TITLE paragraph, so the title stays on top.
- SUBTITLE -> a line of `_emphasis_` under the title, not a heading: it names no section.
- Under a tab heading everything moves down by the tab's depth (1 for top-level tabs, 2 for children).
- A heading that is a numbered list item keeps its number (`## 2. Rollout`).

Everything else:
- Lists: `- ` for unordered levels, `1.`, `2.` for ordered ones (any numbering glyph: decimal, letters and
  Roman numerals alike, as Markdown has only numbers). Counters live per list and level: they continue
  across the ordinary paragraphs that interrupt a list, and a level restarts after an item of a shallower
  level. Items are indented 3 spaces per nesting level, as the document has them.
- Text runs keep their text; `link.url` -> `[text](url)` (links to headings, bookmarks and tabs are plain
  text); bold `**`, italic `_`, strikethrough `~~` (struck-out items in plans mean "dropped", which a
  reviewer should know), only around non-blank text and with the spaces outside the markers. A soft line
  break (U+000B) is a newline; private-use characters (U+E000-U+F8FF: Google's placeholders) are removed.
- Code: paragraphs wrapped in U+E907 markers (Docs' code block) become one fenced block. Runs set in a
  monospace font are code too: whole paragraphs (consecutive ones merged) as a fenced block, runs inside
  a sentence as `code`, unless most of the tab is monospace, when the font tells nothing.
- Tables: Markdown tables, the first row as the header, short rows padded, each cell on one line (`<br>`
  between its paragraphs, `|` escaped). A 1x1 table is a box around text (a callout, a code box), so its
  content is rendered as ordinary paragraphs; in a cell, a table becomes `a; b` lines and code `code`.
- Footnotes: `[^N]` where referenced, and `[^N]: text` lines at the end of the tab; N counts through the
  whole document so labels stay unique across tabs.
- Chips: a person is its name (else email), a rich link `[title](uri)`, a date its displayed text, a
  dropdown its displayed value; an equation is `[equation]`, a horizontal rule `---`. Auto text (page
  numbers), page, column and section breaks, and tables of contents (they repeat the headings) give nothing.
- Images, drawings and charts (inline or positioned) are `[image: title: description]` placeholders. Their
  `contentUri` and `sourceUri` are never read: they are short-lived URLs that carry the reader's access.
- Suggestions: the caller asks for `PREVIEW_WITHOUT_SUGGESTIONS`, in which the API returns no suggestion
  marks. Should a response carry them anyway (`SUGGESTIONS_INLINE`), the result is the same view:
  suggested insertions are left out, text suggested for deletion stays (it is still in the document).
- Headers, footers and comments are not part of the text. Empty paragraphs collapse, and the result is
  normalised like every other source's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from bot.sources.tables import markdown_table
from bot.sources.text import Body, normalise

__all__ = ["document_to_markdown", "gdoc_body"]

Json = Mapping[str, Any]

CODE_MARK = "\ue907"
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_MAX_LEVEL = 6
_LIST_INDENT = "   "
_MAX_LIST_LEVEL = 8  # Docs lists have nine levels, 0 to 8
_HEADINGS = {f"HEADING_{n}": n for n in range(1, 7)}
_ORDERED = frozenset({"DECIMAL", "ZERO_DECIMAL", "UPPER_ALPHA", "ALPHA", "UPPER_ROMAN", "ROMAN"})
_DECIMAL = frozenset({"DECIMAL", "ZERO_DECIMAL"})
# Monospace families offered in Docs' font menu whose names do not say "Mono".
_MONO_FAMILIES = frozenset(
    {
        "anonymous pro",
        "consolas",
        "courier",
        "courier new",
        "courier prime",
        "cousine",
        "fira code",
        "inconsolata",
        "lekton",
        "menlo",
        "monaco",
        "nanum gothic coding",
        "source code pro",
        "vt323",
    }
)
_MONO_NAME = re.compile(r"\bmono\b", re.IGNORECASE)
# Tabs where more than this share of the text paragraphs is monospace: the font is the house style.
_MONO_HOUSE_STYLE = 0.75
# Lines that Markdown would read as a heading or a code fence, which plain text must not become.
_LINE_START = re.compile(r"^( {0,3})(?=#{1,6}(?:[ \t]|$)|`{3}|~{3})", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")
_EDGES = re.compile(r"(\s*)(.*?)(\s*)", re.DOTALL)
_URL_UNSAFE = {" ": "%20", "(": "%28", ")": "%29", "<": "%3C", ">": "%3E"}


def document_to_markdown(doc: Json) -> str:
    """The document's text as normalised Markdown."""
    return normalise(_Converter().document(doc))


def gdoc_body(doc: Json) -> Body:
    """The document as a Body: the Markdown text, and the API's title (sections come from the headings)."""
    title = " ".join(_str(doc, "title").split())
    return Body(document_to_markdown(doc), title=title or None)


# ---- reading the JSON defensively: a field of the wrong type counts as missing ----


def _obj(value: Json, key: str) -> Json:
    item = value.get(key)
    return item if isinstance(item, Mapping) else {}


def _objs(value: Json, key: str) -> list[Json]:
    items = value.get(key)
    return [item for item in items if isinstance(item, Mapping)] if isinstance(items, list) else []


def _str(value: Json, key: str) -> str:
    item = value.get(key)
    return item if isinstance(item, str) else ""


def _int(value: Json, key: str) -> int | None:
    item = value.get(key)
    return item if isinstance(item, int) and not isinstance(item, bool) else None


def _suggested(value: Json) -> bool:
    """A suggested insertion: not part of the document until someone accepts it."""
    return bool(value.get("suggestedInsertionIds") or value.get("suggestedInsertionId"))


def _is_mono_font(family: str) -> bool:
    return family.strip().casefold() in _MONO_FAMILIES or bool(_MONO_NAME.search(family))


def _run_text(run: Json) -> str:
    """A run's text: the paragraph's newline dropped, soft breaks as newlines, placeholders removed."""
    text = _str(run, "content").replace("\n", "").replace("\v", "\n")
    return _PRIVATE_USE.sub("", text)


def _raw_text(paragraph: Json) -> str:
    """The paragraph's text runs as they are (markers kept), without its closing newline."""
    runs = (_obj(element, "textRun") for element in _objs(paragraph, "elements"))
    text = "".join(_str(run, "content") for run in runs if not _suggested(run))
    return text.removesuffix("\n")


def _style_type(paragraph: Json) -> str:
    return _str(_obj(paragraph, "paragraphStyle"), "namedStyleType") or "NORMAL_TEXT"


# ---- the document: its tabs, or its one legacy body ----


@dataclass(frozen=True)
class _Segment:
    """A body and the maps its elements refer to: one tab's, or the whole legacy document's."""

    content: list[Json]
    lists: Json
    footnotes: Json
    inline_objects: Json
    positioned_objects: Json

    @classmethod
    def of(cls, holder: Json) -> _Segment:
        return cls(
            content=_objs(_obj(holder, "body"), "content"),
            lists=_obj(holder, "lists"),
            footnotes=_obj(holder, "footnotes"),
            inline_objects=_obj(holder, "inlineObjects"),
            positioned_objects=_obj(holder, "positionedObjects"),
        )


@dataclass(frozen=True)
class _Tab:
    title: str
    depth: int  # 0 for a top-level tab
    segment: _Segment


def _tabs(doc: Json) -> list[_Tab]:
    """Every tab, depth first: each parent before its children, siblings in the API's order."""
    found: list[_Tab] = []

    def walk(tabs: list[Json], depth: int) -> None:
        for tab in tabs:
            title = " ".join(_str(_obj(tab, "tabProperties"), "title").split()) or "Untitled tab"
            found.append(_Tab(title, depth, _Segment.of(_obj(tab, "documentTab"))))
            walk(_objs(tab, "childTabs"), depth + 1)

    walk(_objs(doc, "tabs"), 0)
    return found


@dataclass
class _Converter:
    """Document-wide state: footnote labels run through all tabs so they stay unique."""

    footnote_labels: dict[str, int] = field(default_factory=dict)

    def document(self, doc: Json) -> str:
        tabs = _tabs(doc)
        if not tabs:
            return _SegmentRenderer(self, _Segment.of(doc), offset=0).render()
        headed = len(tabs) > 1
        parts: list[str] = []
        for tab in tabs:
            offset = tab.depth + 1 if headed else 0
            if headed:
                parts.append(f"{'#' * min(tab.depth + 1, _MAX_LEVEL)} {tab.title}")
            parts.append(_SegmentRenderer(self, tab.segment, offset=offset).render())
        return "\n\n".join(part for part in parts if part)

    def footnote_label(self, footnote_id: str) -> int:
        return self.footnote_labels.setdefault(footnote_id, len(self.footnote_labels) + 1)


# ---- one segment: blocks of Markdown ----


@dataclass(frozen=True)
class _Block:
    text: str
    list_id: str | None = None  # items of one list are joined without a blank line


def _join(blocks: list[_Block]) -> str:
    parts: list[str] = []
    previous: _Block | None = None
    for block in blocks:
        if previous is not None:
            tight = block.list_id is not None and block.list_id == previous.list_id
            parts.append("\n" if tight else "\n\n")
        parts.append(block.text)
        previous = block
    return "".join(parts)


@dataclass(frozen=True)
class _Style:
    bold: bool = False
    italic: bool = False
    strike: bool = False
    code: bool = False
    url: str | None = None


_PLAIN = _Style()


@dataclass(frozen=True)
class _Span:
    """Inline text with its style; `markdown` spans are already Markdown (chips, references, images)."""

    text: str
    style: _Style = _PLAIN
    markdown: bool = False
    rule: bool = False  # a horizontal rule: splits a paragraph


@dataclass(frozen=True)
class _Inline:
    """How much inline formatting a place allows."""

    emphasis: bool = True
    italic: bool = True
    code: bool = True


_FULL = _Inline()
_HEADING_TEXT = _Inline(emphasis=False, code=False)
_SUBTITLE_TEXT = _Inline(italic=False)


class _SegmentRenderer:
    def __init__(self, converter: _Converter, segment: _Segment, offset: int) -> None:
        self.converter = converter
        self.segment = segment
        self.offset = offset  # heading levels taken by the tab headings above this segment
        self.has_title = any(
            _style_type(_obj(element, "paragraph")) == "TITLE"
            for element in segment.content
            if "paragraph" in element
        )
        self.mono = self._monospace_means_code()
        self.counters: dict[str, dict[int, int]] = {}  # list id -> level -> last number
        self.footnotes: list[str] = []  # ids, in order of first reference
        self.cell_depth = 0

    def render(self) -> str:
        text = _join(list(self.blocks(self.segment.content)))
        notes = self._footnote_definitions()
        return f"{text}\n\n{notes}" if text and notes else text or notes

    def _monospace_means_code(self) -> bool:
        """False when most of the text is monospace: then the font is a house style, not code."""
        paragraphs = [
            _obj(element, "paragraph")
            for element in self.segment.content
            if "paragraph" in element
            and _style_type(_obj(element, "paragraph")) == "NORMAL_TEXT"
            and _raw_text(_obj(element, "paragraph")).strip()
        ]
        mono = sum(1 for paragraph in paragraphs if self._all_mono(paragraph))
        return mono <= _MONO_HOUSE_STYLE * len(paragraphs)

    # ---- structural elements ----

    def blocks(self, content: list[Json]) -> Iterator[_Block]:
        closers = _code_closers(content)
        index = 0
        while index < len(content):
            element = content[index]
            if "paragraph" in element:
                end = _code_block_end(content, closers, index)
                if end is not None:
                    yield from self._code_block(content[index : end + 1])
                    index = end + 1
                    continue
                if self._is_code_paragraph(element):
                    end = index
                    while end + 1 < len(content) and self._is_code_paragraph(content[end + 1]):
                        end += 1
                    yield from self._code_block(content[index : end + 1])
                    index = end + 1
                    continue
                yield from self._paragraph(_obj(element, "paragraph"))
            elif "table" in element:
                yield from self._table(_obj(element, "table"))
            # sectionBreak: nothing; tableOfContents: skipped, it repeats the headings
            index += 1

    # ---- code ----

    def _is_code_paragraph(self, element: Json) -> bool:
        paragraph = _obj(element, "paragraph")
        return (
            self.mono
            and "paragraph" in element
            and "bullet" not in paragraph
            and _style_type(paragraph) == "NORMAL_TEXT"
            and self._all_mono(paragraph)
        )

    @staticmethod
    def _all_mono(paragraph: Json) -> bool:
        """Only text runs, every one with visible text in a monospace font, and at least one run so set."""
        fonts: list[tuple[str, bool]] = []
        for element in _objs(paragraph, "elements"):
            if "textRun" not in element:
                return False
            run = _obj(element, "textRun")
            family = _str(_obj(_obj(run, "textStyle"), "weightedFontFamily"), "fontFamily")
            fonts.append((family, bool(_run_text(run).strip())))
        if not any(_is_mono_font(family) for family, _ in fonts):
            return False
        return all(_is_mono_font(family) for family, visible in fonts if visible)

    def _code_block(self, elements: list[Json]) -> Iterator[_Block]:
        lines = [_raw_text(_obj(element, "paragraph")) for element in elements]
        code = "\n".join(_PRIVATE_USE.sub("", line.replace("\v", "\n")) for line in lines)
        code = "\n".join(line.rstrip() for line in code.split("\n")).strip("\n")
        if not code.strip():
            return
        if self.cell_depth:  # a cell is one line: each line of code as a code span
            yield _Block("\n".join(_code_span(line) for line in code.split("\n") if line.strip()))
            return
        longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
        fence = "`" * max(3, longest + 1)
        yield _Block(f"{fence}\n{code}\n{fence}")

    # ---- paragraphs ----

    def _paragraph(self, paragraph: Json) -> Iterator[_Block]:
        style = _style_type(paragraph)
        bullet = _obj(paragraph, "bullet")
        spans = self._spans(_objs(paragraph, "elements"))
        level = self._heading_level(style)
        if level is not None:
            yield from self._heading(spans, level, bullet if "bullet" in paragraph else None)
        elif style == "SUBTITLE":
            text = self._inline(spans, _SUBTITLE_TEXT)
            lines = [line.strip() for line in text.split("\n") if line.strip()]
            if lines:
                yield _Block(_escape_line_starts("\n".join(f"_{line}_" for line in lines)))
        elif "bullet" in paragraph:
            yield from self._list_item(spans, bullet)
        else:
            for piece in _split_rules(spans):
                if piece is None:
                    yield _Block("---")
                    continue
                text = self._inline(piece, _FULL).strip("\n")
                if text.strip():
                    yield _Block(_escape_line_starts(text))
        object_ids = paragraph.get("positionedObjectIds")
        for object_id in object_ids if isinstance(object_ids, list) else []:
            if isinstance(object_id, str):
                placeholder = self._object_placeholder(
                    self.segment.positioned_objects, object_id, "positionedObjectProperties"
                )
                if placeholder:
                    yield _Block(placeholder)

    def _heading_level(self, style: str) -> int | None:
        if style == "TITLE":
            level = 1
        elif style in _HEADINGS:
            level = _HEADINGS[style] + (1 if self.has_title else 0)
        else:
            return None
        return min(level + self.offset, _MAX_LEVEL)

    def _heading(self, spans: list[_Span], level: int, bullet: Json | None) -> Iterator[_Block]:
        text = " ".join(self._inline(_no_rules(spans), _HEADING_TEXT).split())
        if not text:
            return
        if bullet is not None:
            marker = self._list_marker(bullet)[1]
            text = f"{marker} {text}" if marker != "-" else text
        if self.cell_depth:
            yield _Block(f"**{text}**")
        else:
            yield _Block(f"{'#' * level} {text}")

    def _list_item(self, spans: list[_Span], bullet: Json) -> Iterator[_Block]:
        text = self._inline(_no_rules(spans), _FULL).strip()
        if not text:
            return
        level, marker = self._list_marker(bullet)
        indent = _LIST_INDENT * level
        first, _, rest = text.partition("\n")  # the first line follows the marker: nothing to escape there
        lines = [first, *_escape_line_starts(rest).split("\n")] if rest else [first]
        body = ("\n" + indent + " " * (len(marker) + 1)).join(lines)
        yield _Block(f"{indent}{marker} {body}", list_id=_str(bullet, "listId"))

    def _list_marker(self, bullet: Json) -> tuple[int, str]:
        """(nesting level, `-` or the item's number), counting per list and level."""
        list_id = _str(bullet, "listId")
        level = min(max(0, _int(bullet, "nestingLevel") or 0), _MAX_LIST_LEVEL)
        levels = _objs(_obj(_obj(self.segment.lists, list_id), "listProperties"), "nestingLevels")
        nesting = levels[level] if level < len(levels) else {}
        glyph = _str(nesting, "glyphType")
        counters = self.counters.setdefault(list_id, {})
        for deeper in [other for other in counters if other > level]:
            del counters[deeper]
        if glyph not in _ORDERED:
            counters[level] = counters.get(level, 0) + 1
            return level, "-"
        start = _int(nesting, "startNumber")
        if start is None or (start == 0 and glyph not in _DECIMAL):
            start = 1
        number = counters.get(level, start - 1) + 1
        counters[level] = number
        return level, f"{number}."

    # ---- inline elements ----

    def _spans(self, elements: list[Json]) -> list[_Span]:
        spans: list[_Span] = []
        for element in elements:
            span = self._span(element)
            if span is not None and (span.text or span.rule):
                spans.append(span)
        return spans

    def _span(self, element: Json) -> _Span | None:
        kind = next((key for key in _ELEMENT_KINDS if key in element), None)
        if kind is None:
            return None  # autoText, pageBreak, columnBreak, and kinds this code does not know
        value = _obj(element, kind)
        if _suggested(value):
            return None
        if kind == "textRun":
            return _Span(_run_text(value), self._style(_obj(value, "textStyle")))
        if kind == "footnoteReference":
            return self._footnote_reference(value)
        if kind == "person":
            properties = _obj(value, "personProperties")
            return _Span(_str(properties, "name").strip() or _str(properties, "email").strip())
        if kind == "richLink":
            properties = _obj(value, "richLinkProperties")
            uri, title = _str(properties, "uri").strip(), " ".join(_str(properties, "title").split())
            return _Span(f"[{title or uri}]({_safe_url(uri)})" if uri else title, markdown=bool(uri))
        if kind == "dateElement":
            properties = _obj(value, "dateElementProperties")
            return _Span(_str(properties, "displayText").strip() or _str(properties, "timestamp"))
        if kind == "dropdown":
            return _Span(_str(_obj(value, "dropdownProperties"), "displayValue").strip())
        if kind == "inlineObjectElement":
            placeholder = self._object_placeholder(
                self.segment.inline_objects, _str(value, "inlineObjectId"), "inlineObjectProperties"
            )
            return _Span(placeholder, markdown=True)
        if kind == "equation":
            return _Span("[equation]", markdown=True)
        return _Span("", rule=True)  # horizontalRule

    def _style(self, style: Json) -> _Style:
        family = _str(_obj(style, "weightedFontFamily"), "fontFamily")
        return _Style(
            bold=style.get("bold") is True,
            italic=style.get("italic") is True,
            strike=style.get("strikethrough") is True,
            code=self.mono and _is_mono_font(family),
            url=_str(_obj(style, "link"), "url").strip() or None,
        )

    def _footnote_reference(self, reference: Json) -> _Span | None:
        footnote_id = _str(reference, "footnoteId")
        if not footnote_id:
            return None
        if footnote_id not in self.footnotes:
            self.footnotes.append(footnote_id)
        return _Span(f"[^{self.converter.footnote_label(footnote_id)}]", markdown=True)

    def _object_placeholder(self, objects: Json, object_id: str, properties_key: str) -> str:
        """`[image: title: description]`, from the object's alt text only (never from its URIs)."""
        embedded = _obj(_obj(_obj(objects, object_id), properties_key), "embeddedObject")
        if "linkedContentReference" in embedded:
            kind = "chart"
        elif "embeddedDrawingProperties" in embedded:
            kind = "drawing"
        else:
            kind = "image"
        parts: list[str] = []
        for key in ("title", "description"):
            part = " ".join(_str(embedded, key).split())
            if part and part not in parts:
                parts.append(part)
        label = ": ".join(parts).replace("[", "(").replace("]", ")")
        return f"[{kind}: {label}]" if label else f"[{kind}]"

    def _inline(self, spans: list[_Span], allowed: _Inline) -> str:
        """Spans as Markdown: equal neighbours merged, each link once around its whole text."""
        out: list[str] = []
        for url, group in groupby(_merged(spans), key=lambda span: span.style.url):
            inner = "".join(_span_markdown(span, allowed) for span in group)
            out.append(_link(inner, url) if url else inner)
        return "".join(out)

    # ---- tables ----

    def _table(self, table: Json) -> Iterator[_Block]:
        if _suggested(table):
            return
        rows = [row for row in _objs(table, "tableRows") if not _suggested(row)]
        grid = [[cell for cell in _objs(row, "tableCells") if not _suggested(cell)] for row in rows]
        grid = [row for row in grid if row]
        if len(grid) == 1 and len(grid[0]) == 1 and not self.cell_depth:
            yield from self.blocks(_objs(grid[0][0], "content"))  # a box around text, not a table
            return
        self.cell_depth += 1
        try:
            cells = [[self._cell(cell) for cell in row] for row in grid]
        finally:
            self.cell_depth -= 1
        if not any(any(row) for row in cells):
            return
        if self.cell_depth:  # a table inside a cell: one line per row
            yield _Block("\n".join("; ".join(cell for cell in row if cell) for row in cells))
            return
        yield _Block(markdown_table(cells))

    def _cell(self, cell: Json) -> str:
        blocks = [block.text.strip("\n") for block in self.blocks(_objs(cell, "content"))]
        return "\n".join(block for block in blocks if block.strip())

    # ---- footnotes ----

    def _footnote_definitions(self) -> str:
        lines: list[str] = []
        index = 0
        while index < len(self.footnotes):  # the list grows if a footnote (rarely) references another
            footnote_id = self.footnotes[index]
            index += 1
            content = _objs(_obj(self.segment.footnotes, footnote_id), "content")
            blocks = list(self.blocks(content))
            text = " ".join(" ".join(block.text.split()) for block in blocks if block.text.strip())
            lines.append(f"[^{self.converter.footnote_label(footnote_id)}]: {text}")
        return "\n".join(lines)


_ELEMENT_KINDS = (
    "textRun",
    "footnoteReference",
    "person",
    "richLink",
    "dateElement",
    "dropdown",
    "inlineObjectElement",
    "equation",
    "horizontalRule",
)


def _code_closers(content: list[Json]) -> list[int | None]:
    """For each element, the first paragraph from it on that ends a code block (a U+E907 marker at its
    end) with only paragraphs in between: one backward pass, so unclosed markers cost nothing."""
    closers: list[int | None] = [None] * len(content)
    closer: int | None = None
    for index in range(len(content) - 1, -1, -1):
        element = content[index]
        if "paragraph" not in element:
            closer = None
        elif _raw_text(_obj(element, "paragraph")).rstrip().endswith(CODE_MARK):
            closer = index
        closers[index] = closer
    return closers


def _code_block_end(content: list[Json], closers: list[int | None], start: int) -> int | None:
    """Where a code block opened by a U+E907 marker at the start of this paragraph closes, if it does."""
    first = _raw_text(_obj(content[start], "paragraph")).strip()
    if not first.startswith(CODE_MARK):
        return None
    if first != CODE_MARK and first.endswith(CODE_MARK):
        return start
    return closers[start + 1] if start + 1 < len(content) else None


def _no_rules(spans: list[_Span]) -> list[_Span]:
    return [span for span in spans if not span.rule]


def _split_rules(spans: list[_Span]) -> Iterator[list[_Span] | None]:
    """The paragraph's spans in pieces between horizontal rules; None stands for a rule."""
    piece: list[_Span] = []
    for span in spans:
        if span.rule:
            yield piece
            yield None
            piece = []
        else:
            piece.append(span)
    yield piece


def _merged(spans: list[_Span]) -> list[_Span]:
    """Neighbouring text spans of the same style as one: the API splits runs for reasons Markdown ignores."""
    merged: list[_Span] = []
    for span in spans:
        last = merged[-1] if merged else None
        if last is not None and not last.markdown and not span.markdown and last.style == span.style:
            merged[-1] = _Span(last.text + span.text, last.style)
        else:
            merged.append(span)
    return merged


def _span_markdown(span: _Span, allowed: _Inline) -> str:
    if span.markdown:
        return span.text
    lead, core, trail = _edges(span.text)
    if not core:
        return span.text
    style = span.style
    if allowed.code and style.code:
        core = _code_span(core)
    if allowed.emphasis:
        if style.strike:
            core = f"~~{core}~~"
        if style.bold:
            core = f"**{core}**"
        if style.italic and allowed.italic:
            core = f"_{core}_"
    return f"{lead}{core}{trail}"


def _edges(text: str) -> tuple[str, str, str]:
    """Leading whitespace, the text, trailing whitespace: emphasis markers go around the middle only."""
    match = _EDGES.fullmatch(text)
    return (match.group(1), match.group(2), match.group(3)) if match else ("", text, "")


def _code_span(code: str) -> str:
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(code)), default=0) + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


def _link(inner: str, url: str) -> str:
    lead, core, trail = _edges(inner)
    return f"{lead}[{core}]({_safe_url(url)}){trail}" if core else inner


def _safe_url(url: str) -> str:
    """The URL with the characters that would end a Markdown link destination percent-encoded."""
    return "".join(_URL_UNSAFE.get(char, char) for char in url.strip())


def _escape_line_starts(text: str) -> str:
    """A `\\` before line starts that Markdown reads as a heading or a fence, so text cannot fake sections."""
    return _LINE_START.sub(lambda match: match.group(1) + "\\", text)
