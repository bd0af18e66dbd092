"""What a re-review's model calls carry uncached, shared by its CLI and Slack tests."""

from __future__ import annotations

import re

from bot.debate.changes import own_texts
from bot.models import Document
from bot.sources.text import markdown_sections

EDITS = re.compile(r"<edits-(\w+)>(.*?)</edits-\1>", re.S)


def _texts(content: str | list[dict]) -> list[str]:
    return [content] if isinstance(content, str) else [block.get("text", "") for block in content]


def uncached(body: dict) -> str:
    """The text of a Messages API request after its first, cached system block."""
    parts = [block["text"] for block in body["system"][1:]]
    for message in body["messages"]:
        parts += _texts(message["content"])
    return "\n".join(parts)


def squashed(text: str) -> str:
    return " ".join(text.split())


def assert_only_the_edits_uncached(
    body: dict, doc: str, section: str, new_sentence: str, unchanged: str
) -> None:
    """The edited section's new text is in the call's edits block, and no other section's: the document's
    unchanged sections are read from the cached block only. Outside the edits one sentence of theirs may be
    quoted (by the earlier verdict, or a turn in the judge's transcript), never a whole section."""
    tail = uncached(body)
    edits = [text for _, text in EDITS.findall(tail)]
    assert len(edits) == 1, "one edits block"
    assert new_sentence in edits[0], "the changed section's new text is in the edits"
    assert unchanged not in edits[0], "an unchanged section is not among the edits"
    document = Document(title="plan", source="plan.md", text=doc, sections=markdown_sections(doc))
    flat = squashed(tail)
    for title, text in own_texts(document).items():
        if title != section and len(text) > 200:
            assert squashed(text) not in flat, f"{title!r} is sent only in the cached block"
