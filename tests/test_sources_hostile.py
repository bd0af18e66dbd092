"""Hostile documents: small files that asked the converters for minutes of CPU or gigabytes of memory.

Each is built here (tests/hostile.py) and read through `load_document`, as `docdebate review` and the bot
read them. A test asserts the answer (read, or refused with the message that names the bound), never a
wall time; each would get another answer without the bound it tests: the converter would run out the
conversion deadline, hit the memory limit, or read what it should have refused.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.sources import load_document
from tests import hostile
from tests.conftest import run_cli
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.pages import serve_pages
from tests.test_cli_e2e import assert_one_line_error

TOO_COMPLEX = "is too large or too complex to read within"


async def load(path: Path, settings: Settings | None = None) -> Document:
    return await load_document(str(path), settings or Settings())


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def peak_mb(caplog: pytest.LogCaptureFixture) -> float:
    """The peak memory of the last conversion's process, as bot.sources.bounded logged it."""
    peaks = [r.convert_peak_mb for r in caplog.records if hasattr(r, "convert_peak_mb")]
    assert peaks and peaks[-1] is not None, "the conversion was not reported"
    peak: float = peaks[-1]
    return peak


# ---- Word ----


async def test_a_docx_of_29k_short_paragraphs_is_read(tmp_path: Path) -> None:
    """python-docx scans every style for each paragraph's style: minutes for this, before styles were cached
    (past the 30 s deadline: refused as too complex)."""
    path = write(tmp_path, "short.docx", hostile.docx(hostile.paragraphs_xml(29_000, "short words")))
    doc = await load(path)
    assert doc.text.split("\n\n") == ["short words"] * 29_000


async def test_a_docx_of_4m_empty_paragraphs_is_refused_before_it_is_parsed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.sources.bounded")
    data = hostile.docx(hostile.paragraphs_xml(4_000_000))
    assert len(data) < 100_000
    with pytest.raises(SourceError, match=r"has more than 200,000 paragraphs, more than docdebate reads"):
        await load(write(tmp_path, "empty.docx", data))
    assert peak_mb(caplog) < 250, "python-docx did not build the 4M paragraphs (~550 MB)"


async def test_a_docx_of_too_many_xml_elements_is_refused(tmp_path: Path) -> None:
    runs = hostile.document_xml(b"<w:p>" + b"<w:r/>" * 25_000 + b"</w:p>")
    with pytest.raises(SourceError, match=r"holds more than 20,000 XML elements"):
        await load(write(tmp_path, "runs.docx", hostile.docx(runs)), Settings(max_doc_chars=10_000))


async def test_docx_text_past_the_character_limit_stops_the_conversion(tmp_path: Path) -> None:
    data = hostile.docx(hostile.paragraphs_xml(2_000, "x" * 50))
    with pytest.raises(SourceError, match=r"the document is more than 20,000 characters, the limit"):
        await load(write(tmp_path, "long.docx", data), Settings(max_doc_chars=20_000))


async def test_a_zip_whose_stream_holds_more_than_its_headers_declare_is_refused_by_its_real_size(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Headers say 2 KB, the stream inflates to 300 MB: zipfile (python-docx) would inflate all of it in one
    piece. The guard counts the real bytes in bounded reads, so memory stays near the converter's own."""
    caplog.set_level(logging.DEBUG, logger="bot.sources.bounded")
    data = hostile.lying_docx(real_bytes=300_000_000, declared_bytes=2_000)
    assert len(data) < 1_000_000
    with pytest.raises(SourceError) as info:
        await load(write(tmp_path, "bomb.docx", data))
    assert info.value.message == (
        "bomb.docx unpacks to more than the 250 MB docdebate reads (its zip headers claim 2.73 KB): "
        "remove large images or split it."
    )
    assert peak_mb(caplog) < 150


async def test_a_zip_bomb_under_a_small_memory_bound_still_gets_its_own_answer(tmp_path: Path) -> None:
    """With 200 MB to work in, inflating the 300 MB stream at once would be a MemoryError ("too complex"):
    the answer about its size shows that nothing inflated it whole."""
    data = hostile.lying_docx(real_bytes=300_000_000)
    with pytest.raises(SourceError, match=r"unpacks to more than the 250 MB docdebate reads"):
        await load(write(tmp_path, "bomb.docx", data), Settings(convert_memory_mb=200))


async def test_an_honest_zip_over_the_limit_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    data = hostile.docx(hostile.document_xml(b"<w:p><w:r><w:t>" + b"a" * 3_000_000 + b"</w:t></w:r></w:p>"))
    with pytest.raises(SourceError, match=r"unpacks to 3 MB, more than the 1 MB docdebate reads"):
        await load(write(tmp_path, "big.docx", data), Settings(max_file_bytes=100_000))


# ---- PDF ----


async def test_a_pdf_of_1000_pages_sharing_one_content_stream_is_refused_by_its_length(
    tmp_path: Path,
) -> None:
    """1.4 KB on disk; each page draws the same 300 KB of text operators (half a second of pypdf each). The
    page is read once and extraction stops at the character limit."""
    data = hostile.shared_stream_pdf(hostile.text_ops(37_500))
    assert len(data) < 2_000
    with pytest.raises(SourceError, match=r"the document is more than 600,000 characters, the limit"):
        await load(write(tmp_path, "shared.pdf", data))


async def test_a_pdf_of_1000_pages_sharing_a_stream_that_shows_nothing_ends(tmp_path: Path) -> None:
    data = hostile.shared_stream_pdf(hostile.text_ops(50_000, ""))
    with pytest.raises(SourceError, match=r"has no readable text"):
        await load(write(tmp_path, "blank.pdf", data))


async def test_a_pdf_page_tree_of_a_million_pages_is_refused_before_pypdf_lists_them(tmp_path: Path) -> None:
    data = hostile.shared_stream_pdf(hostile.text_ops(1), fanout=(100, 100, 100))
    with pytest.raises(SourceError, match=r"has more than 10,000 pages, more than docdebate reads"):
        await load(write(tmp_path, "million.pdf", data))


async def test_a_pdf_repeating_one_page_within_the_limits_is_read(tmp_path: Path) -> None:
    data = hostile.shared_stream_pdf(hostile.text_ops(3, "Same words on every page."), fanout=(10, 10))
    doc = await load(write(tmp_path, "repeat.pdf", data))
    assert len(doc.sections) == 100
    assert doc.sections[99].title == "Page 100"
    assert doc.text.count("Same words on every page.") == 300


async def test_a_conversion_past_its_deadline_is_stopped(tmp_path: Path) -> None:
    """40 pages, each with its own copy of a costly stream: nothing is shared and no text piles up, so only
    the deadline stops it (about 25 s of pypdf otherwise, then 'no readable text')."""
    data = hostile.distinct_streams_pdf(hostile.text_ops(50_000, ""), pages=40)
    with pytest.raises(SourceError) as info:
        await load(write(tmp_path, "slow.pdf", data), Settings(convert_timeout_s=1))
    assert info.value.message == (
        "slow.pdf is too large or too complex to read within 1 s / 700 MB: split it or export the text."
    )


async def test_a_conversion_past_its_memory_is_stopped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Limits raised so the paragraph count lets 4M empty paragraphs through: python-docx's tree of them needs
    ~550 MB, past the 200 MB bound (without it: a minute of rendering, then 'the document is empty')."""
    caplog.set_level(logging.DEBUG, logger="bot.sources.bounded")
    data = hostile.docx(hostile.paragraphs_xml(4_000_000))
    settings = Settings(max_doc_chars=20_000_000, convert_memory_mb=200, convert_timeout_s=300)
    with pytest.raises(SourceError, match=f"empty.docx {TOO_COMPLEX} 300 s / 200 MB: split it or export"):
        await load(write(tmp_path, "empty.docx", data), settings)
    assert peak_mb(caplog) <= 200


# ---- web pages ----


@pytest.mark.parametrize("megabytes", [3, 24])
async def test_a_big_repetitive_page_is_refused_before_trafilatura(tmp_path: Path, megabytes: int) -> None:
    """trafilatura took 22 s for the 3 MB page and over 900 s for the 24 MB one."""
    path = write(tmp_path, "big.html", hostile.big_page(megabytes * 1_000_000))
    with pytest.raises(SourceError, match=r"has more than 100,000 HTML elements, more than docdebate reads"):
        await load(path)


async def test_a_page_of_far_more_text_than_the_limit_is_refused_before_trafilatura(tmp_path: Path) -> None:
    page = hostile.big_page(3_000_000, "<p>" + "Lorem ipsum dolor sit amet, consectetur. " * 10 + "</p>\n")
    with pytest.raises(SourceError, match=r"holds more than 2,400,000 characters of text"):
        await load(write(tmp_path, "text.html", page))


async def test_script_and_indentation_do_not_count_as_text(tmp_path: Path) -> None:
    article = "<p>" + "A sentence of the article that is worth reading. " * 20 + "</p>\n"
    script = "<script>" + "var a = 1 < 2;\n" * 200_000 + "</script>"
    page = f"<!doctype html><html><head><title>T</title>{script}</head><body>{' ' * 3_000_000}{article}</body></html>"
    doc = await load(write(tmp_path, "page.html", page.encode()), Settings(max_doc_chars=500_000))
    assert "worth reading" in doc.text


async def test_a_24_mb_page_gzipped_on_the_wire_is_refused_through_the_web_path() -> None:
    with (
        serve_pages({"/big": ("text/html", hostile.big_page(24_000_000))}, gzipped=True) as base,
        pytest.raises(SourceError, match=r"/big has more than 100,000 HTML elements"),
    ):
        await load_document(f"{base}/big", Settings(allow_private_urls=True))


# ---- what comes back from the child ----


async def test_the_converters_log_records_reach_this_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """pypdf's note about a damaged file is logged in the child and handled here, where logging is set up."""
    caplog.set_level(logging.WARNING)
    good = hostile.shared_stream_pdf(hostile.text_ops(3, "Words on the page."), fanout=(2,))
    damaged = good[: good.rfind(b"startxref")] + b"startxref\n99999\n%%EOF\n"
    doc = await load(write(tmp_path, "damaged.pdf", damaged))
    assert "Words on the page." in doc.text
    assert any("startxref" in r.getMessage() and r.name.startswith("pypdf") for r in caplog.records)


# ---- the CLI ----


def test_the_cli_answers_a_hostile_file_in_one_line_with_no_model_call(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    path = write(tmp_path, "shared.pdf", hostile.shared_stream_pdf(hostile.text_ops(37_500)))
    result = run_cli(["review", str(path)], cli_env)
    assert_one_line_error(result, "the document is more than 600,000 characters, the limit")
    assert result.code == 66
    assert fake_anthropic.requests == []


def test_the_cli_answers_a_conversion_past_its_deadline_in_one_line(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    path = write(tmp_path, "slow.pdf", hostile.distinct_streams_pdf(hostile.text_ops(50_000, ""), pages=40))
    result = run_cli(["review", str(path)], {**cli_env, "DOCDEBATE_CONVERT_TIMEOUT_S": "1"})
    assert_one_line_error(result, f"slow.pdf {TOO_COMPLEX} 1 s / 700 MB: split it or export the text.")
    assert result.code == 66
    assert fake_anthropic.requests == []
