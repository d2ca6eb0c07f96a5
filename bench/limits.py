"""The physical limits the tracker is measured against: the same rows through plain sqlite3 and csv.

No validation, no reference checks, no audit trail: only reading the cells and writing the rows
(import), or reading the rows and writing the cells (export), with the tracker's own schema and
connection settings.
"""

import csv
import sqlite3
from pathlib import Path

from tracker.services.bundle_format import FILES

_CONNECTION_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
BATCH = 5000


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


def plain_import(database: Path, bundle: Path) -> int:
    """Insert every bundle row with executemany in one transaction; returns the rows inserted."""
    connection = connect(database)
    inserted = 0
    connection.execute("BEGIN")
    connection.execute("PRAGMA defer_foreign_keys=ON")
    for spec in FILES:
        path = bundle / spec.name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            positions = [header.index(c) for c in spec.stored]
            converters = _cell_converters(spec)
            links = {column: header.index(column) for column in spec.links}
            key_position = header.index(spec.key[0])
            insert = f"INSERT INTO {spec.table.name} ({', '.join(spec.stored)}) VALUES ({', '.join('?' * len(spec.stored))})"
            batch: list[tuple] = []
            link_batches: dict[str, list[tuple]] = {column: [] for column in links}
            for cells in reader:
                batch.append(tuple(convert(cells[p]) for convert, p in zip(converters, positions)))
                for column, position in links.items():
                    link_batches[column].extend((cells[key_position], value) for value in cells[position].split(";") if value)
                if len(batch) >= BATCH:
                    inserted += _flush(connection, spec, insert, batch, link_batches)
            inserted += _flush(connection, spec, insert, batch, link_batches)
    connection.execute("COMMIT")
    connection.close()
    return inserted


def _flush(connection, spec, insert: str, batch: list, link_batches: dict) -> int:
    connection.executemany(insert, batch)
    count = len(batch)
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
