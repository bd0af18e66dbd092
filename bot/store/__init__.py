"""History of debates and fair-use bookkeeping: docdebate's tables next to DBOS's own, migrated with Alembic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, delete, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import quotas
from bot.models import DebateResult
from bot.quotas import Limits
from bot.sources.links import doc_key
from bot.store.schema import AdmissionLockRow, DebateRow, DigestRow, PostRow, ReplicaRow

__all__ = ["NOT_STARTED", "DebateRow", "DigestRow", "Store", "sqlalchemy_url"]
NOT_STARTED = "not_started"  # admitted, then refused before any model call (the doc could not be read)


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sqlite_pragmas(connection: Any, _record: object) -> None:
    """WAL and normal sync: a commit no longer waits for an fsync of its own, and readers never block the
    writer. Requests are admitted on the path that answers Slack, so each commit's latency counts."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def sqlalchemy_url(url: str) -> str:
    """`DATABASE_URL` for SQLAlchemy: a bare `postgresql://` means psycopg 3, the driver we ship."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@lru_cache(maxsize=4)
def engine(url: str) -> Engine:
    """The engine for `url`, its schema migrated to the latest revision (Alembic)."""
    made = create_engine(sqlalchemy_url(url))
    if made.dialect.name == "sqlite":
        event.listen(made, "connect", _sqlite_pragmas)
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with made.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return made


def _spent_since(session: Session, since: datetime) -> float:
    """Model spend recorded since `since`: debates and digests draw on one daily budget."""
    return sum(
        session.scalar(select(func.coalesce(func.sum(table.cost_usd), 0.0)).where(table.created_at >= since))
        or 0.0
        for table in (DebateRow, DigestRow)
    )


class Store:
    def __init__(self, url: str) -> None:
        self._engine = engine(url)

    def ping(self) -> None:
        """One round trip to the database (raises if it does not answer)."""
        with self._engine.connect() as connection:
            connection.execute(select(1))

    def admit(self, row: DebateRow, limits: Limits, now: datetime) -> str | None:
        """Record a request if the quotas allow it (status "queued"); else the refusal, and nothing recorded."""
        try:
            return self._admit(row, limits, now)
        except IntegrityError:
            return None  # another replica admitted the same request (Slack's retry) a moment ago

    def _admit(self, row: DebateRow, limits: Limits, now: datetime) -> str | None:
        hour_ago, midnight = now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0)
        with Session(self._engine) as session, session.begin():
            self._take_turn(session, row.user_id)
            if session.get(DebateRow, row.id) is not None:
                return None  # Slack delivered this request again: admitted already
            recent = session.execute(
                select(DebateRow.user_id, DebateRow.channel_id, DebateRow.created_at).where(
                    DebateRow.created_at > hour_ago,
                    DebateRow.status != NOT_STARTED,  # a request that never reached the model is no debate
                    or_(DebateRow.user_id == row.user_id, DebateRow.channel_id == row.channel_id),
                )
            ).all()
            running = session.scalar(
                select(func.count()).where(
                    DebateRow.user_id == row.user_id, DebateRow.status.in_(("queued", "running"))
                )
            )
            spent = _spent_since(session, midnight)
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

    def _insert(self, table: type[AdmissionLockRow] | type[ReplicaRow]) -> sqlite.Insert:
        """INSERT with the dialect's ON CONFLICT clauses (Postgres and SQLite spell them alike)."""
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)  # type: ignore[no-any-return]

    def _take_turn(self, session: Session, user_id: str) -> None:
        """Wait until no other admission of this user is in progress, in any process (see AdmissionLockRow).

        The write comes first in the transaction, so everything read after it is read under the lock."""
        session.execute(
            self._insert(AdmissionLockRow).values(user_id=user_id, admissions=0).on_conflict_do_nothing()
        )
        session.execute(
            update(AdmissionLockRow)
            .where(AdmissionLockRow.user_id == user_id)
            .values(admissions=AdmissionLockRow.admissions + 1)
        )

    def heartbeat(self, executor_id: str, now: datetime) -> None:
        statement = self._insert(ReplicaRow).values(executor_id=executor_id, seen_at=now)
        with self._engine.begin() as connection:
            connection.execute(
                statement.on_conflict_do_update(index_elements=["executor_id"], set_={"seen_at": now})
            )

    def silent_replicas(self, me: str, since: datetime) -> list[str]:
        """Replicas other than `me` not heard from since `since`."""
        with Session(self._engine) as session:
            query = select(ReplicaRow.executor_id).where(
                ReplicaRow.seen_at < since, ReplicaRow.executor_id != me
            )
            return list(session.scalars(query))

    def forget_replicas(self, executor_ids: list[str], since: datetime) -> None:
        """Drop the heartbeats of replicas taken over (unless one beat again meanwhile)."""
        with self._engine.begin() as connection:
            connection.execute(
                delete(ReplicaRow).where(ReplicaRow.executor_id.in_(executor_ids), ReplicaRow.seen_at < since)
            )

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
                row.doc_key = doc_key(result.document.source)
                row.doc_sha256 = result.document.sha256

    def in_flight_before(self, cutoff: datetime) -> list[str]:
        """Ids of debates admitted before `cutoff` and still recorded as queued or running."""
        with Session(self._engine) as session:
            query = select(DebateRow.id).where(
                DebateRow.status.in_(("queued", "running")), DebateRow.created_at < cutoff
            )
            return list(session.scalars(query))

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

    def last_debate_of(self, key: str) -> DebateRow | None:
        """The latest finished debate on the doc with this `doc_key`."""
        with Session(self._engine) as session:
            query = (
                select(DebateRow)
                .where(DebateRow.doc_key == key, DebateRow.status == "done")
                .order_by(DebateRow.finished_at.desc())
            )
            return session.scalars(query.limit(1)).first()

    # ---- digests ----

    def add_digest(self, row: DigestRow) -> bool:
        """Record a digest; False if one with its id exists (a repeated poll or delivery)."""
        try:
            with Session(self._engine) as session, session.begin():
                if session.get(DigestRow, row.id) is not None:
                    return False
                session.add(row)
            return True
        except IntegrityError:
            return False

    def spent_today(self, now: datetime) -> float:
        with Session(self._engine) as session:
            return _spent_since(session, now.replace(hour=0, minute=0, second=0, microsecond=0))

    def begin_digest(self, digest_id: str) -> bool:
        """Move a digest from scheduled to posting; False if it was cancelled (or is already under way)."""
        with self._engine.begin() as connection:
            moved = connection.execute(
                update(DigestRow)
                .where(DigestRow.id == digest_id, DigestRow.status == "scheduled")
                .values(status="posting")
            )
            if moved.rowcount:
                return True
            status = connection.scalar(select(DigestRow.status).where(DigestRow.id == digest_id))
        return status in (None, "posting")  # posting: this step runs again after a crash

    def digest_done(self, digest_id: str, status: str, detail: str, cost_usd: float = 0.0) -> None:
        with Session(self._engine) as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is not None:
                row.status, row.detail, row.cost_usd = status, detail, cost_usd
                if status == "posted":
                    row.posted_at = datetime.now(UTC)

    def scheduled_by(self, user_id: str) -> list[DigestRow]:
        """The user's digests still to come, soonest first."""
        with Session(self._engine) as session:
            query = (
                select(DigestRow)
                .where(
                    DigestRow.user_id == user_id,
                    DigestRow.status == "scheduled",
                    DigestRow.kind == "scheduled",
                )
                .order_by(DigestRow.due_at)
            )
            return list(session.scalars(query))

    def cancel_digest(self, digest_id: str, user_id: str) -> bool:
        """Cancel a digest the user scheduled, if it is still to come."""
        with Session(self._engine) as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is None or row.user_id != user_id or row.status != "scheduled":
                return False
            row.status = "cancelled"
            return True

    # ---- posts ----

    def claim_post(self, key: str) -> bool:
        """True the first time a post step with this key runs; False when it runs again (after a crash)."""
        try:
            with Session(self._engine) as session, session.begin():
                session.add(PostRow(key=key))
            return True
        except IntegrityError:
            return False
