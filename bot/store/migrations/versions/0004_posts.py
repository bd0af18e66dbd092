"""Posts under way: a key per post step, written before the post, so a restarted step can tell it may have
posted already.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "docdebate_posts",
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("docdebate_posts")
