"""The History of a finding or a visit for anyone who may see it, and Undo of a save.

The audit trail holds values of every level, so an analyst reads a row's history only through
here: the row must be one the reader may see, and an event made while the row stood above the
reader's clearance is left out (the one that lowered it shows its new values, not its old ones).
"""

import json

import pandas as pd
from sqlalchemy import Engine, or_, select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.models import Assessment, Confidentiality
from tracker.services import audit
from tracker.services.access import Actor, require_writer
from tracker.services.bundle_format import SPECS
from tracker.services.importer import Change
from tracker.services.records import Saved, save_files
from tracker.services.withdrawal import ENTITIES, Target, stored_row, target, visible_query
from tracker.services.wording import label

HIDDEN = "(above your clearance)"
COLUMNS = ["at", "username", "action", "entity", "key", "field", "old", "new"]
_RANK = {level.value: level.rank for level in Confidentiality}


def history(engine: Engine, actor: Actor, entity: str, key: str) -> pd.DataFrame:
    """Every recorded change of the row (for a finding, of its assessments too), newest first,
    one line per changed field, values in words."""
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
        lines = _readable_lines(events, actor.clearance)
    return pd.DataFrame(reversed(lines), columns=COLUMNS)


def _readable_lines(events: list, clearance: Confidentiality) -> list[dict]:
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


def _in_words(field: str, value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return label(value) if field in _WORDED else str(value)


# ---------------------------------------------------------------- undo


def undo(engine: Engine, actor: Actor, changes: list[Change]) -> Saved:
    """Write back what a save replaced, as a new audited change; a row the save created is withdrawn.

    Refused, with nothing written, when any of those rows has changed again since.
    """
    require_writer(actor)
    require_schema(engine)
    entity_of = {file: entity for entity, file in ENTITIES.items()}
    rows: dict[tuple[str, str], dict] = {}
    for change in changes:
        rows.setdefault((change.file, change.key), {})[change.field] = change
    files: dict[str, list[dict]] = {}
    with reading(engine) as connection:
        for (file, key), fields in rows.items():
            row = Target(entity_of[file], key)
            stored = stored_row(connection, actor, row) | _links(connection, row)
            required = {c: stored[c] for c in row.spec.required} | row.key_values
            if "*" in fields:
                files.setdefault(file, []).append(required | {"withdrawn": "undone: added by mistake"})
                continue
            for field, change in fields.items():
                if audit.diff({field: stored.get(field)}, {field: change.new}):
                    raise_changed_since(row)
            files.setdefault(file, []).append(required | {f: c.old for f, c in fields.items()})
    return save_files(engine, actor, files)


def _links(connection, row: Target) -> dict[str, list]:
    values = {}
    for column, link in row.spec.links.items():
        owner, value = link.table.c[link.owner], link.table.c[link.value]
        values[column] = list(connection.execute(select(value).where(owner == row.key).order_by(value)).scalars())
    return values


def raise_changed_since(row: Target) -> None:
    from tracker.errors import TrackerError

    raise TrackerError(
        f"{row} has changed again since this save, so undoing it would overwrite that change",
        f"read its History and correct it by hand ({SPECS[row.spec.name].name})",
    )
