"""The dated news between two reports: written updates recorded since the last report, with the date
each was received, and assessments recorded or changed since then, with the date each refers to."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlmodel import col

from tracker.db import reading
from tracker.models import Assessment, AuditEvent, Confidentiality, Update, Visit
from tracker.services.people.access import Actor, assessment_visible, effective_level
from tracker.services.progress.self_reported import ReceivedUpdate, updates_received


@dataclass(frozen=True)
class Reassessed:
    """An item's assessment dated after the last report: its status, evidence and date."""

    finding_id: str
    visit_id: str
    status: str
    evidence: str
    assessed_on: dt.date | None


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


class _Since:
    """What was recorded after a report was issued: events are numbered in the order they were
    written, so an event after the one that issued the report is news; without that event, its time
    decides (an issued report keeps its time to the second)."""

    def __init__(self, connection: Connection, snapshot_id: int, issued_at: dt.datetime):
        self.event = connection.execute(
            select(func.max(col(AuditEvent.id))).where(
                col(AuditEvent.entity) == "report_snapshot",
                col(AuditEvent.action) == "create",
                col(AuditEvent.key) == str(snapshot_id),
            )
        ).scalar()
        self.moment = _utc(issued_at) + dt.timedelta(seconds=1)

    def after(self, event_id: int | None, at: dt.datetime | None) -> bool:
        if event_id is None or at is None:
            return False
        return event_id > self.event if self.event is not None else _utc(at) >= self.moment


def updates_since(
    engine: Engine, actor: Actor, scope: str, level: Confidentiality, snapshot_id: int, issued_at: dt.datetime
) -> list[ReceivedUpdate]:
    """The visible written updates within the scope (the State of a State report, those received in a
    period report's period) recorded after the report `snapshot_id` was issued, oldest received first."""
    level = effective_level(actor, level)
    kind, _, rest = scope.partition(":")
    state, start, end = None, None, None
    if kind == "state":
        state = rest.partition(":")[0]
    else:
        first, _, last = rest.partition("..")
        start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    with reading(engine) as connection:
        since = _Since(connection, snapshot_id, issued_at)
        received = updates_received(connection, level, state=state, start=start, end=end)
        recorded = {
            update_id: (event_id, at)
            for update_id, event_id, at in connection.execute(
                select(col(Update.update_id), col(AuditEvent.id), col(AuditEvent.at))
                .join(AuditEvent, col(AuditEvent.id) == col(Update.created_in))
                .where(col(Update.update_id).in_([u.update_id for u in received]))
            )
        }
    return [update for update in received if since.after(*recorded.get(update.update_id, (None, None)))]


def reassessed_since(
    engine: Engine,
    actor: Actor,
    level: Confidentiality,
    items: list[tuple[str, str]],
    snapshot_id: int,
    issued_at: dt.datetime,
) -> list[Reassessed]:
    """The visible assessments of the reported items (finding_id, follow-up), made at the follow-up
    or a visit before it, that were recorded or changed after `issued_at`, by the date each refers
    to (latest first)."""
    level = effective_level(actor, level)
    wanted: dict[str, set[str]] = {}
    for finding_id, followup in items:
        wanted.setdefault(finding_id, set()).add(followup)
    if not wanted:
        return []
    ids = sorted(wanted)
    found: list[Reassessed] = []
    with reading(engine) as connection:
        since = _Since(connection, snapshot_id, issued_at)
        starts = dict(connection.execute(select(col(Visit.visit_id), col(Visit.start_date))).all())
        for first in range(0, len(ids), 1000):
            chunk = ids[first : first + 1000]
            rows: list[Any] = list(
                connection.execute(
                    select(
                        col(Assessment.finding_id),
                        col(Assessment.visit_id),
                        col(Assessment.status),
                        col(Assessment.evidence),
                        col(Assessment.assessed_on),
                        col(AuditEvent.id).label("created_in"),
                        col(AuditEvent.at).label("created_at"),
                    )
                    .outerjoin(AuditEvent, col(AuditEvent.id) == col(Assessment.created_in))
                    .where(col(Assessment.finding_id).in_(chunk), assessment_visible(level))
                )
            )
            keys = [f"{row.finding_id}/{row.visit_id}" for row in rows]
            changed: dict[str, tuple[int, dt.datetime]] = {}
            for key, event_id, at in connection.execute(
                select(col(AuditEvent.key), col(AuditEvent.id), col(AuditEvent.at)).where(
                    col(AuditEvent.entity) == "assessment",
                    col(AuditEvent.action) == "update",
                    col(AuditEvent.key).in_(keys),
                )
            ):
                if event_id is not None and (key not in changed or event_id > changed[key][0]):
                    changed[key] = (event_id, at)
            for row, key in zip(rows, keys, strict=True):
                if not (since.after(row.created_in, row.created_at) or since.after(*changed.get(key, (None, None)))):
                    continue
                # Only an assessment at a reported follow-up, or at a visit before it, is a status it reports.
                if any(starts[row.visit_id] <= starts[followup] for followup in wanted[row.finding_id]):
                    found.append(Reassessed(row.finding_id, row.visit_id, row.status, row.evidence, row.assessed_on))
    return sorted(found, key=lambda r: (r.assessed_on or dt.date.min, r.finding_id), reverse=True)


def status_dates(
    engine: Engine, level: Confidentiality, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], dt.date]:
    """The date each (finding_id, visit_id) assessment refers to, where one was given and is visible."""
    wanted = set(pairs)
    ids = sorted({finding_id for finding_id, _ in wanted})
    dates: dict[tuple[str, str], dt.date] = {}
    with reading(engine) as connection:
        for first in range(0, len(ids), 1000):
            for finding_id, visit_id, day in connection.execute(
                select(col(Assessment.finding_id), col(Assessment.visit_id), col(Assessment.assessed_on)).where(
                    col(Assessment.finding_id).in_(ids[first : first + 1000]),
                    col(Assessment.assessed_on).is_not(None),
                    assessment_visible(level),
                )
            ):
                if (finding_id, visit_id) in wanted and day is not None:
                    dates[(finding_id, visit_id)] = day
    return dates
