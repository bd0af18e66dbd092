"""The work of scripts/image-check: CI's stand-in for `docker build` and the image's HEALTHCHECK.

1. Stage what the Dockerfile's COPY lines copy (and nothing else), so a file the build needs but the
   Dockerfile forgets fails here too.
2. In a fresh venv, run the staged scripts/install-runtime (the Dockerfile's RUN) with no pip configuration
   from this machine, as in the image; the venv must then hold exactly requirements.lock.
3. Start that venv's `docdebate serve --http` against the fakes as tests/test_slack_e2e.py does, with the
   image's DOCDEBATE_HEALTH_PORT; run the Dockerfile's own HEALTHCHECK command against it; stop it with
   SIGTERM and check that it exited cleanly (and that the HEALTHCHECK then fails, so it can).

Run with the dev venv: `PYTHON=python3.11 .venv/bin/python -m tests.image_check`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bot_process import bot_env, free_port, start_bot
from tests.conftest import ROOT
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.google_fake import FakeGoogle
from tests.fakes.slack_fake import FakeSlack

DOCKERFILE = ROOT / "Dockerfile"
SERVICE_ACCOUNT = "docdebate@proj.iam.gserviceaccount.com"
# pip settings of this machine that the image does not have (its pip has no configuration at all).
MACHINE_PIP = {"PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PIP_NO_INDEX", "PIP_CONFIG_FILE"}


class ImageCheckError(Exception):
    """What went wrong, in one line (plus what the bot printed, when it is the bot)."""


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (keyword, arguments), continuation lines joined, comments dropped."""
    lines = [line for line in dockerfile.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        keyword, _, arguments = line.strip().partition(" ")
        if keyword:
            found.append((keyword.upper(), arguments.strip()))
    return found


def stage_context(dockerfile: Path, into: Path) -> None:
    """Copy what each `COPY src... dest` copies (sources from the repo, dest under WORKDIR) into `into`."""
    for keyword, arguments in instructions(dockerfile):
        if keyword != "COPY":
            continue
        *sources, dest = shlex.split(arguments)
        if any(part.startswith("--") for part in sources):
            raise ImageCheckError(f"COPY {arguments}: flags are not staged by tests/image_check.py")
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():  # Docker copies a folder's contents into dest
                shutil.copytree(origin, into / dest, dirs_exist_ok=True)
                continue
            target = into / dest / origin.name if dest.endswith("/") or len(sources) > 1 else into / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)


def install(context: Path, venv: Path, python: str) -> None:
    """A fresh venv, then the Dockerfile's install script from the staged context, with the image's pip."""
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in MACHINE_PIP} | {"PIP_CONFIG_FILE": os.devnull}
    done = subprocess.run(
        ["bash", str(context / "scripts" / "install-runtime"), str(venv)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise ImageCheckError(f"scripts/install-runtime failed:\n{done.stdout}{done.stderr}")


def pins(text: str) -> dict[str, str]:
    """`name==version` lines (a lock, or `pip freeze`) as normalised name -> version."""
    found = {}
    for line in text.splitlines():
        name, sep, version = line.partition("==")
        if sep and not line.startswith(("#", " ")):
            found[re.sub(r"[-_.]+", "-", name).lower()] = version.split()[0]
    return found


def check_installed(python: Path) -> None:
    """The venv holds exactly the lock's versions (plus docdebate, which pip freeze names by its path)."""
    frozen = subprocess.run(
        [str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True
    ).stdout
    installed, locked = pins(frozen), pins((ROOT / "requirements.lock").read_text())
    if installed != locked:
        differ = sorted(
            f"{name} {installed.get(name, '-')} (lock: {locked.get(name, '-')})"
            for name in installed.keys() | locked.keys()
            if installed.get(name) != locked.get(name)
        )
        raise ImageCheckError(f"the venv differs from requirements.lock: {', '.join(differ)}")


def healthcheck_command(dockerfile: Path, python: Path) -> list[str]:
    """The Dockerfile's `HEALTHCHECK ... CMD [...]` (exec form), run with `python` instead of the image's."""
    for keyword, arguments in instructions(dockerfile):
        if keyword == "HEALTHCHECK":
            command: list[str] = json.loads(arguments.split("CMD ", 1)[1])
            return [str(python), *command[1:]] if command[0] == "python" else command
    raise ImageCheckError(f"{dockerfile} has no HEALTHCHECK")


def run_healthcheck(command: list[str], env: dict[str, str]) -> int:
    return subprocess.run(command, env=env, capture_output=True, timeout=30, check=False).returncode


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGTERM, then a clean exit within the shutdown grace (plus slack for a loaded machine)."""
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise ImageCheckError("docdebate serve did not exit within 60 s of SIGTERM") from None
    printed = log.read_text(errors="replace")
    if code != 0 or "Traceback" in printed:
        raise ImageCheckError(f"docdebate serve exited with {code} after SIGTERM; it printed:\n{printed}")


def serve_and_probe(venv: Path, work: Path) -> float:
    """Start the venv's bot against the fakes, probe it, stop it; the seconds until /health answered."""
    exe, python = venv / "bin" / "docdebate", venv / "bin" / "python"
    with FakeSlack() as slack, FakeAnthropic(api_key="test-key") as anthropic, FakeGoogle() as google:
        key = google.write_service_account(work / "sa.json", SERVICE_ACCOUNT)
        port = free_port()
        env = bot_env(
            slack,
            anthropic,
            work,
            f"sqlite:///{work}/docdebate.sqlite",
            DOCDEBATE_HEALTH_PORT=str(port),  # as in the image: the HTTP port, so one listener
            GOOGLE_APPLICATION_CREDENTIALS=str(key),
            GOOGLE_API_URL=google.base_url,
        )
        log = work / "serve.log"
        started = time.monotonic()
        with log.open("wb") as output:
            try:
                proc = start_bot(env, port, work, output, exe=exe)
            except (RuntimeError, TimeoutError) as exc:
                raise ImageCheckError(f"{exc}; it printed:\n{log.read_text(errors='replace')}") from None
        healthy = time.monotonic() - started
        command = healthcheck_command(DOCKERFILE, python)
        try:
            if (code := run_healthcheck(command, env)) != 0:
                raise ImageCheckError(f"the Dockerfile's HEALTHCHECK failed (exit {code}) on a healthy bot")
        finally:
            stop(proc, log)
        if run_healthcheck(command, env) == 0:
            raise ImageCheckError("the Dockerfile's HEALTHCHECK passed with no bot running")
    return healthy


def check(work: Path, python: str) -> str:
    context, venv = work / "context", work / "venv"
    started = time.monotonic()
    stage_context(DOCKERFILE, context)
    install(context, venv, python)
    installed = time.monotonic() - started
    check_installed(venv / "bin" / "python")
    healthy = serve_and_probe(venv, work)
    return (
        f"installed requirements.lock and docdebate as the Dockerfile does in {installed:.0f} s; /health "
        f"answered {healthy:.1f} s after start, the HEALTHCHECK passed, and SIGTERM exited cleanly"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="docdebate-image-") as work:
        try:
            print(f"image check: {check(Path(work), os.environ.get('PYTHON', 'python3'))}")
        except ImageCheckError as exc:
            sys.exit(f"image check failed: {exc}")


if __name__ == "__main__":
    main()
