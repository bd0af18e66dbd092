"""A Google Calendar v3 event, as the digest needs it: when, who, which docs, and which Slack channel.

Descriptions are plain text or HTML (Google Calendar stores what its editor produced, with links often
wrapped in `https://www.google.com/url?q=…` redirects); both are read for Docs and Drive links and for a
Slack channel named in them.
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict

from bot.sources.links import doc_key, is_google_link

_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""
_SLACK_CHANNEL = re.compile(r"<#([CG][A-Z0-9]{5,})(?:\|[^>]*)?>")
_SLACK_ARCHIVE = re.compile(r"https://[\w.-]+\.slack\.com/archives/([CG][A-Z0-9]{5,})")
# A name has a letter in it: "item #2" is not a channel.
_HASH_CHANNEL = re.compile(r"(?:^|(?<=[\s(>]))#(?=[a-z0-9_-]*[a-z])([a-z0-9][a-z0-9_-]{0,79})(?![\w-])")


class Attendee(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: str
    response: str = "needsAction"
    resource: bool = False  # a room or equipment, not a person


class Meeting(BaseModel):
    model_config = ConfigDict(frozen=True)

    calendar_id: str
    event_id: str
    title: str
    start: datetime
    attendees: list[Attendee] = []
    doc_links: list[str] = []
    channel: str | None = None
    cancelled: bool = False


def _unwrap(url: str) -> str:
    """`https://www.google.com/url?q=<target>&sa=…` → `<target>`."""
    parts = urlsplit(url)
    if parts.hostname in ("www.google.com", "google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("q", [""])[0]
        return target or url
    return url


class _Description(HTMLParser):
    """Link targets and visible text of an HTML description (the stdlib parser never fails on bad HTML)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]
        if tag in ("br", "p", "li", "div"):
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _description(description: str) -> tuple[list[str], str]:
    """Link targets and the visible text of a description, HTML or plain."""
    if not re.search(r"<[a-zA-Z/][^>]*>", description):
        return [], description
    parser = _Description()
    parser.feed(description)
    parser.close()
    return parser.hrefs, "".join(parser.text)


def _doc_links(event: dict[str, Any], hrefs: list[str], text: str) -> list[str]:
    """The Google links of the attachments and the description, each doc once, in that order."""
    candidates = [str(a["fileUrl"]) for a in event.get("attachments") or [] if a.get("fileUrl")]
    candidates += [_unwrap(h) for h in hrefs]
    candidates += [_unwrap(m.group(0).rstrip(_TRAILING)) for m in _URL.finditer(text)]
    seen: dict[str, str] = {}
    for url in candidates:
        if is_google_link(url):
            seen.setdefault(doc_key(url), url)
    return list(seen.values())


def _channel(raw: str, text: str) -> str | None:
    for pattern in (_SLACK_CHANNEL, _SLACK_ARCHIVE):
        found = pattern.search(raw)
        if found:
            return found.group(1)
    named = _HASH_CHANNEL.search(text)
    return f"#{named.group(1)}" if named else None


def _attendees(event: dict[str, Any]) -> list[Attendee]:
    return [
        Attendee(
            email=str(a["email"]),
            response=str(a.get("responseStatus", "needsAction")),
            resource=bool(a.get("resource")),
        )
        for a in event.get("attendees") or []
        if a.get("email")
    ]


def parse_event(calendar_id: str, event: dict[str, Any]) -> Meeting | None:
    """The meeting, or None for all-day events and events without a start time."""
    start = event.get("start") or {}
    if not start.get("dateTime"):
        return None
    raw = str(event.get("description") or "")
    hrefs, text = _description(raw)
    return Meeting(
        calendar_id=calendar_id,
        event_id=str(event.get("id", "")),
        title=str(event.get("summary") or "(untitled meeting)"),
        start=datetime.fromisoformat(str(start["dateTime"]).replace("Z", "+00:00")),
        attendees=_attendees(event),
        doc_links=_doc_links(event, hrefs, text),
        channel=_channel(" ".join([raw, *hrefs]), text),
        cancelled=event.get("status") == "cancelled",
    )


def recipients(meeting: Meeting) -> list[Attendee]:
    """Attendees who should get the digest: people (not rooms) who have not declined, each once."""
    seen: dict[str, Attendee] = {}
    for a in meeting.attendees:
        if not a.resource and a.response != "declined":
            seen.setdefault(a.email.lower(), a)
    return list(seen.values())
