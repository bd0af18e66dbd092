"""Bytes to a Body, whichever way they came (a local file or a download).

The kind of a document is decided by its file extension or content type when those are known, else
by sniffing the bytes: PDF and .docx have unmistakable signatures, and anything that decodes as text is
read as text.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath

from bot.config import Settings
from bot.errors import SourceError
from bot.sources.text import Body, decode_text, is_text, markdown_body

SUPPORTED = "docdebate reads .md, .txt, .pdf, .docx or a web page"

# A .docx is mostly compressed XML; this many times the file size limit is far beyond any real document
# and still stops a zip bomb before python-docx inflates it.
_UNZIP_RATIO = 10
_HTML_STARTS = (b"<!doctype html", b"<html")


class Kind(StrEnum):
    TEXT = "text"
    PDF = "pdf"
    DOCX = "docx"
    HTML = "html"


SUFFIXES: dict[str, Kind] = {
    ".md": Kind.TEXT,
    ".markdown": Kind.TEXT,
    ".txt": Kind.TEXT,
    ".pdf": Kind.PDF,
    ".docx": Kind.DOCX,
    ".html": Kind.HTML,
    ".htm": Kind.HTML,
}

MEDIA_TYPES: dict[str, Kind] = {
    "text/plain": Kind.TEXT,
    "text/markdown": Kind.TEXT,
    "text/x-markdown": Kind.TEXT,
    "application/pdf": Kind.PDF,
    "application/x-pdf": Kind.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Kind.DOCX,
    "text/html": Kind.HTML,
    "application/xhtml+xml": Kind.HTML,
}


def sniff(data: bytes) -> Kind | None:
    """The kind the bytes themselves announce, if any."""
    head = data[:1024].lstrip().lower()
    if data.startswith(b"%PDF-"):
        return Kind.PDF
    if data.startswith(b"PK\x03\x04") and _is_docx_zip(data):
        return Kind.DOCX
    if head.startswith(_HTML_STARTS):
        return Kind.HTML
    if is_text(data):
        return Kind.TEXT
    return None


def _is_docx_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def unsupported(suffix: str) -> SourceError:
    what = f"unsupported file type {suffix}" if suffix else "unsupported file type"
    return SourceError(f"{what}: {SUPPORTED}.")


def file_body(data: bytes, name: str, settings: Settings, *, shown: str = "", media_type: str = "") -> Body:
    """A file's bytes as a Body, of the kind its name's extension says, else its media type, else its bytes.
    `shown`: how an empty file is named (default `name`)."""
    if not data.strip():
        raise SourceError(f"the document is empty: {shown or name} has no text to debate.")
    suffix = PurePath(name).suffix.lower()
    kind = SUFFIXES.get(suffix) or MEDIA_TYPES.get(media_type) or sniff(data)
    if kind is None:
        raise unsupported(suffix)
    return to_body(data, kind, name, settings)


def to_body(
    data: bytes,
    kind: Kind,
    name: str,
    settings: Settings,
    *,
    charset: str | None = None,
    url: str | None = None,
) -> Body:
    """Run the converter for `kind`. `name` is how messages refer to the document.

    Text is read here: decoding and normalising are linear in its size. PDF, Word and HTML go to the
    converters in a child process bounded in time and memory (`bot.sources.bounded`), which load their
    libraries (pypdf, python-docx, trafilatura) there, never in this process.
    """
    if kind is Kind.TEXT:
        return markdown_body(decode_text(data, name, charset))
    from bot.sources.bounded import run_bounded

    job = Job(
        data=data,
        kind=kind,
        name=name,
        charset=charset,
        url=url,
        max_chars=settings.max_doc_chars,
        max_unzipped_bytes=_UNZIP_RATIO * settings.max_file_bytes,
    )
    return run_bounded(
        convert, job, name=name, timeout_s=settings.convert_timeout_s, memory_mb=settings.convert_memory_mb
    )


@dataclass(frozen=True)
class Job:
    """What a converter needs, as plain data: it is sent to the child process."""

    data: bytes
    kind: Kind
    name: str
    charset: str | None
    url: str | None
    max_chars: int
    max_unzipped_bytes: int


def convert(job: Job) -> Body:
    """The converter for `job.kind`, in this process (the child's side of `to_body`)."""
    if job.kind is Kind.PDF:
        from bot.sources.pdf import pdf_body

        return pdf_body(job.data, job.name, max_chars=job.max_chars)
    if job.kind is Kind.DOCX:
        from bot.sources.word import docx_body

        return docx_body(
            job.data, job.name, max_unzipped_bytes=job.max_unzipped_bytes, max_chars=job.max_chars
        )
    if job.kind is Kind.HTML:
        from bot.sources.webpage import html_body

        return html_body(job.data, job.name, charset=job.charset, url=job.url, max_chars=job.max_chars)
    return markdown_body(decode_text(job.data, job.name, job.charset))
