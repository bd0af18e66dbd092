"""The ledger: every verdict's one-way doors across docs, with their status, and its consolidated versions.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "docdebate_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("debate_id", sa.String(200), nullable=False),
        sa.Column("item", sa.Integer, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("doc_title", sa.Text, nullable=False),
        sa.Column("doc_link", sa.Text, nullable=False),
        sa.Column("doc_key", sa.Text, nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("thread_url", sa.Text, nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("raised_by", sa.Text, nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("status_by", sa.String(32)),
        sa.Column("status_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("debate_id", "item"),
    )
    op.create_index("ix_docdebate_ledger_doc_key", "docdebate_ledger", ["doc_key"])
    op.create_index("ix_docdebate_ledger_channel_id", "docdebate_ledger", ["channel_id"])
    op.create_table(
        "docdebate_ledger_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("workflow_id", sa.String(300), unique=True),
        sa.Column("changes_json", sa.Text, nullable=False),
        sa.Column("added_json", sa.Text, nullable=False),
        sa.Column("snapshot_json", sa.Text, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("docdebate_ledger_versions")
    op.drop_index("ix_docdebate_ledger_channel_id", "docdebate_ledger")
    op.drop_index("ix_docdebate_ledger_doc_key", "docdebate_ledger")
    op.drop_table("docdebate_ledger")
