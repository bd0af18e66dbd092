"""What a link points at, without loading any client library: Google Docs and Drive files, and who asks.

The one place that decides what counts as a Google link. Kept apart from `bot.sources.google` (which loads
googleapiclient) so that routing a link, or reading a local file, costs nothing of Google's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bot.errors import SourceError

GOOGLE_HOSTS = ("docs.google.com", "drive.google.com")
_PATH_ID = re.compile(
    r"/(?:u/\d+/)?(?:document|presentation|spreadsheets|drawings|file)/(?:u/\d+/)?d/([A-Za-z0-9_-]{10,})"
)
_ID = re.compile(r"^[A-Za-z0-9_-]{10,}$")


def is_google_host(host: str | None) -> bool:
    """docs.google.com, drive.google.com, or a name under them."""
    name = (host or "").lower().rstrip(".")
    return any(name == g or name.endswith("." + g) for g in GOOGLE_HOSTS)


def is_google_link(url: str) -> bool:
    return is_google_host(urlsplit(url).hostname)


def google_file_id(url: str) -> str | None:
    """The file id in any Docs/Drive link form (`/d/ID/edit?tab=…`, `/u/0/…`, `open?id=ID`), or None."""
    parts = urlsplit(url)
    if not is_google_host(parts.hostname):
        return None
    found = _PATH_ID.search(parts.path)
    if found:
        return found.group(1)
    ids = parse_qs(parts.query).get("id", [])
    return ids[0] if ids and _ID.match(ids[0]) else None


def require_google_file_id(url: str) -> str:
    """The file id of a Google link, or the SourceError that asks for the doc's own link."""
    file_id = google_file_id(url)
    if file_id is None:
        raise SourceError(f"{url} is not a link to a Google doc or Drive file: copy the link from the doc")
    return file_id


@dataclass(frozen=True)
class Requester:
    """Who asked for a doc (from Slack): a Google doc is read only if they can open it."""

    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


def doc_key(ref: str) -> str:
    """What identifies a doc across its link forms: the Google file id, else the link itself."""
    return google_file_id(ref) or ref.strip()
