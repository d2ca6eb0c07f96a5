"""Saves of visits, findings, assessments and meetings, as the dashboard makes them.

Writes are handed to the bundle importer as a one-file bundle, so a form, the assessment
worksheet and `tracker import` share one set of rules: the same validation, reference checks,
clearance checks, upsert and audit trail, all in one transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlmodel import col

from tracker.db import reading
from tracker.errors import ValidationFailed
from tracker.models import Finding, Meeting, Visit
from tracker.services.bundle.files import SPECS, FileSpec
from tracker.services.bundle.importer import Change, FileCounts, RowError, import_rows
from tracker.services.bundle.review_guard import ChangedSince, same
from tracker.services.people.access import (
    Actor,
    meeting_visible,
    no_such,
    require_writer,
    unavailable_key,
    visible_findings,
    visible_visits,
)


@dataclass
class Saved(FileCounts):
    """What a save did (or, in a review, would do): the counts, and each changed field."""

    changes: list[Change] = field(default_factory=list)


# A save's `before`: the stored values the form was drawn with. Only the fields that differ from
# them are written, and the save is refused (ChangedSince), nothing written, when the stored row
# no longer holds them. A new row must still be absent when it is written.


def save_visit(
    engine: Engine,
    actor: Actor,
    data: dict[str, Any],
    *,
    new: bool = False,
    dry_run: bool = False,
    before: dict[str, Any] | None = None,
) -> Saved:
    """Add (`new`) or change one visit; the fields are the columns of visits.csv. `dry_run`: only review."""
    return _save(engine, actor, "visits.csv", [data], new=new, dry_run=dry_run, before=before)


def save_finding(
    engine: Engine,
    actor: Actor,
    data: dict[str, Any],
    *,
    new: bool = False,
    dry_run: bool = False,
    before: dict[str, Any] | None = None,
) -> Saved:
    """Add (`new`) or change one finding; the fields are the columns of findings.csv. `dry_run`: only review."""
    return _save(engine, actor, "findings.csv", [data], new=new, dry_run=dry_run, before=before)


def save_meeting(
    engine: Engine,
    actor: Actor,
    data: dict[str, Any],
    *,
    new: bool = False,
    dry_run: bool = False,
    before: dict[str, Any] | None = None,
) -> Saved:
    """Add (`new`) or change one meeting; the fields are the columns of meetings.csv. `dry_run`: only review."""
    return _save(engine, actor, "meetings.csv", [data], new=new, dry_run=dry_run, before=before)


def save_assessments(
    engine: Engine,
    actor: Actor,
    followup: str,
    changes: Iterable[dict[str, Any]],
    *,
    dry_run: bool = False,
    before: dict[str, dict[str, Any] | None] | None = None,
) -> Saved:
    """Record the status (and evidence) of baseline items at a follow-up visit, all or none.

    Each change names a finding_id and any of status, evidence, assessed_on, confidentiality;
    what a change leaves out keeps its stored value. `before`, by finding_id: the values the
    review was made against (None: no assessment was stored). `dry_run`: only review.
    """
    rows = [{"finding_id": change["finding_id"], "visit_id": followup} | change for change in changes]
    if not rows:
        require_writer(actor)
        return Saved()
    if before is None:
        return _save(engine, actor, "assessments.csv", rows, new=None, dry_run=dry_run)
    require_writer(actor)
    guarded = [guarded_row(SPECS["assessments.csv"], row, before[row["finding_id"]]) for row in rows]
    return save_files(
        engine,
        actor,
        {"assessments.csv": [row for row, _ in guarded]},
        dry_run=dry_run,
        expected=dict(expected for _, expected in guarded),
    )


def save_row(
    engine: Engine, actor: Actor, file_name: str, data: dict[str, Any], *, new: bool | None, dry_run: bool = False
) -> Saved:
    """Write one row of a bundle file keyed by one column. `new` True: its key must be free, and is
    refused if another analyst took it between the review and the save; False: the row must exist;
    None: either. `dry_run`: only review."""
    return _save(engine, actor, file_name, [data], new=new, dry_run=dry_run)


def guarded_row(
    spec: FileSpec, data: dict[str, Any], before: dict[str, Any] | None
) -> tuple[dict[str, Any], tuple[tuple[str, str], dict[str, Any] | None]]:
    """The row a save writes (its key, the fields that differ from `before`, and the required
    fields as they were) and what the stored row must hold: `before`, or no row at all if None."""
    if before is None:
        return data, ((spec.name, spec.key_text(data)), None)
    row = {k: data.get(k, before.get(k)) for k in spec.key}
    row |= {f: before[f] for f in spec.required if f in before and f not in spec.key}
    row |= {
        f: v
        for f, v in data.items()
        if f in spec.columns and f not in spec.key and (f not in before or not same(v, before[f]))
    }
    expected = {f: v for f, v in before.items() if f in spec.columns and f not in spec.key}
    return row, ((spec.name, spec.key_text(row)), expected)


def field_errors(error: ValidationFailed) -> dict[str, str]:
    """The problems of a one-row save by field, for showing beside each input."""
    fields: dict[str, list[str]] = {}
    for problem in error.errors:
        fields.setdefault(problem["field"], []).append(problem["message"])
    return {field: "; ".join(messages) for field, messages in fields.items()}


def _save(
    engine: Engine,
    actor: Actor,
    file_name: str,
    rows: list[dict[str, Any]],
    *,
    new: bool | None,
    dry_run: bool = False,
    before: dict[str, Any] | None = None,
) -> Saved:
    """Write rows as a bundle file through the importer; `new` True: must not exist, False: must exist."""
    require_writer(actor)
    spec = SPECS[file_name]
    if new is not None:
        _check_exists(engine, actor, spec, rows[0], should_exist=not new)
    expected = None
    if new or before is not None:
        row, guard = guarded_row(spec, rows[0], None if new else before)
        rows, expected = [row], dict([guard])
    return save_files(engine, actor, {file_name: rows}, dry_run=dry_run, expected=expected)


def save_files(
    engine: Engine,
    actor: Actor,
    files: dict[str, list[dict[str, Any]]],
    *,
    dry_run: bool = False,
    expected: dict[tuple[str, str], dict[str, Any] | None] | None = None,
) -> Saved:
    """Rows of several bundle files written as one bundle: one transaction, all or nothing.

    `expected`, by (file, key): what the stored row must hold for the save to be written (see
    review_guard); when it no longer does, ChangedSince names what moved and nothing is written.
    """
    require_writer(actor)
    files = {file_name: _uniform(SPECS[file_name], rows, expected or {}) for file_name, rows in files.items()}
    result = import_rows(engine, files, actor, dry_run=dry_run, expected=expected)
    if result.moved:
        raise ChangedSince(result.moved)
    if not result.ok:
        entities = " and ".join(SPECS[f].entity.replace("_", " ") for f in files)
        raise ValidationFailed(
            f"nothing was saved: {result.error_count} problem(s) with the {entities}",
            [_problem(error, _row_at(files, error), SPECS[error.file]) for error in result.errors],
            "correct the fields marked and save again",
        )
    saved = Saved(changes=result.changes)
    for counts in result.counts.values():
        saved.created += counts.created
        saved.updated += counts.updated
        saved.unchanged += counts.unchanged
    return saved


def _uniform(
    spec: FileSpec, rows: list[dict[str, Any]], expected: dict[tuple[str, str], dict[str, Any] | None]
) -> list[dict[str, Any]]:
    """Rows of one file given every column any of them holds: a column is a value for each row, so
    a row that leaves one out is given the value its save expects stored there (writing nothing)."""
    columns = {c for row in rows for c in row}
    uniform = []
    for row in rows:
        kept = expected.get((spec.name, spec.key_text(row))) or {}
        uniform.append(row | {c: kept[c] for c in columns if c not in row and c in kept})
    return uniform


def _row_at(files: dict[str, list[dict[str, Any]]], error: RowError) -> dict[str, Any]:
    """The row an error is on: the rows were given from line 2."""
    rows = files.get(error.file, [])
    return rows[error.line - 2] if 2 <= error.line < len(rows) + 2 else {}


def _problem(error: RowError, row: dict[str, Any], spec: FileSpec) -> dict[str, Any]:
    key = "/".join(str(row.get(k, "")) for k in spec.key) if row else ""
    return {"key": key, "field": error.column, "message": error.message}


def _check_exists(engine: Engine, actor: Actor, spec: FileSpec, row: dict[str, Any], *, should_exist: bool) -> None:
    key_column = spec.key[0]
    key = str(row.get(key_column) or "").strip()
    if not key:
        return
    with reading(engine) as connection:
        exists = (
            connection.execute(select(spec.table.c[key_column]).where(spec.table.c[key_column] == key)).first()
            is not None
        )
        shown = exists and _shown(connection, actor, spec, key)
    entity = spec.entity.replace("_", " ")
    if exists and not should_exist:
        # A hidden row's key is refused in the same words as the importer's, naming no level.
        message = f"{key} already exists; choose another id or edit that {entity}" if shown else unavailable_key(key)
        raise ValidationFailed(
            f"nothing was saved: {message.split(';')[0]}",
            [{"key": key, "field": key_column, "message": message}],
            "choose another id",
        )
    if should_exist and not shown:
        raise ValidationFailed(
            f"nothing was saved: {no_such(entity, key)}",
            [{"key": key, "field": key_column, "message": f"{no_such(entity, key)}; add it as a new {entity}"}],
            "add it as a new one",
        )


def _shown(connection: Connection, actor: Actor, spec: FileSpec, key: str) -> bool:
    """The row with this key is one the actor may see."""
    level = actor.clearance
    match spec.entity:
        case "visit":
            query = visible_visits(level).where(col(Visit.visit_id) == key)
        case "finding":
            query = visible_findings(level).where(col(Finding.finding_id) == key)
        case "meeting":
            query = (
                select(Meeting)
                .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
                .where(col(Meeting.meeting_id) == key, meeting_visible(level))
            )
        case _:
            return True
    return connection.execute(query.limit(1)).first() is not None
