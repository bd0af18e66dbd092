"""Shared fixtures: the loopback Anthropic fake, and running the installed `docdebate` command against it."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.anthropic_fake import FakeAnthropic

# In-process settings of the unit tests: the converters' tests read small samples, which a debate would
# refuse as too short (DOCDEBATE_MIN_DOC_WORDS has tests of its own). Subprocesses get explicit envs.
os.environ.setdefault("DOCDEBATE_MIN_DOC_WORDS", "1")

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


def database_url(tmp_path: Path) -> str:
    """A fresh, empty database for one bot (or several sharing it): SQLite, or a new database on the
    PostgreSQL server named by DOCDEBATE_TEST_POSTGRES (CI runs the end-to-end tests on both)."""
    server = os.environ.get("DOCDEBATE_TEST_POSTGRES")
    if not server:
        return f"sqlite:///{tmp_path}/docdebate.sqlite"
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


def run_cli(args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 90) -> CliResult:
    """Run the installed console script as a user would."""
    exe = Path(sys.executable).parent / "docdebate"
    proc = subprocess.run(
        [str(exe), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
