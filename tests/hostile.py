"""Builders of hostile documents: small files that ask a converter for a lot of work or memory.

Shared by tests/test_sources_hostile.py and bench/convert_bench.py. Each is built from scratch (no
fixtures on disk) and is what issue 11 reported: Word files of many paragraphs, a PDF whose pages share
one page and one content stream, big repetitive web pages, and a zip whose streams hold far more than its
headers declare.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="word/document.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    b"</Relationships>"
)


def document_xml(body: bytes) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS}><w:body>'.encode() + (
        body + b"</w:body></w:document>"
    )


def paragraphs_xml(count: int, text: str = "") -> bytes:
    """`count` paragraphs holding `text` (empty paragraphs when it is "")."""
    paragraph = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode() if text else b"<w:p/>"
    return document_xml(paragraph * count)


def docx(document: bytes) -> bytes:
    """A minimal .docx around a word/document.xml, which python-docx opens."""
    return zip_archive(
        [
            ("[Content_Types].xml", _CONTENT_TYPES, None),
            ("_rels/.rels", _RELS, None),
            ("word/document.xml", document, None),
        ]
    )


def lying_docx(real_bytes: int, declared_bytes: int = 2_000) -> bytes:
    """A .docx whose word/document.xml stream inflates to `real_bytes` while the zip headers (local and
    central) declare `declared_bytes`: a zip bomb that a guard reading the size fields lets through."""
    head = document_xml(b"<w:p><w:r><w:t>")
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts = [deflate.compress(head)]
    block = b"a" * (1 << 20)
    for _ in range(max(0, real_bytes - len(head)) // len(block)):
        parts.append(deflate.compress(block))
    parts.append(deflate.flush())
    raw = b"".join(parts)
    return zip_archive(
        [
            ("[Content_Types].xml", _CONTENT_TYPES, None),
            ("_rels/.rels", _RELS, None),
            ("word/document.xml", raw, declared_bytes),
        ]
    )


def zip_archive(members: Iterable[tuple[str, bytes, int | None]]) -> bytes:
    """A zip written field by field. (name, data, None) is deflated honestly; (name, raw, declared) stores
    `raw` as the member's deflate stream and declares `declared` as its size, whatever it inflates to."""
    out = bytearray()
    central = bytearray()
    count = 0
    for name, data, declared in members:
        if declared is None:
            deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            raw, size, crc = deflate.compress(data) + deflate.flush(), len(data), zlib.crc32(data)
        else:
            raw, size, crc = data, declared, 0
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(raw), size, len(encoded), 0
        )
        out += encoded + raw
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(raw),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
        count += 1
    start = len(out)
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), start, 0)
    return bytes(out)


def shared_stream_pdf(content: bytes, fanout: tuple[int, ...] = (10, 10, 10)) -> bytes:
    """A PDF of prod(fanout) pages in a few hundred bytes: each level of the page tree names the next node
    `fanout[i]` times, the last names one page, and that page draws one (compressed) content stream."""
    objects: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    nodes = list(range(2, 2 + len(fanout)))
    page, font, stream = 2 + len(fanout), 3 + len(fanout), 4 + len(fanout)
    for index, node in enumerate(nodes):
        kid = nodes[index + 1] if index + 1 < len(nodes) else page
        count = 1
        for width in fanout[index:]:
            count *= width
        parent = f" /Parent {nodes[index - 1]} 0 R" if index else ""
        kids = " ".join([f"{kid} 0 R"] * fanout[index])
        objects[node] = f"<< /Type /Pages /Kids [{kids}] /Count {count}{parent} >>".encode()
    objects[page] = (
        f"<< /Type /Page /Parent {nodes[-1]} 0 R /MediaBox [0 0 612 792] "
        f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {stream} 0 R >>"
    ).encode()
    objects[font] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    packed = zlib.compress(content, 9)
    objects[stream] = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    )
    return pdf(objects)


def distinct_streams_pdf(content: bytes, pages: int) -> bytes:
    """A PDF of `pages` pages, each with its own copy of one content stream: no page shares work."""
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    packed = zlib.compress(content, 9)
    kids = []
    for index in range(pages):
        page, stream = 4 + 2 * index, 5 + 2 * index
        kids.append(f"{page} 0 R")
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {stream} 0 R >>"
        ).encode()
        objects[stream] = (
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
        )
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>".encode()
    return pdf(objects)


def text_ops(n_ops: int, text: str = "ab") -> bytes:
    """A content stream of `n_ops` text-showing operators (each shows `text`; "" shows nothing)."""
    return b"BT /F1 10 Tf 72 720 Td " + f"({text}) Tj ".encode() * n_ops + b"ET"


def pdf(objects: dict[int, bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets.get(number, 0)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def big_page(n_bytes: int, unit: str = "<div><p>Lorem ipsum dolor sit amet.</p></div>\n") -> bytes:
    """A web page of about `n_bytes` of one repeated block: megabytes that gzip to kilobytes."""
    head = b"<!doctype html><html><head><title>Big page</title></head><body>"
    block = unit.encode()
    return head + block * max(1, n_bytes // len(block)) + b"</body></html>"
