"""Logging for every command: docdebate's own records at the chosen level (`DOCDEBATE_LOG_LEVEL`); what
libraries log below ERROR (pypdf's notes on a damaged file, Python warnings) only at `debug`.

A user who reads a PDF should see one line if it cannot be read, not two pypdf warnings above it.
"""

from __future__ import annotations

import logging
import sys

_OURS = ("bot", "docdebate")
# Libraries whose debug records carry request bodies: prompts, documents, Slack payloads, response_urls.
_PAYLOAD_LOGGERS = (
    "anthropic",
    "httpx",
    "httpcore",
    "httpx2",
    "httpcore2",
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "urllib3",
)
# DBOS logs through its own handler, at WARNING too, and puts a step's arguments (a whole document) in its
# messages: those are cut to their start unless payloads are wanted.
_LONGEST_LIBRARY_MESSAGE = 300


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


def configure(level: str, *, service: bool = False, payloads: bool = False) -> None:
    """`service`: a long-running process (timestamps and logger names); else a command's short lines.
    `payloads` (`DOCDEBATE_LOG_PAYLOADS`): let the libraries that log whole requests at debug do so."""
    threshold = logging.getLevelNamesMapping()[level.upper()]
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Demote())
    handler.addFilter(_Level(threshold))
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if service else "%(levelname)s: %(message)s"
    handler.setFormatter(_Lowercase(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(threshold)
    for name in _PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if payloads else max(threshold, logging.INFO))
    dbos = logging.getLogger("dbos")
    dbos.filters[:] = [f for f in dbos.filters if not isinstance(f, _Shorten)]
    if not payloads:
        dbos.addFilter(_Shorten(_LONGEST_LIBRARY_MESSAGE))


class _Shorten(logging.Filter):
    """A record's message cut to `limit` characters (its arguments folded in first)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > self.limit:
            record.msg, record.args = message[: self.limit] + " …", None
        return True

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
