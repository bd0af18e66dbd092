"""What the judge reads of the panel when it is blind: letters for names, and the turns of each round in an
order shuffled per debate. Judges favour what they read first and whom they know; the verdict's names are
mapped back to the personas in code (`aliases`), so nothing downstream sees the letters.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from string import ascii_uppercase

from bot.models import Persona, Turn


@dataclass(frozen=True)
class Blinding:
    labels: dict[str, str]  # persona name -> "Panelist A", lettered in the shuffled order

    @classmethod
    def shuffled(cls, panel: list[Persona], seed: int) -> Blinding:
        order = [p.name for p in panel]
        random.Random(seed).shuffle(order)  # noqa: S311 -- an order to read in, not a secret
        return cls({name: f"Panelist {ascii_uppercase[i % 26]}" for i, name in enumerate(order)})

    def panel(self, panel: list[Persona]) -> list[Persona]:
        """The panel as the judge is told of it: each persona's focus under its letter, in letter order."""
        blind = [
            p.model_copy(update={"name": self.labels[p.name], "title": self.labels[p.name]}) for p in panel
        ]
        return sorted(blind, key=lambda p: p.name)

    def transcript(self, turns: list[Turn], panel: list[Persona]) -> list[Turn]:
        """Each round's turns in letter order, authors and every mention of a persona replaced by letters."""
        mentions = _mentions(panel, self.labels)
        renamed = [
            t.model_copy(update={"persona": self.labels[t.persona], "text": mentions(t.text)}) for t in turns
        ]
        return sorted(renamed, key=lambda t: (t.round, t.persona))

    def aliases(self) -> dict[str, str]:
        """The names the judge may use ("Panelist A", "A") -> the persona's name."""
        found: dict[str, str] = {}
        for name, label in self.labels.items():
            found[label] = found[label.removeprefix("Panelist ")] = name
        return found


def _mentions(panel: list[Persona], labels: dict[str, str]) -> Callable[[str], str]:
    """A function replacing every way a turn names a persona (`The Skeptic`, `Skeptic`, `skeptic`) by its letter."""
    by_alias: dict[str, str] = {}
    for p in panel:
        for alias in (p.title, p.title.removeprefix("The "), p.name):
            by_alias[alias.casefold()] = labels[p.name]
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(a) for a in sorted(by_alias, key=len, reverse=True)) + r")\b", re.I
    )
    return lambda text: pattern.sub(lambda m: by_alias[m.group(0).casefold()], text)
