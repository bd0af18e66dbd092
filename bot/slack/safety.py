"""Output safety for Slack (DESIGN.md, safety rules).

Model text, document text and anything a user typed are data. Before they reach Slack:
- `&`, `<` and `>` are escaped, so no text can form `<!channel>`, `<!here>`, `<@U…>`, `<!subteam^…>` or a
  `<url|label>` link; mentions and links are only ever built by code;
- URLs in untrusted text are wrapped in code spans, which Slack never turns into links, unless the policy
  allows them. DESIGN.md allows links that are in the source document; we allow only the document's own
  link, because a hostile document plants its phishing link in its own text (see README, "Safety");
- every post goes out with `unfurl_links=False, unfurl_media=False` (`bot.slack.poster`).
"""

from __future__ import annotations

import re

_URL = re.compile(r"(?:https?|ftp)://[^\s<>`\"')\]]+|\bwww\.[^\s<>`\"')\]]+", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def escape(text: str) -> str:
    """Slack's own escaping of the three control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LinkPolicy:
    """Decides which URLs in untrusted text may stay clickable: only the ones given (the doc's own link)."""

    def __init__(self, *allowed: str) -> None:
        self._allowed = {_canonical(u) for u in allowed}

    def allows(self, url: str) -> bool:
        return _canonical(url) in self._allowed

    def render(self, url: str, label: str | None = None) -> str:
        """Mrkdwn for a URL found in untrusted text (`url` and `label` not yet escaped)."""
        if self.allows(url):
            target = escape(url).replace("|", "%7C")
            return f"<{target}|{escape(label)}>" if label else f"<{target}>"
        inert = f"`{url.replace('`', '')}`"
        return f"{escape(label)} ({escape(inert)})" if label else escape(inert)


def _canonical(url: str) -> str:
    return url.rstrip(".,;:!?").rstrip("/").lower()


def safe_mrkdwn(text: str, links: LinkPolicy) -> str:
    """Untrusted Markdown-ish text as safe Slack mrkdwn: escaped, links inert unless allowed, **bold** → *bold*."""
    pieces: list[str] = []
    cursor = 0
    for match in _link_spans(text):
        pieces.append(_plain(text[cursor : match[0]]))
        pieces.append(links.render(match[2], match[3]))
        cursor = match[1]
    pieces.append(_plain(text[cursor:]))
    return "".join(pieces)


def _link_spans(text: str) -> list[tuple[int, int, str, str | None]]:
    """(start, end, url, label) of Markdown links and bare URLs, in order, not overlapping."""
    spans = [(m.start(), m.end(), m.group(2), m.group(1)) for m in _MD_LINK.finditer(text)]
    taken = [(s, e) for s, e, _, _ in spans]
    for m in _URL.finditer(text):
        if not any(s <= m.start() < e for s, e in taken):
            spans.append((m.start(), m.end(), m.group(0), None))
    return sorted(spans)


def _plain(text: str) -> str:
    text = _HEADING.sub(lambda m: f"**{m.group(1)}**", text)
    return _BOLD.sub(lambda m: f"*{m.group(1)}*", escape(text))
