"""Replicas watch each other: a debate left pending by a replica that died is resumed by a live one.

DBOS resumes a process's own pending workflows when it starts again with the same executor id. A replica
that never comes back (its node is gone, the deployment shrank) would strand its debates, so every replica
writes a heartbeat, and a replica that sees another silent for `DOCDEBATE_REPLICA_DEAD_AFTER_S` hands that
one's pending workflows back to their queue (DBOS's recovery; one live replica then dequeues each). A replica
that stops on SIGTERM says it is gone, so the others take over at their next beat instead of waiting.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from dbos import DBOS

from bot.reaper import reap_orphans
from bot.store import Store

log = logging.getLogger(__name__)


def requeue_pending_workflows(executor_ids: list[str]) -> None:
    """Hand the pending workflows of these executors back to their queues: DBOS's own recovery.

    DBOS documents recovery of another executor's workflows through its admin server's endpoint, but DBOS 3.4
    ships no admin server, so this is the one call of the private method behind it. pyproject pins
    dbos>=3.4,<3.5, and tests/test_replicas_units.py fails if the method no longer takes what is passed here.
    """
    DBOS._recover_pending_workflows(executor_ids=executor_ids)


class Watch:
    """The heartbeat thread of this replica."""

    def __init__(self, store: Store, executor_id: str, every_s: float, dead_after_s: float) -> None:
        self.store, self.executor_id = store, executor_id
        self.every_s, self.dead_after = every_s, timedelta(seconds=dead_after_s)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="docdebate-replica-watch", daemon=True)

    def start(self) -> None:
        self.store.replicas.heartbeat(self.executor_id, datetime.now(UTC))
        self._thread.start()

    def stop(self, gone: bool) -> None:
        """Stop beating; `gone`: tell the others at once that this replica's pending work is theirs."""
        self._stop.set()
        self._thread.join(timeout=self.every_s + 5)
        if gone:
            self.store.replicas.heartbeat(self.executor_id, datetime.fromtimestamp(0, UTC))

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.beat(datetime.now(UTC))
            except Exception:  # the database is away for a moment: try again at the next beat
                log.exception("replica heartbeat failed")

    def beat(self, now: datetime) -> list[str]:
        """Say this replica is alive, resume the work of replicas silent too long (their ids are returned),
        and clear debates whose workflow is gone (`bot.reaper`)."""
        self.store.replicas.heartbeat(self.executor_id, now)
        dead = self.store.replicas.silent(self.executor_id, now - self.dead_after)
        if dead:
            log.warning("taking over the pending debates of replicas %s", ", ".join(dead))
            # Idempotent: a workflow goes back to its queue only while still pending on a dead executor.
            requeue_pending_workflows(dead)
            self.store.replicas.forget(dead, now - self.dead_after)
        reap_orphans(self.store, now)
        return dead
