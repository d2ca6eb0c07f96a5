"""withdrawn visits, findings, assessments and meetings

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Empty means the row is active; otherwise it holds the reason it was withdrawn.
TABLES = ("visit", "finding", "assessment", "meeting")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("withdrawn", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("withdrawn")
