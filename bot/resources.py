"""Where the shipped `personas/` and `prompts/` folders and the Slack app's `manifest.yml` are.

In a wheel they are copied into the package (`bot/personas`, `bot/prompts`, `bot/manifest.yml`, see
pyproject); in a source checkout or editable install they are at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"docdebate is installed without its {name}/ folder")


def resource_file(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"docdebate is installed without its {name}")
