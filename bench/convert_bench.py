"""Benchmark: the hostile documents of issue 11 through `docdebate review`'s reading path, and what the
bound costs a normal document.

Each hostile file is built here (tests/hostile.py), then read with `bot.sources.load_document` and the
default settings (the web pages from a loopback server that sends them gzipped, so the private-address
guard is lifted for it), and the script prints for each: read or refused (and why), wall seconds, and the
peak memory of the process that converted it. Target: each within 30 s and 700 MB. One more file, whose
work nothing in the converters can see (100 pages, each its own costly stream that shows no text), shows
the backstop: it is stopped at the 30 s deadline. The first row includes starting the forkserver.

Then normal documents (examples/launch-plan.md, and a PDF, a .docx and a web page of it): the median time
to read one through the bounded child against converting it in this process (the converters' own work,
which is all reading cost before the bound), and the first read in a fresh process, as the CLI does it.

    .venv/bin/python bench/convert_bench.py [--runs 9] [--no-deadline-case]
"""

from __future__ import annotations

# Only what the conversion children already hold is imported here; the rest (Rich, reportlab, http.server,
# statistics) inside the functions that use it: each child runs this script again (multiprocessing does, for
# forkserver children), and would pay for those imports in every measurement.
import argparse
import asyncio
import gzip
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.errors import SourceError  # noqa: E402
from bot.sources import load_document  # noqa: E402
from bot.sources.convert import SUFFIXES, Job, convert  # noqa: E402
from tests import hostile  # noqa: E402
from tests.pages import serve_pages  # noqa: E402

TARGET_S, TARGET_MB = 30, 700
PLAN = ROOT / "examples" / "launch-plan.md"


@dataclass
class Case:
    name: str
    what: str
    build: Callable[[], bytes]
    web: bool = False
    deadline: bool = False  # only the deadline stops it: the target is to be stopped there


CASES = [
    Case(
        "short.docx",
        "29k short paragraphs",
        lambda: hostile.docx(hostile.paragraphs_xml(29_000, "short words")),
    ),
    Case("empty.docx", "4M empty paragraphs", lambda: hostile.docx(hostile.paragraphs_xml(4_000_000))),
    Case(
        "shared.pdf",
        "1,000 pages, one 300 KB stream",
        lambda: hostile.shared_stream_pdf(hostile.text_ops(37_500)),
    ),
    Case(
        "blank.pdf",
        "the same, showing no text",
        lambda: hostile.shared_stream_pdf(hostile.text_ops(50_000, "")),
    ),
    Case("page3.html", "3 MB page, gzipped", lambda: hostile.big_page(3_000_000), web=True),
    Case("page24.html", "24 MB page, gzipped", lambda: hostile.big_page(24_000_000), web=True),
    Case("bomb.docx", "zip: 1 GB stream, 2 KB declared", lambda: hostile.lying_docx(1_000_000_000)),
]
DEADLINE_CASE = Case(
    "slow.pdf",
    "100 costly pages, nothing shared",
    lambda: hostile.distinct_streams_pdf(hostile.text_ops(50_000, ""), pages=100),
    deadline=True,
)


class _Peaks(logging.Handler):
    """The figures bot.sources.bounded logs for each conversion."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.last: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "convert_peak_mb"):
            self.last = record.convert_peak_mb


def read(ref: str, settings: Settings, peaks: _Peaks) -> tuple[str, float, float | None]:
    peaks.last = None
    started = time.perf_counter()
    try:
        document = asyncio.run(load_document(ref, settings))
        answer = f"read: {len(document.text):,} characters"
    except SourceError as exc:
        answer = f"refused: {exc.message}"
    return answer, time.perf_counter() - started, peaks.last


def hostile_table(cases: list[Case], folder: Path, peaks: _Peaks) -> Table:
    from rich.table import Table

    table = Table(title=f"hostile documents (target: within {TARGET_S} s and {TARGET_MB} MB)")
    for column in ("file", "size", "answer", "s", "peak MB", "target"):
        table.add_column(column, overflow="fold")
    built = {case.name: case.build() for case in cases}
    with serve_pages(
        {f"/{c.name}": ("text/html", built[c.name]) for c in cases if c.web}, gzipped=True
    ) as base:
        for case in cases:
            data = built[case.name]
            if case.web:
                ref, settings = f"{base}/{case.name}", Settings(allow_private_urls=True)
                size = f"{len(gzip.compress(data)) / 1000:,.0f} KB gzipped"
            else:
                path = folder / case.name
                path.write_bytes(data)
                ref, settings, size = str(path), Settings(), f"{len(data) / 1000:,.1f} KB"
            answer, seconds, peak = read(ref, settings, peaks)
            ok = seconds < TARGET_S + (1 if case.deadline else 0) and (peak or 0) < TARGET_MB
            table.add_row(
                f"{case.name}\n{case.what}",
                size,
                answer,
                f"{seconds:.1f}",
                f"{peak:.0f}" if peak else "?",
                ("met" if ok else "MISSED") + (" (deadline)" if case.deadline else ""),
            )
    return table


def normal_files(folder: Path) -> dict[str, Path]:
    """launch-plan.md, and a PDF, a .docx and a web page of the same text."""
    import docx
    from reportlab.pdfgen import canvas

    lines = PLAN.read_text().splitlines()
    pdf_path, docx_path, html_path = folder / "plan.pdf", folder / "plan.docx", folder / "plan.html"
    page = canvas.Canvas(str(pdf_path))
    for index, line in enumerate(lines):
        if index and index % 45 == 0:
            page.showPage()
        page.drawString(40, 800 - 17 * (index % 45), line[:95])
    page.save()
    document = docx.Document()
    for line in lines:
        if line.startswith("#"):
            document.add_heading(line.lstrip("# "), level=min(line.count("#", 0, 4), 3))
        elif line.strip():
            document.add_paragraph(line)
    document.save(str(docx_path))
    body = "\n".join(f"<h2>{ln.lstrip('# ')}</h2>" if ln.startswith("#") else f"<p>{ln}</p>" for ln in lines)
    html_path.write_text(
        f"<!doctype html><html><head><title>Plan</title></head><body><article>{body}</article></body></html>"
    )
    return {"launch-plan.md": PLAN, "plan.pdf": pdf_path, "plan.docx": docx_path, "plan.html": html_path}


def in_process(path: Path) -> None:
    """The converter's own work, in this process: the whole reading cost before the bound."""
    settings = Settings()
    job = Job(
        path.read_bytes(),
        SUFFIXES[path.suffix],
        path.name,
        None,
        None,
        settings.max_doc_chars,
        10 * settings.max_file_bytes,
    )
    convert(job)


def median_s(action: Callable[[], object], runs: int) -> float:
    import statistics

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def fresh_process_s(path: Path, bounded: bool, runs: int) -> float:
    """The first read in a new interpreter, as `docdebate review` does it (imports and forkserver included)."""
    code = (
        "import asyncio, sys; from bot.config import Settings; from bot.sources import load_document\n"
        "if __name__ == '__main__': asyncio.run(load_document(sys.argv[1], Settings()))"
        if bounded
        else "import sys; from pathlib import Path; from bot.config import Settings\n"
        "from bot.sources.convert import SUFFIXES, Job, convert\n"
        "p = Path(sys.argv[1]); s = Settings()\n"
        "convert(Job(p.read_bytes(), SUFFIXES[p.suffix], p.name, None, None, s.max_doc_chars, 10 * s.max_file_bytes))"
    )
    command = [sys.executable, "-c", code, str(path)]
    return median_s(lambda: subprocess.run(command, check=True, cwd=ROOT, capture_output=True), runs)


def normal_table(folder: Path, runs: int) -> Table:
    from rich.table import Table

    table = Table(title=f"normal documents: median of {runs} (bounded child vs in this process)")
    for column in (
        "file",
        "read (bounded)",
        "convert in-process",
        "fresh process, bounded",
        "fresh, in-process",
    ):
        table.add_column(column)
    settings = Settings()
    for name, path in normal_files(folder).items():
        bounded = median_s(lambda p=path: asyncio.run(load_document(str(p), settings)), runs)
        here = median_s(lambda p=path: in_process(p), runs)
        fresh = fresh_process_s(path, True, max(3, runs // 3))
        fresh_here = fresh_process_s(path, False, max(3, runs // 3))
        table.add_row(
            name,
            f"{bounded * 1000:.0f} ms",
            f"{here * 1000:.0f} ms",
            f"{fresh * 1000:.0f} ms",
            f"{fresh_here * 1000:.0f} ms",
        )
    return table


def main() -> None:
    import resource

    from rich.console import Console

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--no-deadline-case", action="store_true", help="skip the case that runs out the 30 s"
    )
    args = parser.parse_args()
    peaks = _Peaks()
    bounded_log = logging.getLogger("bot.sources.bounded")
    bounded_log.addHandler(peaks)
    bounded_log.setLevel(logging.DEBUG)
    console = Console()
    cases = CASES if args.no_deadline_case else [*CASES, DEADLINE_CASE]
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(load_document(str(PLAN), Settings()))  # nothing to warm: text is read in this process
        console.print(hostile_table(cases, Path(folder), peaks))
        console.print(normal_table(Path(folder), args.runs))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(f"this process's own peak (it converts text itself, and builds the files): {own:.0f} MB")


if __name__ == "__main__":
    main()
