"""Withdrawing a visit, finding, assessment or meeting (kept, audited, hidden), restoring it, and
deleting for good what nothing depends on.

A withdrawal is a change of the row's `withdrawn` column made through the bundle importer, so it
is checked, audited and carried by bundles exactly like any other edit.
"""

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Select, delete, literal, not_, or_, select, union_all
from sqlmodel import SQLModel, col

from tracker.db import reading, require_schema, writing
from tracker.errors import NotFound, PermissionDenied, TrackerError
from tracker.models import (
    Assessment,
    Confidentiality,
    Finding,
    FindingResolution,
    Meeting,
    MeetingPartner,
    MeetingSector,
    Milestone,
    TARecord,
    Update,
    UpdateItem,
    Visit,
    VisitPartner,
    VisitResolution,
    table_of,
)
from tracker.services.bundle.files import SPECS, FileSpec
from tracker.services.people import audit
from tracker.services.people.access import (
    Actor,
    assessment_visible,
    effective_level,
    finding_visible,
    meeting_visible,
    milestone_visible,
    require_admin,
    require_writer,
    ta_visible,
    update_item_visible,
    update_visible,
    visit_visible,
)
from tracker.services.records.saving import Saved, save_files

ENTITIES = {
    "visit": "visits.csv",
    "finding": "findings.csv",
    "assessment": "assessments.csv",
    "meeting": "meetings.csv",
    "state_update": "updates.csv",
    "update_item": "update_items.csv",
}
_MODELS: dict[str, type[SQLModel]] = {
    "visit": Visit,
    "finding": Finding,
    "assessment": Assessment,
    "meeting": Meeting,
    "state_update": Update,
    "update_item": UpdateItem,
}


@dataclass(frozen=True)
class Target:
    """One row named the way people name it: `finding KOR-2009-F03`, `assessment KOR-2009-F03/KOR-2023`."""

    entity: str
    key: str

    @property
    def spec(self) -> FileSpec:
        return SPECS[ENTITIES[self.entity]]

    @property
    def key_values(self) -> dict[str, str]:
        return dict(zip(self.spec.key, self.key.split("/")))

    def __str__(self) -> str:
        return f"{self.entity} {self.key}"


def target(entity: str, key: str) -> Target:
    """Check the entity and the shape of the key; an assessment's key is FINDING_ID/VISIT_ID."""
    name = entity.strip().lower()
    if name not in ENTITIES:
        raise TrackerError(f"'{entity}' is not something that can be withdrawn", f"use one of {', '.join(ENTITIES)}")
    text = key.strip()
    parts = text.split("/")
    if len(parts) != len(SPECS[ENTITIES[name]].key) or not all(parts):
        shape = {
            "assessment": "FINDING_ID/VISIT_ID, e.g. KOR-2009-F03/KOR-2023",
            "update_item": "FINDING_ID/UPDATE_ID, e.g. KOR-2009-F03/KOR-U-2024",
        }.get(name, f"a {name} id")
        raise TrackerError(f"'{key}' is not the key of a {name}", f"write {shape}")
    return Target(name, text)


def visible_query(entity: str, level: Confidentiality, *columns: Any) -> Select[*tuple[Any, ...]]:
    """Rows of the entity the reader may see, withdrawn ones included."""
    model = _MODELS[entity]
    query = select(*columns) if columns else select(model)
    match entity:
        case "visit":
            return query.where(visit_visible(level, include_withdrawn=True))
        case "finding":
            return query.join(Visit, col(Visit.visit_id) == col(Finding.visit_id)).where(
                finding_visible(level, include_withdrawn=True)
            )
        case "meeting":
            return query.join(Visit, col(Visit.visit_id) == col(Meeting.visit_id)).where(
                meeting_visible(level, include_withdrawn=True)
            )
        case "state_update":
            return query.where(update_visible(level, include_withdrawn=True))
        case "update_item":
            return query.where(update_item_visible(level, include_withdrawn=True))
    return query.where(assessment_visible(level, include_withdrawn=True))


def stored_row(connection: Connection, actor: Actor, row: Target) -> dict[str, Any]:
    """The row's stored columns, if the actor may see it (withdrawn or not); NotFound otherwise."""
    table = row.spec.table
    query = visible_query(row.entity, actor.clearance, *[table.c[c] for c in row.spec.stored]).where(
        *[table.c[k] == v for k, v in row.key_values.items()]
    )
    found = connection.execute(query).mappings().first()
    if found is None:
        raise NotFound(f"there is no {row} you may see", f"check the {row.entity} id")
    return dict(found)


def _rewrite(engine: Engine, actor: Actor, rows: list[tuple[Target, dict[str, Any]]]) -> Saved:
    """Write the given columns of stored rows back through the importer, one transaction."""
    files: dict[str, list[dict[str, Any]]] = {}
    with reading(engine) as connection:
        for row, values in rows:
            stored = stored_row(connection, actor, row)
            # The required columns let the importer read the row; the others it leaves as stored.
            files.setdefault(row.spec.name, []).append(
                {c: stored[c] for c in row.spec.required} | row.key_values | values
            )
    return save_files(engine, actor, files)


def _hides_unseen_rows(connection: Connection, actor: Actor, row: Target) -> bool:
    """Whether withdrawing the row would also hide a row above the actor's clearance.

    A withdrawn visit takes its findings, meetings, milestones, assessments and TA records out of
    every list, and a withdrawn finding its assessments and TA record: the actor must be able to
    see every one of them, withdrawn or not.
    """
    level = actor.clearance
    if row.entity == "visit":
        findings = select(col(Finding.finding_id)).where(col(Finding.visit_id) == row.key)
        held = [
            select(col(Finding.finding_id))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .where(col(Finding.visit_id) == row.key, not_(finding_visible(level, include_withdrawn=True))),
            select(col(Meeting.meeting_id))
            .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
            .where(col(Meeting.visit_id) == row.key, not_(meeting_visible(level, include_withdrawn=True))),
            select(col(Milestone.milestone))
            .join(Visit, col(Visit.visit_id) == col(Milestone.visit_id))
            .where(col(Milestone.visit_id) == row.key, not_(milestone_visible(level, include_withdrawn=True))),
            select(col(Assessment.finding_id)).where(
                or_(col(Assessment.visit_id) == row.key, col(Assessment.finding_id).in_(findings)),
                not_(assessment_visible(level, include_withdrawn=True)),
            ),
            select(col(TARecord.finding_id))
            .join(Finding, col(Finding.finding_id) == col(TARecord.finding_id))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .where(col(Finding.visit_id) == row.key, not_(ta_visible(level, include_withdrawn=True))),
        ]
    elif row.entity == "finding":
        held = [
            select(col(Assessment.finding_id)).where(
                col(Assessment.finding_id) == row.key, not_(assessment_visible(level, include_withdrawn=True))
            ),
            select(col(TARecord.finding_id))
            .join(Finding, col(Finding.finding_id) == col(TARecord.finding_id))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .where(col(TARecord.finding_id) == row.key, not_(ta_visible(level, include_withdrawn=True))),
        ]
    else:
        return False
    return any(connection.execute(query.limit(1)).first() for query in held)


def withdraw(engine: Engine, actor: Actor, entity: str, key: str, reason: str) -> Saved:
    """Withdraw a row with a reason: it stays, audited, but counts, pages, exports and reports leave it out."""
    require_writer(actor)
    require_schema(engine)
    row = target(entity, key)
    why = " ".join(reason.split())
    if not why:
        raise TrackerError(
            f"no reason was given to withdraw {row}",
            "say why with --reason, e.g. 'entered twice'",
            page_hint="say why under Reason, e.g. 'entered twice'",
        )
    with reading(engine) as connection:
        current = stored_row(connection, actor, row).get("withdrawn")
        hides_unseen = not current and _hides_unseen_rows(connection, actor, row)
    if current:
        raise TrackerError(f"{row} is already withdrawn ({current})", "restore it first to withdraw it again")
    if hides_unseen:
        # Withdrawing would take rows out of every list that this user cannot see, review or restore.
        raise PermissionDenied(
            f"{row} holds rows above your clearance, which withdrawing it would hide as well",
            "ask a user cleared for all of its rows to withdraw it",
        )
    return _rewrite(engine, actor, [(row, {"withdrawn": why})])


def restore(engine: Engine, actor: Actor, entity: str, key: str) -> Saved:
    """Bring a withdrawn row back."""
    require_writer(actor)
    require_schema(engine)
    row = target(entity, key)
    with reading(engine) as connection:
        current = stored_row(connection, actor, row).get("withdrawn")
    if not current:
        raise TrackerError(f"{row} is not withdrawn", "nothing to restore")
    return _rewrite(engine, actor, [(row, {"withdrawn": None})])


def withdrawn_rows(engine: Engine, actor: Actor, level: str | Confidentiality | None = None) -> pd.DataFrame:
    """Every withdrawn row the reader may see: entity, key, reason."""
    require_schema(engine)
    level = effective_level(actor, level)
    parts = []
    for entity, model in _MODELS.items():
        spec = SPECS[ENTITIES[entity]]
        key = (
            getattr(model, spec.key[0]) + "/" + getattr(model, spec.key[1])
            if len(spec.key) == 2
            else getattr(model, spec.key[0])
        )
        parts.append(
            visible_query(
                entity,
                level,
                literal(entity).label("entity"),
                key.label("key"),
                table_of(model).c.withdrawn.label("reason"),
            ).where(table_of(model).c.withdrawn.is_not(None))
        )
    query = union_all(*parts)
    with reading(engine) as connection:
        result = connection.execute(query)
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    return frame.sort_values(["entity", "key"], ignore_index=True)


# What may point at a row, per entity: (table, column) pairs; every key that points at a visit or a
# finding without being deleted with it is here.
_DEPENDENTS: dict[str, list[tuple[type[SQLModel], str]]] = {
    "visit": [
        (Finding, "visit_id"),
        (Meeting, "visit_id"),
        (Assessment, "visit_id"),
        (Visit, "baseline_visit_id"),
        (Milestone, "visit_id"),
    ],
    "finding": [
        (Assessment, "finding_id"),
        (Finding, "continues"),
        (TARecord, "finding_id"),
        (TARecord, "addresses"),
        (UpdateItem, "finding_id"),
    ],
    "state_update": [(UpdateItem, "update_id"), (Milestone, "update_id")],
}
# Rows deleted with their visit or finding.
_LINKS: dict[str, list[type[SQLModel]]] = {
    "visit": [VisitPartner, VisitResolution],
    "finding": [FindingResolution],
    "meeting": [MeetingSector, MeetingPartner],
}
# Dependents that have no delete of their own: only withdrawing the row they depend on is left.
_KEPT = {Milestone: "milestones", TARecord: "TA records"}


def delete_permanently(engine: Engine, actor: Actor, entity: str, key: str) -> dict[str, Any]:
    """Delete a row for good, for administrators, when no other row depends on it; returns its last values."""
    require_admin(actor)
    require_schema(engine)
    row = target(entity, key)
    table = row.spec.table
    with writing(engine) as connection:
        stored = stored_row(connection, actor, row)
        for model, column in _DEPENDENTS.get(row.entity, []):
            # Counted over every level: a row above the reader's clearance still depends on this one.
            if connection.execute(
                select(getattr(model, column)).where(getattr(model, column) == row.key).limit(1)
            ).first():
                if model in _KEPT:
                    raise TrackerError(
                        f"{row} cannot be deleted: other rows ({_KEPT[model]}) depend on it", "withdraw it instead"
                    )
                raise TrackerError(
                    f"{row} cannot be deleted: other rows ({table_of(model).name.replace('_', ' ')}s) depend on it",
                    "withdraw it instead, or delete those rows first",
                )
        for link in _LINKS.get(row.entity, []):
            columns = table_of(link).c
            owner = columns[f"{row.entity}_id"]
            connection.execute(delete(link).where(owner == row.key))
        connection.execute(delete(table).where(*[table.c[k] == v for k, v in row.key_values.items()]))
        audit.record(connection, actor, "delete", row.entity, row.key, audit.diff(stored, None))
    return stored
