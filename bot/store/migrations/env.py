"""Alembic environment for docdebate's own tables (DBOS manages its own schema)."""

from __future__ import annotations

from alembic import context

from bot.store.schema import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, version_table="docdebate_alembic_version"
)
with context.begin_transaction():
    context.run_migrations()
