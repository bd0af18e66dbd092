"""History of debates (App Home, follow-ups): one SQLAlchemy table next to DBOS's own tables."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import DateTime, Engine, Float, Integer, String, Text, create_engine, func, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bot import quotas
from bot.models import DebateResult
from bot.quotas import Limits

# One admission at a time in this process, so two quick requests cannot both pass a limit of one.
_ADMISSION = threading.Lock()


class Base(DeclarativeBase):
    pass


class DebateRow(Base):
    __tablename__ = "docdebate_debates"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # the workflow id
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), index=True)
    link: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | done | failed
    headline: Mapped[str | None] = mapped_column(Text)
    one_way_doors: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    result_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(UTC))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@lru_cache(maxsize=4)
def engine(url: str) -> Engine:
    made = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(made)
    return made


class Store:
    def __init__(self, url: str) -> None:
        self._engine = engine(url)

    def admit(self, row: DebateRow, limits: Limits, now: datetime) -> str | None:
        """Record a request if the quotas allow it (status "queued"); else the refusal, and nothing recorded."""
        hour_ago, midnight = now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0)
        with _ADMISSION, Session(self._engine) as session, session.begin():
            if session.get(DebateRow, row.id) is not None:
                return None  # Slack delivered this request again: admitted already
            recent = session.execute(
                select(DebateRow.user_id, DebateRow.channel_id, DebateRow.created_at).where(
                    DebateRow.created_at > hour_ago,
                    or_(DebateRow.user_id == row.user_id, DebateRow.channel_id == row.channel_id),
                )
            ).all()
            running = session.scalar(
                select(func.count()).where(
                    DebateRow.user_id == row.user_id, DebateRow.status.in_(("queued", "running"))
                )
            )
            spent = session.scalar(
                select(func.coalesce(func.sum(DebateRow.cost_usd), 0.0)).where(
                    DebateRow.created_at >= midnight
                )
            )
            usage = quotas.Activity(
                user_starts=[_utc(r.created_at) for r in recent if r.user_id == row.user_id],
                channel_starts=[_utc(r.created_at) for r in recent if r.channel_id == row.channel_id],
                user_running=int(running or 0),
                spent_today_usd=float(spent or 0.0),
            )
            refused = quotas.refusal(usage, limits, now)
            if refused is None:
                row.status, row.created_at = "queued", now
                session.add(row)
            return refused

    def started(self, row: DebateRow) -> None:
        with Session(self._engine) as session, session.begin():
            session.merge(row)

    def finished(self, debate_id: str, result: DebateResult | None, status: str) -> None:
        with Session(self._engine) as session, session.begin():
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

    def titled(self, debate_id: str, title: str, thread_ts: str) -> None:
        with Session(self._engine) as session, session.begin():
            row = session.get(DebateRow, debate_id)
            if row is not None:
                row.title, row.thread_ts = title, thread_ts

    def running_in_thread(self, channel_id: str, thread_ts: str) -> DebateRow | None:
        with Session(self._engine) as session:
            query = select(DebateRow).where(
                DebateRow.channel_id == channel_id,
                DebateRow.thread_ts == thread_ts,
                DebateRow.status == "running",
            )
            return session.scalars(query).first()

    def latest_result_in_thread(self, channel_id: str, thread_ts: str) -> DebateResult | None:
        with Session(self._engine) as session:
            query = (
                select(DebateRow.result_json)
                .where(DebateRow.channel_id == channel_id, DebateRow.thread_ts == thread_ts)
                .where(DebateRow.result_json.is_not(None))
                .order_by(DebateRow.finished_at.desc())
            )
            found = session.scalars(query).first()
        return DebateResult.model_validate_json(found) if found else None

    def recent_for_user(self, user_id: str, limit: int = 10) -> list[DebateRow]:
        with Session(self._engine) as session:
            query = (
                select(DebateRow).where(DebateRow.user_id == user_id).order_by(DebateRow.created_at.desc())
            )
            return list(session.scalars(query.limit(limit)))
