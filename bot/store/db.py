"""The database: one engine per `DATABASE_URL`, its schema migrated with Alembic when first opened."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.schema import AdmissionLockRow, FeedbackRow, LedgerRow, ReplicaRow


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


def insert(
    engine: Engine,
    table: type[AdmissionLockRow] | type[ReplicaRow] | type[FeedbackRow] | type[LedgerRow],
) -> sqlite.Insert:
    """INSERT with the dialect's ON CONFLICT clauses (Postgres and SQLite spell them alike)."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)  # type: ignore[no-any-return]
