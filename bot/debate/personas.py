"""Persona files: YAML front matter (name, title, emoji, focus) and a prompt body.

Built-ins ship in `personas/`; a team adds its own in `DOCDEBATE_PERSONAS_DIR`, where a file with the name
of a built-in replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.errors import PersonaError
from bot.models import Persona, PersonaOrigin
from bot.resources import resource_dir

DEFAULT_PANEL = ("skeptic", "exec", "engineer")
_FRONT_MATTER_FIELDS = {"name", "title", "emoji", "focus"}


def parse_persona(text: str, path: Path, origin: PersonaOrigin) -> Persona:
    """One persona from a file's text; errors name the file and the field."""
    if not text.startswith("---"):
        raise PersonaError(f"{path}: missing YAML front matter (a first line '---')")
    try:
        _, header, body = text.split("---", 2)
    except ValueError:
        raise PersonaError(f"{path}: front matter is not closed by a second '---' line") from None
    try:
        meta = yaml.safe_load(header)
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: front matter is not valid YAML ({exc})") from None
    if not isinstance(meta, dict):
        raise PersonaError(f"{path}: front matter must be a mapping of name, title, emoji, focus")
    unknown = sorted(set(meta) - _FRONT_MATTER_FIELDS)
    if unknown:
        raise PersonaError(f"{path}: unknown field '{unknown[0]}' (allowed: name, title, emoji, focus)")
    try:
        return Persona(**meta, prompt=body.strip(), origin=origin, path=str(path))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "file"
        raise PersonaError(f"{path}: field '{field}': {error['msg']}") from None


def _load_dir(folder: Path, origin: PersonaOrigin) -> dict[str, Persona]:
    personas: dict[str, Persona] = {}
    for path in sorted(folder.glob("*.md")):
        persona = parse_persona(path.read_text(encoding="utf-8"), path, origin)
        if persona.name in personas:
            raise PersonaError(
                f"{path}: persona '{persona.name}' is also defined in {personas[persona.name].path}"
            )
        personas[persona.name] = persona
    return personas


def load_personas(extra_dir: Path | None = None) -> dict[str, Persona]:
    """All personas by name: the built-ins, then the extra folder's (which override by name)."""
    personas = _load_dir(resource_dir("personas"), PersonaOrigin.BUILTIN)
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise PersonaError(f"DOCDEBATE_PERSONAS_DIR={extra_dir} is not a folder")
        personas.update(_load_dir(extra_dir, PersonaOrigin.CUSTOM))
    return personas


def parse_panel(spec: str | Iterable[str] | None) -> list[str]:
    """`"skeptic, legal"` -> `["skeptic", "legal"]`; empty -> the default panel. Order kept, duplicates dropped."""
    names = spec.split(",") if isinstance(spec, str) else list(spec or [])
    cleaned = [n.strip().lower().lstrip("@") for n in names if n.strip()]
    return list(dict.fromkeys(cleaned)) or list(DEFAULT_PANEL)


def select_panel(available: dict[str, Persona], names: list[str]) -> list[Persona]:
    """The personas named, or a PersonaError listing the unknown ones and what exists."""
    unknown = [n for n in names if n not in available]
    if unknown:
        known = ", ".join(sorted(available))
        raise PersonaError(f"unknown persona {', '.join(unknown)}: choose from {known}")
    return [available[n] for n in names]
