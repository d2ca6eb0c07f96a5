"""rejected continuity links

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_decision",
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("baseline_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint("baseline_id <> finding_id", name="ck_link_decision_not_self"),
        sa.ForeignKeyConstraint(["baseline_id"], ["finding.finding_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.finding_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("finding_id", "baseline_id"),
    )
    with op.batch_alter_table("link_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_decision_baseline_id"), ["baseline_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("link_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_decision_baseline_id"))
    op.drop_table("link_decision")
