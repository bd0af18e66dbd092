"""The durable engine in a worker process: DBOS on `DATABASE_URL`, the queues it dequeues, recovery.

Debates and digests run from DBOS queues, in worker processes (`docdebate worker`, which `serve` starts):
the process that answers Slack within 3 s only enqueues (`bot.workflows.client`), so it never shares its
interpreter with a debate. The queues bound how many run at once, across all workers.
"""

from __future__ import annotations

from datetime import datetime

from dbos import DBOS

from bot import __version__, runtime
from bot.config import Settings
from bot.digest.due import due_now
from bot.posting.poster import Poster
from bot.replicas import Watch
from bot.store import Store, sqlalchemy_url
from bot.workflows import client, debate, digest, ledger, names, rereview

QUEUE_POLL_S = 0.2
# Digests and ledger ticks may start a second late; polling their queues less often leaves the database to
# debates.
BACKGROUND_QUEUE_POLL_S = 1.0

# Imported so that DBOS has registered them when it launches and recovers.
WORKFLOWS = (
    debate.debate_workflow,
    debate.follow_up_workflow,
    rereview.rereview_workflow,
    digest.digest_workflow,
    digest.calendar_pass,
    ledger.consolidation,
)
_watch: Watch | None = None


def launch(settings: Settings, poster: Poster, poll_calendars: bool) -> None:
    """Install the runtime, configure DBOS, declare the queues, recover this executor's pending workflows;
    with `poll_calendars` (a worker), start (or stop) the schedules: the calendar pass, the ledger's consolidation.

    Call it outside any running event loop: DBOS then runs workflows on its own loop thread. Launched inside
    the server's loop, it would adopt that loop, and debates would delay the acknowledgements Slack awaits.
    """
    global _watch
    store = Store(settings.database_url)
    runtime.install(runtime.Runtime(settings, poster, store))
    DBOS(
        config={
            "name": "docdebate",
            "system_database_url": sqlalchemy_url(settings.database_url),
            "log_level": "WARNING",
            # Recovery only resumes workflows of the same application version; DBOS's default is a hash of the
            # code, which would strand in-flight debates at every deploy.
            "application_version": __version__,
            "executor_id": settings.executor_id,
        }
    )
    DBOS.launch()
    DBOS.register_queue(
        names.DEBATES, global_concurrency=settings.max_concurrent_debates, polling_interval_sec=QUEUE_POLL_S
    )
    DBOS.register_queue(names.DIGESTS, concurrency=2, polling_interval_sec=BACKGROUND_QUEUE_POLL_S)
    # One tick at a time: each reads the version the one before it wrote, so none builds on a stale ledger.
    DBOS.register_queue(names.LEDGER, global_concurrency=1, polling_interval_sec=BACKGROUND_QUEUE_POLL_S)
    if poll_calendars:
        digest.schedule_calendar_pass(settings)
        ledger.schedule_consolidation(settings)
    _watch = Watch(store, settings.executor_id, settings.replica_heartbeat_s, settings.replica_dead_after_s)
    _watch.start()
    client.connect(settings.database_url)


def accepting() -> bool:
    """Whether this process has launched its queues and can take work."""
    return _watch is not None


def shutdown(grace_s: float) -> None:
    """Stop taking work; give running workflows `grace_s` to finish. What is left stays pending in the
    database, and the next process (or another replica) resumes it from its last finished step."""
    global _watch
    client.disconnect()
    DBOS.destroy(destroy_registry=False, workflow_completion_timeout_sec=int(grace_s))
    if _watch is not None:
        _watch.stop(gone=True)
        _watch = None


async def run_due(now: datetime) -> list[str]:
    """One calendar pass outside the schedule (`docdebate digest --once`): post what is due, wait for it."""
    jobs = await due_now(runtime.current().settings, now)
    for job in jobs:
        await client.start_digest(job)
    for job in jobs:
        await client.result_of(job.workflow_id)
    return [job.workflow_id for job in jobs]
