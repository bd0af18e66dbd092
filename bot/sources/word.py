"""Word (.docx) bytes to a Body, with python-docx.

The body's blocks are rendered in document order as Markdown: Title and Heading 1-6 paragraphs become
`#` headings, list paragraphs `- ` or `1. ` items (indented by level), tables Markdown tables. Content
controls (`w:sdt`, common in templates) are looked into, not skipped.

Rendering stops once the text passes the character limit.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import docx
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.styles.style import CharacterStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from bot.errors import SourceError
from bot.sources.bounded import CharBudget
from bot.sources.text import Body, human_size, normalise

_HEADING_STYLE = re.compile(r"Heading ([1-9])")
_TRAILING_DIGIT = re.compile(r" ([2-9])$")
_MAX_LEVEL = 6
_NOT_A_HEADING = 9  # w:outlineLvl 9 is "body text"
_MAX_STYLE_DEPTH = 10


@dataclass(frozen=True)
class _Block:
    text: str
    is_list_item: bool = False


@dataclass(frozen=True)
class _ListItem:
    num_id: str
    ilvl: int  # the level in the list's numbering definition
    indent: int  # how deep to indent it
    numbered: bool


def docx_body(data: bytes, name: str, *, max_unzipped_bytes: int, max_chars: int) -> Body:
    """The text of a .docx as Markdown. `max_unzipped_bytes` guards against zip bombs; past `max_chars`
    of text the document is refused without reading the rest."""
    _check_archive(data, name, max_unzipped_bytes)
    budget = CharBudget(max_chars)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_Renderer(document, budget).blocks())
    except SourceError:
        raise
    except Exception as exc:  # python-docx, zipfile and lxml raise many types on damaged files
        raise SourceError(
            f"could not read {name} as a Word document ({exc}): save it again as .docx and retry."
        ) from exc
    return Body(normalise(_join(blocks)))


def _check_archive(data: bytes, name: str, max_unzipped_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            has_body = "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceError(
            f"{name} is not a valid .docx file (it is not a zip archive): save it again as .docx and retry."
        ) from exc
    if not has_body:
        raise SourceError(
            f"{name} is not a Word document (no word/document.xml): save it as .docx and retry."
        )
    if unzipped > max_unzipped_bytes:
        raise SourceError(
            f"{name} unpacks to {human_size(unzipped)}, more than the {human_size(max_unzipped_bytes)} "
            "docdebate reads: remove large images or split it."
        )


def _join(blocks: list[_Block]) -> str:
    """Blank lines between blocks, except between the items of one list."""
    parts: list[str] = []
    for index, block in enumerate(blocks):
        if index:
            tight = block.is_list_item and blocks[index - 1].is_list_item
            parts.append("\n" if tight else "\n\n")
        parts.append(block.text)
    return "".join(parts)


@dataclass(frozen=True)
class _Style:
    """What rendering needs of a paragraph style, looked up once per style: python-docx finds a style by
    scanning all of them (a millisecond each in Word's default template), which for every paragraph made a
    document of 29k short paragraphs take minutes."""

    name: str
    outline: int | None  # the outline level along the style chain, None for body text or none
    num_pr: BaseOxmlElement | None  # the numbering along the style chain


class _Renderer:
    def __init__(self, document: WordDocument, budget: CharBudget) -> None:
        self.document = document
        self.budget = budget
        self.numbering = _numbering_root(document)
        self.counters: dict[str, dict[int, int]] = {}  # numId -> level -> count
        self.styles: dict[str | None, _Style] = {}
        self.numbered: dict[tuple[str, int, str], bool] = {}

    def blocks(self) -> Iterator[_Block]:
        for element in _block_elements(self.document.element.body):
            if element.tag == qn("w:tbl"):
                block = _Block(_table(Table(element, self.document)))
            else:
                block = self._paragraph(Paragraph(element, self.document)) or _Block("")
            if block.text:
                self._count(block)
                yield block

    def _count(self, block: _Block) -> None:
        """The characters the block adds to the text, at the least: its own, and a line break before it."""
        chars = len(normalise(block.text))
        if chars:
            self.budget.add(chars + (1 if self.budget.used else 0))

    def _style(self, paragraph: Paragraph) -> _Style:
        style_id = paragraph._p.style
        found = self.styles.get(style_id)
        if found is None:
            found = self.styles[style_id] = _style_of(paragraph.style)
        return found

    def _paragraph(self, paragraph: Paragraph) -> _Block | None:
        text = paragraph.text.strip()
        if not text:
            return None
        style = self._style(paragraph)
        level = _heading_level(paragraph, style)
        if level is not None:
            return _Block(f"{'#' * level} {' '.join(text.split())}")
        item = self._list_item(paragraph, style)
        if item is None:
            return _Block(text)
        return _Block(f"{'  ' * item.indent}{self._marker(item)} {text}", is_list_item=True)

    def _list_item(self, paragraph: Paragraph, style: _Style) -> _ListItem | None:
        own = _num_pr(paragraph._p)
        num_pr = own if own is not None else style.num_pr
        if num_pr is None:
            if style.name.startswith(("List Bullet", "List Number")):
                name_level = _name_level(style.name)
                return _ListItem("style:" + style.name, name_level, name_level, "Number" in style.name)
            return None
        num_id = _digits(_val(num_pr, "w:numId"))
        if num_id == "0":  # numId 0 switches numbering off
            return None
        ilvl = int(_digits(_val(num_pr, "w:ilvl")))
        # "List Bullet 2" and the like carry a one-level list: the indent is in the style's name.
        indent = _name_level(style.name) if own is None and ilvl == 0 else ilvl
        return _ListItem(num_id, ilvl, indent, self._is_numbered(num_id, ilvl, style.name))

    def _is_numbered(self, num_id: str, ilvl: int, style_name: str) -> bool:
        key = (num_id, ilvl, style_name)
        found = self.numbered.get(key)
        if found is None:
            found = self.numbered[key] = self._numbering_format(num_id, ilvl, style_name)
        return found

    def _numbering_format(self, num_id: str, ilvl: int, style_name: str) -> bool:
        """From the list's numbering format at that level; the style's name when there is none."""
        fmt: list[str] = []
        if self.numbering is not None:
            abstract = self.numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
            if abstract and str(abstract[0]).isdigit():
                fmt = self.numbering.xpath(
                    f'./w:abstractNum[@w:abstractNumId="{abstract[0]}"]/w:lvl[@w:ilvl="{ilvl}"]/w:numFmt/@w:val'
                )
        if not fmt:
            return "Number" in style_name
        return str(fmt[0]) not in ("bullet", "none")

    def _marker(self, item: _ListItem) -> str:
        """`-` for bullets; for numbered items the count at that level, restarting below a new parent.

        Counting follows Word: a list (numId) continues across the document unless it is restarted.
        """
        if not item.numbered:
            return "-"
        levels = self.counters.setdefault(item.num_id, {})
        for deeper in [level for level in levels if level > item.ilvl]:
            del levels[deeper]
        levels[item.ilvl] = levels.get(item.ilvl, 0) + 1
        return f"{levels[item.ilvl]}."


def _block_elements(container: BaseOxmlElement) -> Iterator[BaseOxmlElement]:
    """Paragraphs and tables in document order, looking inside content controls."""
    for child in container.iterchildren():
        if child.tag in (qn("w:p"), qn("w:tbl")):
            yield child
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _block_elements(content)


def _numbering_root(document: WordDocument) -> BaseOxmlElement | None:
    try:
        root: BaseOxmlElement = document.part.numbering_part.element
    except (KeyError, NotImplementedError):  # a document without lists has no numbering part
        return None
    return root


def _style_of(style: CharacterStyle | None) -> _Style:
    chain = list(_style_chain(style))
    return _Style(
        name=(style.name or "") if style is not None else "",
        outline=next((level for level in map(_outline_value, chain) if level is not None), None),
        num_pr=next((found for found in map(_num_pr, chain) if found is not None), None),
    )


def _heading_level(paragraph: Paragraph, style: _Style) -> int | None:
    """Title is `#`; Heading N is N `#` (7-9 capped at 6); custom styles by their outline level."""
    if style.name == "Title":
        return 1
    match = _HEADING_STYLE.fullmatch(style.name)
    if match:
        return min(int(match.group(1)), _MAX_LEVEL)
    own = _outline_value(paragraph._p)
    outline = own if own is not None else style.outline
    return None if outline is None or outline >= _NOT_A_HEADING else min(outline + 1, _MAX_LEVEL)


def _outline_value(element: BaseOxmlElement) -> int | None:
    """The element's own w:outlineLvl, if it has a numeric one."""
    value = _val(element, "w:pPr/w:outlineLvl")
    return int(value) if value is not None and value.isdigit() else None


def _style_chain(style: CharacterStyle | None) -> Iterator[BaseOxmlElement]:
    """A style's element, then those of the styles it is based on."""
    for _ in range(_MAX_STYLE_DEPTH):  # a cap, against basedOn cycles
        if style is None:
            return
        yield style.element
        style = style.base_style


def _num_pr(element: BaseOxmlElement) -> BaseOxmlElement | None:
    found: BaseOxmlElement | None = element.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
    return found


def _val(element: BaseOxmlElement, path: str) -> str | None:
    """The w:val attribute of the child at `path` ("w:pPr/w:outlineLvl"), if there is one."""
    child = element.find("/".join(qn(step) for step in path.split("/")))
    if child is None:
        return None
    value = child.get(qn("w:val"))
    return None if value is None else str(value)


def _digits(value: str | None) -> str:
    """A numeric attribute, or "0": values end up in XPath expressions, so nothing else gets through."""
    return value if value is not None and value.isdigit() else "0"


def _name_level(style_name: str) -> int:
    """ "List Bullet 3" is the third level: 2."""
    match = _TRAILING_DIGIT.search(style_name)
    return int(match.group(1)) - 1 if match else 0


def _table(table: Table) -> str:
    """A Markdown table; the first row is the header, as it is in almost every document table."""
    rows = [[_cell_text(cell.text) for cell in row.cells] for row in table.rows]
    rows = [row for row in rows if row]
    if not rows or not any(any(row) for row in rows):
        return ""
    width = max(len(row) for row in rows)
    lines = [_table_row(row, width) for row in rows]
    lines.insert(1, _table_row(["---"] * width, width))
    return "\n".join(lines)


def _table_row(cells: list[str], width: int) -> str:
    padded = cells + [""] * (width - len(cells))
    return "| " + " | ".join(padded) + " |"


def _cell_text(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
