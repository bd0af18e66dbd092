"""Where the shipped `personas/` and `prompts/` folders are.

In a wheel they are copied into the package (`bot/personas`, `bot/prompts`, see pyproject); in a source
checkout or editable install they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"docdebate is installed without its {name}/ folder")
