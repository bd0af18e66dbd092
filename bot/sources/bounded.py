"""Conversion in a child process that cannot outlive its time or outgrow its memory.

The converters are library code (lxml, python-docx, pypdf, trafilatura) whose cost on hostile input cannot
be bounded from inside: a 70 KB gzipped page or a 1.4 KB PDF kept them busy for minutes. The converters
stop at the limits they can see (characters, paragraphs, pages, elements), and `run_bounded` is the
backstop for the rest: it runs the conversion in a child process with an address-space limit
(RLIMIT_AS, so a runaway allocation is a MemoryError or a dead child, never a host out of memory), and
kills the child at the deadline.

The child comes from a forkserver: a clean interpreter, started once, that has imported the converters,
so each conversion is a cheap fork of it. Never a plain fork of the calling process: the serving process
has threads (DBOS, heartbeats), and a fork taken while one of them holds a lock can deadlock the child.

What comes back is plain data: the Body, or a SourceError's message, never a traceback. The child's log
records are sent back too and logged here, so the parent's logging configuration decides what shows.
"""

from __future__ import annotations

import functools
import logging
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import SourceError
from bot.sources.text import Body

log = logging.getLogger(__name__)

Job = TypeVar("Job")

# Imported once by the forkserver, so no child pays for them. Each child also runs the parent's main script
# again (multiprocessing does, for spawn and forkserver children: a script that reads documents needs its
# `if __name__ == "__main__":`), so bot.cli, what the `docdebate` script imports, is preloaded too: else
# each conversion would import Typer. (Preloading "__main__" itself does nothing in Python 3.11.)
_PRELOAD = ["bot.cli", "bot.sources.convert", "bot.sources.pdf", "bot.sources.word", "bot.sources.webpage"]
_MAX_RECORDS = 50  # log records a child may send back: a damaged PDF can log a warning per object
_MB = 1024 * 1024
_REAP_S = 5.0  # how long to wait for a killed child to be gone
_NEAR_LIMIT = 0.9  # a child that failed after holding this share of its address space ran out of it
# Conversions at once, per process: eight hostile links must not mean eight children of 700 MB each.
_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def too_complex(name: str, timeout_s: float, memory_mb: int) -> SourceError:
    return SourceError(
        f"{name} is too large or too complex to read within {timeout_s:g} s / {memory_mb} MB: "
        "split it or export the text."
    )


def too_long(limit: int) -> SourceError:
    """The document passed the character limit while it was being converted (the rest was not read)."""
    return SourceError(
        f"the document is more than {limit:,} characters, the limit (DOCDEBATE_MAX_DOC_CHARS): "
        "split it or raise the limit."
    )


class ChildCause(Exception):
    """The cause of a SourceError raised in the child, as text (the exception itself may not pickle): the
    parent's SourceError is raised from it, so logs and debuggers still see what the library said."""


class CharBudget:
    """Counts the characters a converter has produced, and stops it as soon as they pass the limit: a
    document over the limit is refused anyway, so converting the rest of it is wasted work."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def add(self, n_chars: int) -> None:
        self.used += n_chars
        if self.used > self.limit:
            raise too_long(self.limit)


def run_bounded(
    target: Callable[[Job], Body], job: Job, *, name: str, timeout_s: float, memory_mb: int
) -> Body:
    """`target(job)` in a child process with at most `memory_mb` of address space, killed after
    `timeout_s`. `target` must be a module-level function and `job` picklable. Blocks: call it from a
    worker thread. Raises SourceError: the target's own, or `too_complex` when a bound was hit. At most one
    conversion per CPU runs at once; the others wait their turn (the wait is not counted in `timeout_s`)."""
    with _SLOTS:
        return _run(target, job, name=name, timeout_s=timeout_s, memory_mb=memory_mb)


def _run(target: Callable[[Job], Body], job: Job, *, name: str, timeout_s: float, memory_mb: int) -> Body:
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(  # type: ignore[attr-defined]  # BaseContext's stub lacks Process
        target=_child,
        args=(sender, target, job, memory_mb * _MB, timeout_s, logging.getLogger().getEffectiveLevel()),
        name="docdebate-convert",
        daemon=True,
    )
    started, reply, peak, exitcode = 0.0, None, None, None
    try:
        child.start()  # the first one waits for the forkserver to start: not counted in the deadline
        sender.close()
        started = time.monotonic()
        reply = _receive(receiver, timeout_s)
        if reply is None:
            peak = _peak_rss_of(child.pid)
    finally:
        sender.close()
        exitcode = _reap(child)
        receiver.close()
    seconds = time.monotonic() - started
    if reply is None:
        _report(name, "stopped", seconds, peak, exitcode)
        raise too_complex(name, timeout_s, memory_mb)
    outcome, value, peak, records = reply
    _replay(records)
    _report(name, outcome, seconds, peak, 0)
    if outcome == "ok":
        body: Body = value
        return body
    if outcome == "error":
        message, cause = value
        raise SourceError(message) from (ChildCause(cause) if cause else None)
    if outcome == "memory":
        raise too_complex(name, timeout_s, memory_mb)
    log.error("converting %s failed:\n%s", name, value)
    raise SourceError(f"could not read {name} (an error in docdebate, logged): export it as text and retry.")


Reply = tuple[str, Any, int, list[dict[str, Any]]]  # outcome, its value, peak RSS, log records


def _receive(receiver: Connection, timeout_s: float) -> Reply | None:
    """The child's reply, or None if it had none by the deadline or died without one."""
    try:
        if not receiver.poll(timeout_s):
            return None
        reply: Reply = receiver.recv()
    except (EOFError, OSError):  # the child died: killed by the kernel, RLIMIT_CPU, a crash in C code
        return None
    return reply


def _peak_rss_of(pid: int | None) -> int | None:
    """VmHWM of a live process: the most memory it has used so far."""
    return _status_bytes(f"/proc/{pid}/status", "VmHWM")


def _status_bytes(path: str, field: str) -> int | None:
    """A size field of a /proc status file, in bytes; None if the process is gone or this is not Linux."""
    try:
        with Path(path).open(encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _report(name: str, outcome: str, seconds: float, peak: int | None, exitcode: int | None) -> None:
    """One debug line per conversion, its figures also as record attributes (bench/convert_bench.py)."""
    peak_mb = None if peak is None else peak / _MB
    log.debug(
        "converting %s: %s in %.2f s, peak %s MB%s",
        name,
        outcome,
        seconds,
        "?" if peak_mb is None else f"{peak_mb:.0f}",
        f" (exit code {exitcode})" if exitcode else "",
        extra={"convert_outcome": outcome, "convert_seconds": seconds, "convert_peak_mb": peak_mb},
    )


def _reap(child: Any) -> int | None:
    """Kills the child if it still runs, waits for it, and returns its exit code (-9: killed here)."""
    if child.pid is None:  # never started
        return None
    if child.is_alive():
        child.kill()
    child.join(_REAP_S)
    exitcode: int | None = child.exitcode
    if exitcode is None:  # pragma: no cover - a SIGKILLed process that does not go away
        log.warning("conversion process %s did not exit after SIGKILL", child.pid)
    else:
        child.close()
    return exitcode


@functools.cache
def _context() -> BaseContext:
    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:  # pragma: no cover - no forkserver on this platform (Windows)
        return multiprocessing.get_context("spawn")
    context.set_forkserver_preload(_PRELOAD)
    return context


# ---- in the child ----


def _child(
    sender: Connection,
    target: Callable[[Any], Body],
    job: Any,
    memory_bytes: int,
    timeout_s: float,
    log_level: int,
) -> None:
    _limit_resources(memory_bytes, timeout_s)
    records = _capture_logs(log_level)
    try:
        reply: tuple[str, Any] = ("ok", target(job))
    except MemoryError:
        reply = ("memory", None)
    except Exception as exc:
        if _peak_address_space() >= _NEAR_LIMIT * memory_bytes:
            # Out of memory in C code: libxml2 reports it as a parse error ("unknown error"), which the
            # converter then calls a damaged file. It was the bound.
            reply = ("memory", None)
        elif isinstance(exc, SourceError):
            cause = exc.__cause__
            reply = ("error", (exc.message, "".join(traceback.format_exception(cause)) if cause else None))
        else:  # a bug: its traceback goes to the parent's log, never to the user
            reply = ("bug", traceback.format_exc())
    try:
        sender.send((*reply, _peak_rss(), records))
    except Exception:  # the reply would not pickle, or there was no memory left to pickle it
        sender.send(("bug", traceback.format_exc(), _peak_rss(), []))
    sender.close()


def _peak_address_space() -> int:
    """VmPeak: the most address space this process has held (0 where /proc cannot say)."""
    return _status_bytes("/proc/self/status", "VmPeak") or 0


def _peak_rss() -> int:
    """The most memory this process has used, in bytes (ru_maxrss is in KiB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _limit_resources(memory_bytes: int, timeout_s: float) -> None:
    """Address space, and CPU time a little past the deadline: a child whose parent died (and so cannot
    kill it) still stops."""
    import resource

    for kind, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, int(timeout_s) + 5)):
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)  # never above the host's
        resource.setrlimit(kind, (value, value))


class _Collect(logging.Handler):
    def __init__(self, records: list[dict[str, Any]]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) >= _MAX_RECORDS:
            return
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        self.records.append(
            {"name": record.name, "levelno": record.levelno, "levelname": record.levelname, "msg": message}
        )


def _capture_logs(level: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    root = logging.getLogger()
    root.handlers[:] = [_Collect(records)]
    root.setLevel(level)
    logging.captureWarnings(True)
    return records


def _replay(records: list[dict[str, Any]]) -> None:
    for fields in records:
        record = logging.makeLogRecord(fields)
        logging.getLogger(record.name).handle(record)
