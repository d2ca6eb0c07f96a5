"""a visit's scope: the top-level areas it covered, blank for every area

Every stored visit keeps its rows and gets a blank scope, which counts as every area, so no
comparison changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: rebuilding the visit table would trip the rows that refer to it.
    op.add_column("visit", sa.Column("scope", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("visit", "scope")
