"""A newcomer's first commands: every mistake that can be seen before a model call is one line, the right
exit code, and no model call; library noise stays out of the way; `--help` loads nothing it does not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, run_cli
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.test_cli_e2e import PLAN, assert_one_line_error

HEAVY = ("slack_sdk", "slack_bolt", "googleapiclient", "dbos", "trafilatura", "pypdf", "sqlalchemy")


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        (["--out", "/no/such/dir/x.json"], "the folder /no/such/dir does not exist", 64),
        (["--out", "{tmp}"], "is a folder", 64),
        (["-p", ","], "the panel names nobody", 64),
        (["-p", ""], "the panel names nobody", 64),
        (["-p", "skeptic,skeptic"], "skeptic is named twice", 64),
        (["-p", "skeptic"], "at least 2 personas", 64),
        (["--depth", "forever"], "Invalid value for '--depth'", 64),
        (["--format", "pdf"], "Invalid value for '--format'", 64),
        (["--no-such-option"], "No such option", 64),
    ],
)
def test_mistakes_seen_before_a_model_call_are_one_line_and_cost_nothing(
    cli_env: dict[str, str],
    fake_anthropic: FakeAnthropic,
    tmp_path: Path,
    args: list[str],
    expected: str,
    code: int,
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = run_cli(["review", str(PLAN), *args], cli_env)
    assert_one_line_error(result, expected)
    assert result.code == code
    assert fake_anthropic.requests == [], "nothing was sent to the model"


def test_a_one_character_document_is_refused_before_any_model_call(
    cli_env: dict[str, str], fake_anthropic: FakeAnthropic, tmp_path: Path
) -> None:
    tiny = tmp_path / "tiny.md"
    tiny.write_text("x\n")
    result = run_cli(["review", str(tiny)], cli_env)
    assert_one_line_error(result, "too short to review")
    assert result.code == 66
    assert fake_anthropic.requests == []


def test_a_missing_argument_is_one_line(cli_env: dict[str, str]) -> None:
    result = run_cli(["review"], cli_env)
    assert_one_line_error(result, "Missing argument")
    assert result.code == 64


def test_file_names_are_printed_as_typed(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(["review", str(tmp_path / ":smile: [bold]plan.md")], cli_env)
    assert_one_line_error(result, ":smile: [bold]plan.md")
    assert "😄" not in result.stderr


def test_a_damaged_pdf_is_read_without_library_warnings_on_the_screen(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """pypdf logs 'incorrect startxref pointer' for a PDF whose xref offset is wrong: that is for the log at
    debug, not for a user's terminal."""
    from reportlab.pdfgen import canvas

    ok = tmp_path / "ok.pdf"
    page = canvas.Canvas(str(ok))
    for i, line in enumerate(PLAN.read_text().splitlines()[:40]):
        page.drawString(40, 800 - 18 * i, line[:90])
    page.save()
    data = ok.read_bytes()
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(data[: data.rfind(b"startxref")] + b"startxref\n99999\n%%EOF\n")
    result = run_cli(["review", str(damaged), "--depth", "quick", "--format", "json"], cli_env)
    assert result.code == 0, result.stderr
    assert "startxref" not in result.stderr and "warning" not in result.stderr.lower(), result.stderr
    debug = run_cli(
        ["review", str(damaged), "--depth", "quick", "--format", "json"],
        {**cli_env, "DOCDEBATE_LOG_LEVEL": "debug"},
    )
    assert "incorrect startxref pointer" in debug.stderr, "the note is still in the log at debug"


def test_a_bad_file_in_the_personas_folder_is_skipped_with_one_warning(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / "README.md").write_text("# Our personas\n\nOne file per seat.\n")
    (folder / "legal.md").write_text((EXAMPLES / "personas" / "legal.md").read_text())
    result = run_cli(["personas", "--personas-dir", str(folder)], cli_env)
    assert result.code == 0, result.stderr
    assert "legal" in result.stdout and "skeptic" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("warning: skipped"), result.stderr
    assert "README.md" in warnings[0] and "front matter" in warnings[0]
    # The same folder through the setting, for a command that debates: still one warning, then the work.
    env = {**cli_env, "DOCDEBATE_PERSONAS_DIR": str(folder)}
    debated = run_cli(
        ["review", str(PLAN), "-p", "skeptic,legal", "--depth", "quick", "--format", "json"], env
    )
    assert debated.code == 0, debated.stderr
    assert sum("README.md" in line for line in debated.stderr.splitlines()) == 1


def test_help_and_version_answer_without_loading_the_services(cli_env: dict[str, str]) -> None:
    version = run_cli(["--version"], cli_env)
    assert version.code == 0 and version.stdout.startswith("docdebate ")
    assert run_cli([], cli_env).code == 0
    probe = (
        "import sys; sys.argv=['docdebate','--help']\n"
        "from bot.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {(*HEAVY, 'anthropic', 'pydantic')!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env, check=True
    )
    assert loaded.stdout.strip().splitlines()[-1] == "[]", loaded.stdout


def test_reviewing_a_local_file_loads_no_slack_google_or_workflow_code(cli_env: dict[str, str]) -> None:
    probe = (
        f"import sys; sys.argv=['docdebate','review',{str(PLAN)!r},'--depth','quick','--format','json']\n"
        "from bot.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})), file=sys.stderr)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env, check=False
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr.strip().splitlines()[-1] == "[]", ran.stderr


def test_debug_logs_hold_no_prompt_and_no_document_text(cli_env: dict[str, str]) -> None:
    sentence = next(line for line in PLAN.read_text().splitlines() if len(line) > 80)[:60]
    env = {**cli_env, "DOCDEBATE_LOG_LEVEL": "debug"}
    result = run_cli(["review", str(PLAN), "--depth", "quick", "--format", "json"], env)
    assert result.code == 0, result.stderr
    assert sentence not in result.stderr, "the document's text is not logged"
    assert "You are the Skeptic" not in result.stderr, "nor are the prompts"
    assert "debug:" in result.stderr, "yet it is the debug log"
    shown = run_cli(
        ["review", str(PLAN), "--depth", "quick", "--format", "json"],
        {**env, "DOCDEBATE_LOG_PAYLOADS": "true"},
    )
    assert "You are the Skeptic" in shown.stderr, "DOCDEBATE_LOG_PAYLOADS shows them, for whoever asks"
