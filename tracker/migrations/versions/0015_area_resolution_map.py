"""the area → resolution map behind the assessment debt of a State's next visit

New table `area_resolution`: that a top-level area concerns a resolution, switched off rather than
deleted. `tracker init` seeds it with the default map; no stored row changes.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area_resolution",
        sa.Column("area", sa.String(), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.Column("applies", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_in", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["area"], ["thematic_area.code"]),
        sa.ForeignKeyConstraint(["resolution"], ["resolution.number"]),
        sa.ForeignKeyConstraint(["created_in"], ["audit_event.id"], name="fk_area_resolution_created_in"),
        sa.PrimaryKeyConstraint("area", "resolution"),
    )


def downgrade() -> None:
    op.drop_table("area_resolution")
