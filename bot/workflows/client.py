"""Starting and finding workflows from any process, through DBOS's client: the process that acknowledges
Slack enqueues by name and never runs a workflow; the worker processes dequeue and run them.

The client talks only to DBOS's system database. `connect` creates or migrates it first (a no-op once a worker
has launched), so `serve` with no workers of its own (`DOCDEBATE_WORKERS=0`) can enqueue before any worker runs.
"""

from __future__ import annotations

import asyncio

from dbos import DBOS, DBOSClient, EnqueueOptions

from bot import __version__, runtime
from bot.digest.due import DigestJob
from bot.store import sqlalchemy_url
from bot.workflows import names
from bot.workflows.request import ThreadRequest, digest_row

_client: DBOSClient | None = None


def connect(database_url: str) -> None:
    global _client
    url = sqlalchemy_url(database_url)
    DBOS.migrate(url)
    _client = DBOSClient(system_database_url=url, application_name=names.APPLICATION)


def disconnect() -> None:
    global _client
    if _client is not None:
        _client.destroy()
        _client = None


def connected() -> bool:
    return _client is not None


def _the_client() -> DBOSClient:
    if _client is None:
        raise RuntimeError("bot.workflows.client.connect() was not called")
    return _client


def _options(queue: str, workflow: str, workflow_id: str) -> EnqueueOptions:
    # The workers' application version: DBOS dequeues a workflow only on executors of its version.
    return {
        "queue_name": queue,
        "workflow_name": workflow,
        "workflow_id": workflow_id,
        "app_version": __version__,
    }


def _exists(workflow_id: str) -> bool:
    found = _the_client().list_workflows(workflow_ids=[workflow_id], load_input=False, load_output=False)
    return bool(found)


async def exists(workflow_id: str) -> bool:
    return await asyncio.to_thread(_exists, workflow_id)


def _start(request: ThreadRequest) -> bool:
    if _exists(request.workflow_id):
        return False
    workflow = names.REREVIEW if request.rereview else names.FOLLOW_UP if request.question else names.DEBATE
    _the_client().enqueue(_options(names.DEBATES, workflow, request.workflow_id), request)
    return True


async def start(request: ThreadRequest) -> bool:
    """Enqueue the request's workflow unless one with its id exists; True if this call enqueued it.
    Runs in a worker thread: enqueueing is a database write, kept off the event loop that acks Slack."""
    return await asyncio.to_thread(_start, request)


def _start_digest(job: DigestJob) -> None:
    """Record the digest and start its workflow unless it exists (another pass, replica or delivery did)."""
    runtime.current().store.digests.add(digest_row(job))
    _the_client().enqueue(_options(names.DIGESTS, names.DIGEST, job.workflow_id), job)


async def start_digest(job: DigestJob) -> None:
    await asyncio.to_thread(_start_digest, job)


async def cancel(workflow_id: str) -> None:
    """Stop a scheduled digest's sleeping workflow (the store already says it is cancelled)."""
    await _the_client().cancel_workflow_async(workflow_id)


async def result_of(workflow_id: str) -> object:
    """Wait for a workflow to end; its result."""
    return await (await _the_client().retrieve_workflow_async(workflow_id)).get_result()
