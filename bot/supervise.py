"""The worker processes `docdebate serve` runs beside the one that acknowledges Slack.

Each is `docdebate worker` with its own executor id (the first keeps `DOCDEBATE_EXECUTOR_ID`, so a restarted
`serve` resumes its own debates). A worker that dies while serving is started again, with backoff; one that
exits on a setting to fix stops `serve`. The workers die with `serve` (Linux's parent-death signal): a
`kill -9` of `serve` is a crash of the whole replica, recovered at its next start as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Settings
from bot.errors import ConfigError, PersonaError
from bot.preflight import UnavailableError

log = logging.getLogger("docdebate")
PR_SET_PDEATHSIG = 1
POLL_S = 0.5
STOP_MARGIN_S = 15.0  # beyond the grace: DBOS's own shutdown, then SIGKILL
LONGEST_RESTART_WAIT_S = 30.0
GO = b"go\n"


def _die_with(parent: int) -> Callable[[], None]:
    def arm() -> None:  # runs in the child, before exec
        with contextlib.suppress(AttributeError, OSError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


@dataclass
class _Worker:
    index: int
    executor_id: str
    process: subprocess.Popen[bytes] | None = None
    go: int | None = None  # the pipe it waits on before launching: closed unwritten, it exits
    ready: int | None = None  # the pipe it says "ready" on
    restarts: int = 0


class Workers:
    def __init__(self, settings: Settings, on_fatal: Callable[[str], None]) -> None:
        self.settings, self.on_fatal = settings, on_fatal
        base = settings.executor_id
        self._workers = [_Worker(i, base if i == 0 else f"{base}-{i}") for i in range(settings.workers)]
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="docdebate-workers", daemon=True)

    def spawn(self) -> None:
        """Start every worker process; each imports what it runs, then waits for `release` (`serve` runs
        its start-up checks meanwhile: a worker's imports take seconds, and need not come after them)."""
        for worker in self._workers:
            self._spawn(worker)

    def release(self) -> None:
        """Let every worker launch, and return once each listens to the queues; an UnavailableError if one
        exits first (its own error is on the lines above)."""
        for worker in self._workers:
            self._go(worker)
        for worker in self._workers:
            self._until_ready(worker)
        if self._workers:
            self._monitor.start()

    def alive(self) -> bool:
        return all(w.process is not None and w.process.poll() is None for w in self._workers)

    def stop(self, grace_s: float) -> None:
        """SIGTERM every worker (each gives its running debates `grace_s`; one never released just exits),
        and wait for them."""
        self._stopping.set()
        for worker in self._workers:
            self._go(worker)
        running = [w.process for w in self._workers if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s + STOP_MARGIN_S
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _spawn(self, worker: _Worker) -> None:
        go_r, worker.go = os.pipe()
        worker.ready, ready_w = os.pipe()
        command = [sys.executable, "-m", "bot", "worker", "--go-fd", str(go_r), "--ready-fd", str(ready_w)]
        env = {**os.environ, "DOCDEBATE_EXECUTOR_ID": worker.executor_id}
        try:
            worker.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
                command, env=env, pass_fds=(go_r, ready_w), preexec_fn=_die_with(os.getpid())
            )
        finally:
            os.close(go_r)
            os.close(ready_w)

    def _go(self, worker: _Worker) -> None:
        """Tell the worker to launch (once), or, while stopping, close its pipe unwritten: it exits."""
        go, worker.go = worker.go, None
        if go is None:
            return
        with contextlib.suppress(OSError):  # it died already: _until_ready says so
            if not self._stopping.is_set():
                os.write(go, GO)
        os.close(go)

    def _until_ready(self, worker: _Worker) -> None:
        """Until the worker says it listens, or exits (then its exit code ends `serve` the same way)."""
        assert worker.process is not None and worker.ready is not None
        try:
            while True:
                readable, _, _ = select.select([worker.ready], [], [], POLL_S)
                if readable and os.read(worker.ready, 64):
                    break
                code = worker.process.poll()
                if code is not None or readable:  # readable and empty: the pipe closed without a word
                    code = worker.process.wait()
                    raise UnavailableError(f"a worker could not start (exit {code}): see the lines above")
        finally:
            os.close(worker.ready)
            worker.ready = None
        log.info("worker %d ready (executor %s)", worker.index, worker.executor_id)

    def _watch(self) -> None:
        while not self._stopping.wait(POLL_S):
            for worker in self._workers:
                code = worker.process.poll() if worker.process is not None else None
                if code is None or self._stopping.is_set():
                    continue
                if code in (ConfigError.exit_code, PersonaError.exit_code):
                    self.on_fatal(f"worker {worker.index} stopped on a setting to fix (exit {code})")
                    return
                self._restart(worker, code)

    def _restart(self, worker: _Worker, code: int) -> None:
        wait = min(2.0**worker.restarts, LONGEST_RESTART_WAIT_S)
        log.warning("worker %d exited (code %d): starting it again in %.0f s", worker.index, code, wait)
        worker.restarts += 1
        if self._stopping.wait(wait):
            return
        self._spawn(worker)
        self._go(worker)
        with contextlib.suppress(UnavailableError):  # it died again: the next poll restarts it
            self._until_ready(worker)
