"""The debates table: each debate from its admission to its result, and what is read back from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from bot.models import DebateResult
from bot.sources.links import doc_key
from bot.store.schema import DebateRow

NOT_STARTED = "not_started"  # admitted, then refused before any model call (the doc could not be read)


@dataclass(frozen=True)
class Debates:
    engine: Engine

    def start(self, row: DebateRow) -> None:
        """Record the debate as `row` has it (running, in its thread)."""
        with Session(self.engine) as session, session.begin():
            session.merge(row)

    def finish(self, debate_id: str, result: DebateResult | None, status: str) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(DebateRow, debate_id)
            if row is None:
                return
            row.status, row.finished_at = status, datetime.now(UTC)
            if result is not None:
                row.title = result.document.title
                row.headline = result.verdict.headline
                row.one_way_doors = len(result.verdict.one_way_doors)
                row.cost_usd = result.usage.cost_usd
                row.result_json = result.model_dump_json()
                row.doc_key = doc_key(result.document.source)
                row.doc_sha256 = result.document.sha256

    def in_flight_before(self, cutoff: datetime) -> list[str]:
        """Ids of debates admitted before `cutoff` and still recorded as queued or running."""
        with Session(self.engine) as session:
            query = select(DebateRow.id).where(
                DebateRow.status.in_(("queued", "running")), DebateRow.created_at < cutoff
            )
            return list(session.scalars(query))

    def running_in_thread(self, channel_id: str, thread_ts: str) -> DebateRow | None:
        with Session(self.engine) as session:
            query = select(DebateRow).where(
                DebateRow.channel_id == channel_id,
                DebateRow.thread_ts == thread_ts,
                DebateRow.status == "running",
            )
            return session.scalars(query).first()

    def latest_result_in_thread(self, channel_id: str, thread_ts: str) -> DebateResult | None:
        found = self.latest_done_in_thread(channel_id, thread_ts)
        return DebateResult.model_validate_json(found.result_json) if found and found.result_json else None

    def latest_done_in_thread(self, channel_id: str, thread_ts: str) -> DebateRow | None:
        """The thread's latest review with a result: its debate, or the latest re-review of it."""
        with Session(self.engine) as session:
            query = (
                select(DebateRow)
                .where(DebateRow.channel_id == channel_id, DebateRow.thread_ts == thread_ts)
                .where(DebateRow.result_json.is_not(None))
                .order_by(DebateRow.finished_at.desc())
            )
            return session.scalars(query.limit(1)).first()

    def latest_done_in_channel(self, channel_id: str, link: str) -> DebateRow | None:
        """The channel's latest review with a result of the doc `link` names (in any of its link forms)."""
        with Session(self.engine) as session:
            query = (
                select(DebateRow)
                .where(DebateRow.channel_id == channel_id)
                .where(or_(DebateRow.doc_key == doc_key(link), DebateRow.link == link))
                .where(DebateRow.result_json.is_not(None))
                .order_by(DebateRow.finished_at.desc())
            )
            return session.scalars(query.limit(1)).first()

    def set_summary_ts(self, debate_id: str, ts: str) -> None:
        """Where the debate's summary is: a re-review updates that message in place."""
        with Session(self.engine) as session, session.begin():
            row = session.get(DebateRow, debate_id)
            if row is not None:
                row.summary_ts = ts

    def recent_for_user(self, user_id: str, limit: int = 10) -> list[DebateRow]:
        with Session(self.engine) as session:
            query = (
                select(DebateRow).where(DebateRow.user_id == user_id).order_by(DebateRow.created_at.desc())
            )
            return list(session.scalars(query.limit(limit)))

    def last_done_on(self, key: str) -> DebateRow | None:
        """The latest finished debate on the doc with this `doc_key`."""
        with Session(self.engine) as session:
            query = (
                select(DebateRow)
                .where(DebateRow.doc_key == key, DebateRow.status == "done")
                .order_by(DebateRow.finished_at.desc())
            )
            return session.scalars(query.limit(1)).first()

    def done_since(self, cutoff: datetime, limit: int = 30) -> list[DebateRow]:
        """Debates finished with a verdict since `cutoff`, latest first."""
        with Session(self.engine) as session:
            query = (
                select(DebateRow)
                .where(DebateRow.status == "done", DebateRow.finished_at >= cutoff)
                .where(DebateRow.result_json.is_not(None))
                .order_by(DebateRow.finished_at.desc())
            )
            return list(session.scalars(query.limit(limit)))
