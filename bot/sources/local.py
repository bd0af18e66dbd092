"""Local files: .md, .markdown, .txt, .pdf, .docx (and .html), or any other file that is text."""

from __future__ import annotations

import asyncio
import contextlib
import stat
from pathlib import Path

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.sources.convert import file_body
from bot.sources.text import finish, human_size


async def load_file(ref: str, settings: Settings) -> Document:
    """Read and convert a local file; disk and parsing work runs in a thread, off the event loop."""
    return await asyncio.to_thread(_load, ref, settings)


def _load(ref: str, settings: Settings) -> Document:
    path = _absolute(ref)
    data = _read(path, settings.max_file_bytes)
    body = file_body(data, path.name, settings, shown=str(path))
    return finish(body, source=str(path), fallback_title=path.stem, settings=settings)


def _absolute(ref: str) -> Path:
    path = Path(ref)
    with contextlib.suppress(RuntimeError):  # "~someone" with no such user: "no such file" will say so
        path = path.expanduser()
    try:
        return path.resolve()
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        raise SourceError(f"{ref!r} is not a valid file path: check it.") from exc


def _read(path: Path, limit: int) -> bytes:
    """The file's bytes, refusing folders, special files and files over `limit` before reading them."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(f"{path} is a folder, not a file: give the path of one document.")
        if not stat.S_ISREG(info.st_mode):
            raise SourceError(f"{path} is not a regular file: give the path of a document.")
        _check_size(path, info.st_size, limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # +1: a file that grew since stat() is still caught
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise SourceError(f"no such file: {path}: check the path (or give an http(s) link).") from exc
    except PermissionError as exc:
        raise SourceError(f"permission denied reading {path}: check the file's permissions.") from exc
    except OSError as exc:
        raise SourceError(f"could not read {path} ({exc.strerror or exc}): check the path.") from exc
    _check_size(path, len(data), limit)
    return data


def _check_size(path: Path, size: int, limit: int) -> None:
    if size > limit:
        raise SourceError(
            f"{path.name} is larger than {human_size(limit)} (DOCDEBATE_MAX_FILE_BYTES): "
            "split it or raise the limit."
        )
