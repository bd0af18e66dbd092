"""Word (.docx) bytes to a Body, with python-docx.

The body's blocks are rendered in document order as Markdown: Title and Heading 1-6 paragraphs become
`#` headings, list paragraphs `- ` or `1. ` items (indented by level), tables Markdown tables. Content
controls (`w:sdt`, common in templates) are looked into, not skipped.

Before python-docx sees the file, `_check_archive` inflates every member itself, in bounded pieces,
counting the bytes the streams really hold (a zip's size fields are the sender's claim: zipfile trusts
them, and inflates a whole stream in one piece), and counts the XML elements and paragraphs python-docx
would build, without building them. Rendering stops once the text passes the character limit.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import docx
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.styles.style import CharacterStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree  # type: ignore[import-untyped]  # python-docx's XML library

from bot.errors import SourceError
from bot.sources.bounded import CharBudget
from bot.sources.tables import markdown_table
from bot.sources.text import Body, human_size, normalise

_HEADING_STYLE = re.compile(r"Heading ([1-9])")
_TRAILING_DIGIT = re.compile(r" ([2-9])$")
_MAX_LEVEL = 6
_NOT_A_HEADING = 9  # w:outlineLvl 9 is "body text"
_MAX_STYLE_DEPTH = 10

_CHUNK = 1 << 16  # inflated bytes per read while checking the archive
_LOCAL_HEADER = b"PK\x03\x04"
_LOCAL_HEADER_SIZE = 30
# Real documents have tens of parts (a few hundred with many images).
_MAX_PARTS = 5_000
# python-docx holds every XML element of the parts it parses in memory (lxml, ~150 bytes each) and renders
# every paragraph (~50 us each): the counts scale with the character limit, far above what a document
# within it holds (a heavily formatted one has ~2 elements and 0.05 paragraphs per character of text).
_ELEMENTS_PER_CHAR = 2
_CHARS_PER_PARAGRAPH = 3  # a paragraph that is not empty costs at least a character and a line break
_W_P = qn("w:p")
_XML_STARTS = (b"<", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")  # markup, or a byte-order mark


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
    _check_archive(data, name, max_unzipped_bytes, max_chars)
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


def _check_archive(data: bytes, name: str, max_unzipped_bytes: int, max_chars: int) -> None:
    """A zip with a word/document.xml, whose members really inflate to at most `max_unzipped_bytes` in all
    and hold no more XML than a document of `max_chars` could."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            has_body = "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceError(
            f"{name} is not a valid .docx file (it is not a zip archive): save it again as .docx and retry."
        ) from exc
    if not has_body:
        raise SourceError(
            f"{name} is not a Word document (no word/document.xml): save it as .docx and retry."
        )
    if len(infos) > _MAX_PARTS:
        raise SourceError(
            f"{name} has {len(infos):,} parts, more than the {_MAX_PARTS:,} docdebate reads: "
            "save it again as .docx or export the text."
        )
    declared = sum(info.file_size for info in infos)
    if declared > max_unzipped_bytes:  # what the zip says is already too much
        raise _unpacks_to(name, f"{human_size(declared)}, more than the", max_unzipped_bytes)
    scan = _XmlScan(
        name, max_elements=_ELEMENTS_PER_CHAR * max_chars, max_paragraphs=max_chars // _CHARS_PER_PARAGRAPH
    )
    inflated = 0
    for info in infos:
        scan.start_part()
        for piece in _inflate(data, info, name):
            inflated += len(piece)
            if inflated > max_unzipped_bytes:  # the streams hold more than the zip says
                raise _unpacks_to(
                    name,
                    "more than the",
                    max_unzipped_bytes,
                    f" (its zip headers claim {_size(declared)})",
                )
            scan.feed(piece)


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1000:.3g} KB" if n_bytes < 1_000_000 else human_size(n_bytes)


def _unpacks_to(name: str, size: str, limit: int, note: str = "") -> SourceError:
    return SourceError(
        f"{name} unpacks to {size} {human_size(limit)} docdebate reads{note}: remove large images or split it."
    )


def _inflate(data: bytes, info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """The bytes of one member, inflated from its stream in pieces of at most _CHUNK, all of them: not cut
    at the size the zip declares, since zipfile inflates them all too before it cuts."""
    raw = memoryview(data)[_data_start(data, info, name) :][: info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for start in range(0, len(raw), _CHUNK):
            yield bytes(raw[start : start + _CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:  # 0x1: encrypted
        raise _damaged(name, f"{info.filename} is encrypted or compressed in a way Word does not write")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for start in range(0, len(raw), _CHUNK):
            pending = bytes(raw[start : start + _CHUNK])
            while pending and not inflater.eof:
                yield inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
            if inflater.eof:
                return
        while piece := inflater.decompress(b"", _CHUNK):  # output zlib still holds
            yield piece
    except zlib.error as exc:
        raise _damaged(name, f"{info.filename} is damaged ({exc})") from exc


def _data_start(data: bytes, info: zipfile.ZipInfo, name: str) -> int:
    """Where a member's stream starts: after its local header, as zipfile reads it."""
    offset = info.header_offset
    if data[offset : offset + 4] != _LOCAL_HEADER or len(data) < offset + _LOCAL_HEADER_SIZE:
        raise _damaged(name, f"{info.filename} has no valid header")
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start: int = offset + _LOCAL_HEADER_SIZE + name_length + extra_length
    return start


def _damaged(name: str, what: str) -> SourceError:
    return SourceError(f"{name} is not a valid .docx file ({what}): save it again as .docx and retry.")


class _XmlScan:
    """Counts the elements and paragraphs of the XML parts as their bytes go by, with lxml's event
    interface (no tree is built), and refuses the document as soon as a count passes its cap. A part that
    is not well-formed is left for python-docx to report."""

    def __init__(self, name: str, *, max_elements: int, max_paragraphs: int) -> None:
        self.name = name
        self.max_elements = max_elements
        self.max_paragraphs = max_paragraphs
        self.elements = 0
        self.paragraphs = 0
        self._parser: etree.XMLParser | None = None
        self._first = True

    def start_part(self) -> None:
        self._parser, self._first = None, True

    def feed(self, piece: bytes) -> None:
        if self._first:
            self._first = False
            if piece.lstrip().startswith(_XML_STARTS):
                self._parser = etree.XMLParser(
                    target=self, resolve_entities=False, no_network=True, load_dtd=False
                )
        if self._parser is None:
            return
        try:
            self._parser.feed(piece)
        except etree.XMLSyntaxError:  # not XML after all, or damaged: python-docx will say so if it matters
            self._parser = None

    # the parser target's interface
    def start(self, tag: str, _attrib: object) -> None:
        self.elements += 1
        if self.elements > self.max_elements:
            raise SourceError(
                f"{self.name} holds more than {self.max_elements:,} XML elements, more than a document "
                "docdebate can read: split it or export the text."
            )
        if tag == _W_P:
            self.paragraphs += 1
            if self.paragraphs > self.max_paragraphs:
                raise SourceError(
                    f"{self.name} has more than {self.max_paragraphs:,} paragraphs, more than docdebate "
                    "reads: split it or export the text."
                )

    def end(self, _tag: str) -> None:
        pass

    def data(self, _text: str) -> None:
        pass

    def close(self) -> None:
        pass


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
    return markdown_table([[" ".join(cell.text.split()) for cell in row.cells] for row in table.rows])
