"""Admitting a request: the quotas checked (bot.quotas) and the debate recorded as queued, one admission
of a user at a time across processes (the admission locks table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import quotas
from bot.quotas import Limits
from bot.store.db import insert
from bot.store.debates import NOT_STARTED
from bot.store.schema import AdmissionLockRow, DebateRow
from bot.store.spending import midnight, spent_since


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Admissions:
    engine: Engine

    def admit(self, row: DebateRow, limits: Limits, now: datetime) -> str | None:
        """Record a request if the quotas allow it (status "queued"); else the refusal, and nothing recorded."""
        try:
            return self._admit(row, limits, now)
        except IntegrityError:
            return None  # another replica admitted the same request (Slack's retry) a moment ago

    def _admit(self, row: DebateRow, limits: Limits, now: datetime) -> str | None:
        hour_ago = now - timedelta(hours=1)
        with Session(self.engine) as session, session.begin():
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
            spent = spent_since(session, midnight(now))
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

    def _take_turn(self, session: Session, user_id: str) -> None:
        """Wait until no other admission of this user is in progress, in any process (see AdmissionLockRow).

        The write comes first in the transaction, so everything read after it is read under the lock."""
        session.execute(
            insert(self.engine, AdmissionLockRow)
            .values(user_id=user_id, admissions=0)
            .on_conflict_do_nothing()
        )
        session.execute(
            update(AdmissionLockRow)
            .where(AdmissionLockRow.user_id == user_id)
            .values(admissions=AdmissionLockRow.admissions + 1)
        )
