"""after the visit: milestones, consent to share, the TA pipeline

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEVELS = "'public', 'un_platform', 'member_states', 'committee', 'state_and_cted', 'restricted'"


def upgrade() -> None:
    # Plain ADD COLUMN: rebuilding the visit table on SQLite would break the rows that refer to it.
    op.add_column(
        "visit",
        sa.Column(
            "consent",
            sqlmodel.sql.sqltypes.AutoString(),
            sa.CheckConstraint("consent IN ('none', 'ta_needs_only', 'partial', 'full')", name="ck_visit_consent"),
            server_default="none",
            nullable=False,
        ),
    )
    op.add_column("visit", sa.Column("consent_date", sa.Date(), nullable=True))
    # Visits recorded before consent existed keep today's sharing; new visits start at none.
    op.execute("UPDATE visit SET consent = 'partial'")

    op.create_table(
        "milestone",
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("milestone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("confidentiality", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(f"confidentiality IN ({_LEVELS})", name="ck_milestone_confidentiality"),
        sa.CheckConstraint(
            "milestone IN ('draft_sent', 'observations_received', 'adopted', 'transmitted', 'response_received')",
            name="ck_milestone_kind",
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.visit_id"]),
        sa.PrimaryKeyConstraint("visit_id", "milestone"),
    )
    op.create_table(
        "ta_record",
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("addresses", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("updated_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("confidentiality", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(f"confidentiality IN ({_LEVELS})", name="ck_ta_record_confidentiality"),
        sa.CheckConstraint(
            "status IN ('identified', 'agreed_by_state', 'shared_with_providers', 'matched', 'in_delivery', "
            "'delivered', 'declined')",
            name="ck_ta_record_status",
        ),
        sa.ForeignKeyConstraint(["addresses"], ["finding.finding_id"]),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.finding_id"]),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    with op.batch_alter_table("ta_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ta_record_addresses"), ["addresses"], unique=False)
    op.create_table(
        "ta_provider",
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("partner", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["ta_record.finding_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner"], ["partner_org.code"]),
        sa.PrimaryKeyConstraint("finding_id", "partner"),
    )


def downgrade() -> None:
    op.drop_table("ta_provider")
    with op.batch_alter_table("ta_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ta_record_addresses"))
    op.drop_table("ta_record")
    op.drop_table("milestone")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("consent_date")
        batch_op.drop_column("consent")
