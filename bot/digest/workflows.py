"""Durable digests (DBOS): the calendar pass on a cron schedule, and one workflow per digest.

Every model call and every post is a step, as in a debate, so a restart never posts a digest twice or pays
for it twice. The calendar pass is a DBOS schedule (stored in the database, so replicas share it and each
tick runs once); a digest someone schedules is a workflow that sleeps durably until its time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from dbos import DBOS, Queue, SetWorkflowID

from bot.config import Settings
from bot.digest.due import DigestJob, due_now
from bot.digest.writer import write_digest
from bot.errors import DocdebateError, ModelError
from bot.jobs import best_effort, post_once, post_part, read_for, runtime
from bot.models import DigestResult, Document
from bot.slack import render
from bot.slack.safety import Mrkdwn, fmt, link
from bot.sources.google import GoogleSource
from bot.sources.links import doc_key, is_google_link
from bot.store import DigestRow

log = logging.getLogger(__name__)
SCHEDULE = "docdebate-calendar-pass"
# A digest may start a second late; polling less often leaves the database to the debates.
DIGEST_QUEUE_POLL_S = 1.0


def cron(every_s: int) -> str:
    """A six-field cron (seconds first) firing every `every_s` seconds (see `Settings.digest_poll_s`)."""
    return f"*/{every_s} * * * * *" if every_s < 60 else f"0 */{every_s // 60} * * * *"


_queue: Queue | None = None


def launch(settings: Settings, poll_calendars: bool) -> None:
    """Declare the digest queue; with `poll_calendars`, start (or stop) the calendar schedule. Call it after
    `bot.jobs.launch`. Digests run from the queue on DBOS's own loop, like debates, never on the loop that
    answers Slack."""
    global _queue
    _queue = DBOS.register_queue("digests", concurrency=2, polling_interval_sec=DIGEST_QUEUE_POLL_S)
    if not poll_calendars:
        return
    if not settings.calendar_channels():
        if any(s["schedule_name"] == SCHEDULE for s in DBOS.list_schedules()):
            DBOS.delete_schedule(SCHEDULE)
        return
    DBOS.apply_schedules(
        [{"schedule_name": SCHEDULE, "workflow_fn": calendar_pass, "schedule": cron(settings.digest_poll_s)}]
    )


def _enqueue(job: DigestJob) -> None:
    """Start the digest's workflow unless it exists (another pass, replica or delivery started it)."""
    if _queue is None:
        raise RuntimeError("bot.digest.workflows.launch() was not called")
    runtime().store.add_digest(_row(job))
    with SetWorkflowID(job.workflow_id):
        _queue.enqueue(digest_workflow, job)


async def start(job: DigestJob) -> None:
    await asyncio.to_thread(_enqueue, job)


async def cancel(digest_id: str) -> None:
    """Stop a scheduled digest's sleeping workflow (the store already says it is cancelled)."""
    await DBOS.cancel_workflow_async(digest_id)


async def run_due(now: datetime) -> list[str]:
    """One calendar pass outside the schedule (`docdebate digest --once`): post what is due, wait for it."""
    jobs = await due_now(runtime().settings, now)
    for job in jobs:
        await asyncio.to_thread(_enqueue, job)
    for job in jobs:
        await (await DBOS.retrieve_workflow_async(job.workflow_id)).get_result()
    return [job.workflow_id for job in jobs]


def _row(job: DigestJob) -> DigestRow:
    return DigestRow(
        id=job.workflow_id,
        kind=job.kind,
        team_id=job.team_id,
        user_id=job.requester,
        channel_id=job.channel,
        link=job.link,
        title=job.meeting,
        due_at=job.due_at,
        status="scheduled",
    )


# ---- steps ----


@DBOS.step()
async def find_due(now: datetime) -> list[DigestJob]:
    return await due_now(runtime().settings, now)


@DBOS.step()
async def record(job: DigestJob) -> None:
    runtime().store.add_digest(_row(job))


@DBOS.step()
async def begin(digest_id: str) -> bool:
    """From here on the digest is being posted: it leaves `/debate schedule list` and can no longer be
    cancelled. False if it was cancelled while it waited."""
    return await asyncio.to_thread(runtime().store.begin_digest, digest_id)


@DBOS.step()
async def within_budget() -> None:
    """Digests spend from the daily budget debates use (`DOCDEBATE_DAILY_BUDGET_USD`)."""
    rt = runtime()
    spent = await asyncio.to_thread(rt.store.spent_today, datetime.now(UTC))
    if spent >= rt.settings.daily_budget_usd:
        raise ModelError(
            f"docdebate has used today's budget (${rt.settings.daily_budget_usd:.2f}), so nothing was sent to "
            "the model; it resets at midnight UTC"
        )


@DBOS.step()
async def load(job: DigestJob) -> Document:
    return await read_for(job.link, job.requester)


@DBOS.step()
async def write(job: DigestJob, document: Document) -> DigestResult:
    rt = runtime()
    digest, usage = await write_digest(rt.llm, rt.settings, document, job.meeting)
    last = rt.store.last_debate_of(doc_key(job.link))
    changed = last is not None and last.doc_sha256 not in (None, document.sha256)
    return DigestResult(
        document=document,
        model=rt.settings.model,
        digest=digest,
        usage=usage,
        changed_since=last.finished_at if changed and last else None,
    )


@DBOS.step()
async def destinations(job: DigestJob) -> tuple[list[str], str]:
    """Where the digest goes, and a line saying so. A meeting's channel gets it only if every attendee can
    open the doc; otherwise each attendee who can gets it by DM, and nobody else gets anything."""
    if job.kind != "meeting":
        return [job.channel or ""], f"posted in {job.channel}"
    readers = job.attendees
    if is_google_link(job.link):
        readers = await GoogleSource(runtime().settings).readers(job.link, job.attendees)
    if job.channel and len(readers) == len(job.attendees):
        return [job.channel], f"posted in {job.channel}"
    poster = runtime().poster
    users = [await poster.user_by_email(email) for email in readers]
    found = [await poster.dm_channel(u) for u in dict.fromkeys(users) if u]
    left_out = len(job.attendees) - len(readers)
    detail = f"sent by DM to {len(found)} of {len(job.attendees)} attendees"
    if left_out:
        detail += f"; {left_out} cannot open the doc and got nothing"
    return found, detail


@DBOS.step()
async def done(digest_id: str, status: str, detail: str, cost_usd: float = 0.0) -> None:
    runtime().store.digest_done(digest_id, status, detail, cost_usd)


@DBOS.step()
async def tell(user: str, text: Mrkdwn) -> None:
    """A DM to the person who asked for a digest: it may land long after they asked, anywhere."""
    await post_once(await runtime().poster.dm_channel(user), render.notice(text))


# ---- workflows ----


@DBOS.workflow()
async def calendar_pass(scheduled_at: datetime, _context: Any) -> None:
    """One tick of the schedule: start the digests due at the tick's time."""
    assert _queue is not None
    for job in await find_due(scheduled_at.astimezone(UTC)):
        await record(job)
        with SetWorkflowID(job.workflow_id):
            await _queue.enqueue_async(digest_workflow, job)


@DBOS.workflow()
async def digest_workflow(job: DigestJob) -> None:
    if job.kind == "scheduled":
        # Durable: a restart sleeps only what is left. Never 0, or a replay would skip the recorded sleep.
        await DBOS.sleep_async(max(0.01, (job.due_at - datetime.now(UTC)).total_seconds()))
    if not await begin(job.workflow_id):
        return
    try:
        await within_budget()
        document = await load(job)
        result = await write(job, document)
        targets, detail = await destinations(job)
        for target in targets:
            for post in render.digest_posts(result, job.link, job.meeting, job.starts):
                await post_part(target, None, post)
        await done(job.workflow_id, "posted" if targets else "skipped", detail, result.usage.cost_usd)
    except DocdebateError as exc:
        log.warning("digest %s failed: %s", job.workflow_id, exc.message)
        await done(job.workflow_id, "failed", exc.message)
        if job.requester:
            await best_effort(
                tell(
                    job.requester,
                    fmt("The digest of {} could not be made: {}", link(job.link), exc.message),
                )
            )
