"""The digests table: each digest from scheduled (or requested) to posted, failed or cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.schema import DigestRow


@dataclass(frozen=True)
class Digests:
    engine: Engine

    def add(self, row: DigestRow) -> bool:
        """Record a digest; False if one with its id exists (a repeated poll or delivery)."""
        try:
            with Session(self.engine) as session, session.begin():
                if session.get(DigestRow, row.id) is not None:
                    return False
                session.add(row)
            return True
        except IntegrityError:
            return False

    def begin(self, digest_id: str) -> bool:
        """Move a digest from scheduled to posting; False if it was cancelled (or is already under way)."""
        with self.engine.begin() as connection:
            moved = connection.execute(
                update(DigestRow)
                .where(DigestRow.id == digest_id, DigestRow.status == "scheduled")
                .values(status="posting")
            )
            if moved.rowcount:
                return True
            status = connection.scalar(select(DigestRow.status).where(DigestRow.id == digest_id))
        return status in (None, "posting")  # posting: this step runs again after a crash

    def finish(self, digest_id: str, status: str, detail: str, cost_usd: float = 0.0) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is not None:
                row.status, row.detail, row.cost_usd = status, detail, cost_usd
                if status == "posted":
                    row.posted_at = datetime.now(UTC)

    def scheduled_by(self, user_id: str) -> list[DigestRow]:
        """The user's digests still to come, soonest first."""
        with Session(self.engine) as session:
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

    def cancel(self, digest_id: str, user_id: str) -> bool:
        """Cancel a digest the user scheduled, if it is still to come."""
        with Session(self.engine) as session, session.begin():
            row = session.get(DigestRow, digest_id)
            if row is None or row.user_id != user_id or row.status != "scheduled":
                return False
            row.status = "cancelled"
            return True
