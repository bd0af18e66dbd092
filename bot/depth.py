"""How deep a debate goes. Its own module, free of pydantic, so the CLI can name the choices in `--help`
without loading the domain models."""

from __future__ import annotations

from enum import StrEnum


class Depth(StrEnum):
    QUICK = "quick"
    STANDARD = "standard"
    DEEP = "deep"

    @property
    def rebuttal_rounds(self) -> int:
        return {Depth.QUICK: 0, Depth.STANDARD: 1, Depth.DEEP: 2}[self]
