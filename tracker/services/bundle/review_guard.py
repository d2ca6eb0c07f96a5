"""What a save was reviewed against, and what moved since (optimistic concurrency).

A save made from a page states the stored values its review showed: `expected`, by file and row
key, either the fields and their values or None for a row that was not stored. The importer
compares them with the stored row inside its write transaction (under SQLite's write lock, and
with the row locked FOR UPDATE on PostgreSQL); when any differs, nothing is written and the save
is refused with the fields that moved, who moved them and when, read from the audit trail, so
that the page can show a fresh review. An import confirmed from a page is held to the changes its
check listed in the same way.
"""

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, select

from tracker.errors import TrackerError
from tracker.services.bundle.files import SPECS, FileSpec
from tracker.services.people import audit
from tracker.services.presentation.wording import label

# How a row that is not stored reads on the pages that show it: an assessment not made yet is
# shown as not assessed, so a review of it was made against that status.
NOT_STORED: dict[str, dict[str, Any]] = {"assessment": {"status": "not_assessed"}}
# The field of a Moved that stands for the whole row: added, or removed, since the review.
ROW = "*"


def comparable(value: Any) -> Any:
    """A value as a stored one compares: empty is None, dates as ISO text, lists as sorted text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "value") and not isinstance(value, (str, int)):
        value = value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return sorted(str(v).strip() for v in value) or None
    return str(value).strip()


def same(one: Any, other: Any) -> bool:
    return bool(comparable(one) == comparable(other))


@dataclass(frozen=True)
class Moved:
    """A field of a stored row whose value is no longer the one the save was reviewed against.

    `field` is ROW when the row itself was added (`reviewed` None) or removed (`now` None) since.
    """

    file: str
    key: str
    field: str
    reviewed: object
    now: object
    username: str = ""
    at: dt.datetime | None = None


def moved_fields(file: str, key: str, expected: dict[str, Any] | None, stored: dict[str, Any] | None) -> list[Moved]:
    """The fields of the stored row (None: not stored) that differ from what the save expected."""
    if expected is None:
        return [] if stored is None else [Moved(file, key, ROW, None, "stored")]
    if stored is None:
        unstored = NOT_STORED.get(SPECS[file].entity)
        if unstored is None:
            return [Moved(file, key, ROW, "stored", None)]
        stored = unstored
    return [
        Moved(file, key, field, value, stored.get(field))
        for field, value in expected.items()
        if not same(value, stored.get(field))
    ]


def with_authors(connection: Connection, moved: list[Moved], until: int | None = None) -> list[Moved]:
    """Each moved field with who last changed it and when, from the audit trail (up to event `until`,
    so that the refused write's own events are not taken for the change)."""
    found = []
    table = audit.audit_table
    for row in dict.fromkeys((m.file, m.key) for m in moved if m.file):
        fields = [m for m in moved if (m.file, m.key) == row]
        spec = SPECS[row[0]]
        query = select(table.c.at, table.c.username, table.c.changes).where(
            table.c.entity == spec.entity, table.c.key == row[1]
        )
        if until is not None:
            query = query.where(table.c.id <= until)
        events = connection.execute(query.order_by(table.c.id.desc()).limit(200)).all()
        for item in fields:
            author = _last_change(events, item.field)
            if author is None and item.field == ROW and item.reviewed is None:
                author = _creation(connection, spec, row[1])
            found.append(replace(item, username=author[0], at=author[1]) if author else item)
    return found + [m for m in moved if not m.file]


def _last_change(events: Any, field: str) -> tuple[str, dt.datetime] | None:
    for at, username, changes in events:
        try:
            fields = json.loads(changes)
        except ValueError:
            continue
        if field == ROW or (isinstance(fields, dict) and field in fields):
            return username, at
    return None


def _creation(connection: Connection, spec: FileSpec, key: str) -> tuple[str, dt.datetime] | None:
    table = spec.table
    values = dict(zip(spec.key, key.split("/", len(spec.key) - 1)))
    event_id = connection.execute(
        select(table.c.created_in).where(*[table.c[k] == v for k, v in values.items()])
    ).scalar()
    if event_id is None:
        return None
    event = connection.execute(
        select(audit.audit_table.c.username, audit.audit_table.c.at).where(audit.audit_table.c.id == event_id)
    ).first()
    return (event.username, event.at) if event else None


def unreviewed(reviewed: list[Any], confirmed: list[Any]) -> list[Moved]:
    """What differs between the changes a check listed and those its confirmation would make.

    A field the check found unchanged was then stored as the file has it; one the confirmation
    finds unchanged is now so stored.
    """
    before = {(c.file, c.key, c.field): c for c in reviewed}
    now = {(c.file, c.key, c.field): c for c in confirmed}
    moved: dict[tuple[str, str], list[Moved]] = {}
    for where in dict.fromkeys([*before, *now]):
        was, will = before.get(where), now.get(where)
        if was == will:
            continue
        file, key, field = where
        if field == ROW:
            moved[(file, key)] = [Moved(file, key, ROW, None if was else "stored", "stored" if was else None)]
        elif not any(m.field == ROW for m in moved.get((file, key), [])):
            # A field one side does not list was stored as the file has it on that side.
            reviewed_value = was.old if was is not None else getattr(will, "new", None)
            now_value = will.old if will is not None else getattr(was, "new", None)
            moved.setdefault((file, key), []).append(Moved(file, key, field, reviewed_value, now_value))
    return [m for found in moved.values() for m in found]


def in_words(item: Moved) -> str:
    """`Title changed by bob at 2026-12-07 10:02 UTC`, or `added by bob at ...`."""
    if not item.file:
        return "rows past those listed changed"
    row_words = "added" if item.reviewed is None else "removed"
    what = row_words if item.field == ROW else f"{label(item.field)} changed"
    if item.username:
        what += f" by {item.username}"
    if item.at is not None:
        what += f" at {item.at:%Y-%m-%d %H:%M} UTC"
    return what


class ChangedSince(TrackerError):
    """The stored rows moved since the save was reviewed; nothing was written. `moved` says how."""

    def __init__(self, moved: list[Moved]):
        self.moved = moved
        rows: dict[str, list[str]] = {}
        for item in moved:
            rows.setdefault(item.key or "the data", []).append(in_words(item))
        parts = "; ".join(f"{key}: {', '.join(words)}" for key, words in rows.items())
        super().__init__(
            f"nothing was saved: since your review, {parts}",
            "read the fresh review, which shows the stored values now, and confirm again",
        )
