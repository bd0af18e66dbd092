"""The ledger in the workflows: a debate's doors recorded when it finishes, the entries that bear on a doc
given to its panel, and the consolidation on a cron schedule ("dreaming").

Consolidation is a DBOS schedule (stored in the database, so replicas share it): DBOS gives each tick one
workflow id, so a tick runs once however many workers fire it, and ticks run one at a time from their own
queue (`names.LEDGER`), so each reads the version the one before it wrote. A run reads the ledger and the
verdicts since the last version, makes one structured model call (`bot.debate.consolidation`), and writes a
new version that keeps every earlier one (`docdebate ledger --history`, `--restore N`). Its cost counts
toward the daily budget.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS
from pydantic import BaseModel

from bot import runtime
from bot.config import Settings
from bot.debate.consolidation import accept, combined, consolidate, summary
from bot.debate.memory import Related, related_entries
from bot.errors import DocdebateError, ModelError
from bot.models import DebateResult, Document, LedgerChanges, LedgerEntry, RecentVerdict, Usage
from bot.posting.poster import Conversation
from bot.sources.links import doc_key
from bot.store.ledger import Viewer, shown_to
from bot.store.schema import DebateRow, LedgerRow
from bot.workflows import names
from bot.workflows.digest_steps import within_budget
from bot.workflows.request import ThreadRequest

log = logging.getLogger(__name__)
SCHEDULE = "docdebate-ledger-consolidation"
FIRST_LOOKBACK = timedelta(days=30)  # verdicts the first consolidation reads
MAX_ENTRIES = 300  # the newest entries a consolidation reads


def audience(channel: str, where: Conversation) -> Viewer:
    """Whoever can read a debate's thread: the ledger entries its panel may cite (README, "The ledger")."""
    return Viewer(channel=channel, public=not where.shared)


@DBOS.step()
async def conversation_of(channel: str) -> Conversation:
    return await runtime.current().poster.conversation(channel)


@DBOS.step()
async def load_memory(request: ThreadRequest, document: Document, where: Conversation) -> list[Related]:
    """The ledger entries that bear on the doc, of those the thread's readers may see."""
    rt = runtime.current()
    if not rt.settings.ledger_context_max:
        return []
    entries = shown_to(audience(request.channel_id, where), await asyncio.to_thread(rt.store.ledger.entries))
    return related_entries(entries, document, doc_key(document.source), rt.settings.ledger_context_max)


@DBOS.step()
async def record_doors(request: ThreadRequest, result: DebateResult, where: Conversation) -> None:
    """The verdict's one-way doors into the ledger, with a link to the thread."""
    doors = result.verdict.one_way_doors
    thread_ts = request.thread_ts
    if not doors or not thread_ts:
        return
    rt = runtime.current()
    url = await rt.poster.permalink(request.channel_id, thread_ts)
    private = where.private or where.shared or result.document.audience == "restricted"
    rows = [
        LedgerRow(
            debate_id=request.workflow_id,
            item=item,
            decision=door.decision,
            quote=door.quote.text,
            doc_title=result.document.title,
            doc_link=request.link,
            doc_key=doc_key(result.document.source),
            team_id=request.team_id,
            channel_id=request.channel_id,
            thread_ts=thread_ts,
            thread_url=url,
            requested_by=request.user_id,
            raised_by=",".join(door.raised_by),
            private=private,
            created_at=result.finished_at or datetime.now(UTC),
        )
        for item, door in enumerate(doors)
    ]
    await asyncio.to_thread(rt.store.ledger.record, rows)


# ---- consolidation ----


class Reading(BaseModel):
    """What a consolidation read: the entries it may change, the verdicts since the last version, and the
    changes that version holds."""

    entries: list[LedgerEntry]
    verdicts: list[RecentVerdict]
    previous: LedgerChanges


def schedule_consolidation(settings: Settings) -> None:
    """Start the consolidation schedule (`DOCDEBATE_LEDGER_CRON`), or stop it when that is empty."""
    if not settings.ledger_cron:
        if any(s["schedule_name"] == SCHEDULE for s in DBOS.list_schedules()):
            DBOS.delete_schedule(SCHEDULE)
        return
    DBOS.apply_schedules(
        [
            {
                "schedule_name": SCHEDULE,
                "workflow_fn": consolidation,
                "schedule": settings.ledger_cron,
                "queue_name": names.LEDGER,
            }
        ]
    )


def _verdict(number: int, row: DebateRow) -> RecentVerdict:
    finished = row.finished_at or row.created_at
    return RecentVerdict(
        id=number,
        debate_id=row.id,
        channel_id=row.channel_id,
        doc_title=row.title or row.link,
        doc_key=row.doc_key or row.link,
        finished_at=finished if finished.tzinfo else finished.replace(tzinfo=UTC),
        verdict=DebateResult.model_validate_json(row.result_json or "").verdict,
    )


def _read() -> Reading:
    store = runtime.current().store
    current, shown = store.ledger.state()
    since = current.created_at if current else datetime.now(UTC) - FIRST_LOOKBACK
    entries = [e for e in shown if e.merged_into is None and e.status != "withdrawn"]
    rows = store.debates.done_since(since)
    return Reading(
        entries=entries[:MAX_ENTRIES],
        verdicts=[_verdict(i, row) for i, row in enumerate(rows, 1)],
        previous=current.changes if current else LedgerChanges(merges=[], resolutions=[], conflicts=[]),
    )


@DBOS.step()
async def read_ledger() -> Reading:
    return await asyncio.to_thread(_read)


@DBOS.step()
async def find_changes(reading: Reading, tick: datetime) -> tuple[LedgerChanges, Usage]:
    rt = runtime.current()
    return await consolidate(rt.llm, rt.settings, reading.entries, reading.verdicts, tick)


@DBOS.step()
async def write_version(reading: Reading, found: LedgerChanges, usage: Usage, workflow_id: str) -> int:
    """The checked changes as a new version; once per tick, even if this step runs again."""
    added = accept(found, reading.entries, reading.verdicts, reading.previous)
    note = f"{summary(added)}; read {len(reading.entries)} entries and {len(reading.verdicts)} verdicts"
    changes = combined(reading.previous, added)
    ledger = runtime.current().store.ledger
    return await asyncio.to_thread(
        ledger.add_version, "consolidation", note, changes, added, usage.cost_usd, workflow_id
    )


@DBOS.workflow(name=names.CONSOLIDATION)
async def consolidation(scheduled_at: datetime, _context: Any) -> None:
    """One tick of the schedule: consolidate the ledger (nothing to do for an empty one)."""
    try:
        await within_budget()
    except ModelError as exc:
        log.warning("ledger consolidation skipped: %s", exc.message)
        return
    reading = await read_ledger()
    if not reading.entries:
        return
    try:
        found, usage = await find_changes(reading, scheduled_at.astimezone(UTC))
    except DocdebateError as exc:
        log.warning("ledger consolidation failed: %s", exc.message)
        return
    version = await write_version(reading, found, usage, DBOS.workflow_id or "")
    log.info("ledger version %s written", version)
