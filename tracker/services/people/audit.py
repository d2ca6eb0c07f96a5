"""The audit trail: one event per change, written in the transaction of the change.

An import (and so every save, which goes through the importer) records the rows it creates in one
`import` event: who, when, and the created rows with their values, compressed in `content`; each
created row names that event in its `created_in` column. Updates and deletes keep one event per row
with the old and new values.
"""

import datetime as dt
import json
import tempfile
import weakref
import zlib
from collections.abc import Iterator
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, insert, select

from tracker.enums import (
    AUDITED_ENTITIES as AUDITED_ENTITIES,  # the entities the trail names, for the filters
)
from tracker.enums import (
    CREATED_BY_IMPORT,
)
from tracker.models import AuditEvent, table_of
from tracker.services.people.access import Actor, require_admin, require_full_clearance

if TYPE_CHECKING:
    import pandas as pd

audit_table = table_of(AuditEvent)
# Built once: json.dumps with options builds a new encoder on every call, which an import of
# a hundred thousand rows would pay a hundred thousand times. Changes hold row values, never cycles.
_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str, check_circular=False)
_encode_changes = _encoder.encode
encode_changes = _encode_changes
# JSONEncoder.encode builds its C encoder anew on every call; the created rows' lines keep one,
# made with the same options (the signature of Python 3.11's _json.make_encoder), and encode a
# key, a string, straight away.
_encode_text = json.encoder.encode_basestring
_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_row_encoder = (
    _make_encoder(
        None,
        _encoder.default,
        _encode_text,
        None,
        _encoder.key_separator,
        _encoder.item_separator,
        _encoder.sort_keys,
        _encoder.skipkeys,
        _encoder.allow_nan,
    )
    if _make_encoder is not None
    else None
)


# The entity an import event names; its key lists the bundle's files.
IMPORT_ENTITY = "bundle"
# Speed over size: level 1 compresses the rows of a large import several times faster than the
# default level, for a content a fifth larger.
_LEVEL = 1


class CreatedRows:
    """The rows an import creates, compressed as they come so that a large import holds no copy of
    their text. One line a row, `"entity"<TAB>"key"<TAB>[values]` in JSON, the values in the order of
    the entity's line `"entity"<TAB>null<TAB>[columns]`, written before its first row (a row's
    values may also be an object of its non-empty fields, as the migrated trail holds them)."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(_LEVEL)
        # The compressed rows wait in a temporary file (opened with the first rows): a million rows'
        # worth is tens of megabytes, which the import would otherwise hold until its end, then twice.
        self._spool: Any = None
        self._finished = False
        self._columns: dict[str, tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}

    def add(self, file: str, entity: str, columns: tuple[str, ...], rows: list[tuple[str, dict[str, Any]]]) -> None:
        """Rows as (key, values by column)."""
        if not rows:
            return
        name = _encode_changes(entity)
        lines = []
        if entity not in self._columns:
            self._columns[entity] = columns
            lines.append(f"{name}\tnull\t{_encode_changes(columns)}\n")
        elif self._columns[entity] != columns:
            raise ValueError(f"the {entity} rows of one import have one set of columns")
        values_of = itemgetter(*columns)
        if _row_encoder is not None:
            encode = _row_encoder
            lines += [f"{name}\t{_encode_text(key)}\t{''.join(encode(values_of(values), 0))}\n" for key, values in rows]
        else:
            lines += [f"{name}\t{_encode_changes(key)}\t{_encode_changes(values_of(values))}\n" for key, values in rows]
        self._file().write(self._compressor.compress("".join(lines).encode()))
        self.counts[file] = self.counts.get(file, 0) + len(rows)

    def _file(self) -> Any:
        if self._spool is None:
            # It lives as long as this object, and is closed (and so goes) when this object is freed.
            self._spool = tempfile.TemporaryFile()  # noqa: SIM115
            weakref.finalize(self, self._spool.close)
        return self._spool

    def content(self) -> bytes:
        spool = self._file()
        if not self._finished:
            spool.write(self._compressor.flush())
            self._finished = True
        spool.seek(0)
        # Read in one piece: the file holds the whole compressed stream, and memory one copy of it.
        content: bytes = spool.read()
        return content

    def summary(self) -> dict[str, Any]:
        return {"created": dict(self.counts)}


def _as_fields(values: dict[str, Any], columns: list[str] | None) -> dict[str, Any]:
    """A row's values by field, leaving out the empty ones as a create event always has."""
    if isinstance(values, dict):
        return {f: v for f, v in values.items() if v is not None}
    return {f: v for f, v in zip(columns or [], values) if v is not None}


def created_rows(content: bytes | None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(entity, key, values by field) of every row an import event's content holds."""
    columns: dict[str, list[str]] = {}
    for line in zlib.decompress(content or b"").splitlines():
        entity_text, key_text, values_text = line.split(b"\t", 2)
        entity, key, values = json.loads(entity_text), json.loads(key_text), json.loads(values_text)
        if key is None:
            columns[entity] = values
        else:
            yield entity, key, _as_fields(values, columns.get(entity))


def created_keys(content: bytes | None) -> Iterator[tuple[str, str]]:
    """(entity, key) of every row an import event's content holds, without reading their values."""
    for line in zlib.decompress(content or b"").splitlines():
        entity_text, key_text, _ = line.split(b"\t", 2)
        key = json.loads(key_text)
        if key is not None:
            yield json.loads(entity_text), key


def created_values(content: bytes | None, entity: str, key: str) -> dict[str, Any] | None:
    """The values the row was created with, if the content holds it."""
    text = b"\n" + zlib.decompress(content or b"")
    values = _line_after(text, f"\n{_encode_changes(entity)}\t{_encode_changes(key)}\t".encode())
    if values is None:
        return None
    return _as_fields(values, _line_after(text, f"\n{_encode_changes(entity)}\tnull\t".encode()))


def _line_after(text: bytes, needle: bytes) -> Any:
    start = text.find(needle)
    if start < 0:
        return None
    start += len(needle)
    end = text.find(b"\n", start)
    return json.loads(text[start : end if end >= 0 else len(text)])


def creation_event(event: Any, entity: str, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """A created row as the event it is read as: the import event's who and when, the row's values."""
    return {
        "id": event["id"],
        "at": event["at"],
        "username": event["username"],
        "action": "create",
        "entity": entity,
        "key": key,
        "changes": _encode_changes({f: [None, v] for f, v in values.items()}),
    }


def creations(connection: Connection, rows: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """The creation events of rows given as (entity, key, created_in), read from their import events."""
    found = []
    wanted = sorted({event for _, _, event in rows if event is not None})
    imports = {
        event["id"]: event
        for event in connection.execute(
            select(audit_table.c.id, audit_table.c.at, audit_table.c.username, audit_table.c.content).where(
                audit_table.c.id.in_(wanted)
            )
        ).mappings()
    }
    for entity, key, event_id in rows:
        event = imports.get(event_id) if event_id is not None else None
        values = created_values(event["content"], entity, key) if event is not None else None
        if values is not None:
            found.append(creation_event(event, entity, key, values))
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, list[Any]]:
    """Fields whose value differs, as {field: [old, new]}."""
    old, new = old or {}, new or {}
    fields = list(new) + [f for f in old if f not in new]
    return {f: [_jsonable(old.get(f)), _jsonable(new.get(f))] for f in fields if old.get(f) != new.get(f)}


def event_row(
    actor: Actor, action: str, entity: str, key: str, changes: dict[str, Any], at: dt.datetime
) -> dict[str, Any]:
    return {
        "at": at,
        "username": actor.username,
        "action": action,
        "entity": entity,
        "key": key,
        "changes": _encode_changes(changes),
    }


def record(connection: Connection, actor: Actor, action: str, entity: str, key: str, changes: dict[str, Any]) -> None:
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
        f"{field}: {value[0]} → {value[1]}"
        if isinstance(value, list) and len(value) == 2
        else f"{field}: {', '.join(f'{k} {v}' for k, v in value.items())}"
        if isinstance(value, dict)
        else f"{field}: {value}"
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
) -> "pd.DataFrame":
    """The newest events first, for administrators cleared for every level (events hold old and new values).

    The rows that imports created are listed too, each as a `create` event with the import's who and
    when, beside the import's own event, which counts them."""
    # pandas is loaded here, not by every import and save that writes the trail.
    import pandas as pd

    require_admin(actor)
    require_full_clearance(actor, "the audit trail holds old and new values of every confidentiality level")
    columns = [c for c in audit_table.c if c.name != "content"]
    query = select(*columns).order_by(audit_table.c.at.desc(), audit_table.c.id.desc()).limit(limit)
    if entity:
        query = query.where(audit_table.c.entity == entity)
    if key:
        # A prefix, so that a finding's id also finds its assessments (FINDING_ID/VISIT_ID).
        query = query.where(audit_table.c.key.startswith(key, autoescape=True))
    if since:
        query = query.where(audit_table.c.at >= since)
    with engine.connect() as connection:
        found: list[Any] = list(connection.execute(query).mappings().all())
        if entity in (None, *CREATED_BY_IMPORT):
            found += _created_matching(connection, entity, key, since, limit)
    found.sort(key=lambda event: (event["at"], event["id"], event["action"] != "create"), reverse=True)
    return pd.DataFrame(found[:limit], columns=[c.name for c in columns])


def _created_matching(
    connection: Connection, entity: str | None, key: str | None, since: Any, limit: int
) -> list[dict[str, Any]]:
    """Creation events of the rows imports created whose entity is `entity` and key starts with `key`,
    from the newest import back until `limit` are found."""
    query = (
        select(audit_table.c.id, audit_table.c.at, audit_table.c.username, audit_table.c.content)
        .where(audit_table.c.action == "import")
        .order_by(audit_table.c.at.desc(), audit_table.c.id.desc())
    )
    if since:
        query = query.where(audit_table.c.at >= since)
    found: list[dict[str, Any]] = []
    for event in connection.execute(query).mappings():
        for row_entity, row_key, values in created_rows(event["content"]):
            if (entity is None or row_entity == entity) and (key is None or row_key.startswith(key)):
                found.append(creation_event(event, row_entity, row_key, values))
                # The rows of one import share its time: any `limit` of them are the newest.
                if len(found) >= limit:
                    return found
    return found
