"""Local files through `load_document`: real .md/.txt/.docx/.pdf files built in tmp_path."""

from __future__ import annotations

import codecs
import os
import zipfile
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from reportlab.pdfgen import canvas

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.sources import load_document

SETTINGS = Settings()


def section_map(doc: Document) -> list[tuple[str, int, str]]:
    """(title, level, covered text) of each section."""
    return [(s.title, s.level, doc.text[s.start : s.end]) for s in doc.sections]


async def load(path: Path, settings: Settings = SETTINGS) -> Document:
    return await load_document(str(path), settings)


# ---- builders ----


def make_docx(path: Path) -> Path:
    """A Word document with a title, headings, nested and numbered lists and a table between paragraphs."""
    document = docx.Document()
    document.add_paragraph("Billing Launch", style="Title")
    document.add_paragraph("Intro paragraph before any heading.")
    document.add_heading("Goals", level=1)
    document.add_paragraph("Cut invoice errors in half.")
    document.add_paragraph("Migrate every account", style="List Bullet")
    document.add_paragraph("Enterprise accounts first", style="List Bullet 2")
    document.add_paragraph("Retire the old database", style="List Bullet")
    document.add_heading("Plan", level=2)
    document.add_paragraph("Freeze writes", style="List Number")
    document.add_paragraph("Copy the data", style="List Number")
    document.add_paragraph("Switch traffic", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(
        table.rows, [("Risk", "Owner"), ("Data loss", "Ana | DBA"), ("Support load", "Bo")], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph("Text after the table.")
    document.add_heading("Rollback", level=1)
    document.add_paragraph("The window closes after one week.")
    document.save(str(path))
    return path


def make_pdf(path: Path, pages: list[list[str]], outline: list[tuple[int, str, int]] | None = None) -> Path:
    """A PDF with one text line per string; `outline` entries are (page index, title, level from 0)."""
    pdf = canvas.Canvas(str(path))
    for index, lines in enumerate(pages):
        for n, line in enumerate(lines):
            pdf.drawString(72, 720 - 20 * n, line)
        for page, title, level in outline or []:
            if page == index:
                key = f"k{page}{title}"
                pdf.bookmarkPage(key)
                pdf.addOutlineEntry(title, key, level)
        pdf.showPage()
    pdf.save()
    return path


# ---- Markdown and text ----


async def test_markdown_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# Launch Plan\r\n\r\nIntro.   \r\n\r\n\r\n\r\n## Goals\r\nShip.\r\n", encoding="utf-8")
    doc = await load(path)
    assert doc.title == "Launch Plan"
    assert doc.source == str(path.resolve())
    assert doc.text == "# Launch Plan\n\nIntro.\n\n## Goals\nShip."
    assert section_map(doc) == [
        ("Launch Plan", 1, doc.text),
        ("Goals", 2, "## Goals\nShip."),
    ]


async def test_markdown_extension_and_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.markdown").write_text("No heading here.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    doc = await load_document("notes.markdown", SETTINGS)
    assert doc.title == "notes"  # the file stem
    assert doc.source == str((tmp_path / "notes.markdown").resolve())
    assert doc.sections == []


async def test_text_with_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + "# Über\nnaïve café".encode())
    doc = await load(path)
    assert doc.text == "# Über\nnaïve café"
    assert doc.title == "Über"


async def test_text_in_utf16_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes("# Plan\r\nRésumé".encode("utf-16"))  # Python writes the BOM
    doc = await load(path)
    assert doc.text == "# Plan\nRésumé"
    assert section_map(doc) == [("Plan", 1, "# Plan\nRésumé")]


async def test_unknown_extension_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "design.rst"
    path.write_text("Design\n======\n\nBody text.", encoding="utf-8")
    doc = await load(path)
    assert doc.text.startswith("Design\n======")
    assert doc.title == "design"


async def test_unknown_binary_extension_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(SourceError) as info:
        await load(path)
    assert info.value.message == (
        "unsupported file type .doc: docdebate reads .md, .txt, .pdf, .docx or a web page."
    )


async def test_binary_content_in_a_txt_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SourceError, match="looks like a binary file"):
        await load(path)


async def test_undecodable_text(tmp_path: Path) -> None:
    path = tmp_path / "latin.md"
    path.write_bytes("# Café\nthé".encode("latin-1"))
    with pytest.raises(SourceError, match="not valid UTF-8 text") as info:
        await load(path)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


async def test_a_file_with_no_extension_sniffed_as_pdf(tmp_path: Path) -> None:
    source = make_pdf(tmp_path / "x.pdf", [["Only page."]])
    path = tmp_path / "download"
    path.write_bytes(source.read_bytes())
    doc = await load(path)
    assert doc.text == "Only page."


# ---- Word ----


async def test_docx_structure_in_document_order(tmp_path: Path) -> None:
    doc = await load(make_docx(tmp_path / "launch.docx"))
    assert doc.title == "Billing Launch"
    assert doc.text.split("\n") == [
        "# Billing Launch",
        "",
        "Intro paragraph before any heading.",
        "",
        "# Goals",
        "",
        "Cut invoice errors in half.",
        "",
        "- Migrate every account",
        "  - Enterprise accounts first",
        "- Retire the old database",
        "",
        "## Plan",
        "",
        "1. Freeze writes",
        "2. Copy the data",
        "3. Switch traffic",
        "",
        "| Risk | Owner |",
        "| --- | --- |",
        "| Data loss | Ana \\| DBA |",
        "| Support load | Bo |",
        "",
        "Text after the table.",
        "",
        "# Rollback",
        "",
        "The window closes after one week.",
    ]
    sections = section_map(doc)
    assert [(t, lvl) for t, lvl, _ in sections] == [
        ("Billing Launch", 1),
        ("Goals", 1),
        ("Plan", 2),
        ("Rollback", 1),
    ]
    goals, plan = sections[1][2], sections[2][2]
    assert goals.endswith(plan)  # Plan nests inside Goals and ends where it ends
    assert plan.startswith("## Plan") and plan.endswith("Text after the table.\n\n")


def add_multilevel_list(document: DocxDocument, num_id: int, formats: list[str]) -> None:
    """A list definition as Word and Google Docs write them: one numId, a format per level."""
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/></w:lvl>'
        for i, fmt in enumerate(formats)
    )
    numbering = document.part.numbering_part.element
    numbering.insert(
        0, parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{num_id}">{levels}</w:abstractNum>')
    )
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{num_id}"/></w:num>')
    )


def add_item(document: DocxDocument, text: str, num_id: int, ilvl: int) -> None:
    paragraph = document.add_paragraph(text, style="List Paragraph")
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


async def test_docx_multilevel_list_numbers_and_restarts_sublevels(tmp_path: Path) -> None:
    document = docx.Document()
    add_multilevel_list(document, 90, ["decimal", "lowerLetter", "bullet"])
    for text, ilvl in [("One", 0), ("One a", 1), ("detail", 2), ("One b", 1), ("Two", 0), ("Two a", 1)]:
        add_item(document, text, 90, ilvl)
    path = tmp_path / "lists.docx"
    document.save(str(path))
    doc = await load(path)
    assert doc.text.split("\n") == [
        "1. One",
        "  1. One a",
        "    - detail",
        "  2. One b",
        "2. Two",
        "  1. Two a",
    ]


async def test_docx_numbering_turned_off_is_a_plain_paragraph(tmp_path: Path) -> None:
    document = docx.Document()
    add_item(document, "Not a list item", 0, 0)
    path = tmp_path / "off.docx"
    document.save(str(path))
    assert (await load(path)).text == "Not a list item"


async def test_docx_with_only_empty_paragraphs_is_empty(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("   ")
    path = tmp_path / "blank.docx"
    document.save(str(path))
    with pytest.raises(SourceError, match="the document is empty"):
        await load(path)


async def test_damaged_docx(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(SourceError, match=r"not a valid \.docx file") as info:
        await load(path)
    assert info.value.__cause__ is not None


async def test_docx_with_a_broken_body(tmp_path: Path) -> None:
    source = make_docx(tmp_path / "good.docx")
    path = tmp_path / "bad.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"<not xml" if item.filename == "word/document.xml" else data)
    with pytest.raises(SourceError, match=r"could not read bad\.docx as a Word document") as info:
        await load(path)
    assert info.value.__cause__ is not None


async def test_docx_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * 2_000_000)
    with pytest.raises(SourceError, match=r"unpacks to 2 MB"):
        await load(path, Settings(max_file_bytes=100_000))


# ---- PDF ----


async def test_pdf_sections_per_page(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "memo.pdf", [["First page line."], [], ["Third page line.", "Second line."]])
    doc = await load(path)
    assert doc.title == "memo"
    assert doc.text == "First page line.\n\nThird page line.\nSecond line."
    assert section_map(doc) == [
        ("Page 1", 1, "First page line."),
        ("Page 3", 1, "Third page line.\nSecond line."),
    ]


async def test_pdf_outline_becomes_headings(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "plan.pdf",
        [["Launch Plan", "We ship in March."], ["Risks", "Data loss."], ["Rollback", "One week."]],
        outline=[(0, "Launch Plan", 0), (1, "Risks", 1), (2, "Rollback", 1)],
    )
    doc = await load(path)
    assert doc.title == "Launch Plan"
    assert doc.text == "# Launch Plan\nWe ship in March.\n\n## Risks\nData loss.\n\n## Rollback\nOne week."
    assert section_map(doc) == [
        ("Launch Plan", 1, doc.text),
        ("Risks", 2, "## Risks\nData loss.\n\n"),
        ("Rollback", 2, "## Rollback\nOne week."),
    ]


async def test_pdf_outline_title_missing_from_the_text_is_inserted(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "o.pdf", [["Body text only."]], outline=[(0, "Summary", 0)])
    doc = await load(path)
    assert doc.text == "# Summary\nBody text only."


async def test_scanned_pdf_has_no_readable_text(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(72, 72, 200, 200, fill=1)  # an "image" of a page: no text objects
    pdf.showPage()
    pdf.save()
    with pytest.raises(SourceError, match=r"no readable text — is it a scanned PDF\?"):
        await load(path)


async def test_damaged_pdf(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nnot really a pdf")
    with pytest.raises(SourceError, match=r"could not read broken\.pdf as a PDF") as info:
        await load(path)
    assert info.value.__cause__ is not None


async def test_password_protected_pdf(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=str(make_pdf(tmp_path / "plain.pdf", [["Secret plan."]])))
    writer.encrypt(user_password="hunter2", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(SourceError, match="password-protected"):
        await load(path)


# ---- file system errors and limits ----


async def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^no such file: .*nope\.md: check the path"):
        await load(tmp_path / "nope.md")


async def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder, not a file"):
        await load(tmp_path)


async def test_a_fifo_is_not_read(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "pipe.md"
    os.mkfifo(path)
    with pytest.raises(SourceError, match="is not a regular file"):
        await load(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
async def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.md"
    path.write_text("# Secret", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied reading"):
        await load(path)


async def test_permission_denied_when_opening(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Root can read anything, so the error is raised the way the OS would, at open()."""
    path = tmp_path / "secret.md"
    path.write_text("# Secret", encoding="utf-8")

    def refuse(self: Path, *_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(
        SourceError, match=r"permission denied reading .*secret\.md: check the file's permissions"
    ):
        await load(path)


async def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(SourceError, match="the document is empty"):
        await load(path)


async def test_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2_001)
    opened: list[Path] = []
    real_open = Path.open

    def spy(self: Path, *args: object, **kwargs: object) -> object:
        opened.append(self)
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", spy)
    with pytest.raises(SourceError, match=r"big.txt is larger than 0.002 MB \(DOCDEBATE_MAX_FILE_BYTES\)"):
        await load(path, Settings(max_file_bytes=2_000))
    assert opened == []


async def test_text_over_the_character_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    path.write_text("word " * 100, encoding="utf-8")
    with pytest.raises(SourceError, match=r"the document is 499 characters; the limit is 50"):
        await load(path, Settings(max_doc_chars=50))


async def test_other_link_schemes_are_refused() -> None:
    with pytest.raises(SourceError, match="cannot read ftp:// links"):
        await load_document("ftp://example.com/plan.pdf", SETTINGS)


async def test_an_empty_reference() -> None:
    with pytest.raises(SourceError, match="no document given"):
        await load_document("   ", SETTINGS)


async def test_local_html_file_goes_through_the_page_extractor(tmp_path: Path) -> None:
    path = tmp_path / "saved.html"
    path.write_text(
        "<html><head><title>Saved Plan</title></head><body><nav><a href='/'>Home</a></nav><article>"
        "<h2>Scope</h2><p>The migration moves every customer account to the new billing system at once.</p>"
        "<p>Legacy invoices stop on the first of March, and the old database is deleted a week later.</p>"
        "<p>Support staff get two weeks of training before the cutover, with a runbook for each case.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    doc = await load(path)
    assert doc.title == "Saved Plan"
    assert "Home" not in doc.text
    assert [(s.title, s.level) for s in doc.sections] == [("Scope", 2)]


async def test_a_path_with_a_nul_character() -> None:
    with pytest.raises(SourceError, match="is not a valid file path"):
        await load_document("plan\x00.md", SETTINGS)
