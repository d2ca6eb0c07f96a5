"""The physical limits the tracker is measured against: the same rows through plain sqlite3 and csv.

No validation and no reference checks: only reading the cells and writing the rows (import), or
reading the rows and writing the cells (export), with the tracker's own schema and connection
settings.
"""

import csv
import datetime as dt
import sqlite3
from operator import itemgetter
from pathlib import Path

from tracker.services.bundle.files import FILES
from tracker.services.people import audit
from tracker.services.people.access import Actor

_CONNECTION_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
BATCH = 5000
_ACTOR = Actor("bench")
_AUDIT_COLUMNS = ("at", "username", "action", "entity", "key", "changes")
_audit_row = itemgetter(*_AUDIT_COLUMNS)


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in _CONNECTION_PRAGMAS:
        connection.execute(pragma)
    return connection


def _cell_converters(spec) -> list:
    """Per column, what turns a cell into the value SQLite stores: empty is NULL where allowed."""
    converters = []
    for column in spec.stored:
        sql_column = spec.table.c[column]
        if sql_column.type.python_type is bool:
            converters.append(lambda cell: int(cell == "true"))
        elif sql_column.nullable:
            converters.append(lambda cell: cell or None)
        else:
            converters.append(lambda cell: cell)
    return converters


def plain_import(database: Path, bundle: Path, audited: bool = False) -> int:
    """Insert every bundle row with executemany in one transaction; returns the rows inserted.

    `audited` also writes one audit event per row, its changes encoded as the tracker encodes them:
    what the audit trail cost before an import's created rows were kept in one event.
    """
    connection = connect(database)
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    inserted = 0
    connection.execute("BEGIN")
    connection.execute("PRAGMA defer_foreign_keys=ON")
    # No triggers, as a large import writes: the kept index's triggers are taken out for it.
    for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        connection.execute(f'DROP TRIGGER "{name}"')
    for spec in FILES:
        path = bundle / spec.name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            # A column the file leaves out takes the table's default, as the importer gives it.
            stored = [c for c in spec.stored if c in header]
            positions = [header.index(c) for c in stored]
            converters = [convert for c, convert in zip(spec.stored, _cell_converters(spec)) if c in header]
            links = {column: header.index(column) for column in spec.links if column in header}
            key_position = header.index(spec.key[0])
            insert = f"INSERT INTO {spec.table.name} ({', '.join(stored)}) VALUES ({', '.join('?' * len(stored))})"
            batch: list[tuple] = []
            link_batches: dict[str, list[tuple]] = {column: [] for column in links}
            events: list[tuple] = []
            for cells in reader:
                batch.append(tuple(convert(cells[p]) for convert, p in zip(converters, positions)))
                if audited:
                    changes = {column: [None, cell] for column, cell in zip(header, cells)}
                    events.append(
                        _audit_row(audit.event_row(_ACTOR, "create", spec.entity, cells[key_position], changes, at))
                    )
                for column, position in links.items():
                    link_batches[column].extend(
                        (cells[key_position], value) for value in cells[position].split(";") if value
                    )
                if len(batch) >= BATCH:
                    inserted += _flush(connection, spec, insert, batch, link_batches, events)
            inserted += _flush(connection, spec, insert, batch, link_batches, events)
    connection.execute("COMMIT")
    connection.close()
    return inserted


def _flush(connection, spec, insert: str, batch: list, link_batches: dict, events: list) -> int:
    connection.executemany(insert, batch)
    count = len(batch)
    connection.executemany(f"INSERT INTO audit_event ({', '.join(_AUDIT_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)", events)
    events.clear()
    for column, rows in link_batches.items():
        link = spec.links[column]
        connection.executemany(f"INSERT INTO {link.table.name} ({link.owner}, {link.value}) VALUES (?, ?)", rows)
        count += len(rows)
        rows.clear()
    batch.clear()
    return count


def plain_export(database: Path, folder: Path) -> int:
    """Write every table's rows in key order with the csv module; returns the rows written."""
    connection = connect(database)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for spec in FILES:
        columns = []
        for column in spec.columns:
            link = spec.links.get(column)
            if link is None:
                columns.append(column)
            else:
                columns.append(
                    f"(SELECT group_concat({link.value}, ';') FROM {link.table.name} "
                    f"WHERE {link.owner} = {spec.table.name}.{spec.key[0]})"
                )
        query = f"SELECT {', '.join(columns)} FROM {spec.table.name} ORDER BY {', '.join(spec.key)}"
        with (folder / spec.name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(spec.columns)
            cursor = connection.execute(query)
            while rows := cursor.fetchmany(BATCH):
                writer.writerows(rows)
                written += len(rows)
    connection.close()
    return written
