"""A finished debate as a Slack canvas (`DOCDEBATE_CANVAS`): the verdict, then every round's turns under each
persona's title, in the Markdown `canvases.create` takes, so the decision meeting has one document to open.

A canvas renders Markdown, and more of it than a message does: `[label](url)` links, `![](@U…)` and
`![](#C…)` mentions, `![](url)` unfurls, `# headings`. Every string of the debate (the document's quotes, the
model's turns and verdict) is data, made inert here before it is placed in the layout that code writes:

- invisible characters stripped, `&`, `<`, `>` escaped and links and host names defanged, as in every Slack
  field (`bot.posting.safety`);
- `\\`, `[`, `]`, `#` and `@` backslash-escaped (CommonMark shows an escaped punctuation character as
  itself), so no text opens a link, an image, a mention or a heading;
- a one-line field keeps to one line (no blank line can end the list item or quote it sits in); a turn keeps
  its paragraphs, lists and emphasis, its headings shown as bold lines, and a line that would make the line
  above it a heading (`---`, `===`) or open a code block that swallows the rest of the canvas (a fence)
  escaped.

The verdict's layout is the CLI report's (`bot.debate.report.verdict_markdown`), fed a copy of the verdict
whose every string went through `text`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from bot.debate.report import round_title, usage_line, verdict_markdown
from bot.models import DebateResult, Persona, Verdict
from bot.posting.safety import defang, strip_invisible

MAX_MARKDOWN = 1_048_576  # document_content.markdown: at most 1 MiB
MAX_TITLE = 200
_PUNCTUATION = re.compile(r"([\\\[\]#@])")
_HEADING = re.compile(r"^( {0,3})(?:\\#){1,6}[ \t]+(.+?)(?:[ \t]+(?:\\#)+)?[ \t]*$")
_BLOCK_OPENER = re.compile(r"^( {0,3})(=+[ \t]*$|-{2,}[ \t]*$|`{3,}|~{3,})")
_SAFE_URL = re.compile(r"https?://[^\s()<>\[\]\\`\"']+$", re.IGNORECASE)
_CODE_SET = frozenset({"relation"})  # a related decision's relation: a code-made key, kept
_LINKS = frozenset({"doc_link", "thread_url"})  # set by code from the ledger: links, checked by `url`
M = TypeVar("M", bound=BaseModel)


def _inert(text: str) -> str:
    escaped = _PUNCTUATION.sub(r"\\\1", strip_invisible(text))
    return defang(escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def text(value: str) -> str:
    """Untrusted text for one line of the canvas (a title, a quote, a door's field): inert, on one line."""
    return _inert(" ".join(strip_invisible(value).split()))


def block(value: str) -> str:
    """Untrusted Markdown (a persona's turn) for the canvas: inert, its paragraphs and lists kept, its
    headings as bold lines, no line that turns the one above into a heading or opens a code block."""
    lines = []
    for line in _inert(value.strip()).splitlines():
        heading = _HEADING.match(line)
        if heading:
            line = f"{heading.group(1)}**{heading.group(2)}**"
        lines.append(_BLOCK_OPENER.sub(r"\1\\\2", line))
    return "\n".join(lines)


def url(value: str) -> str:
    """A link code chose to show (the document's own, a thread's permalink), or "" if it is no plain http(s)
    URL that Markdown would take whole."""
    value = strip_invisible(value).strip()
    return value if _SAFE_URL.match(value) else ""


def _inert_value(name: str, value: Any) -> Any:
    if isinstance(value, BaseModel):
        return inert_copy(value)
    if isinstance(value, list):
        return [_inert_value(name, item) for item in value]
    if isinstance(value, str) and name not in _CODE_SET:
        return url(value) if name in _LINKS else text(value)
    return value


def inert_copy(model: M) -> M:
    """`model` with every string inert (`text`), its links checked (`url`): for a layout written for trusted
    text, such as the CLI report's."""
    return model.model_copy(
        update={name: _inert_value(name, getattr(model, name)) for name in type(model).model_fields}
    )


def canvas_title(result: DebateResult) -> str:
    """The canvas's title (plain text, not Markdown)."""
    title = " ".join(strip_invisible(f"Debate: {result.document.title}").split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def _source(result: DebateResult) -> str:
    link = url(result.document.source)
    return f"[{text(result.document.title)}]({link})" if link else text(result.document.source)


def _named(panel: Sequence[Persona]) -> dict[str, str]:
    return {p.name: f"{text(p.title)} ({text(p.name)})" for p in panel}


def _transcript(result: DebateResult, names: dict[str, str]) -> list[str]:
    out = ["# Transcript", ""]
    current_round: int | None = None
    for turn in result.turns:
        if turn.round != current_round:
            current_round = turn.round
            out += [f"## {round_title(turn.round)}", ""]
        out += [f"### {names.get(turn.persona) or text(turn.persona)}", "", block(turn.text), ""]
    return out


def canvas_markdown(result: DebateResult, panel: Sequence[Persona]) -> str:
    """The canvas: where the document is and who debated it, the verdict, the transcript, what it cost."""
    names = _named(panel)
    about = f"_{_source(result)}_ · panel: {', '.join(names.get(p) or text(p) for p in result.personas)}"
    about += f" · depth: {text(str(result.depth))}" + (
        f" · focus: {text(result.focus)}" if result.focus else ""
    )
    verdict: Verdict = inert_copy(result.verdict)
    out = [about, "", "# Verdict", "", *verdict_markdown(verdict), "---", "", *_transcript(result, names)]
    out += [
        "---",
        "",
        f"_{usage_line(result.usage)} · model {text(result.model)}, judge {text(result.judge_model)}_",
    ]
    return "\n".join(out) + "\n"
