""".env.example lists every setting a deploy may set, and only those (so it cannot fall behind bot/config.py)."""

from __future__ import annotations

import re

from pydantic import AliasChoices

from bot.config import Settings
from tests.conftest import ROOT


def setting_names() -> set[str]:
    """The environment variable of each setting: its contract alias, else `DOCDEBATE_<FIELD>`."""
    names = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        names.add(str(alias.choices[0]) if isinstance(alias, AliasChoices) else f"DOCDEBATE_{field.upper()}")
    return names


def example_names() -> list[str]:
    """Variables set or shown (commented out) in .env.example."""
    text = (ROOT / ".env.example").read_text()
    return re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE)


def test_env_example_lists_every_setting_once_and_nothing_else() -> None:
    listed = example_names()
    assert sorted(setting_names() - set(listed)) == [], "missing from .env.example"
    assert sorted(set(listed) - setting_names()) == [], "in .env.example but not a setting"
    assert sorted(n for n in set(listed) if listed.count(n) > 1) == [], "listed twice"


def test_env_example_holds_no_secret() -> None:
    values = re.findall(
        r"^(ANTHROPIC_API_KEY|SLACK_\w+_TOKEN|SLACK_SIGNING_SECRET)=(.*)$",
        (ROOT / ".env.example").read_text(),
        flags=re.MULTILINE,
    )
    assert [name for name, _ in values] == [
        "ANTHROPIC_API_KEY",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
    ]
    assert all(value == "" for _, value in values)
