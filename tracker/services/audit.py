"""The audit trail: one event per change, written in the transaction of the change."""

import datetime as dt
import json

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select

from tracker.enums import AUDITED_ENTITIES  # noqa: F401  (the entities the trail names, for the filters)
from tracker.models import AuditEvent, table_of
from tracker.services.access import Actor, require_admin, require_full_clearance

audit_table = table_of(AuditEvent)
# Built once: json.dumps with options builds a new encoder on every call, which an import of
# a hundred thousand rows would pay a hundred thousand times. Changes hold row values, never cycles.
_encode_changes = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str, check_circular=False).encode


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def diff(old: dict | None, new: dict | None) -> dict[str, list]:
    """Fields whose value differs, as {field: [old, new]}."""
    old, new = old or {}, new or {}
    fields = list(new) + [f for f in old if f not in new]
    return {f: [_jsonable(old.get(f)), _jsonable(new.get(f))] for f in fields if old.get(f) != new.get(f)}


def event_row(actor: Actor, action: str, entity: str, key: str, changes: dict, at: dt.datetime) -> dict:
    return {
        "at": at,
        "username": actor.username,
        "action": action,
        "entity": entity,
        "key": key,
        "changes": _encode_changes(changes),
    }


def record(connection: Connection, actor: Actor, action: str, entity: str, key: str, changes: dict) -> None:
    connection.execute(insert(audit_table), [event_row(actor, action, entity, key, changes, now())])


def changes_in_words(changes: str) -> str:
    """An event's changes for people: `{"role": ["viewer", "analyst"]}` as `role: viewer → analyst`."""
    try:
        fields = json.loads(changes)
    except ValueError:
        return changes
    if not isinstance(fields, dict):
        return changes
    return "; ".join(
        f"{field}: {value[0]} → {value[1]}" if isinstance(value, list) and len(value) == 2 else f"{field}: {value}"
        for field, value in fields.items()
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def events(
    engine: Engine,
    actor: Actor,
    *,
    entity: str | None = None,
    key: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """The newest events first, for administrators cleared for every level (events hold old and new values)."""
    require_admin(actor)
    require_full_clearance(actor, "the audit trail holds old and new values of every confidentiality level")
    query = select(audit_table).order_by(audit_table.c.at.desc(), audit_table.c.id.desc()).limit(limit)
    if entity:
        query = query.where(audit_table.c.entity == entity)
    if key:
        # A prefix, so that a finding's id also finds its assessments (FINDING_ID/VISIT_ID).
        query = query.where(audit_table.c.key.startswith(key, autoescape=True))
    if since:
        query = query.where(audit_table.c.at >= since)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).mappings().all(), columns=[c.name for c in audit_table.c])
