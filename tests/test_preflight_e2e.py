"""Start-up checks end to end: the installed `docdebate serve` and `docdebate doctor` against the fakes of
Slack, Anthropic and Google, as an operator meets them: a revoked token, missing scopes, a service that is
down for a while, nothing configured at all."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot import preflight
from bot.config import Settings
from bot.preflight import Status
from tests.bot_process import bot_env, free_port, start_bot
from tests.conftest import CliResult, run_cli
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.google_fake import FakeGoogle
from tests.fakes.slack_fake import FakeSlack, manifest_scopes

EXE = Path(sys.executable).parent / "docdebate"
EXIT_CONFIG = 78
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d [\d:,]+ (debug|info|warning|error) [\w.]+: \S"
)  # one record, one line
MODES = {"http": ["serve", "--http", "--host", "127.0.0.1"], "socket": ["serve"]}


@dataclass
class World:
    slack: FakeSlack
    anthropic: FakeAnthropic
    google: FakeGoogle
    work: Path

    def env(self, **extra: str) -> dict[str, str]:
        """A bot configured for both modes (app token and signing secret), Google key included."""
        key = self.google.write_service_account(self.work / "sa.json")
        settings = {
            "SLACK_APP_TOKEN": self.slack.app_token,
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_API_URL": self.google.base_url,
            "DOCDEBATE_STARTUP_RETRY_S": "20",
            "COLUMNS": "250",
        }
        database = f"sqlite:///{self.work}/docdebate.sqlite"
        return bot_env(self.slack, self.anthropic, self.work, database, **{**settings, **extra})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FakeSlack() as slack, FakeAnthropic(api_key="test-key") as anthropic, FakeGoogle() as google:
        yield World(slack, anthropic, google, tmp_path)


def serve(world: World, mode: str, env: dict[str, str]) -> CliResult:
    """`serve` that must end by itself; the timeout is generous, a hung process fails the test."""
    args = [*MODES[mode], "--port", str(free_port())] if mode == "http" else MODES[mode]
    return run_cli(args, env, cwd=world.work, timeout=60)


def assert_one_line_error(result: CliResult, *expected: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.code == EXIT_CONFIG, result
    assert "Traceback" not in result.stderr and len(lines) <= 3, result.stderr
    assert lines[-1].startswith("error: ") and all(text in lines[-1] for text in expected), result.stderr


def wait_until(condition: Callable[[], object], what: str, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


# ---- serve: a setting to fix ends the process at once, in one line ----


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_a_revoked_bot_token_stops_serve_in_one_line(world: World, mode: str) -> None:
    world.slack.revoke()
    result = serve(world, mode, world.env())
    assert_one_line_error(result, "Slack rejected SLACK_BOT_TOKEN (token_revoked)", "Bot User OAuth Token")
    assert len(world.slack.calls_to("auth.test")) == 1, "a rejected token is not retried"


def test_missing_scopes_are_named(world: World) -> None:
    world.slack.bot_scopes = [s for s in manifest_scopes() if s not in ("users:read.email", "commands")]
    result = serve(world, "http", world.env())
    assert_one_line_error(result, "lacks the scopes commands, users:read.email", "manifest.yml")


def test_a_bot_token_given_as_the_app_token_is_named(world: World) -> None:
    result = serve(world, "socket", world.env(SLACK_APP_TOKEN=world.slack.bot_token))
    assert_one_line_error(
        result, "SLACK_APP_TOKEN is not an app-level token (not_allowed_token_type)", "xapp-"
    )


# ---- serve: a service that is down for a while is waited for, one line per attempt ----


def test_slack_failing_at_first_is_retried_with_one_line_each(world: World) -> None:
    """At debug level, so that libraries' warnings show too (Bolt's "token will be unused" was one)."""
    world.slack.fail_next("auth.test", "internal_error", n=2, status=500)
    log = world.work / "bot.log"
    with log.open("w") as output:
        proc = start_bot(world.env(DOCDEBATE_LOG_LEVEL="debug"), free_port(), world.work, output)
    try:
        text = log.read_text()
        retries = [line for line in text.splitlines() if "retrying in" in line]
        assert len(retries) == 2, text
        assert all("Slack answered HTTP 500 (internal_error)" in line for line in retries), text
        assert "(2 of " in retries[0] and "(3 of " in retries[1], text
        assert "Traceback" not in text and "will be unused" not in text, text
        assert [c.status for c in world.slack.calls_to("auth.test")] == [500, 500, 200]
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_socket_mode_waits_for_slack_then_survives_it_going_away(world: World) -> None:
    """Slack unreachable at start, then its WebSocket host refusing, then up; then down while serving, then
    back: each failed attempt is one log line (never a traceback), the bot reconnects by itself, and /health
    answers throughout."""
    port, health, log = world.slack.port, free_port(), world.work / "bot.log"
    env = world.env(DOCDEBATE_HEALTH_PORT=str(health))
    world.slack.stop()
    with log.open("w") as output:
        proc = subprocess.Popen(
            [str(EXE), "serve"], env=env, cwd=world.work, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_until(
            lambda: "Slack is unreachable (connection refused); retrying" in log.read_text(), "a retry"
        )
        slack = FakeSlack(port=port)
        slack.refuse_sockets = 503
        slack.start()
        try:
            wait_until(lambda: "Failed to connect" in log.read_text(), "a failed WebSocket handshake")
            slack.refuse_sockets = None
            slack.wait_for(lambda f: f.sockets_open == 1, timeout=45)
            wait_until(lambda: healthy(health), "/health")
        finally:
            slack.stop()
        wait_until(lambda: "docdebate.socket_mode" in log.read_text(), "a reconnection failure")
        assert healthy(health) and proc.poll() is None
        with FakeSlack(port=port) as back:
            back.wait_for(lambda f: f.sockets_open == 1, timeout=60)
        text = log.read_text()
        assert "Traceback" not in text and "will be unused" not in text, text
        assert all(LOG_LINE.match(line) for line in text.splitlines()), text
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def healthy(port: int) -> bool:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json().get("ok") is True


def test_an_app_token_revoked_while_serving_stops_the_process(world: World) -> None:
    log = world.work / "bot.log"
    with log.open("w") as output:
        proc = subprocess.Popen(
            [str(EXE), "serve"], env=world.env(), cwd=world.work, stdout=output, stderr=output
        )
    try:
        world.slack.wait_for(lambda f: f.sockets_open == 1, timeout=45)
        world.slack.revoke(world.slack.app_token, error="invalid_auth")
        world.slack.disconnect_sockets()  # Slack's periodic refresh: the client asks for a new URL
        assert proc.wait(timeout=60) == EXIT_CONFIG
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "Traceback" not in text and len(text.splitlines()) <= 6, text
    assert text.splitlines()[-1].startswith(
        "error: Slack rejected SLACK_APP_TOKEN (invalid_auth) while serving"
    )


# ---- doctor ----


def doctor(world: World, env: dict[str, str], *args: str) -> CliResult:
    return run_cli(["doctor", *args], env, cwd=world.work, timeout=60)


def row(result: CliResult, check: str) -> str:
    found = [line for line in result.stdout.splitlines() if line.lstrip("│┃ ").startswith(check)]
    assert found, result.stdout
    return found[0]


def test_doctor_with_a_good_configuration(world: World) -> None:
    result = doctor(world, world.env())
    assert result.code == 0, result
    for check in (
        "Slack bot token",
        "Slack scopes",
        "Slack app token (Socket Mode)",
        "Database",
        "Anthropic",
    ):
        assert " ok " in row(result, check), result.stdout
    assert f"all {len(manifest_scopes())} granted" in row(result, "Slack scopes")
    assert " ok " in row(result, "Google") and "docdebate@" in row(result, "Google")
    assert "test-key" not in result.stdout and world.slack.bot_token not in result.stdout  # no secret shown
    assert not (world.work / "docdebate.sqlite").exists(), "doctor leaves no database behind"
    http = doctor(world, world.env(), "--http")
    assert http.code == 0 and " ok " in row(http, "Slack signing secret (HTTP)"), http


def test_doctor_names_a_token_without_files_read(world: World) -> None:
    """An app installed before Slack files could be debated lacks files:read: doctor says so."""
    world.slack.bot_scopes = [s for s in manifest_scopes() if s != "files:read"]
    result = doctor(world, world.env())
    assert result.code == EXIT_CONFIG, result
    assert "the bot token lacks the scope files:read" in row(result, "Slack scopes"), result.stdout


def test_doctor_says_what_to_fix_for_a_bad_anthropic_key(world: World) -> None:
    result = doctor(world, world.env(ANTHROPIC_API_KEY="sk-ant-wrong"))
    assert result.code == EXIT_CONFIG, result
    anthropic = row(result, "Anthropic")
    assert "failed" in anthropic and "Anthropic rejected ANTHROPIC_API_KEY (401)" in anthropic, result.stdout
    assert "console.anthropic.com" in anthropic and "sk-ant-wrong" not in result.stdout
    assert " ok " in row(result, "Slack bot token"), "the other checks still run"


def test_doctor_names_an_unknown_model(world: World) -> None:
    world.anthropic.models = {"claude-sonnet-5-5"}
    result = doctor(world, world.env(DOCDEBATE_JUDGE_MODEL="claude-nonesuch"))
    assert result.code == EXIT_CONFIG, result
    assert "does not know the model claude-nonesuch (404)" in row(result, "Anthropic")
    assert "DOCDEBATE_JUDGE_MODEL" in row(result, "Anthropic")


def test_doctor_with_nothing_configured_says_what_is_missing(tmp_path: Path) -> None:
    env = {"PATH": str(EXE.parent), "HOME": str(tmp_path), "COLUMNS": "250"}
    result = run_cli(["doctor"], env, cwd=tmp_path, timeout=60)
    assert result.code == EXIT_CONFIG, result
    for check, missing in (
        ("Slack bot token", "not set: SLACK_BOT_TOKEN"),
        ("Slack app token (Socket Mode)", "not set: SLACK_APP_TOKEN"),
        ("Anthropic", "not set: ANTHROPIC_API_KEY"),
        ("Google", "not set: GOOGLE_APPLICATION_CREDENTIALS"),
    ):
        assert missing in row(result, check), result.stdout
    assert "skipped" in row(result, "Slack scopes") and "needs SLACK_BOT_TOKEN" in row(result, "Slack scopes")
    assert " ok " in row(result, "Database") and "will be created" in row(result, "Database")
    assert "Traceback" not in result.stderr and list(tmp_path.iterdir()) == []


# ---- the checks in-process, with the real SDKs against the fakes ----


def settings_for(world: World, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "slack_bot_token": world.slack.bot_token,
        "slack_app_token": world.slack.app_token,
        "slack_api_url": world.slack.api_url,
        "anthropic_api_key": "test-key",
        "anthropic_base_url": world.anthropic.base_url,
        "database_url": f"sqlite:///{world.work}/docdebate.sqlite",
        **overrides,
    }
    return Settings(**values)


def test_backoff_adds_up_to_the_budget() -> None:
    assert preflight.backoff(60) == [1, 2, 4, 8, 16, 16, 13]
    assert preflight.backoff(0) == [] and preflight.backoff(0.5) == [0.5]


async def test_an_overloaded_anthropic_is_retried_one_line_each(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.anthropic.fail_count_tokens_next(2, status=529)
    with caplog.at_level(logging.WARNING, logger="docdebate"):
        (row,) = await preflight.check_anthropic(settings_for(world), [0.2, 0.2, 0.2])
    assert row.status is Status.OK, row
    assert [r.getMessage() for r in caplog.records] == [
        "Anthropic answered HTTP 529 (Overloaded); retrying in 0.2 s (2 of 4)",
        "Anthropic answered HTTP 529 (Overloaded); retrying in 0.2 s (3 of 4)",
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_anthropic_that_stays_down_is_not_fatal(world: World) -> None:
    world.anthropic.fail_count_tokens_next(5, status=503)
    (row,) = await preflight.check_anthropic(settings_for(world), [0.1])
    assert row.status is Status.FAILED and not row.fatal
    assert row.problem == "Anthropic answered HTTP 503 (Internal server error), 2 attempts"


async def test_a_refused_or_broken_google_key_is_fatal(world: World) -> None:
    key = world.google.write_service_account(world.work / "sa.json")
    world.google.fail_token_next(error="invalid_grant", description="Invalid JWT Signature.")
    (row,) = await preflight.check_google(settings_for(world, google_application_credentials=key), [0.1])
    assert row.fatal and row.problem.startswith("Google refused the service-account key (invalid_grant"), row
    (world.work / "broken.json").write_text('{"type": "service_account"}')
    broken = settings_for(world, google_application_credentials=world.work / "broken.json")
    (row,) = await preflight.check_google(broken, [0.1])
    assert row.fatal and "is not a service-account key" in row.problem and "JSON key" in row.fix, row
    assert len(world.google.requests_to("oauth2.token")) == 1, "a refused key is not retried"


async def test_the_database_url_is_shown_without_its_password(world: World) -> None:
    url = f"postgresql://bob:hunter2@127.0.0.1:{free_port()}/docdebate"
    (row,) = await preflight.check_database(settings_for(world, database_url=url), [0.1])
    assert "hunter2" not in row.configured + row.message and "bob:***@" in row.configured, row
    assert row.status is Status.FAILED and not row.fatal and "connection refused" in row.problem, row
    missing = settings_for(world, database_url=f"sqlite:///{world.work}/no/such/dir/x.sqlite")
    (row,) = await preflight.check_database(missing, [0.1])
    assert row.fatal and "cannot open the database (unable to open database file)" in row.problem, row


async def test_slack_rate_limits_are_waited_for_as_long_as_slack_says(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.slack.ratelimit_next(2, method="auth.test", retry_after=1)
    with caplog.at_level(logging.WARNING, logger="docdebate"):
        rows = await preflight.check_slack_bot(settings_for(world), [8.0, 8.0, 8.0])
    assert [row.status for row in rows] == [Status.OK, Status.OK], rows
    assert [r.getMessage() for r in caplog.records] == [
        "Slack is rate-limiting (HTTP 429); retrying in 1 s (2 of 4)",
        "Slack is rate-limiting (HTTP 429); retrying in 1 s (3 of 4)",
    ]


def test_a_token_without_canvases_write_serves_while_canvases_are_off(world: World) -> None:
    """canvases:write is in the manifest for DOCDEBATE_CANVAS=true; a team that leaves it off (the default)
    or installed the app before it is not refused for lacking it."""
    world.slack.bot_scopes = [s for s in manifest_scopes() if s != "canvases:write"]
    result = doctor(world, world.env())
    assert result.code == 0, result
    scopes = row(result, "Slack scopes")
    assert " ok " in scopes, scopes
    assert "canvases:write is not, which only DOCDEBATE_CANVAS=true needs" in scopes, scopes


def test_a_token_without_canvases_write_is_refused_when_canvases_are_on(world: World) -> None:
    world.slack.bot_scopes = [s for s in manifest_scopes() if s != "canvases:write"]
    result = doctor(world, world.env(DOCDEBATE_CANVAS="true"))
    assert result.code == EXIT_CONFIG, result
    assert "the bot token lacks the scope canvases:write" in row(result, "Slack scopes"), result.stdout
