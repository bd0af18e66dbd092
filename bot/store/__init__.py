"""docdebate's tables, next to DBOS's own in `DATABASE_URL`: one attribute of `Store` per responsibility, so
a call names what it touches (`store.debates.finish`, `store.posts.claim`). Migrated with Alembic (`db`)."""

from __future__ import annotations

from sqlalchemy import select

from bot.store import db
from bot.store.admissions import Admissions
from bot.store.db import sqlalchemy_url
from bot.store.debates import NOT_STARTED, Debates
from bot.store.digests import Digests
from bot.store.feedback import Feedback
from bot.store.ledger import Ledger
from bot.store.posts import Posts
from bot.store.replicas import Replicas
from bot.store.schema import DebateRow, DigestRow
from bot.store.spending import Spending

__all__ = ["NOT_STARTED", "DebateRow", "DigestRow", "Store", "sqlalchemy_url"]


class Store:
    def __init__(self, url: str) -> None:
        self._engine = engine = db.engine(url)
        self.debates = Debates(engine)
        self.admissions = Admissions(engine)
        self.digests = Digests(engine)
        self.spending = Spending(engine)
        self.posts = Posts(engine)
        self.replicas = Replicas(engine)
        self.feedback = Feedback(engine)
        self.ledger = Ledger(engine)

    def ping(self) -> None:
        """One round trip to the database (raises if it does not answer)."""
        with self._engine.connect() as connection:
            connection.execute(select(1))
