"""Replica heartbeats (so a live replica can take over a dead one's debates) and per-user admission locks.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "docdebate_replicas",
        sa.Column("executor_id", sa.String(200), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "docdebate_admission_locks",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("admissions", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("docdebate_admission_locks")
    op.drop_table("docdebate_replicas")
