"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 07:38:12.627418
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("clearance", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "clearance IN ('public', 'un_platform', 'member_states', 'committee', 'state_and_cted', 'restricted')",
            name="ck_user_clearance",
        ),
        sa.CheckConstraint("role IN ('viewer', 'analyst', 'admin')", name="ck_user_role"),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("changes", sa.Text(), server_default="{}", nullable=False),
        sa.CheckConstraint("action IN ('create', 'update', 'delete', 'import', 'login')", name="ck_audit_action"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entity_key", ["entity", "key"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_at"), ["at"], unique=False)

    op.create_table(
        "member_state",
        sa.Column("iso3", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("iso3"),
    )
    op.create_table(
        "partner_org",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "resolution",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint("year BETWEEN 1946 AND 2100", name="ck_resolution_year"),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "thematic_area",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("parent", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("cross_cutting", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.CheckConstraint("parent IS NULL OR parent <> code", name="ck_area_parent_not_self"),
        sa.ForeignKeyConstraint(["parent"], ["thematic_area.code"], initially="IMMEDIATE", deferrable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("thematic_area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_thematic_area_parent"), ["parent"], unique=False)

    op.create_table(
        "visit",
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("modality", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("baseline_visit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("lead", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("confidentiality", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(
            "confidentiality IN ('public', 'un_platform', 'member_states', 'committee', 'state_and_cted', 'restricted')",
            name="ck_visit_confidentiality",
        ),
        sa.CheckConstraint(
            "kind IN ('comprehensive', 'focused', 'follow_up', 'regional', 'advocacy', 'desk_review')",
            name="ck_visit_kind",
        ),
        sa.CheckConstraint("modality IN ('in_person', 'hybrid', 'virtual')", name="ck_visit_modality"),
        sa.CheckConstraint(
            "baseline_visit_id IS NULL OR baseline_visit_id <> visit_id", name="ck_visit_baseline_not_self"
        ),
        sa.CheckConstraint("end_date >= start_date", name="ck_visit_dates"),
        sa.ForeignKeyConstraint(["baseline_visit_id"], ["visit.visit_id"], initially="IMMEDIATE", deferrable=True),
        sa.ForeignKeyConstraint(
            ["state"],
            ["member_state.iso3"],
        ),
        sa.PrimaryKeyConstraint("visit_id"),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_baseline_visit_id"), ["baseline_visit_id"], unique=False)
        batch_op.create_index("ix_visit_state_start", ["state", "start_date"], unique=False)

    op.create_table(
        "finding",
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("priority", sa.Boolean(), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("continues", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("confidentiality", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(
            "confidentiality IN ('public', 'un_platform', 'member_states', 'committee', 'state_and_cted', 'restricted')",
            name="ck_finding_confidentiality",
        ),
        sa.CheckConstraint(
            "kind IN ('shortfall', 'recommendation', 'good_practice', 'ta_need', 'progress', 'concern', 'capacity_to_assist')",
            name="ck_finding_kind",
        ),
        sa.CheckConstraint(
            "severity IS NULL OR severity IN ('major', 'moderate', 'minor')", name="ck_finding_severity"
        ),
        sa.CheckConstraint("continues IS NULL OR continues <> finding_id", name="ck_finding_continues_not_self"),
        sa.ForeignKeyConstraint(
            ["area"],
            ["thematic_area.code"],
        ),
        sa.ForeignKeyConstraint(["continues"], ["finding.finding_id"], initially="IMMEDIATE", deferrable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.visit_id"],
        ),
        sa.PrimaryKeyConstraint("finding_id"),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_continues"), ["continues"], unique=False)
        batch_op.create_index("ix_finding_visit_kind_area", ["visit_id", "kind", "area"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("meeting_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("counterpart", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("area", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column("confidentiality", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(
            "confidentiality IN ('public', 'un_platform', 'member_states', 'committee', 'state_and_cted', 'restricted')",
            name="ck_meeting_confidentiality",
        ),
        sa.CheckConstraint(
            "kind IN ('opening_session', 'bilateral_high_level', 'technical', 'site_visit', 'roundtable', 'closing')",
            name="ck_meeting_kind",
        ),
        sa.CheckConstraint(
            "sector IN ('government', 'law_enforcement', 'judiciary', 'parliament', 'private_sector', 'civil_society', 'academia', 'international_org', 'other')",
            name="ck_meeting_sector",
        ),
        sa.ForeignKeyConstraint(
            ["area"],
            ["thematic_area.code"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.visit_id"],
        ),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "visit_partner",
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("partner", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner"],
            ["partner_org.code"],
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.visit_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("visit_id", "partner"),
    )
    op.create_table(
        "visit_resolution",
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resolution"],
            ["resolution.number"],
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.visit_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("visit_id", "resolution"),
    )
    op.create_table(
        "assessment",
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("visit_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("evidence", sa.Text(), server_default="", nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("confidentiality", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.CheckConstraint(
            "confidentiality IN ('public', 'un_platform', 'member_states', 'committee', 'state_and_cted', 'restricted')",
            name="ck_assessment_confidentiality",
        ),
        sa.CheckConstraint(
            "status IN ('fully_implemented', 'addressed_otherwise', 'largely_implemented', 'partially_implemented', 'initial_steps', 'not_implemented', 'contrary_action', 'no_longer_relevant', 'not_assessed', 'insufficient_information')",
            name="ck_assessment_status",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["finding.finding_id"],
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visit.visit_id"],
        ),
        sa.PrimaryKeyConstraint("finding_id", "visit_id"),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_visit_finding", ["visit_id", "finding_id"], unique=False)

    op.create_table(
        "finding_resolution",
        sa.Column("finding_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.finding_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["resolution"],
            ["resolution.number"],
        ),
        sa.PrimaryKeyConstraint("finding_id", "resolution"),
    )


def downgrade() -> None:
    op.drop_table("finding_resolution")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_visit_finding")

    op.drop_table("assessment")
    op.drop_table("visit_resolution")
    op.drop_table("visit_partner")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_visit_id"))

    op.drop_table("meeting")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index("ix_finding_visit_kind_area")
        batch_op.drop_index(batch_op.f("ix_finding_continues"))

    op.drop_table("finding")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_state_start")
        batch_op.drop_index(batch_op.f("ix_visit_baseline_visit_id"))

    op.drop_table("visit")
    with op.batch_alter_table("thematic_area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_thematic_area_parent"))

    op.drop_table("thematic_area")
    op.drop_table("resolution")
    op.drop_table("partner_org")
    op.drop_table("member_state")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_at"))
        batch_op.drop_index("ix_audit_entity_key")

    op.drop_table("audit_event")
    op.drop_table("app_user")
