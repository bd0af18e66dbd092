"""Shared fixtures: the loopback Anthropic fake, and running the installed `docdebate` command against it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.anthropic_fake import FakeAnthropic

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
API_KEY = "test-key"


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_key=API_KEY) as fake:
        yield fake


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli_env(fake_anthropic: FakeAnthropic, tmp_path: Path) -> dict[str, str]:
    """The environment of a user whose Anthropic endpoint is the fake; nothing else inherited from ours."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
    return {
        **keep,
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": fake_anthropic.base_url,
        "DOCDEBATE_LLM_RETRY_AFTER_CAP_S": "0.5",
        "COLUMNS": "120",
        "TERM": "dumb",
    }


def run_cli(args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 90) -> CliResult:
    """Run the installed console script as a user would."""
    exe = Path(sys.executable).parent / "docdebate"
    proc = subprocess.run(
        [str(exe), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
