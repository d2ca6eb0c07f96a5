"""The items of a comparison one by one: the item table of a follow-up (its items under follow-up in
scope with their status, then its own findings), and the new issues and priority items read from it."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, case, func, literal, not_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.errors import NotFound
from tracker.models import Confidentiality, Finding, FindingKind, ThematicArea, Visit
from tracker.services.people.access import (
    Actor,
    continued_shown,
    effective_level,
    finding_visible,
    no_such,
    visible_continues,
)
from tracker.services.progress import register
from tracker.services.progress.visits import Pair, chunks, is_visible, pairs_of, resolve_visits, top_area, visit_of

if TYPE_CHECKING:
    import pandas as pd


ITEM_COLUMNS = [
    "finding_id",
    "visit_id",
    "role",
    "area",
    "sub_area",
    "kind",
    "priority",
    "severity",
    "title",
    "status",
    "status_group",
    "score",
    "evidence",
    "continues",
    "confidentiality",
    "area_name",
    "sub_area_name",
    "status_visit",
    "carried",
]
# Roles of the rows of an item table: items under follow-up, then the follow-up's own findings.
ITEM_ROLES = ("baseline", "intermediate")


def item_table(engine: Engine, actor: Actor, followup: str, level: str | Confidentiality | None = None) -> pd.DataFrame:
    """Each visible item under follow-up in the follow-up's scope with its status, then each follow-up finding.

    `role` is "baseline" for an item raised at the baseline visit, "intermediate" for one first
    raised at a visit between the baseline and the follow-up, "new" for a follow-up finding that
    continues no earlier finding and "continuing" for one that does. An item's `visit_id` is the
    visit that raised it; `status_visit` the visit whose assessment gave its status, and `carried`
    whether that was an earlier visit than the follow-up.
    """
    import pandas as pd

    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        visit = visit_of(connection, followup)
        if visit is None or not is_visible(connection, visit.visit_id, level):
            raise NotFound(no_such("visit", followup), "check the follow-up visit id")
        state, baseline_id, followup_id = resolve_visits(connection, visit.state, visit.visit_id, level)
        rows = [row[1:] for row in _item_rows(connection, [Pair(state.iso3, baseline_id, followup_id)], level)]
    return pd.DataFrame(rows, columns=ITEM_COLUMNS).astype({"priority": "bool", "score": "Int64", "carried": "bool"})


def item_rows(
    engine: Engine, actor: Actor, followups: Iterable[str], level: str | Confidentiality | None = None
) -> dict[str, list[dict[str, Any]]]:
    """`item_table` of each named follow-up visit, by its id, as rows of plain values (no score is None).

    A few queries read them all: a period report's tables need the rows, and a frame per follow-up
    would cost more than the queries.
    """
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        return item_rows_read(connection, pairs_of(connection, followups, level), level)


def item_rows_read(
    connection: Connection,
    pairs: list[Pair],
    level: Confidentiality,
    histories: dict[str, register.History] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """`item_rows` on an open connection (over the States' `histories` read with details, when given)."""
    found: dict[str, list[dict[str, Any]]] = {pair.followup: [] for pair in pairs}
    for followup_id, *values in _item_rows(connection, pairs, level, histories):
        row = dict(zip(ITEM_COLUMNS, values, strict=True))
        row["priority"] = bool(row["priority"])
        found[followup_id].append(row)
    return found


def area_order(connection: Connection) -> dict[str, tuple[Any, ...]]:
    """A sort key per area code: its top-level area's place, then its own."""
    parent = aliased(ThematicArea)
    return {
        code: (top_order, own_order)
        for code, top_order, own_order in connection.execute(
            select(
                col(ThematicArea.code),
                func.coalesce(col(parent.sort_order), col(ThematicArea.sort_order)),
                col(ThematicArea.sort_order),
            ).outerjoin(parent, col(parent.code) == col(ThematicArea.parent))
        )
    }


def _item_rows(
    connection: Connection,
    pairs: list[Pair],
    level: Confidentiality,
    histories: dict[str, register.History] | None = None,
) -> list[tuple[Any, ...]]:
    """The item table of each follow-up (resolved, with a visible baseline), its visit id first in each row."""
    if histories is None:
        histories = register.read_histories(connection, {pair.state for pair in pairs}, level)
    order = area_order(connection)
    own = _followup_rows(connection, [pair.followup for pair in pairs], level)
    rows: list[tuple[Any, ...]] = []
    for pair in pairs:
        now = register.register(histories[pair.state], pair.followup)
        items = sorted(
            now.in_scope(),
            key=lambda item: (
                item.raised_at != pair.baseline,
                order.get(item.finding.sub_area, (0, 0)),
                item.finding.finding_id,
            ),
        )
        for item in items:
            finding = item.finding
            rows.append(
                (
                    pair.followup,
                    finding.finding_id,
                    finding.visit_id,
                    "baseline" if item.raised_at == pair.baseline else "intermediate",
                    finding.area,
                    finding.sub_area,
                    finding.kind,
                    finding.priority,
                    finding.severity,
                    finding.title,
                    item.status,
                    item.group,
                    item.score,
                    item.evidence,
                    finding.continues or "",
                    finding.confidentiality,
                    finding.area_name,
                    finding.sub_area_name,
                    item.status_visit or "",
                    item.carried,
                )
            )
        rows += own.get(pair.followup, [])
    return rows


def _followup_rows(
    connection: Connection, followup_ids: list[str], level: Confidentiality
) -> dict[str, list[tuple[Any, ...]]]:
    """The follow-up's own visible findings as item-table rows, by follow-up, in taxonomy order."""
    parent = aliased(ThematicArea)
    found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for chunk in chunks(followup_ids):
        query = (
            select(
                col(Finding.visit_id).label("followup_visit"),
                col(Finding.finding_id),
                col(Finding.visit_id),
                case((not_(continued_shown(level)), literal("new")), else_=literal("continuing")).label("role"),
                top_area.label("area"),
                col(Finding.area).label("sub_area"),
                col(Finding.kind),
                col(Finding.priority),
                func.coalesce(col(Finding.severity), "").label("severity"),
                col(Finding.title),
                literal("").label("status"),
                literal("").label("status_group"),
                literal(None).label("score"),
                literal("").label("evidence"),
                func.coalesce(visible_continues(level), "").label("continues"),
                col(Finding.confidentiality),
                col(parent.name).label("area_name"),
                col(ThematicArea.name).label("sub_area_name"),
                literal("").label("status_visit"),
                literal(False).label("carried"),
            )
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
            .join(parent, col(parent.code) == top_area)
            .where(col(Finding.visit_id).in_(chunk), finding_visible(level))
            .order_by(
                col(Finding.visit_id), col(parent.sort_order), col(ThematicArea.sort_order), col(Finding.finding_id)
            )
        )
        # Plain tuples: pandas probes each row for attributes, which a Row answers slowly.
        for row in connection.execute(query).all():
            found[row[0]].append((*row[:-1], False))
    return found


# ---------------------------------------------------------------- new issues and priority items

# Kinds of follow-up finding that raise an issue, as opposed to recording progress, strengths or needs.
ISSUE_KINDS: tuple[FindingKind, ...] = (FindingKind.shortfall, FindingKind.recommendation, FindingKind.concern)


@dataclass(frozen=True)
class NewIssue:
    """A finding of the follow-up visit that raises an issue the baseline visit did not cover."""

    finding_id: str
    area: str
    area_name: str
    sub_area: str
    sub_area_name: str
    kind: str
    severity: str
    title: str
    priority: bool


@dataclass(frozen=True)
class PriorityItem:
    """An item under follow-up marked as a priority, with its status at the follow-up."""

    finding_id: str
    area: str
    area_name: str
    sub_area_name: str
    kind: str
    title: str
    status: str
    status_group: str
    evidence: str
    # The visit that raised the item, and the one whose assessment gave the status (carried if earlier).
    visit_id: str = ""
    status_visit: str = ""
    carried: bool = False


@dataclass(frozen=True)
class FollowupPriority:
    """A finding of the follow-up visit marked as a priority (it has no status: nothing assesses it yet)."""

    finding_id: str
    area: str
    area_name: str
    kind: str
    severity: str | None
    title: str


def new_issues(items: pd.DataFrame | list[dict[str, Any]]) -> list[NewIssue]:
    """The new issues of a follow-up, from its `item_table`: the one definition pages and reports share.

    A new issue is a follow-up shortfall, recommendation or concern that continues no finding visible
    at the level. TA needs, good practices and progress are reported in their own places, and a new
    issue is never a regression. `totals["new_gaps"]` counts the shortfalls among them.
    """
    kinds = {kind.value for kind in ISSUE_KINDS}
    return _typed_rows(NewIssue, [row for row in _rows(items) if row["role"] == "new" and row["kind"] in kinds])


def priority_items(items: pd.DataFrame | list[dict[str, Any]], kind: FindingKind | None = None) -> list[PriorityItem]:
    """The baseline items marked as priorities (of one kind, if given), in taxonomy order, with their status."""
    chosen = [
        row
        for row in _rows(items)
        if row["role"] in ITEM_ROLES and row["priority"] and (kind is None or row["kind"] == kind.value)
    ]
    return _typed_rows(PriorityItem, chosen)


def followup_priorities(items: pd.DataFrame | list[dict[str, Any]]) -> list[FollowupPriority]:
    """The follow-up's own findings marked as priorities, new or continuing one, in taxonomy order."""
    return _typed_rows(
        FollowupPriority, [row for row in _rows(items) if row["role"] not in ITEM_ROLES and row["priority"]]
    )


_Row = TypeVar("_Row", NewIssue, PriorityItem, FollowupPriority)


def _rows(items: pd.DataFrame | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An `item_table` frame, or the rows of `item_rows`, as rows."""
    from tracker.services.presentation.frames import records

    return items if isinstance(items, list) else records(items)


def _typed_rows(of: type[_Row], rows: list[dict[str, Any]]) -> list[_Row]:
    """Each row of an item table as the dataclass `of`, from the columns its fields name."""
    names = [field.name for field in dataclasses.fields(of)]
    fields: list[dict[str, Any]] = [{name: row[name] for name in names} | {"kind": str(row["kind"])} for row in rows]
    if "carried" in names:
        for values in fields:
            values["carried"] = bool(values["carried"])
    return [of(**values) for values in fields]


def as_frame(
    rows: list[NewIssue] | list[PriorityItem] | list[FollowupPriority],
    of: type[NewIssue] | type[PriorityItem] | type[FollowupPriority],
) -> pd.DataFrame:
    """Typed rows as a DataFrame for a page's table, with the dataclass's fields as columns."""
    import pandas as pd

    columns = [f.name for f in dataclasses.fields(of)]
    return pd.DataFrame([row.__dict__ for row in rows], columns=columns)
