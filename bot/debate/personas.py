"""Persona files: YAML front matter (name, title, emoji, focus) and a prompt body.

Built-ins ship in `personas/`; a team adds its own in `DOCDEBATE_PERSONAS_DIR`, where a file with the name
of a built-in replaces it. A file there that is not a valid persona (a README.md is enough) is skipped with
one warning naming the file and the field, so one bad file never takes every command down with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.errors import PersonaError
from bot.models import Persona, PersonaOrigin
from bot.resources import resource_dir

log = logging.getLogger(__name__)
DEFAULT_PANEL = ("skeptic", "exec", "engineer")
MIN_PANEL = 2
_warned: set[tuple[str, float]] = set()  # (path, mtime) of files already reported as skipped
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
        raise PersonaError(f"{path}: front matter is not valid YAML ({_yaml_problem(exc)})") from None
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


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's error in a few words and a line number, instead of its multi-line excerpt."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 2}" if mark is not None else ""  # +1: 1-based, +1: the '---' line
        return f"{exc.problem or exc.context}{where}"
    return str(exc).splitlines()[0]


def read_persona(path: Path, origin: PersonaOrigin) -> Persona:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PersonaError(f"{path}: cannot be read ({exc})") from None
    return parse_persona(text, path, origin)


def _load_dir(folder: Path, origin: PersonaOrigin) -> dict[str, Persona]:
    """The folder's personas; with `origin` CUSTOM a bad file is skipped with a warning (built-ins must load)."""
    personas: dict[str, Persona] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            persona = read_persona(path, origin)
            if persona.name in personas:
                raise PersonaError(
                    f"{path}: persona '{persona.name}' is also defined in {personas[persona.name].path}"
                )
        except PersonaError as exc:
            if origin is PersonaOrigin.BUILTIN:
                raise
            _warn_once(path, exc.message)
            continue
        personas[persona.name] = persona
    return personas


def _warn_once(path: Path, message: str) -> None:
    try:
        stamp = (str(path), path.stat().st_mtime)
    except OSError:
        stamp = (str(path), 0.0)
    if stamp not in _warned:
        _warned.add(stamp)
        log.warning("skipped %s", message)


def load_personas(extra_dir: Path | None = None) -> dict[str, Persona]:
    """All personas by name: the built-ins, then the extra folder's (which override by name)."""
    personas = _load_dir(resource_dir("personas"), PersonaOrigin.BUILTIN)
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise PersonaError(f"DOCDEBATE_PERSONAS_DIR={extra_dir} is not a folder")
        personas.update(_load_dir(extra_dir, PersonaOrigin.CUSTOM))
    return personas


def parse_panel(spec: str | Iterable[str] | None) -> list[str]:
    """`"skeptic, legal"` -> `["skeptic", "legal"]`; None (not given) -> the default panel.

    A panel that was given must name at least two personas, each once: a debate of one voice, or of a
    voice with itself, would be paid for and tell nothing (PersonaError otherwise)."""
    if spec is None:
        return list(DEFAULT_PANEL)
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    cleaned = [n.strip().lower().lstrip("@") for n in names if n.strip()]
    if not cleaned:
        raise PersonaError(
            "the panel names nobody: give persona names separated by commas, e.g. skeptic,exec"
        )
    twice = sorted({n for n in cleaned if cleaned.count(n) > 1})
    if twice:
        raise PersonaError(f"{', '.join(twice)} is named twice on the panel: name each persona once")
    if len(cleaned) < MIN_PANEL:
        raise PersonaError(
            f"a debate needs at least {MIN_PANEL} personas, and the panel names only {cleaned[0]}: "
            f"add another, e.g. {cleaned[0]},{'exec' if cleaned[0] != 'exec' else 'skeptic'}"
        )
    return cleaned


def select_panel(available: dict[str, Persona], names: list[str]) -> list[Persona]:
    """The personas named, or a PersonaError listing the unknown ones and what exists."""
    unknown = [n for n in names if n not in available]
    if unknown:
        known = ", ".join(sorted(available))
        raise PersonaError(f"unknown persona {', '.join(unknown)}: choose from {known}")
    return [available[n] for n in names]
