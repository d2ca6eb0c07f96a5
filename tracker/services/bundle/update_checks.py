"""What a State's written update says of an item stays true to the update once either changes.

An update item is checked against its update when it is read (between_visits.py); here the stored
items are checked again, within the import's transaction, when a row they depend on was updated:
the update's State or date, the item's finding (its kind or visit), or that visit's State or start.
Each problem is told on the updated row's line, as `file:line: column: message`. Saves from the
dashboard go through the importer, so an edit is held to the same rules.
"""

from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.models import TRACKABLE_KINDS, Confidentiality, Finding, Milestone, Update, UpdateItem, Visit

# Where a problem is told: (file, line) of the updated row.
Where = tuple[str, int]
Problem = tuple[str, int, str, str]

_CHUNK = 5000
HIDDEN = "a stored row you may not see depends on this value; keep it, or ask a colleague to change both"


def _touching(moved: dict[str, Where], *columns: Any) -> Iterator[ColumnElement[bool]]:
    keys = list(moved)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        yield or_(*(column.in_(chunk) for column in columns))


def moved_update_problems(
    connection: Connection, moved: dict[str, dict[str, Where]], level: Confidentiality
) -> list[Problem]:
    """Stored update items (and `response_received` milestones) that an updated update, finding or
    visit would make untrue: an item of another State's finding, an update received before the visit
    that raised the item, a status reported for a finding that is no longer a shortfall or recommendation."""
    updates, findings, visits = (moved.get(entity, {}) for entity in ("state_update", "finding", "visit"))
    if not (updates or findings or visits):
        return []
    seen = level.visible_levels()
    problems: list[Problem] = []
    raised = aliased(Visit)
    untrue = or_(
        col(raised.state) != col(Update.state),
        col(Update.received_on) < col(raised.start_date),
        col(Finding.kind).notin_([kind.value for kind in TRACKABLE_KINDS]),
    )
    conditions = [
        *_touching(updates, col(UpdateItem.update_id)),
        *_touching(findings, col(UpdateItem.finding_id)),
        *_touching(visits, col(raised.visit_id)),
    ]
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for condition in conditions:
        for row in connection.execute(
            select(
                col(UpdateItem.finding_id),
                col(UpdateItem.update_id),
                col(Update.state),
                col(Update.received_on),
                col(raised.visit_id),
                col(raised.state),
                col(raised.start_date),
                col(Finding.kind),
                col(UpdateItem.confidentiality),
                col(Update.confidentiality),
                col(Finding.confidentiality),
                col(raised.confidentiality),
            )
            .join(Update, col(Update.update_id) == col(UpdateItem.update_id))
            .join(Finding, col(Finding.finding_id) == col(UpdateItem.finding_id))
            .join(raised, col(raised.visit_id) == col(Finding.visit_id))
            .where(untrue, condition)
        ):
            found[(row[0], row[1])] = tuple(row)
    for key in sorted(found):
        finding_id, update_id, state, received_on, visit_id, visit_state, start, kind, *levels = found[key]
        if kind not in TRACKABLE_KINDS:
            where, column = findings.get(finding_id), "kind"
            message = (
                f"update {update_id} reports a status for finding {finding_id}, and States report on shortfalls "
                "and recommendations only; keep its kind"
            )
        elif visit_state != state:
            where, column = _first(
                (updates, update_id, "state"), (findings, finding_id, "visit_id"), (visits, visit_id, "state")
            )
            message = (
                f"update {update_id} (from {state}) reports a status for finding {finding_id}, which would then "
                f"be of {visit_state}; keep the update and the finding's visit of one State"
            )
        else:
            where, column = _first(
                (updates, update_id, "received_on"),
                (findings, finding_id, "visit_id"),
                (visits, visit_id, "start_date"),
            )
            message = (
                f"update {update_id} (received on {received_on.isoformat()}) would then come before visit "
                f"{visit_id} (started {start.isoformat()}), which raised finding {finding_id} the update reports "
                "on; keep the update after the visit"
            )
        if where is None:
            continue
        if any(one not in seen for one in levels):
            message = HIDDEN
        problems.append((where[0], where[1], column, message))
    problems += _milestone_problems(connection, updates, visits, seen)
    return problems


def _first(*candidates: tuple[dict[str, Where], str, str]) -> tuple[Where | None, str]:
    """The first updated row among the candidates, and the column to name on it."""
    for moved, key, column in candidates:
        if key in moved:
            return moved[key], column
    return None, ""


def _milestone_problems(
    connection: Connection, updates: dict[str, Where], visits: dict[str, Where], seen: Collection[str]
) -> list[Problem]:
    """A `response_received` milestone names an update of its visit's State."""
    problems: list[Problem] = []
    conditions = [*_touching(updates, col(Milestone.update_id)), *_touching(visits, col(Milestone.visit_id))]
    for condition in conditions:
        for visit_id, update_id, visit_state, state, level in connection.execute(
            select(
                col(Milestone.visit_id),
                col(Milestone.update_id),
                col(Visit.state),
                col(Update.state),
                col(Milestone.confidentiality),
            )
            .join(Visit, col(Visit.visit_id) == col(Milestone.visit_id))
            .join(Update, col(Update.update_id) == col(Milestone.update_id))
            .where(and_(col(Visit.state) != col(Update.state), condition))
        ):
            where, column = _first((updates, str(update_id), "state"), (visits, visit_id, "state"))
            if where is None:
                continue
            message = (
                f"the response_received milestone of visit {visit_id} names update {update_id}, which would then "
                f"be from {state}, not {visit_state}; keep the update's State"
            )
            problems.append((where[0], where[1], column, HIDDEN if level not in seen else message))
    return list(dict.fromkeys(problems))
