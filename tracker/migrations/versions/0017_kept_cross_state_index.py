"""the cross-State index kept per level and State, and the triggers that say when it is out of date

The index over every register reads every visible finding and assessment. Kept per level, State
and top-level area (`register_score`), only the States written since are worked out again, and
every State once the areas change. Every insert, update and delete of a visit, finding,
assessment, meeting or milestone leaves a `register_change` row naming the State, written by the
database itself, so that no write path (import, forms, withdrawal, Undo, restore, link decisions,
scope changes, or one added later) can leave a kept score out of date. Nothing is kept at first:
every State is worked out on the first reading.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Meetings and milestones count too: at the UN platform level, whether a visit is seen at all
# depends on its rows of every kind (services/people/access.py).
_TABLES = ("visit", "finding", "assessment", "meeting", "milestone")
# On SQLite, where a trigger runs once per row (a large import takes them out for its own
# transaction, services/progress/kept_index.py), an update fires only when it changes a column the
# index reads: not the created_in an import sets on every row it writes, nor a title or evidence.
# tests/services/test_kept_index.py fails when the index reads a column left out here.
UPDATED_COLUMNS = {
    "finding": ("finding_id", "visit_id", "area", "kind", "continues", "confidentiality", "withdrawn"),
    "assessment": ("finding_id", "visit_id", "status", "confidentiality", "withdrawn"),
}


def _sqlite_inserts(table: str, row: str) -> str:
    """The change rows for one row of `table` (NEW or OLD): its visit's State, and for an
    assessment the State of the assessed finding's visit too when it is another (each by its key)."""
    if table == "visit":
        return f"INSERT INTO register_change (state) SELECT {row}.state;"
    own = f"INSERT INTO register_change (state) SELECT state FROM visit WHERE visit_id = {row}.visit_id;"
    if table != "assessment":
        return own
    return own + (
        " INSERT INTO register_change (state) SELECT v.state FROM finding f JOIN visit v ON v.visit_id = f.visit_id"
        f" WHERE f.finding_id = {row}.finding_id"
        f" AND v.state IS NOT (SELECT state FROM visit WHERE visit_id = {row}.visit_id);"
    )


def _sqlite_triggers() -> list[str]:
    statements = []
    for table in _TABLES:
        for event, rows in (("insert", ("NEW",)), ("delete", ("OLD",)), ("update", ("OLD", "NEW"))):
            columns = UPDATED_COLUMNS.get(table) if event == "update" else None
            when = f"{event.upper()} OF {', '.join(columns)}" if columns else event.upper()
            inserts = " ".join(_sqlite_inserts(table, row) for row in rows)
            statements.append(f"CREATE TRIGGER register_{table}_{event} AFTER {when} ON {table} BEGIN {inserts} END")
    # Scores are kept by top-level area: a change of the areas (a parent) forgets every kept score.
    for event in ("insert", "delete", "update"):
        statements.append(
            f"CREATE TRIGGER register_thematic_area_{event} AFTER {event.upper()} ON thematic_area "
            "BEGIN DELETE FROM register_kept; END"
        )
    return statements


def _postgresql_states(table: str) -> str:
    """The States of the rows of the statement's transition table `changed`."""
    if table == "visit":
        return "SELECT state FROM changed"
    if table != "assessment":
        return "SELECT v.state FROM changed c JOIN visit v ON v.visit_id = c.visit_id"
    return (
        "SELECT v.state FROM changed c JOIN visit v ON v.visit_id = c.visit_id UNION "
        "SELECT v.state FROM changed c JOIN finding f ON f.finding_id = c.finding_id "
        "JOIN visit v ON v.visit_id = f.visit_id"
    )


def _postgresql_triggers() -> list[str]:
    # One row per State and statement, stamped with the writing transaction's id: a transaction
    # that commits after a reading began has an id at or above the oldest one running then.
    statements = []
    for table in _TABLES:
        statements.append(
            f"CREATE FUNCTION register_{table}_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO register_change (state, stamp) SELECT DISTINCT state, pg_current_xact_id()::text::bigint "
            f"FROM ({_postgresql_states(table)}) AS touched WHERE state IS NOT NULL; RETURN NULL; END $$"
        )
        for name, event, transition in (
            ("inserted", "INSERT", "NEW"),
            ("deleted", "DELETE", "OLD"),
            ("updated_from", "UPDATE", "OLD"),
            ("updated_to", "UPDATE", "NEW"),
        ):
            statements.append(
                f"CREATE TRIGGER register_{table}_{name} AFTER {event} ON {table} "
                f"REFERENCING {transition} TABLE AS changed FOR EACH STATEMENT "
                f"EXECUTE FUNCTION register_{table}_changed()"
            )
        statements.append(
            f"CREATE TRIGGER register_{table}_truncated AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION register_forgotten()"
        )
    # Scores are kept by top-level area: a change of the areas (a parent) forgets every kept score.
    statements.append(
        "CREATE TRIGGER register_thematic_area_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON thematic_area FOR EACH STATEMENT EXECUTE FUNCTION register_forgotten()"
    )
    # A truncated table leaves no row to name its States: nothing kept is trusted any more.
    statements.insert(
        0,
        "CREATE FUNCTION register_forgotten() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "DELETE FROM register_kept; RETURN NULL; END $$",
    )
    return statements


def upgrade() -> None:
    op.create_table(
        "register_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_register_change_state_stamp",
        "register_change",
        ["state", "stamp"],
        sqlite_where=sa.text("stamp IS NOT NULL"),
        postgresql_where=sa.text("stamp IS NOT NULL"),
    )
    op.create_table(
        "register_kept",
        sa.Column("level", sa.String(length=32), primary_key=True),
        sa.Column("state", sa.String(length=3), primary_key=True),
        sa.Column("horizon", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "register_floor",
        sa.Column("state", sa.String(length=3), primary_key=True),
        sa.Column("floor", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "register_score",
        sa.Column("level", sa.String(length=32), primary_key=True),
        sa.Column("followup", sa.String(length=64), primary_key=True),
        sa.Column("area", sa.String(length=64), primary_key=True),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("scored_items", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Integer(), nullable=False),
    )
    op.create_index("ix_register_score_level_state", "register_score", ["level", "state"])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_triggers() if sqlite else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _TABLES:
        if sqlite:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER register_{table}_{event}")
        else:
            for name in ("inserted", "deleted", "updated_from", "updated_to", "truncated"):
                op.execute(f"DROP TRIGGER register_{table}_{name} ON {table}")
            op.execute(f"DROP FUNCTION register_{table}_changed()")
    if sqlite:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER register_thematic_area_{event}")
    else:
        op.execute("DROP TRIGGER register_thematic_area_changed ON thematic_area")
        op.execute("DROP FUNCTION register_forgotten()")
    op.drop_index("ix_register_score_level_state", table_name="register_score")
    op.drop_table("register_score")
    op.drop_table("register_floor")
    op.drop_table("register_kept")
    op.drop_index("ix_register_change_state_stamp", table_name="register_change")
    op.drop_table("register_change")
