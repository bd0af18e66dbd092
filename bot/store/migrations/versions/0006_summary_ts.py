"""Where a debate's summary was posted (the ts of its first page), so a re-review can update it in place.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("docdebate_debates") as batch:
        batch.add_column(sa.Column("summary_ts", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("docdebate_debates") as batch:
        batch.drop_column("summary_ts")
