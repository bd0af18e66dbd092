"""The steps of a digest: finding what is due, reading and writing it, where it goes, the bookkeeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from dbos import DBOS

from bot import runtime
from bot.digest.due import DigestJob, due_now
from bot.digest.writer import write_digest
from bot.errors import ModelError
from bot.models import DigestResult, Document
from bot.posting import render
from bot.posting.safety import Mrkdwn
from bot.sources.google import GoogleSource
from bot.sources.links import doc_key, is_google_link
from bot.workflows.delivery import post_once
from bot.workflows.reading import read_for
from bot.workflows.request import digest_row


@DBOS.step()
async def find_due(now: datetime) -> list[DigestJob]:
    return await due_now(runtime.current().settings, now)


@DBOS.step()
async def record(job: DigestJob) -> None:
    runtime.current().store.digests.add(digest_row(job))


@DBOS.step()
async def begin(digest_id: str) -> bool:
    """From here on the digest is being posted: it leaves `/debate schedule list` and can no longer be
    cancelled. False if it was cancelled while it waited."""
    return await asyncio.to_thread(runtime.current().store.digests.begin, digest_id)


@DBOS.step()
async def within_budget() -> None:
    """Digests spend from the daily budget debates use (`DOCDEBATE_DAILY_BUDGET_USD`)."""
    rt = runtime.current()
    spent = await asyncio.to_thread(rt.store.spending.today, datetime.now(UTC))
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
    rt = runtime.current()
    digest, usage = await write_digest(rt.llm, rt.settings, document, job.meeting)
    last = rt.store.debates.last_done_on(doc_key(job.link))
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
        readers = await GoogleSource(runtime.current().settings).readers(job.link, job.attendees)
    if job.channel and len(readers) == len(job.attendees):
        return [job.channel], f"posted in {job.channel}"
    poster = runtime.current().poster
    users = [await poster.user_by_email(email) for email in readers]
    found = [await poster.dm_channel(u) for u in dict.fromkeys(users) if u]
    left_out = len(job.attendees) - len(readers)
    detail = f"sent by DM to {len(found)} of {len(job.attendees)} attendees"
    if left_out:
        detail += f"; {left_out} cannot open the doc and got nothing"
    return found, detail


@DBOS.step()
async def done(digest_id: str, status: str, detail: str, cost_usd: float = 0.0) -> None:
    runtime.current().store.digests.finish(digest_id, status, detail, cost_usd)


@DBOS.step()
async def tell(user: str, text: Mrkdwn) -> None:
    """A DM to the person who asked for a digest: it may land long after they asked, anywhere."""
    await post_once(await runtime.current().poster.dm_channel(user), render.notice(text))
