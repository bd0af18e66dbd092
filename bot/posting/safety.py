"""Output safety for Slack (DESIGN.md, safety rules): the one way text reaches a readable Slack field.

Model text, document text (titles, headings, quotes), error messages (which quote links and their redirect
targets) and anything a user typed are data. Every readable field (blocks, the fallback `text` of posts
and updates, App Home views, ephemerals, `response_url` answers) takes a `Mrkdwn`, and only this module
makes one. Untrusted text becomes `Mrkdwn` through `escape` (plain text) or `safe_mrkdwn` (the model's
Markdown), which:

1. strip invisible format and control characters first (bidirectional overrides and isolates, zero-width
   spaces and joiners, the BOM, soft hyphens, tag characters, C0/C1 controls but newline and tab), so text
   cannot hide or reorder what the reader sees, nor split a link to slip it past the steps below;
2. escape `&`, `<` and `>`, so no text can form `<!channel>`, `<!here>`, `<@U…>`, `<!subteam^…>`, `<#C…>`
   or a `<url|label>` link; mentions and links are only ever built by code (`mention`, `channel`, `link`);
3. defang every URL and host name that is not the document's own link (`LinkPolicy`): each dot of a host
   name becomes `[.]` and each `://` (and `mailto:`-style scheme colon) becomes `[:]`, as in
   `https[:]//evil[.]example/login`. That is the convention security teams use to quote a link that must
   not be followed: it reads as the link it is, and is no link to anything: no `name.tld` is left for
   Slack's auto-linker (nor any client's, nor a notification's) to find, whatever the surrounding text. It
   does not depend on backticks (a stray backtick in the text pairs with a code span's and undoes it) nor on
   an invisible character (which Slack or a copy-paste may drop, and which readers cannot see).

Every mrkdwn text object is also sent with `"verbatim": true` (`bot.posting.render`), so Slack itself does
not link names or parse mentions in it; every post goes out with `unfurl_links=False, unfurl_media=False`
(`bot.posting.poster`).

Code-made text (emoji, the help text, `<!date^…>` from `bot.quotas.slack_time`) is marked with
`trusted`; text that mixes code and data is built with `fmt`, which escapes every `str` it is given and
keeps `Mrkdwn` as it is. `Mrkdwn` is a `str`, so Slack's clients take it as is; joining two with `+` or an
f-string gives a plain `str` again, which a field that needs `Mrkdwn` refuses (mypy), so untrusted text
cannot reach Slack by a forgotten call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# 1. Invisible characters: Unicode's format characters (Cf) and controls (Cc) except \t and \n, and the
#    combining grapheme joiner. Among them the bidi controls U+202A-202E, U+2066-2069, U+200E/F, U+061C
#    and the zero-width U+200B-200D, U+2060, U+FEFF.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f]"
)
# 3. What a link is made of. Dots that browsers and IDNA treat as dots count as dots.
_DOT = "[.\u3002\uff0e\uff61]"
_FORMAT = "[*_~`]*"  # mrkdwn emphasis Slack may strip before it looks for links
_MARKS = (
    "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"  # combining accents end labels too
)
# A dot between a host-name character (or emphasis) and a label that could be a top-level domain: letters
# (any script) or punycode, not followed by more of a label. Every dot of `www.evil.example` qualifies.
_HOST_DOT = re.compile(
    rf"(?<=[\w{_MARKS}-])({_FORMAT}){_DOT}(?={_FORMAT}(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}})(?![^\W_]|-))",
    re.IGNORECASE,
)
_IPV4 = re.compile(rf"(?<![\w.])\d{{1,3}}(?:{_DOT}\d{{1,3}}){{3}}(?!\w)")
_SCHEME_COLON = re.compile(r"(?<=[a-z0-9+.-]):(?=//)", re.IGNORECASE)
_OPAQUE_SCHEME = re.compile(
    r"\b(mailto|tel|sms|callto|javascript|vbscript|data|file|slack|sip|xmpp|magnet):(?=[^\s/])", re.IGNORECASE
)
# Links in untrusted text that may be the document's own (only http(s) ever is), and Markdown links.
_URL = re.compile(r"https?://[^\s<>`\"')\]]+|\bwww\.[^\s<>`\"')\]]+", re.IGNORECASE)
_TRAILING = ".,;:!?"
_MD_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]{2,}$")


class Mrkdwn(str):
    """Text safe for any readable Slack field (mrkdwn or plain_text): made only by this module's functions.

    A piece of it (`pieces`, `truncate`) is still safe: escaping leaves no `<`, and no part of a defanged
    name is a name."""

    __slots__ = ()


def strip_invisible(text: str) -> str:
    """`text` without the format and control characters a reader cannot see (see the module's docstring)."""
    return _INVISIBLE.sub("", text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def defang(escaped: str) -> str:
    """Every URL, host name, e-mail domain and IPv4 address in already escaped text made inert:
    `https://evil.example/login` -> `https[:]//evil[.]example/login`, `www.x.io` -> `www[.]x[.]io`."""
    text = _SCHEME_COLON.sub("[:]", escaped)
    text = _OPAQUE_SCHEME.sub(r"\1[:]", text)
    text = _IPV4.sub(lambda m: re.sub(_DOT, "[.]", m.group(0)), text)
    return _HOST_DOT.sub(r"\1[.]", text)


def escape(text: str) -> Mrkdwn:
    """Untrusted plain text (a title, a heading, an error message, a name) as safe Slack text: invisible
    characters stripped, `&`, `<`, `>` escaped, every link and host name defanged."""
    return Mrkdwn(defang(_escape(strip_invisible(text))))


def trusted(text: str) -> Mrkdwn:
    """Code-made mrkdwn, as it is: literals, emoji, `<!date^…>` from `bot.quotas.slack_time`, a refusal the
    quotas wrote. Never text that came from a document, the model, a user or an error message."""
    return Mrkdwn(text)


def fmt(template: str, *parts: object) -> Mrkdwn:
    """`template` (code-made mrkdwn with `{}` fields) filled in: `Mrkdwn` parts as they are, other strings
    through `escape`, numbers formatted as the field says (`{:.2f}`)."""
    safe = [p if isinstance(p, Mrkdwn | int | float) else escape(str(p)) for p in parts]
    return Mrkdwn(template.format(*safe))


def join(separator: str, parts: Iterable[Mrkdwn]) -> Mrkdwn:
    return Mrkdwn(separator.join(parts))


def pieces(text: Mrkdwn, limit: int) -> list[Mrkdwn]:
    """Safe text in pieces of at most `limit` characters, cut at paragraph, then line, then word boundaries."""
    out: list[Mrkdwn] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        cut = cut if cut > limit // 3 else limit
        out.append(Mrkdwn(rest[:cut].rstrip()))
        rest = rest[cut:].lstrip()
    return [*out, Mrkdwn(rest)] if rest else out


def truncate(text: Mrkdwn, limit: int) -> Mrkdwn:
    return text if len(text) <= limit else Mrkdwn(text[: limit - 1] + "…")


def link(url: str, label: str | None = None) -> Mrkdwn:
    """A link code chose to show (the document's own link): `<url|label>`, the label escaped like any text.
    Anything but an http(s) URL is shown as text."""
    url = strip_invisible(url).strip()
    if not re.match(r"https?://[^\s]+$", url, re.IGNORECASE):
        return escape(label or url)
    target = _escape(url).replace("|", "%7C")
    return Mrkdwn(f"<{target}|{escape(' '.join(label.split()))}>" if label else f"<{target}>")


def mention(user_id: str) -> Mrkdwn:
    """`<@U…>` for a Slack user id (from a signed request or the store); anything else as text."""
    return Mrkdwn(f"<@{user_id}>") if _USER_ID.match(user_id) else escape(user_id)


def channel(channel_id: str | None) -> Mrkdwn:
    """`<#C…>` for a channel id; anything else as text."""
    if channel_id and _CHANNEL_ID.match(channel_id):
        return Mrkdwn(f"<#{channel_id}>")
    return escape(channel_id or "a channel")


class LinkPolicy:
    """Decides which URLs in untrusted text may stay clickable: only the ones given (the doc's own link)."""

    def __init__(self, *allowed: str) -> None:
        self._allowed = {_canonical(u) for u in allowed}

    def allows(self, url: str) -> bool:
        return _canonical(url) in self._allowed

    def render(self, url: str, label: str | None = None) -> Mrkdwn:
        """A URL found in untrusted text (`url` and `label` not yet escaped): a link if allowed, else the
        label and the URL defanged, as text."""
        if self.allows(url):
            return link(url, label)
        return fmt("{} ({})", label, url) if label else escape(url)


def _canonical(url: str) -> str:
    return url.rstrip(_TRAILING).rstrip("/").lower()


def safe_mrkdwn(text: str, links: LinkPolicy) -> Mrkdwn:
    """Untrusted Markdown-ish text (the model's) as safe Slack mrkdwn: invisible characters stripped,
    escaped, links defanged unless `links` allows them, `**bold**` and `# headings` as `*bold*`."""
    text = strip_invisible(text)
    out: list[str] = []
    cursor = 0
    for start, end, url, label in _link_spans(text):
        out.append(_plain(text[cursor:start]))
        out.append(links.render(url, label))
        cursor = end
    out.append(_plain(text[cursor:]))
    return Mrkdwn("".join(out))


def _link_spans(text: str) -> list[tuple[int, int, str, str | None]]:
    """(start, end, url, label) of Markdown links and bare URLs, in order, not overlapping; a bare URL's
    trailing punctuation stays text."""
    spans = [(m.start(), m.end(), m.group(2), m.group(1)) for m in _MD_LINK.finditer(text)]
    taken = [(s, e) for s, e, _, _ in spans]
    for m in _URL.finditer(text):
        if not any(s <= m.start() < e for s, e in taken):
            url = m.group(0).rstrip(_TRAILING)
            spans.append((m.start(), m.start() + len(url), url, None))
    return sorted(spans)


def _plain(text: str) -> str:
    text = _HEADING.sub(lambda m: f"**{m.group(1)}**", text)
    return _BOLD.sub(lambda m: f"*{m.group(1)}*", defang(_escape(text)))
