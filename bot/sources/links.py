"""What a link points at, without loading any client library: Google Docs and Drive files, Slack files, and
who asks.

The one place that decides what counts as a Google or a Slack file link. Kept apart from `bot.sources.google`
(which loads googleapiclient) and `bot.sources.slack_files` (slack_sdk) so that routing a link, or reading a
local file, costs nothing of theirs.
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
SLACK_HOST = "slack.com"
# A Slack file's permalink: /files/<user>/<file id>/<name>, or /files/<file id>; a canvas: /docs/<team>/<id>.
_SLACK_FILE = re.compile(r"^/files/(?:[UW][A-Z0-9]+/)?(F[A-Z0-9]{6,})(?:/|$)")
_SLACK_CANVAS = re.compile(r"^/docs/T[A-Z0-9]+/F[A-Z0-9]{6,}(?:/|$)")


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


def is_slack_file_link(url: str) -> bool:
    """A link to a file or a canvas in Slack: `https://<workspace>.slack.com/files/…` or `…/docs/…`."""
    parts = urlsplit(url)
    name = (parts.hostname or "").lower().rstrip(".")
    in_slack = name == SLACK_HOST or name.endswith("." + SLACK_HOST)
    return in_slack and parts.path.startswith(("/files/", "/docs/"))


def slack_file_id(url: str) -> str | None:
    """The file id (`F…`) of a Slack file's permalink, or None."""
    found = _SLACK_FILE.match(urlsplit(url).path) if is_slack_file_link(url) else None
    return found.group(1) if found else None


def require_slack_file_id(url: str) -> str:
    """The file id of a Slack file link, or the SourceError that says what to give instead."""
    if is_slack_file_link(url) and _SLACK_CANVAS.match(urlsplit(url).path):
        raise SourceError(
            "I cannot read Slack canvases yet: copy the canvas into a .md or .txt file (or a doc), share that "
            "here and give me its link"
        )
    file_id = slack_file_id(url)
    if file_id is None:
        raise SourceError(f"{url} is not a link to a Slack file: in Slack, copy the file's own link")
    return file_id


@dataclass(frozen=True)
class Requester:
    """Who asked for a doc (from Slack): a Google doc is read only if their `email` may open it (empty when
    no Google doc is read), a Slack file only if their Slack user (`slack_user_id`) can see it."""

    email: str = ""
    slack_user_id: str | None = None

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()


def doc_key(ref: str) -> str:
    """What identifies a doc across its link forms: the Google or Slack file id, else the link itself."""
    return google_file_id(ref) or slack_file_id(ref) or ref.strip()
