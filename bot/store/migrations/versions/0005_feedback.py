"""Feedback: people's marks on the findings of a verdict (right, not a one-way door, wrong quote).

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "docdebate_feedback",
        sa.Column("debate_id", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("item", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("docdebate_feedback")
