"""What users type: `/debate` arguments and document links inside Slack messages."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from bot.depth import Depth
from bot.errors import DocdebateError
from bot.sources.convert import SUFFIXES

# Slack sends links as `<https://x|label>` or `<https://x>`; users may also paste them bare.
_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")
_BARE_URL = re.compile(r"(?<![<|\w])https?://[^\s<>|]+")
_MENTION = re.compile(r"<[@#!][^>]*>")
_REREVIEW = re.compile(
    r"^(?:please\s+)?(?:again|re-?review|review\s+(?:it\s+)?again|look\s+again)(?:\s+please)?[\s.!?]*$", re.I
)


class UsageError(DocdebateError):
    """The command was typed wrong; the message says how to type it."""

    exit_code = 64


# Slack mrkdwn, shown as it is: `&lt;` and `&gt;`, since a raw `<doc link>` is Slack's link markup.
USAGE = (
    "*Usage:* `/debate &lt;doc link&gt; [what to focus on]`\n"
    "Options: `--personas skeptic,exec,engineer` · `--depth quick|standard|deep`\n"
    "Example: `/debate https://docs.google.com/document/d/… pricing and the rollout --depth deep`\n"
    "Or mention me in a thread where a doc is linked.\n"
    "Before a meeting: `/debate digest &lt;doc link&gt;` for a silent-read digest, or "
    "`/debate schedule &lt;doc link&gt; tomorrow 9:30` (`/debate schedule list` shows what is coming).\n"
    "Across docs: `/debate ledger` lists the one-way doors still open that you can see from here."
)


def links_in(text: str) -> list[str]:
    """Every http(s) link in a message's text, in order, without duplicates."""
    found = [m.group(1) for m in _SLACK_LINK.finditer(text)]
    found += [m.group(0).rstrip(".,;:!?)") for m in _BARE_URL.finditer(_SLACK_LINK.sub(" ", text))]
    return list(dict.fromkeys(found))


def links_in_blocks(blocks: Iterable[dict[str, object]]) -> list[str]:
    """Links in rich_text blocks (a message may carry links only there)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "link" and isinstance(node.get("url"), str):
                found.append(str(node["url"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(list(blocks))
    return [u for u in dict.fromkeys(found) if u.startswith(("http://", "https://"))]


def without_links(text: str) -> str:
    """The text with its links (Slack's `<url|label>` form and bare ones) blanked out."""
    return _BARE_URL.sub(" ", _SLACK_LINK.sub(" ", text))


def message_links(message: dict[str, object]) -> list[str]:
    """A message's docs: the permalinks of the files uploaded with it, then the links in its text and blocks."""
    text = message.get("text")
    blocks = message.get("blocks")
    files = message.get("files")
    from_files = file_links(files) if isinstance(files, list) else []
    from_text = links_in(text) if isinstance(text, str) else []
    from_blocks = links_in_blocks(blocks) if isinstance(blocks, list) else []
    return list(dict.fromkeys(from_files + from_text + from_blocks))


def file_links(files: Iterable[object]) -> list[str]:
    """The permalinks of the uploaded files docdebate can read (by their names' suffixes: an image or a
    spreadsheet beside the doc is no doc). The sources layer reads them with files.info, for a requester
    who can see them."""
    found: list[str] = []
    for file in files:
        if not isinstance(file, dict):
            continue
        permalink, name = file.get("permalink"), file.get("name")
        if isinstance(permalink, str) and isinstance(name, str) and PurePath(name).suffix.lower() in SUFFIXES:
            found.append(permalink)
    return found


def strip_mentions(text: str) -> str:
    """A mention's text without `<@BOT>` and other Slack markup: the question the user asked, if any."""
    return re.sub(r"\s+", " ", _MENTION.sub(" ", _SLACK_LINK.sub(" ", text))).strip()


def asks_for_rereview(words: str) -> bool:
    """Whether a mention's words (`strip_mentions`) ask to re-review the thread's debate: `again`,
    `re-review`, `review again`, `look again`, with an optional please; anything else is a question."""
    return bool(_REREVIEW.match(words.strip()))


@dataclass
class CommandArgs:
    link: str | None = None
    focus: str | None = None
    personas: list[str] | None = None  # None: not given (the default panel)
    depth: Depth = Depth.STANDARD
    help: bool = False
    ledger: bool = False  # `/debate ledger`: the open one-way doors across docs


def parse_command(text: str) -> CommandArgs:
    """`<link> [focus words…] [--personas a,b] [--depth d]` in any order; `help` or nothing asks for help,
    `ledger` for the ledger."""
    args = CommandArgs()
    links = links_in(text)
    args.link = links[0] if links else None
    rest = without_links(text)
    try:
        words = shlex.split(rest.replace("\u201c", '"').replace("\u201d", '"').replace("\u2014", "--"))
    except ValueError:
        words = rest.split()
    focus: list[str] = []
    it = iter(words)
    for word in it:
        name, _, inline = word.partition("=")
        if name in ("--personas", "-p", "--depth", "-d"):
            value = inline or next(it, "")
            if not value:
                raise UsageError(f"`{name}` needs a value.\n{USAGE}")
            if name in ("--personas", "-p"):
                args.personas = [p.strip().lower() for p in value.split(",") if p.strip()]
            else:
                args.depth = _depth(value)
        elif word.startswith("--"):
            raise UsageError(f"unknown option `{word}`.\n{USAGE}")
        else:
            focus.append(word)
    if not args.link and [w.lower() for w in focus] in ([], ["help"]):
        args.help = True
    args.ledger = not args.link and [w.lower() for w in focus] == ["ledger"]
    args.focus = " ".join(focus) or None
    return args


def _depth(value: str) -> Depth:
    try:
        return Depth(value.lower())
    except ValueError:
        raise UsageError(f"`--depth` is quick, standard or deep, not `{value}`.") from None
