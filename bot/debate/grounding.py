"""Grounding the verdict: are its quotes really in the document, and its personas really on the panel?

Models re-type quotes: curly quotes become straight, dashes change, whitespace and Markdown emphasis move,
the middle is elided with "...". We compare both sides after the same normalisation, so those differences do
not matter, while a paraphrase or an invented sentence still fails. A quote too short to mean anything
("the plan") is never counted as verified.
"""

from __future__ import annotations

import re
import unicodedata

from bot.models import Assumption, Document, OneWayDoor, Persona, Quote, Verdict

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)
# Compared without whitespace, Markdown emphasis and quote marks: models move all three around
# ("req/s—based" vs "req/s - based", "the new “usage-based” plans" vs "the new usage-based plans").
_DROPPED = frozenset("*_~\"'")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|\u2026|\[\.\.\.\]|\[…\])\s*")
_WORD = re.compile(r"\w+")
_MIN_CHARS = 12  # without spaces
_MIN_WORDS = 3


def normalize(text: str) -> tuple[str, list[int]]:
    """The comparable form of `text`, and for each of its characters the offset it came from."""
    out: list[str] = []
    offsets: list[int] = []
    for index, raw in enumerate(text):
        for char in unicodedata.normalize("NFKC", raw).translate(_CHAR_MAP).casefold():
            if char not in _DROPPED and not char.isspace():
                out.append(char)
                offsets.append(index)
    return "".join(out), offsets


def _fragments(quote: str) -> list[str]:
    """The parts of a quote between elisions, normalised, with wrapping quote marks and end punctuation off."""
    parts = [normalize(part)[0].rstrip(".,;:") for part in _ELLIPSIS.split(quote)]
    return [part for part in parts if part]


class Grounder:
    """Locates quotes in one document (normalised once)."""

    def __init__(self, document: Document) -> None:
        self._document = document
        self._text, self._offsets = normalize(document.text)

    def locate(self, quote: str) -> int | None:
        """Offset in the document where the quote starts, or None if it is not there (or too short)."""
        found = self.span(quote)
        return None if found is None else found[0]

    def span(self, quote: str) -> tuple[int, int] | None:
        """The quote's [start, end) offsets in the document (an elided quote spans its gaps), or None."""
        fragments = _fragments(quote)
        if sum(map(len, fragments)) < _MIN_CHARS or len(_WORD.findall(quote)) < _MIN_WORDS:
            return None
        start: int | None = None
        cursor = 0
        for fragment in fragments:
            found = self._text.find(fragment, cursor)
            if found < 0:
                return None
            start = found if start is None else start
            cursor = found + len(fragment)
        if start is None:
            return None
        return self._offsets[start], self._offsets[cursor - 1] + 1

    def ground(self, quote: Quote) -> Quote:
        offset = self.locate(quote.text)
        if offset is None:
            return quote.model_copy(update={"verified": False, "section": None})
        section = self._document.section_at(offset)
        return quote.model_copy(update={"verified": True, "section": section.title if section else None})


class PanelNames:
    """Maps the ways a model names a persona (`skeptic`, `The Skeptic`, `@skeptic`) to its name; drops others."""

    def __init__(self, panel: list[Persona], aliases: dict[str, str] | None = None) -> None:
        self._lookup: dict[str, str] = {}
        for persona in panel:
            for alias in (persona.name, persona.title, persona.title.removeprefix("The ")):
                self._lookup[alias.casefold()] = persona.name
        for alias, name in (aliases or {}).items():  # a blind judge's letters
            self._lookup[alias.casefold()] = name

    def clean(self, names: list[str], exclude: list[str] | None = None) -> list[str]:
        found = (self._lookup.get(name.strip().strip("`*@_ ").casefold()) for name in names)
        known = [name for name in found if name is not None and name not in (exclude or [])]
        return list(dict.fromkeys(known))


def ground_verdict(
    verdict: Verdict, document: Document, panel: list[Persona], aliases: dict[str, str] | None = None
) -> Verdict:
    """A copy of the verdict with every quote checked against the document and every name against the panel
    (`aliases`: other names the judge was given for them)."""
    grounder = Grounder(document)
    names = PanelNames(panel, aliases)

    def finding(item: Assumption | OneWayDoor) -> dict[str, object]:
        raised = names.clean(item.raised_by)
        return {
            "quote": grounder.ground(item.quote),
            "raised_by": raised,
            "endorsed_by": names.clean(item.endorsed_by, exclude=raised),
        }

    def door(item: OneWayDoor) -> OneWayDoor:
        # What only the verification pass sets: a judge answering in text could have written it.
        return item.model_copy(
            update={**finding(item), "confidence": None, "reversal_case": None, "checked_by": None}
        )

    return verdict.model_copy(
        update={
            "assumptions": [a.model_copy(update=finding(a)) for a in verdict.assumptions],
            "one_way_doors": [door(d) for d in verdict.one_way_doors],
            "probably_reversible": [],
            "disagreements": [
                d.model_copy(
                    update={
                        "sides": [s.model_copy(update={"held_by": names.clean(s.held_by)}) for s in d.sides]
                    }
                )
                for d in verdict.disagreements
            ],
        }
    )
