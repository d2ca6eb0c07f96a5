"""one audit event per import: the created rows' values kept compressed in it, each row naming it

Earlier imports wrote one `create` event per row; the events of one import share their `at` and
`username`. Each such group becomes one `import` event whose content holds the rows and their
values as the audit service reads them, and the rows that still exist point at it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:30:00.000000
"""

import json
import zlib
from collections.abc import Iterator, Sequence
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rows imports create: table, bundle file and key columns, as this revision knows them.
TABLES = {
    "thematic_area": ("areas.csv", ("code",)),
    "visit": ("visits.csv", ("visit_id",)),
    "finding": ("findings.csv", ("finding_id",)),
    "assessment": ("assessments.csv", ("finding_id", "visit_id")),
    "meeting": ("meetings.csv", ("meeting_id",)),
    "milestone": ("milestones.csv", ("visit_id", "milestone")),
    "ta_record": ("ta.csv", ("finding_id",)),
    "link_decision": ("link_decisions.csv", ("finding_id", "baseline_id")),
}
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str, check_circular=False).encode
_events = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    # Untyped: timestamps are copied as the database holds them.
    sa.column("at"),
    sa.column("username", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("key", sa.String),
    sa.column("changes", sa.Text),
    sa.column("content", sa.LargeBinary),
)
_BATCH = 5000


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    # The per-row events go before any row refers to an event: deleting an event that rows may
    # refer to makes the database look through every table for them.
    created = _gather_create_events(connection)
    for table in TABLES:
        if connection.dialect.name == "sqlite":
            # SQLite adds a column with its reference in place; a batch would copy every row into a new table.
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN created_in INTEGER "
                f"CONSTRAINT fk_{table}_created_in REFERENCES audit_event (id)"
            )
        else:
            op.add_column(table, sa.Column("created_in", sa.Integer(), nullable=True))
            op.create_foreign_key(f"fk_{table}_created_in", table, "audit_event", ["created_in"], ["id"])
    _point_rows(connection, created)


def _create_events(connection) -> Iterator[sa.Row]:
    query = (
        sa.select(_events.c.id, _events.c.at, _events.c.username, _events.c.entity, _events.c.key, _events.c.changes)
        .where(_events.c.action == "create", _events.c.entity.in_(list(TABLES)))
        .order_by(_events.c.at, _events.c.username, _events.c.id)
    )
    # Read in pages by id, so a large trail is never all in memory and no cursor stays open across writes.
    ids = [row.id for row in connection.execute(query.with_only_columns(_events.c.id))]
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        rows = {row.id: row for row in connection.execute(query.where(_events.c.id.in_(chunk)))}
        yield from (rows[i] for i in chunk)


def _gather_create_events(connection) -> dict[str, dict[tuple, int]]:
    """One import event for each earlier import's create events, which go; returns, per table, the
    event that created each key (the latest, for a key created again after a delete)."""
    created: dict[str, dict[tuple, int]] = {}
    for (at, username), group in groupby(_create_events(connection), key=lambda row: (row.at, row.username)):
        compressor = zlib.compressobj(1)
        rows: dict[str, list[tuple[str, dict]]] = {}
        ids: list[int] = []
        for row in group:
            try:
                changes = json.loads(row.changes)
            except ValueError:
                changes = {}
            values = {f: v[1] if isinstance(v, list) and len(v) == 2 else v for f, v in changes.items()}
            rows.setdefault(row.entity, []).append((row.key, {f: v for f, v in values.items() if v is not None}))
            ids.append(row.id)
        parts, counts = [], {}
        for entity, found in rows.items():
            # The content's form (tracker.services.audit.CreatedRows): a line of columns, then a line a row.
            columns = sorted({f for _, values in found for f in values})
            lines = [f"{_encode(entity)}\tnull\t{_encode(columns)}\n"]
            lines += [
                f"{_encode(entity)}\t{_encode(key)}\t{_encode([v.get(c) for c in columns])}\n" for key, v in found
            ]
            parts.append(compressor.compress("".join(lines).encode()))
            counts[TABLES[entity][0]] = len(found)
        parts.append(compressor.flush())
        event_id = connection.execute(
            sa.insert(_events)
            .values(
                at=at,
                username=username,
                action="import",
                entity="bundle",
                key=", ".join(counts),
                changes=_encode({"created": counts}),
                content=b"".join(parts),
            )
            .returning(_events.c.id)
        ).scalar_one()
        for entity, found in rows.items():
            key_columns = TABLES[entity][1]
            for _, values in found:
                if all(c in values for c in key_columns):
                    created.setdefault(entity, {})[tuple(values[c] for c in key_columns)] = event_id
        for start in range(0, len(ids), _BATCH):
            connection.execute(sa.delete(_events).where(_events.c.id.in_(ids[start : start + _BATCH])))
    return created


def _point_rows(connection, created: dict[str, dict[tuple, int]]) -> None:
    for entity, events in created.items():
        columns = TABLES[entity][1]
        table = sa.table(entity, sa.column("created_in", sa.Integer), *[sa.column(c) for c in columns])
        statement = (
            sa.update(table)
            .where(*[table.c[c] == sa.bindparam(f"k_{c}") for c in columns])
            .values(created_in=sa.bindparam("event"))
        )
        found = list(events.items())
        for start in range(0, len(found), _BATCH):
            connection.execute(
                statement,
                [
                    {"event": event_id, **{f"k_{c}": v for c, v in zip(columns, key)}}
                    for key, event_id in found[start : start + _BATCH]
                ],
            )


def downgrade() -> None:
    connection = op.get_bind()
    imports = connection.execute(
        sa.select(_events.c.id, _events.c.at, _events.c.username, _events.c.content).where(
            _events.c.action == "import", _events.c.content.is_not(None)
        )
    ).all()
    for event in imports:
        rows = []
        columns: dict[str, list[str]] = {}
        for line in zlib.decompress(event.content).splitlines():
            entity, key, values = (json.loads(part) for part in line.split(b"\t", 2))
            if key is None:
                columns[entity] = values
                continue
            changes = {f: [None, v] for f, v in zip(columns[entity], values) if v is not None}
            rows.append(
                {
                    "at": event.at,
                    "username": event.username,
                    "action": "create",
                    "entity": entity,
                    "key": key,
                    "changes": _encode(changes),
                }
            )
        for start in range(0, len(rows), _BATCH):
            connection.execute(sa.insert(_events), rows[start : start + _BATCH])
    for table in TABLES:
        if connection.dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN created_in")
        else:
            op.drop_constraint(f"fk_{table}_created_in", table, type_="foreignkey")
            op.drop_column(table, "created_in")
    connection.execute(sa.delete(_events).where(_events.c.action == "import", _events.c.content.is_not(None)))
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("content")
