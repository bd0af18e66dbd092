"""The replicas table: each replica's last heartbeat (bot.replicas decides who is dead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from bot.store.db import insert
from bot.store.schema import ReplicaRow


@dataclass(frozen=True)
class Replicas:
    engine: Engine

    def heartbeat(self, executor_id: str, now: datetime) -> None:
        statement = insert(self.engine, ReplicaRow).values(executor_id=executor_id, seen_at=now)
        with self.engine.begin() as connection:
            connection.execute(
                statement.on_conflict_do_update(index_elements=["executor_id"], set_={"seen_at": now})
            )

    def silent(self, me: str, since: datetime) -> list[str]:
        """Replicas other than `me` not heard from since `since`."""
        with Session(self.engine) as session:
            query = select(ReplicaRow.executor_id).where(
                ReplicaRow.seen_at < since, ReplicaRow.executor_id != me
            )
            return list(session.scalars(query))

    def forget(self, executor_ids: list[str], since: datetime) -> None:
        """Drop the heartbeats of replicas taken over (unless one beat again meanwhile)."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(ReplicaRow).where(ReplicaRow.executor_id.in_(executor_ids), ReplicaRow.seen_at < since)
            )
