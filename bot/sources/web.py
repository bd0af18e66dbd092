"""Web links: fetch safely (`fetch`), then convert by content type with the same converters as files."""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from bot.config import Settings
from bot.errors import SourceError
from bot.models import Document
from bot.sources.convert import MEDIA_TYPES, SUFFIXES, SUPPORTED, Kind, sniff, to_body
from bot.sources.fetch import Fetched, fetch
from bot.sources.text import finish

# Media types servers send for "some file": the URL's extension or the bytes decide instead.
_GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream", "application/download")


async def load_url(url: str, settings: Settings) -> Document:
    """Fetch an http(s) link and convert it. `Document.source` is the link as given."""
    fetched = await fetch(url, settings)
    return await asyncio.to_thread(_convert, url, fetched, settings)


def _convert(url: str, fetched: Fetched, settings: Settings) -> Document:
    kind = _kind(fetched)
    body = to_body(fetched.body, kind, fetched.url, settings, charset=fetched.charset, url=fetched.url)
    fallback = url if kind is Kind.HTML else (_file_stem(fetched.url) or url)
    return finish(body, source=url, fallback_title=fallback, settings=settings)


def _kind(fetched: Fetched) -> Kind:
    kind = MEDIA_TYPES.get(fetched.media_type)
    if kind is not None:
        return kind
    if fetched.media_type.startswith("text/") or fetched.media_type in _GENERIC_TYPES:
        suffix = PurePosixPath(urlsplit(fetched.url).path).suffix.lower()
        kind = SUFFIXES.get(suffix) or sniff(fetched.body)
        if kind is not None:
            return kind
    what = fetched.media_type or "a file of unknown type"
    raise SourceError(f"{fetched.url} is {what}, which docdebate cannot read: {SUPPORTED}.")


def _file_stem(url: str) -> str:
    """ "plan" for https://example.com/docs/plan.pdf; "" when the path names no file."""
    return PurePosixPath(unquote(urlsplit(url).path)).stem
