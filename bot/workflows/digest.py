"""Durable digests: the calendar pass on a cron schedule, and one workflow per digest.

Every model call and every post is a step (`digest_steps`), as in a debate, so a restart never posts a digest
twice or pays for it twice. The calendar pass is a DBOS schedule (stored in the database, so replicas share it
and each tick runs once); a digest someone schedules is a workflow that sleeps durably until its time.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from dbos import DBOS, SetWorkflowID

from bot.config import Settings
from bot.digest.due import DigestJob
from bot.errors import DocdebateError
from bot.posting import render
from bot.posting.safety import fmt, link
from bot.workflows import names
from bot.workflows.delivery import best_effort, post_part
from bot.workflows.digest_steps import (
    begin,
    destinations,
    done,
    find_due,
    load,
    record,
    tell,
    within_budget,
    write,
)

log = logging.getLogger(__name__)
SCHEDULE = "docdebate-calendar-pass"


def cron(every_s: int) -> str:
    """A six-field cron (seconds first) firing every `every_s` seconds (see `Settings.digest_poll_s`)."""
    return f"*/{every_s} * * * * *" if every_s < 60 else f"0 */{every_s // 60} * * * *"


def schedule_calendar_pass(settings: Settings) -> None:
    """Start the calendar schedule, or stop it when no calendar is configured (a launched DBOS)."""
    if not settings.calendar_channels():
        if any(s["schedule_name"] == SCHEDULE for s in DBOS.list_schedules()):
            DBOS.delete_schedule(SCHEDULE)
        return
    DBOS.apply_schedules(
        [{"schedule_name": SCHEDULE, "workflow_fn": calendar_pass, "schedule": cron(settings.digest_poll_s)}]
    )


@DBOS.workflow()
async def calendar_pass(scheduled_at: datetime, _context: Any) -> None:
    """One tick of the schedule: start the digests due at the tick's time."""
    for job in await find_due(scheduled_at.astimezone(UTC)):
        await record(job)
        with SetWorkflowID(job.workflow_id):
            await DBOS.enqueue_workflow_async(names.DIGESTS, digest_workflow, job)


@DBOS.workflow(name=names.DIGEST)
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
            text = fmt("The digest of {} could not be made: {}", link(job.link), exc.message)
            await best_effort(tell(job.requester, text))
