"""between visits: a State's written updates, reference data the team adds, dated adoption of resolutions

New tables `state_update` and `update_item`; a `response_received` milestone may name its update;
`member_state.member_state` (false for an entity outside the 193), `resolution.adopted_on`, and
`created_in` on the reference tables, which a bundle may now add to. Every row is kept; the seeded
resolutions gain their adoption dates.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:30:00.000000
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LEVELS = "'public', 'un_platform', 'member_states', 'committee', 'state_and_cted', 'restricted'"
_STATUSES = (
    "'fully_implemented', 'addressed_otherwise', 'largely_implemented', 'partially_implemented', "
    "'initial_steps', 'not_implemented', 'contrary_action', 'no_longer_relevant', 'not_assessed', "
    "'insufficient_information'"
)
# The seeded resolutions' adoption dates, as this revision knows them.
_ADOPTED = {
    1373: dt.date(2001, 9, 28),
    1535: dt.date(2004, 3, 26),
    1624: dt.date(2005, 9, 14),
    2129: dt.date(2013, 12, 17),
    2178: dt.date(2014, 9, 24),
    2242: dt.date(2015, 10, 13),
    2309: dt.date(2016, 9, 22),
    2322: dt.date(2016, 12, 12),
    2341: dt.date(2017, 2, 13),
    2354: dt.date(2017, 5, 24),
    2370: dt.date(2017, 8, 2),
    2395: dt.date(2017, 12, 21),
    2396: dt.date(2017, 12, 21),
    2462: dt.date(2019, 3, 28),
    2482: dt.date(2019, 7, 19),
    2617: dt.date(2021, 12, 30),
}
_REFERENCE = ("member_state", "resolution", "partner_org")


def _add_reference(table: str, column: str, target: str, sql_type: str, *, deferrable: bool = False) -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; a batch would copy every row into a new table.
        deferred = " DEFERRABLE INITIALLY IMMEDIATE" if deferrable else ""
        table_name, key = target.split(".")
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} {sql_type} "
            f"CONSTRAINT fk_{table}_{column} REFERENCES {table_name} ({key}){deferred}"
        )
    else:
        op.add_column(table, sa.Column(column, sa.String() if sql_type != "INTEGER" else sa.Integer(), nullable=True))
        table_name, key = target.split(".")
        op.create_foreign_key(
            f"fk_{table}_{column}",
            table,
            table_name,
            [column],
            [key],
            deferrable=deferrable or None,
            initially="IMMEDIATE" if deferrable else None,
        )


def upgrade() -> None:
    op.create_table(
        "state_update",
        sa.Column("update_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("confidentiality", sa.String(), nullable=False),
        sa.Column("withdrawn", sa.Text(), nullable=True),
        sa.Column("created_in", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"confidentiality IN ({_LEVELS})", name="ck_state_update_confidentiality"),
        sa.ForeignKeyConstraint(["created_in"], ["audit_event.id"], name="fk_state_update_created_in"),
        sa.ForeignKeyConstraint(["state"], ["member_state.iso3"]),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index("ix_state_update_state_received", "state_update", ["state", "received_on"], unique=False)
    op.create_table(
        "update_item",
        sa.Column("finding_id", sa.String(), nullable=False),
        sa.Column("update_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("evidence", sa.Text(), server_default="", nullable=False),
        sa.Column("confidentiality", sa.String(), nullable=False),
        sa.Column("withdrawn", sa.Text(), nullable=True),
        sa.Column("created_in", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_update_item_status"),
        sa.CheckConstraint(f"confidentiality IN ({_LEVELS})", name="ck_update_item_confidentiality"),
        sa.ForeignKeyConstraint(["created_in"], ["audit_event.id"], name="fk_update_item_created_in"),
        sa.ForeignKeyConstraint(["finding_id"], ["finding.finding_id"], deferrable=True, initially="IMMEDIATE"),
        sa.ForeignKeyConstraint(["update_id"], ["state_update.update_id"], deferrable=True, initially="IMMEDIATE"),
        sa.PrimaryKeyConstraint("finding_id", "update_id"),
    )
    op.create_index("ix_update_item_update", "update_item", ["update_id"], unique=False)
    _add_reference("milestone", "update_id", "state_update.update_id", "VARCHAR")
    op.create_index("ix_milestone_update_id", "milestone", ["update_id"], unique=False)
    for table in _REFERENCE:
        _add_reference(table, "created_in", "audit_event.id", "INTEGER")
    op.add_column("member_state", sa.Column("member_state", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Every State stored so far is a seeded UN Member State: nothing else could add one.
    state = sa.table("member_state", sa.column("member_state", sa.Boolean))
    op.get_bind().execute(sa.update(state).values(member_state=True))
    op.add_column("resolution", sa.Column("adopted_on", sa.Date(), nullable=True))
    resolution = sa.table("resolution", sa.column("number", sa.Integer), sa.column("adopted_on", sa.Date))
    connection = op.get_bind()
    for number, day in _ADOPTED.items():
        connection.execute(sa.update(resolution).where(resolution.c.number == number).values(adopted_on=day))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_column("resolution", "adopted_on")
    op.drop_column("member_state", "member_state")
    op.drop_index("ix_milestone_update_id", table_name="milestone")
    for table, column in [*((t, "created_in") for t in _REFERENCE), ("milestone", "update_id")]:
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_constraint(f"fk_{table}_{column}", table, type_="foreignkey")
            op.drop_column(table, column)
    op.drop_index("ix_update_item_update", table_name="update_item")
    op.drop_table("update_item")
    op.drop_index("ix_state_update_state_received", table_name="state_update")
    op.drop_table("state_update")
