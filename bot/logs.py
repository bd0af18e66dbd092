"""Logging for every command: docdebate's own records at the chosen level (`DOCDEBATE_LOG_LEVEL`); what
libraries log below ERROR (pypdf's notes on a damaged file, Python warnings) only at `debug`.

A user who reads a PDF should see one line if it cannot be read, not two pypdf warnings above it.
"""

from __future__ import annotations

import logging
import sys

_OURS = ("bot", "docdebate")


class _Demote(logging.Filter):
    """Marks libraries' records below ERROR as DEBUG, so the handler's level decides whether they show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR and not record.name.startswith(_OURS):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


class _Level(logging.Filter):
    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def configure(level: str, *, service: bool = False) -> None:
    """`service`: a long-running process (timestamps and logger names); else a command's short lines."""
    threshold = logging.getLevelNamesMapping()[level.upper()]
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Demote())
    handler.addFilter(_Level(threshold))
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if service else "%(levelname)s: %(message)s"
    handler.setFormatter(_Lowercase(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(threshold)
    logging.captureWarnings(True)


class _Lowercase(logging.Formatter):
    """`warning: …` rather than `WARNING: …`: the CLI's lines read like its `error: …` lines."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.levelname
        record.levelname = saved.lower()
        try:
            return super().format(record)
        finally:
            record.levelname = saved
