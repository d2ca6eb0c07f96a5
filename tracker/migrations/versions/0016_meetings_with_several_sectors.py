"""meetings with several sectors and the partner organisations that took part

A roundtable brings several sectors and partner organisations together: the one `meeting.sector`
column (and its check `ck_meeting_sector`) becomes the table `meeting_sector`, one row per sector,
and `meeting_partner` lists the partners. Every meeting keeps its sector. A downgrade keeps one
sector per meeting, the first in alphabetical order, and drops the partners.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 11:45:00.000000
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SECTORS = (
    "'government', 'law_enforcement', 'judiciary', 'parliament', 'private_sector', 'civil_society', "
    "'academia', 'international_org', 'other'"
)


def _sectors_table():
    return sa.table("meeting_sector", sa.column("meeting_id", sa.String), sa.column("sector", sa.String))


def _drop_sector_column_on_sqlite(connection) -> None:
    """SQLite cannot drop a column a table CHECK names, and a batch would rewrite every reference as a
    table constraint, which later downgrades' DROP COLUMN refuse: the table is copied from its own
    definition, less the column and its check."""
    created = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'meeting'")
    ).scalar_one()
    indexes = list(
        connection.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'meeting' AND sql IS NOT NULL")
        ).scalars()
    )
    # The column as the first revision wrote it, or as a downgrade of this one added it back.
    without = re.sub(r"\s*sector VARCHAR NOT NULL,", "", created, count=1)
    without = re.sub(r",\s*CONSTRAINT ck_meeting_sector CHECK \(sector IN \([^)]*\)\)", "", without, count=1)
    without = re.sub(
        r",\s*sector VARCHAR DEFAULT 'government' NOT NULL CONSTRAINT ck_meeting_sector CHECK \(sector IN \([^)]*\)\)",
        "",
        without,
        count=1,
    )
    without = re.sub(r'^CREATE TABLE\s+"?meeting"?', "CREATE TABLE meeting_without_sector", without, count=1)
    if "sector" in without.replace("meeting_without_sector", ""):
        raise RuntimeError(f"the meeting table has an unexpected definition: {created}")
    columns = [row[1] for row in connection.execute(sa.text("PRAGMA table_info(meeting)")) if row[1] != "sector"]
    listed = ", ".join(columns)
    op.execute(without)
    op.execute(f"INSERT INTO meeting_without_sector ({listed}) SELECT {listed} FROM meeting")
    op.execute("DROP TABLE meeting")
    op.execute("ALTER TABLE meeting_without_sector RENAME TO meeting")
    for index in indexes:
        op.execute(index)


def upgrade() -> None:
    connection = op.get_bind()
    sectors = [
        {"meeting_id": meeting_id, "sector": sector}
        for meeting_id, sector in connection.execute(sa.text("SELECT meeting_id, sector FROM meeting"))
    ]
    if connection.dialect.name == "sqlite":
        _drop_sector_column_on_sqlite(connection)
    else:
        op.drop_constraint("ck_meeting_sector", "meeting", type_="check")
        op.drop_column("meeting", "sector")
    op.create_table(
        "meeting_sector",
        sa.Column("meeting_id", sa.String(length=64), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.CheckConstraint(f"sector IN ({_SECTORS})", name="ck_meeting_sector_sector"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.meeting_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "sector"),
    )
    op.create_table(
        "meeting_partner",
        sa.Column("meeting_id", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.meeting_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner"], ["partner_org.code"]),
        sa.PrimaryKeyConstraint("meeting_id", "partner"),
    )
    op.create_index("ix_meeting_partner_partner", "meeting_partner", ["partner"], unique=False)
    if sectors:
        op.bulk_insert(_sectors_table(), sectors)


def downgrade() -> None:
    connection = op.get_bind()
    first: dict[str, str] = {}
    for meeting_id, sector in connection.execute(
        sa.text("SELECT meeting_id, sector FROM meeting_sector ORDER BY meeting_id, sector")
    ):
        first.setdefault(meeting_id, sector)
    op.drop_index("ix_meeting_partner_partner", table_name="meeting_partner")
    op.drop_table("meeting_partner")
    op.drop_table("meeting_sector")
    check = f"CONSTRAINT ck_meeting_sector CHECK (sector IN ({_SECTORS}))"
    if connection.dialect.name == "sqlite":
        # Added in place, with its check, so the table keeps the shape earlier downgrades expect.
        op.execute(f"ALTER TABLE meeting ADD COLUMN sector VARCHAR DEFAULT 'government' NOT NULL {check}")
    else:
        op.add_column("meeting", sa.Column("sector", sa.String(), server_default="government", nullable=False))
        op.alter_column("meeting", "sector", server_default=None)
        op.create_check_constraint("ck_meeting_sector", "meeting", f"sector IN ({_SECTORS})")
    meeting = sa.table("meeting", sa.column("meeting_id", sa.String), sa.column("sector", sa.String))
    for meeting_id, sector in first.items():
        if sector != "government":
            connection.execute(sa.update(meeting).where(meeting.c.meeting_id == meeting_id).values(sector=sector))
