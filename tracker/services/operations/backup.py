"""Backups taken while the app runs, and the restore of a portable backup.

A SQLite database is copied page by page with SQLite's online backup API, which reads one
consistent snapshot while others keep writing. A portable backup (any database, and the only
kind for PostgreSQL) is a .zip holding `bundle.zip` (every row, exported at `restricted`
level), `users.csv` (accounts with their password hashes) and `audit_events.csv` (every event with
its id, an import's compressed rows in base64, so that restored rows point at the import that made them).
"""

import base64
import binascii
import csv
import datetime as dt
import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, text, update

import tracker.services.reports.seal as seal
from tracker.db import is_sqlite, refresh_statistics, require_schema, writing
from tracker.errors import TrackerError
from tracker.models import AuditEvent, Confidentiality, Role, User, Visit, table_of
from tracker.services.bundle.exporter import export_bundle
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer import describe, import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people import audit
from tracker.services.people.access import Actor, require_admin, require_full_clearance
from tracker.services.reports import snapshots

user_table = table_of(User)
audit_table = table_of(AuditEvent)
USER_COLUMNS = ("username", "password_hash", "role", "clearance", "disabled", "created_at")
AUDIT_COLUMNS = ("id", "at", "username", "action", "entity", "key", "changes", "content")
# Backups written before imports kept their rows in one event.
_EARLIER_AUDIT_COLUMNS = ("at", "username", "action", "entity", "key", "changes")
_SPEC_OF = {spec.entity: spec for spec in SPECS.values()}


def _require_full_rights(actor: Actor) -> None:
    require_admin(actor)
    require_full_clearance(actor, "a backup holds rows of every confidentiality level")


def backup(engine: Engine, destination: Path, actor: Actor) -> str:
    """Write the backup; returns what it holds, for people."""
    _require_full_rights(actor)
    require_schema(engine)
    if destination.is_dir():
        raise TrackerError(f"{destination} is a folder", "give a file name for the backup")
    if destination.suffix.lower() != ".zip" and not is_sqlite(engine):
        raise TrackerError("a PostgreSQL database is backed up as a portable .zip", "give a file name ending in .zip")
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the destination and renamed once whole, so a failed backup leaves no half file.
    partial = destination.with_name(destination.name + ".part")
    try:
        if destination.suffix.lower() == ".zip":
            summary = _portable_backup(engine, partial, actor)
        else:
            summary = _sqlite_backup(engine, partial)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return summary


def _sqlite_backup(engine: Engine, partial: Path) -> str:
    source = engine.raw_connection()
    try:
        target = sqlite3.connect(partial)
        try:
            # All pages in one step: one read snapshot, so writers carry on and the copy is consistent.
            driver = source.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.backup(target)
            check = target.execute("PRAGMA integrity_check").fetchone()[0]
            counts = {
                t: target.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("visit", "finding", "assessment", "meeting", "app_user", "audit_event")
            }
        finally:
            target.close()
    finally:
        source.close()
    if check != "ok":
        raise TrackerError(f"the copy failed SQLite's integrity check ({check})", "run 'tracker backup' again")
    return ", ".join(f"{table}: {count} rows" for table, count in counts.items())


def _table_csv(engine: Engine, table: Any, columns: tuple[str, ...], order: Any) -> tuple[bytes, int]:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    with engine.connect() as connection:
        rows = connection.execute(select(*[table.c[c] for c in columns]).order_by(order)).all()
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return text.getvalue().encode("utf-8"), len(rows)


def _cell(value: Any) -> object:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value.isoformat() if hasattr(value, "isoformat") else value


def _portable_backup(engine: Engine, partial: Path, actor: Actor) -> str:
    # One snapshot for the whole bundle, so no row refers to one written after the export began.
    snapshot = engine if is_sqlite(engine) else engine.execution_options(isolation_level="REPEATABLE READ")
    with tempfile.TemporaryDirectory() as folder:
        bundle = Path(folder) / "bundle.zip"
        counts = export_bundle(snapshot, bundle, actor, Confidentiality.restricted)
        users, user_count = _table_csv(engine, user_table, USER_COLUMNS, user_table.c.username)
        events, event_count = _table_csv(engine, audit_table, AUDIT_COLUMNS, audit_table.c.id)
        with engine.connect() as connection:
            issued, damaged = snapshots.backup_rows(connection)
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(bundle, "bundle.zip", zipfile.ZIP_STORED)
            archive.writestr("users.csv", users)
            archive.writestr("audit_events.csv", events)
            archive.writestr(snapshots.BACKUP_NAME, issued)
    parts = [f"{name}: {count} rows" for name, count in counts.items()]
    summary = ", ".join([*parts, f"users.csv: {user_count} rows", f"audit_events.csv: {event_count} rows"])
    if damaged:
        ids = ", ".join(str(number) for number in damaged)
        summary += (
            f"\nDamaged issued reports kept as they are stored (their file is text, not the bytes issued): {ids}; "
            "restore a backup taken before the damage, or issue them again."
        )
    return summary


def _read_csv(
    archive: zipfile.ZipFile, name: str, columns: tuple[str, ...], *alike: tuple[str, ...]
) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(io.TextIOWrapper(archive.open(name), encoding="utf-8", newline="")))
    if rows and all(set(rows[0]) != set(c) for c in (columns, *alike)):
        raise TrackerError(
            f"{name} in the backup does not have the columns {', '.join(columns)}",
            "restore from a file written by 'tracker backup'",
        )
    return rows


def _user_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return [
            {
                "username": row["username"],
                "password_hash": row["password_hash"],
                "role": Role(row["role"]).value,
                "clearance": Confidentiality(row["clearance"]).value,
                "disabled": row["disabled"] == "True",
                "failed_logins": 0,
                "locked_until": None,
                "created_at": dt.datetime.fromisoformat(row["created_at"]),
            }
            for row in rows
        ]
    except (KeyError, ValueError) as error:
        raise TrackerError(f"users.csv in the backup is damaged ({error})", "restore from another backup") from None


def _event_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return [
            {**row, "at": dt.datetime.fromisoformat(row["at"])}
            | (
                {
                    "id": int(row["id"]),
                    "content": base64.b64decode(row["content"], validate=True) if row["content"] else None,
                }
                if "id" in row
                else {}
            )
            for row in rows
        ]
    except (KeyError, ValueError, binascii.Error) as error:
        raise TrackerError(
            f"audit_events.csv in the backup is damaged ({error})", "restore from another backup"
        ) from None


def restore(engine: Engine, source: Path, actor: Actor) -> str:
    """Load a portable backup into a database that holds no visits and no users yet."""
    _require_full_rights(actor)
    require_schema(engine)
    if not zipfile.is_zipfile(source):
        raise TrackerError(
            f"{source} is not a portable .zip backup",
            "a SQLite backup is restored by stopping the dashboard and copying the file over the database file",
        )
    with engine.connect() as connection:
        visits = connection.execute(select(func.count()).select_from(table_of(Visit))).scalar_one()
        accounts = connection.execute(select(func.count()).select_from(user_table)).scalar_one()
    if visits or accounts:
        raise TrackerError(
            "the database already holds visits or users, and a restore would mix two histories",
            "restore into an empty database: create it and run 'tracker init' first",
        )
    with zipfile.ZipFile(source) as archive, tempfile.TemporaryDirectory() as folder:
        if not {"bundle.zip", "users.csv", "audit_events.csv"} <= set(archive.namelist()):
            raise TrackerError(
                f"{source} is not a backup written by 'tracker backup'", "give a .zip written by 'tracker backup'"
            )
        users = _user_rows(_read_csv(archive, "users.csv", USER_COLUMNS))
        events = _event_rows(_read_csv(archive, "audit_events.csv", AUDIT_COLUMNS, _EARLIER_AUDIT_COLUMNS))
        # Backups taken before reports were issued have no such file.
        key = seal.ensure_key(engine)
        issued = snapshots.backup_read(
            archive.read(snapshots.BACKUP_NAME) if snapshots.BACKUP_NAME in archive.namelist() else b"[]", key
        )
        # Events keep their ids, so they are written first and the import's own event comes after them.
        kept_ids = bool(events) and "id" in events[0]
        if kept_ids:
            with writing(engine) as connection:
                connection.execute(insert(audit_table), events)
                if not is_sqlite(engine):
                    connection.execute(
                        text(
                            "SELECT setval(pg_get_serial_sequence('audit_event', 'id'), (SELECT max(id) FROM audit_event))"
                        )
                    )
        try:
            result = import_bundle(engine, sources_from_paths([Path(archive.extract("bundle.zip", folder))]), actor)
        except BaseException:
            if kept_ids:
                _forget(engine, events)
            raise
        if kept_ids and not result.ok:
            _forget(engine, events)
    if not result.ok:
        raise TrackerError(
            f"the bundle in the backup does not import ({result.errors[0]})",
            "nothing was restored; restore from another backup",
        )
    with writing(engine) as connection:
        if users:
            connection.execute(insert(user_table), users)
        if events and not kept_ids:
            connection.execute(insert(audit_table), events)
        if kept_ids:
            _point_at_restored_imports(connection, result.event)
        reports_restored = snapshots.restore_rows(connection, issued, key)
    # A restored database is as new to the planner as a large import.
    refresh_statistics(engine)
    return describe(result) + (
        f"\nusers: {len(users)} restored\naudit events: {len(events)} restored"
        f"\nissued reports: {reports_restored} restored"
    )


def _point_at_restored_imports(connection: Connection, restore_event: int | None) -> None:
    """Rows point again at the import events that created them, and the restore's own import event
    goes when no row is left that only it records."""
    imports = connection.execute(
        select(audit_table.c.id, audit_table.c.content)
        .where(audit_table.c.action == "import", audit_table.c.id != (restore_event or 0))
        .order_by(audit_table.c.id)
    )
    for event_id, content in imports:
        keys: dict[str, list[dict[str, Any]]] = {}
        for entity, _, values in audit.created_rows(content):
            spec = _SPEC_OF.get(entity)
            if spec is not None:
                fields = values
                keys.setdefault(entity, []).append({f"k_{k}": fields.get(k) for k in spec.key} | {"event": event_id})
        for entity, rows in keys.items():
            table = _SPEC_OF[entity].table
            connection.execute(
                update(table)
                .where(*[table.c[k] == bindparam(f"k_{k}") for k in _SPEC_OF[entity].key])
                .values(created_in=bindparam("event")),
                rows,
            )
    if restore_event is not None and not any(
        connection.execute(
            select(spec.table.c.created_in).where(spec.table.c.created_in == restore_event).limit(1)
        ).first()
        for spec in SPECS.values()
    ):
        connection.execute(delete(audit_table).where(audit_table.c.id == restore_event))


def _forget(engine: Engine, events: list[dict[str, Any]]) -> None:
    """Take out the events written before an import that failed: nothing of the backup is kept."""
    ids = [event["id"] for event in events]
    with writing(engine) as connection:
        for start in range(0, len(ids), 5000):
            connection.execute(delete(audit_table).where(audit_table.c.id.in_(ids[start : start + 5000])))
