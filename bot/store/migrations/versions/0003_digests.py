"""Digests (scheduled and posted), and which version of a doc each debate read.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "docdebate_digests",
        sa.Column("id", sa.String(300), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("team_id", sa.String(32)),
        sa.Column("user_id", sa.String(32)),
        sa.Column("channel_id", sa.String(100)),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_docdebate_digests_user_id", "docdebate_digests", ["user_id"])
    with op.batch_alter_table("docdebate_debates") as table:
        table.add_column(sa.Column("doc_key", sa.Text))
        table.add_column(sa.Column("doc_sha256", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("docdebate_debates") as table:
        table.drop_column("doc_sha256")
        table.drop_column("doc_key")
    op.drop_table("docdebate_digests")
