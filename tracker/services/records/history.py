"""The History of a finding or a visit for anyone who may see it, and Undo of a save.

The audit trail holds values of every level, so an analyst reads a row's history only through
here: the row must be one the reader may see, and an event made while the row stood above the
reader's clearance is left out (the one that lowered it shows its new values, not its old ones).
"""

import json
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, or_, select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.models import Assessment, Confidentiality
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer import Change
from tracker.services.bundle.review_guard import ChangedSince, in_words
from tracker.services.people import audit
from tracker.services.people.access import Actor, require_writer
from tracker.services.presentation.wording import label
from tracker.services.records.saving import Saved, save_files
from tracker.services.records.withdrawal import ENTITIES, Target, stored_row, target, visible_query

HIDDEN = "(above your clearance)"
COLUMNS = ["at", "username", "action", "entity", "key", "field", "old", "new"]
_RANK = {level.value: level.rank for level in Confidentiality}


def history(engine: Engine, actor: Actor, entity: str, key: str) -> pd.DataFrame:
    """Every recorded change of the row (for a finding, of its assessments too), newest first,
    one line per changed field, values in words."""
    lines = _lines(engine, actor, entity, key)
    return pd.DataFrame(reversed(lines), columns=COLUMNS)


SAVE_COLUMNS = ["at", "username", "action", "entity", "key", "change"]
UNDONE_PREFIX = "undone:"


def saves(engine: Engine, actor: Actor, entity: str, key: str) -> pd.DataFrame:
    """The History in plain words: one row per save of the row (for a finding, of each of its
    assessments too), newest first, its action one of "created", "changed", "undone", "withdrawn",
    "restored" or "deleted", and what it changed in one line.

    A save that puts back exactly what the save before it on the same row changed reads "undone",
    as does the withdrawal of a row whose creation was undone.
    """
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for line in _lines(engine, actor, entity, key):
        groups.setdefault((line["event"], line["entity"], line["key"], line["action"]), []).append(line)
    rows: list[dict[str, Any]] = []
    last_change: dict[tuple[str, str], dict[str, Any]] = {}
    for (_, row_entity, row_key, action), lines in groups.items():
        fields = {line["field"]: (line["old"], line["new"]) for line in lines}
        word = _save_word(action, fields, last_change.get((row_entity, row_key)))
        if action == "update":
            last_change[(row_entity, row_key)] = fields
        rows.append(
            {
                "at": lines[0]["at"],
                "username": lines[0]["username"],
                "action": word,
                "entity": row_entity,
                "key": row_key,
                "change": _save_summary(action, fields),
            }
        )
    return pd.DataFrame(reversed(rows), columns=SAVE_COLUMNS)


def _save_word(action: str, fields: dict[str, tuple[str, str]], before: dict[str, Any] | None) -> str:
    if action == "create":
        return "created"
    if action == "delete":
        return "deleted"
    withdrawn = label("withdrawn")
    if set(fields) == {withdrawn}:
        new = fields[withdrawn][1]
        if new == "—":
            return "restored"
        return "undone" if new.startswith(UNDONE_PREFIX) else "withdrawn"
    if before is not None and set(before) == set(fields) and all(before[f] == fields[f][::-1] for f in fields):
        return "undone"
    return "changed"


def _save_summary(action: str, fields: dict[str, tuple[str, str]]) -> str:
    """`Status: Largely implemented → Fully implemented; Evidence: — → Law 12`; a creation its values."""
    if action == "create":
        return "; ".join(f"{field}: {new}" for field, (_, new) in fields.items() if new != "—")
    return "; ".join(f"{field}: {old} → {new}" for field, (old, new) in fields.items())


def _lines(engine: Engine, actor: Actor, entity: str, key: str) -> list[dict[str, Any]]:
    """The row's recorded changes in time order, one line per changed field, each with its event."""
    require_schema(engine)
    row = target(entity, key)
    table = audit.audit_table
    with reading(engine) as connection:
        stored_row(connection, actor, row)
        spec_table = row.spec.table
        created_in = connection.execute(
            select(spec_table.c.created_in).where(*[spec_table.c[k] == v for k, v in row.key_values.items()])
        ).scalar_one()
        # (entity, key, the import event that created it) of the row and, for a finding, its assessments.
        rows = [(row.entity, row.key, created_in)]
        if row.entity == "finding":
            seen = visible_query(
                "assessment",
                actor.clearance,
                col(Assessment.finding_id),
                col(Assessment.visit_id),
                col(Assessment.created_in),
            ).where(col(Assessment.finding_id) == row.key)
            rows += [("assessment", f"{f}/{v}", event) for f, v, event in connection.execute(seen)]
        found = connection.execute(
            select(*[c for c in table.c if c.name != "content"]).where(
                or_(*[(table.c.entity == e) & (table.c.key == k) for e, k, _ in rows])
            )
        ).mappings()
        # Creations are read from their import's event, which lists every row it created.
        events = [*found, *audit.creations(connection, rows)]
        events.sort(key=lambda event: (event["at"], event["id"], event["action"] != "create"))
        return _readable_lines(events, actor.clearance)


def _readable_lines(events: list[Any], clearance: Confidentiality) -> list[dict[str, Any]]:
    """The events' fields in time order, leaving out what was written above the clearance."""
    limit = clearance.rank
    level_of: dict[tuple[str, str], int] = {}
    lines = []
    for event in events:
        try:
            changes = json.loads(event["changes"])
        except ValueError:
            continue
        row = (event["entity"], event["key"])
        before = level_of.get(row, _RANK["committee"])
        level = changes.get("confidentiality", [None, None])[1] if isinstance(changes, dict) else None
        after = _RANK.get(level, before) if level else before
        if event["action"] == "delete":
            after = before
        level_of[row] = after
        hidden_before = before > limit and event["action"] != "create"
        if after > limit or not isinstance(changes, dict):
            continue
        for field, value in changes.items():
            old, new = value if isinstance(value, list) and len(value) == 2 else [None, value]
            lines.append(
                {
                    "event": event["id"],
                    "at": event["at"],
                    "username": event["username"],
                    "action": event["action"],
                    "entity": event["entity"],
                    "key": event["key"],
                    "field": label(field),
                    "old": HIDDEN if hidden_before else _in_words(field, old),
                    "new": _in_words(field, new),
                }
            )
    return lines


_WORDED = {"kind", "status", "severity", "modality", "sector", "confidentiality"}


def _in_words(field: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(label(v) if field in _WORDED else str(v) for v in value)
    return label(value) if field in _WORDED else str(value)


# ---------------------------------------------------------------- undo


def undo(engine: Engine, actor: Actor, changes: list[Change]) -> Saved:
    """Write back what a save replaced, as a new audited change; a row the save created is withdrawn.

    Refused, with nothing written, when any of those rows has changed again since: the rows must
    still hold what the save wrote (a created row, the values it was created with), which the
    importer checks inside its write transaction.
    """
    require_writer(actor)
    require_schema(engine)
    entity_of = {file: entity for entity, file in ENTITIES.items()}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for change in changes:
        rows.setdefault((change.file, change.key), {})[change.field] = change
    files: dict[str, list[dict[str, Any]]] = {}
    expected: dict[tuple[str, str], dict[str, Any] | None] = {}
    targets: dict[tuple[str, str], Target] = {}
    with reading(engine) as connection:
        for (file, key), fields in rows.items():
            row = targets[(file, key)] = Target(entity_of[file], key)
            stored = stored_row(connection, actor, row) | _links(connection, row)
            required = {c: stored[c] for c in row.spec.required} | row.key_values
            if "*" in fields:
                files.setdefault(file, []).append(required | {"withdrawn": f"{UNDONE_PREFIX} added by mistake"})
                created = _created_values(connection, row)
                expected[(file, key)] = required if created is None else created
                continue
            files.setdefault(file, []).append(required | {f: c.old for f, c in fields.items()})
            # The fields the save wrote must still hold what it wrote; the others what is stored now.
            kept = {c: stored.get(c) for c in row.spec.columns if c in stored}
            expected[(file, key)] = kept | required | {f: c.new for f, c in fields.items()}
    try:
        return save_files(engine, actor, files, expected=expected)
    except ChangedSince as moved:
        first = moved.moved[0]
        raise_changed_since(targets[(first.file, first.key)], moved.moved)
        raise


def _created_values(connection: Connection, row: Target) -> dict[str, Any] | None:
    """The values the row was created with, as its import's event recorded them."""
    table = row.spec.table
    event = connection.execute(
        select(table.c.created_in).where(*[table.c[k] == v for k, v in row.key_values.items()])
    ).scalar()
    if event is None:
        return None
    content = connection.execute(select(audit.audit_table.c.content).where(audit.audit_table.c.id == event)).scalar()
    values = audit.created_values(content, row.entity, row.key)
    return None if values is None else {c: values.get(c) for c in row.spec.columns}


def _links(connection: Connection, row: Target) -> dict[str, list[Any]]:
    values = {}
    for column, link in row.spec.links.items():
        owner, value = link.table.c[link.owner], link.table.c[link.value]
        values[column] = list(connection.execute(select(value).where(owner == row.key).order_by(value)).scalars())
    return values


def raise_changed_since(row: Target, moved: list[Any] | None = None) -> None:
    from tracker.errors import TrackerError

    how = f" ({', '.join(in_words(m) for m in moved if m.key == row.key)})" if moved else ""
    raise TrackerError(
        f"{row} has changed again since this save{how}, so undoing it would overwrite that change",
        f"read its History and correct it by hand ({SPECS[row.spec.name].name})",
    )
