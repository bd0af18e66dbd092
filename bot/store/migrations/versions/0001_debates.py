"""The debates table: requests, their status, verdict and cost.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "docdebate_debates",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("headline", sa.Text),
        sa.Column("one_way_doors", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("result_json", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_docdebate_debates_user_id", "docdebate_debates", ["user_id"])
    op.create_index("ix_docdebate_debates_thread_ts", "docdebate_debates", ["thread_ts"])
    op.create_index("ix_docdebate_debates_created_at", "docdebate_debates", ["created_at"])


def downgrade() -> None:
    op.drop_table("docdebate_debates")
