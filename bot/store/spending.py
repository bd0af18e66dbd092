"""Model spend: debates, digests and the ledger's consolidation draw on one daily budget, so their tables count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.store.schema import DebateRow, DigestRow, LedgerVersionRow


def midnight(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def spent_since(session: Session, since: datetime) -> float:
    """Model spend recorded since `since`, by debates, digests and consolidations of the ledger."""
    return sum(
        session.scalar(select(func.coalesce(func.sum(table.cost_usd), 0.0)).where(table.created_at >= since))
        or 0.0
        for table in (DebateRow, DigestRow, LedgerVersionRow)
    )


@dataclass(frozen=True)
class Spending:
    engine: Engine

    def today(self, now: datetime) -> float:
        with Session(self.engine) as session:
            return spent_since(session, midnight(now))
