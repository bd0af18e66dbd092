"""An independent reading of what Slack would make live in what the bot sent: links and mentions.

Written apart from `bot.posting.safety` (it imports nothing of the bot), as a reviewer would look at a
payload: any `<…>` markup code did not make (a mention, a broadcast, a channel, a link), and anything
Slack's auto-linker or a notification would turn into a link: a `scheme://` URL, `mailto:`, a `www.` name,
a bare `name.tld` with a common top-level domain (ASCII or look-alike dots), and the invisible characters
that would hide one. A finding is a short string saying what and where; none means the payload is inert.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

COMMON_TLDS = [
    *("com", "net", "org", "io", "co", "example", "app", "dev", "ai", "me", "info", "biz", "xyz", "us", "uk"),
    *("de", "fr", "ru", "cn", "in", "ly", "gl", "sh", "gg", "tv", "cc", "to", "site", "online", "top"),
    *("link", "click", "zip", "mov", "page", "cloud", "tech", "support", "login", "live", "pro", "store"),
    *("shop", "email", "test", "invalid"),
]
_MARKUP = re.compile(r"<([^<>]*)>")
_SCHEME_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_MAILTO = re.compile(r"\b(?:mailto|javascript|tel):\S", re.IGNORECASE)
_WWW = re.compile(r"\bwww[.\u3002\uff0e\uff61]\w", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![\w-])(?:[\w-]+[.\u3002\uff0e\uff61])+(?:" + "|".join(COMMON_TLDS) + r")(?![\w-])", re.IGNORECASE
)
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_DATE = re.compile(r"^!date\^\d+\^[^|]*(\|.*)?$")
# Keys of a Slack call whose values are ids, flags or machine data, not text a person reads.
_NOT_READ = {
    "channel", "ts", "thread_ts", "user", "user_id", "type", "block_id", "action_id", "icon_emoji",
    "metadata", "unfurl_links", "unfurl_media", "replace_original", "response_type", "emoji", "verbatim",
    "view_id", "external_id", "hash", "trigger_id", "callback_id", "private_metadata", "delete_original",
}  # fmt: skip


@dataclass
class Allowed:
    """What code may make live: the document's own links, the requester's mention, channel references."""

    links: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    channels: set[str] = field(default_factory=set)


def readable_strings(payload: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) of every string in a payload a person could read (every field but ids and flags)."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key not in _NOT_READ:
                yield from readable_strings(value, f"{where}/{key}")
    elif isinstance(payload, list):
        for i, item in enumerate(payload):
            yield from readable_strings(item, f"{where}/{i}")
    elif isinstance(payload, str):
        yield where, payload


def live_in_text(text: str, allowed: Allowed) -> list[str]:
    """What Slack would make live in one readable string, beyond what `allowed` lets code make."""
    found: list[str] = []
    if _INVISIBLE.search(text):
        found.append(f"invisible control character {_INVISIBLE.search(text)!r}")
    rest = text
    for match in _MARKUP.finditer(text):
        inner = match.group(1)
        target, _, label = inner.partition("|")
        ok = (
            (target.startswith("@") and target[1:] in allowed.users)
            or (target.startswith("#") and target[1:] in allowed.channels)
            or (target.startswith("!") and _DATE.match(inner) is not None)
            or target.replace("&amp;", "&") in allowed.links
        )
        if not ok:
            found.append(f"markup not made by code: <{inner}>")
        rest = rest.replace(match.group(0), f" {label} ", 1)
    for pattern, what in (
        (_SCHEME_URL, "a URL"),
        (_MAILTO, "a mailto/javascript/tel link"),
        (_WWW, "a www. name"),
        (_DOMAIN, "a bare domain"),
    ):
        found += [
            f"{what}: {m.group(0)!r} in {rest[max(0, m.start() - 30) : m.end() + 30]!r}"
            for m in pattern.finditer(rest)
        ]
    return found


def live_links(payload: Any, allowed: Allowed) -> list[str]:
    """Every live link or mention in every readable field of a payload (a call's args, a post, a view)."""
    return [
        f"{where}: {finding}"
        for where, text in readable_strings(payload)
        for finding in live_in_text(text, allowed)
    ]


def mrkdwn_without_verbatim(payload: Any, where: str = "") -> list[str]:
    """Where a mrkdwn text object lacks `verbatim: true` (Slack then auto-links and auto-mentions in it)."""
    if isinstance(payload, dict):
        here = [where] if payload.get("type") == "mrkdwn" and payload.get("verbatim") is not True else []
        return here + [p for k, v in payload.items() for p in mrkdwn_without_verbatim(v, f"{where}/{k}")]
    if isinstance(payload, list):
        return [p for i, v in enumerate(payload) for p in mrkdwn_without_verbatim(v, f"{where}/{i}")]
    return []


def describe(findings: Iterable[str]) -> str:
    return json.dumps(list(findings), indent=1, ensure_ascii=False)
