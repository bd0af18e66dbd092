"""What changed in a document since an earlier read of it, section by section.

A section is known by its heading path (outer headings first, `Rollout › Pilot`, without the document's
title when one heading holds all the others; a second section of the same path gets ` (2)`), and its own text runs from its heading to the next heading of any level, so an edit in a
subsection changes that subsection only. Text is compared with runs of whitespace squashed, so a source that
re-wraps lines or moves blank lines (a Google doc exported again) changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from bot.models import Document, SectionChange

PREAMBLE = "(before the first heading)"
WHOLE = "(the whole document)"  # a document without headings is one section
Change = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class Edit:
    """One section that changed: its path, how, and its new text (empty for a removed section)."""

    section: str
    change: Change
    text: str

    def record(self) -> SectionChange:
        return SectionChange(section=self.section, change=self.change)


def _digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def own_texts(document: Document) -> dict[str, str]:
    """Each section's own text by its heading path, in document order (with the text before the first heading,
    when there is any)."""
    text = document.text
    sections = sorted(document.sections, key=lambda s: s.start)
    if not sections:
        return {WHOLE: text}
    out: dict[str, str] = {}
    if text[: sections[0].start].strip():
        out[PREAMBLE] = text[: sections[0].start]
    ends = [s.start for s in sections[1:]] + [len(text)]
    top = min(s.level for s in sections)
    titled = sum(s.level == top for s in sections) == 1  # one outermost heading: the document's title
    outer: list[tuple[int, str]] = []  # (level, title) of the headings this one sits under
    for section, end in zip(sections, ends, strict=True):
        while outer and outer[-1][0] >= section.level:
            outer.pop()
        path = " › ".join([*(title for _, title in outer), section.title])
        if not (titled and section.level == top):  # the title is left out of the paths under it
            outer.append((section.level, section.title))
        key, n = path, 2
        while key in out:
            key, n = f"{path} ({n})", n + 1
        out[key] = text[section.start : end]
    return out


def edits(earlier: Document, now: Document) -> list[Edit]:
    """The sections added or changed (in the new document's order), then those removed; empty when nothing
    changed."""
    if earlier.sha256 == now.sha256:
        return []
    before, after = own_texts(earlier), own_texts(now)
    found: list[Edit] = []
    for path, text in after.items():
        if path not in before:
            found.append(Edit(path, "added", text))
        elif _digest(before[path]) != _digest(text):
            found.append(Edit(path, "changed", text))
    found += [Edit(path, "removed", "") for path in before if path not in after]
    return found
