"""Persona files: built-ins, a team's folder, and errors that name the file and the field."""

from pathlib import Path

import pytest

from bot.debate.personas import DEFAULT_PANEL, load_personas, parse_panel, read_persona, select_panel
from bot.errors import PersonaError
from bot.models import PersonaOrigin

GOOD = """---
name: legal
title: Counsel
emoji: ":scales:"
focus: Contracts, liability and regulatory exposure.
---
You are the company's counsel.
"""


def test_builtins_are_the_default_panel_with_real_prompts() -> None:
    personas = load_personas()
    for name in DEFAULT_PANEL:
        persona = personas[name]
        assert persona.origin is PersonaOrigin.BUILTIN
        assert len(persona.prompt.split()) > 150, f"{name}'s prompt is too thin"
        assert "{{" not in persona.prompt


def test_extra_folder_adds_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "legal.md").write_text(GOOD)
    (tmp_path / "skeptic.md").write_text(GOOD.replace("legal", "skeptic").replace("Counsel", "Our skeptic"))
    personas = load_personas(tmp_path)
    assert personas["legal"].origin is PersonaOrigin.CUSTOM
    assert personas["skeptic"].title == "Our skeptic"
    assert personas["exec"].origin is PersonaOrigin.BUILTIN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace("title: Counsel\n", ""), "field 'title'"),
        (GOOD.replace("name: legal", "name: Legal Team"), "field 'name'"),
        (GOOD.replace("focus:", "colour: red\nfocus:"), "unknown field 'colour'"),
        ("no front matter", "missing YAML front matter"),
        ("---\nname: [unclosed\n---\nbody", "not valid YAML"),
        (GOOD.split("---\nYou")[0].replace("---\n", "", 1).join(["---\n", ""]) + "\n", "not closed"),
        (GOOD.replace("You are the company's counsel.", ""), "field 'prompt'"),
    ],
)
def test_bad_file_names_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.md"
    path.write_text(text)
    with pytest.raises(PersonaError) as caught:
        read_persona(path, PersonaOrigin.CUSTOM)
    assert str(path) in caught.value.message
    assert expected in caught.value.message
    assert "\n" not in caught.value.message  # one line, even for YAML's multi-line errors


def test_a_bad_file_in_the_folder_is_skipped_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "README.md").write_text("# Our personas\n\nOne file each.\n")
    (tmp_path / "legal.md").write_text(GOOD)
    with caplog.at_level("WARNING"):
        first = load_personas(tmp_path)
        again = load_personas(tmp_path)
    assert "legal" in first and "skeptic" in first and again.keys() == first.keys()
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings  # once per file, not on every load
    assert str(tmp_path / "README.md") in warnings[0] and "missing YAML front matter" in warnings[0]


def test_unknown_persona_lists_the_known_ones() -> None:
    with pytest.raises(PersonaError, match=r"unknown persona lawyer: choose from .*engineer.*skeptic"):
        select_panel(load_personas(), parse_panel("skeptic, lawyer"))


def test_panel_parsing() -> None:
    assert parse_panel(None) == list(DEFAULT_PANEL)
    assert parse_panel(" Skeptic,@exec, ") == ["skeptic", "exec"]
    assert parse_panel(["legal", "exec", "skeptic"]) == ["legal", "exec", "skeptic"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (",", "names nobody"),
        ("", "names nobody"),
        ([], "names nobody"),
        ("skeptic,Skeptic", "skeptic is named twice"),
        ("skeptic", "at least 2 personas"),
    ],
)
def test_a_panel_that_cannot_debate_is_refused(spec: str | list[str], expected: str) -> None:
    with pytest.raises(PersonaError, match=expected):
        parse_panel(spec)


def test_missing_extra_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PersonaError, match="is not a folder"):
        load_personas(tmp_path / "nope")
