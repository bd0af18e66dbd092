"""The feedback table: who marked which finding of which verdict, and how."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.store.db import insert
from bot.store.schema import DebateRow, FeedbackRow

Tally = dict[tuple[str, int], Counter[str]]  # (kind, item) -> label -> people


@dataclass(frozen=True)
class Feedback:
    engine: Engine

    def mark(self, debate_id: str, kind: str, item: int, user_id: str, label: str) -> Tally | None:
        """Record one person's mark (replacing theirs on the same finding); the debate's tally after it, or
        None when no finished debate has that id (a button from elsewhere, or a debate since removed)."""
        with Session(self.engine) as session:
            debate = session.get(DebateRow, debate_id)
            if debate is None or debate.result_json is None:
                return None
        now = datetime.now(UTC)
        row = {"debate_id": debate_id, "kind": kind, "item": item, "user_id": user_id, "label": label}
        statement = insert(self.engine, FeedbackRow).values(**row, marked_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["debate_id", "kind", "item", "user_id"], set_={"label": label, "marked_at": now}
        )
        with Session(self.engine) as session, session.begin():
            session.execute(statement)
        return self.tally(debate_id)

    def tally(self, debate_id: str) -> Tally:
        with Session(self.engine) as session:
            rows = session.scalars(select(FeedbackRow).where(FeedbackRow.debate_id == debate_id)).all()
        return _tally(rows)

    def marked_debates(self) -> list[tuple[DebateRow, Tally]]:
        """Every finished debate someone marked, with its tally: what `eval export-feedback` writes."""
        with Session(self.engine) as session:
            rows = session.scalars(select(FeedbackRow)).all()
            ids = sorted({r.debate_id for r in rows})
            debates = session.scalars(
                select(DebateRow).where(DebateRow.id.in_(ids), DebateRow.result_json.is_not(None))
            ).all()
        by_debate = {d: [r for r in rows if r.debate_id == d] for d in ids}
        return [(debate, _tally(by_debate[debate.id])) for debate in sorted(debates, key=lambda d: d.id)]


def _tally(rows: Sequence[FeedbackRow]) -> Tally:
    tally: Tally = {}
    for row in rows:
        tally.setdefault((row.kind, row.item), Counter())[row.label] += 1
    return tally
