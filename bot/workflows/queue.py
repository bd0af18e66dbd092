"""The durable engine as a process runs it: DBOS on `DATABASE_URL`, its queues, and starting workflows.

Debates and digests run from DBOS queues on DBOS's own loop thread: the loop that answers Slack within 3 s
never waits behind document parsing or a debate's bookkeeping, and the queues bound how many run at once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from dbos import DBOS, SetWorkflowID

from bot import __version__, runtime
from bot.config import Settings
from bot.digest.due import DigestJob, due_now
from bot.posting.poster import Poster
from bot.replicas import Watch
from bot.store import Store, sqlalchemy_url
from bot.workflows import digest
from bot.workflows.debate import debate_workflow, follow_up_workflow
from bot.workflows.digest_steps import digest_row
from bot.workflows.request import ThreadRequest

DEBATES = "debates"
QUEUE_POLL_S = 0.2
DIGEST_QUEUE_POLL_S = (
    1.0  # a digest may start a second late; polling less often leaves the database to debates
)

_watch: Watch | None = None


def launch(settings: Settings, poster: Poster, poll_calendars: bool) -> None:
    """Install the runtime, configure DBOS, declare the queues, recover this executor's pending workflows;
    with `poll_calendars`, start (or stop) the calendar schedule.

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
        DEBATES, global_concurrency=settings.max_concurrent_debates, polling_interval_sec=QUEUE_POLL_S
    )
    DBOS.register_queue(digest.QUEUE, concurrency=2, polling_interval_sec=DIGEST_QUEUE_POLL_S)
    if poll_calendars:
        digest.schedule_calendar_pass(settings)
    _watch = Watch(store, settings.executor_id, settings.replica_heartbeat_s, settings.replica_dead_after_s)
    _watch.start()


def accepting() -> bool:
    """Whether this process has launched its queues and can take work."""
    return _watch is not None


def shutdown(grace_s: float) -> None:
    """Stop taking work; give running workflows `grace_s` to finish. What is left stays pending in the
    database, and the next process (or another replica) resumes it from its last finished step."""
    global _watch
    DBOS.destroy(destroy_registry=False, workflow_completion_timeout_sec=int(grace_s))
    if _watch is not None:
        _watch.stop(gone=True)
        _watch = None


async def exists(workflow_id: str) -> bool:
    return await asyncio.to_thread(_exists, workflow_id)


def _exists(workflow_id: str) -> bool:
    return bool(DBOS.list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False))


async def start(request: ThreadRequest) -> bool:
    """Enqueue the request's workflow unless one with its id exists; True if this call enqueued it.
    Runs in a worker thread: enqueueing is a database write, kept off the event loop that acks Slack."""
    return await asyncio.to_thread(_enqueue, request)


def _enqueue(request: ThreadRequest) -> bool:
    if _exists(request.workflow_id):
        return False
    workflow = follow_up_workflow if request.question else debate_workflow
    with SetWorkflowID(request.workflow_id):
        DBOS.enqueue_workflow(DEBATES, workflow, request)
    return True


async def start_digest(job: DigestJob) -> None:
    await asyncio.to_thread(_enqueue_digest, job)


def _enqueue_digest(job: DigestJob) -> None:
    """Record the digest and start its workflow unless it exists (another pass, replica or delivery did)."""
    runtime.current().store.add_digest(digest_row(job))
    with SetWorkflowID(job.workflow_id):
        DBOS.enqueue_workflow(digest.QUEUE, digest.digest_workflow, job)


async def cancel(workflow_id: str) -> None:
    """Stop a scheduled digest's sleeping workflow (the store already says it is cancelled)."""
    await DBOS.cancel_workflow_async(workflow_id)


async def run_due(now: datetime) -> list[str]:
    """One calendar pass outside the schedule (`docdebate digest --once`): post what is due, wait for it."""
    jobs = await due_now(runtime.current().settings, now)
    for job in jobs:
        await start_digest(job)
    for job in jobs:
        await (await DBOS.retrieve_workflow_async(job.workflow_id)).get_result()
    return [job.workflow_id for job in jobs]
