"""Baseline versus follow-up progress per thematic area (DESIGN §3).

The counts come from grouped SQL queries over the two visits' findings: each finding is reduced
to (top-level area, visit, kind, status) in SQL, and only those few groups reach Python.
"""

from __future__ import annotations

import dataclasses
import functools
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, Row, Select, and_, case, func, literal, not_, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker import taxonomy
from tracker.db import reading, require_schema
from tracker.errors import NotFound, TrackerError
from tracker.models import (
    STATUS_GROUP,
    STATUS_SCORE,
    TRACKABLE_KINDS,
    Assessment,
    Confidentiality,
    Finding,
    FindingKind,
    MemberState,
    Status,
    StatusGroup,
    ThematicArea,
    Visit,
    VisitKind,
)
from tracker.services.access import (
    Actor,
    assessment_visible,
    continued_shown,
    effective_level,
    finding_visible,
    no_such,
    visible_continues,
    visit_visible,
)

if TYPE_CHECKING:
    import pandas as pd

COUNT_FIELDS: tuple[str, ...] = (
    "baseline_gaps",
    "gaps_closed",
    "gaps_progressing",
    "gaps_open",
    "gaps_excluded",
    "baseline_recommendations",
    "recs_closed",
    "recs_progressing",
    "recs_open",
    "recs_excluded",
    "followup_gaps",
    "new_gaps",
    "good_practices_baseline",
    "good_practices_followup",
    "ta_needs_baseline",
    "ta_needs_followup",
)

# Where a trackable baseline item of each kind is counted, overall and by status group.
_TRACKED_FIELDS = {
    FindingKind.shortfall: ("baseline_gaps", "gaps_"),
    FindingKind.recommendation: ("baseline_recommendations", "recs_"),
}
_BASELINE_FIELDS = {
    FindingKind.good_practice: "good_practices_baseline",
    FindingKind.ta_need: "ta_needs_baseline",
}
_FOLLOWUP_FIELDS = {
    FindingKind.shortfall: "followup_gaps",
    FindingKind.good_practice: "good_practices_followup",
    FindingKind.ta_need: "ta_needs_followup",
}
_TRACKABLE = [kind.value for kind in TRACKABLE_KINDS]

# The top-level area a finding counts under: a sub-area rolls up to its parent.
_top_area = func.coalesce(col(ThematicArea.parent), col(ThematicArea.code))


def _assessed_status() -> tuple:
    """The follow-up status, group and score of a trackable item, with the assessment left-joined."""
    status = func.coalesce(col(Assessment.status), literal(Status.not_assessed.value))
    group = case({s.value: g.value for s, g in STATUS_GROUP.items()}, value=status)
    score = case({s.value: v for s, v in STATUS_SCORE.items() if v is not None}, value=status)
    return status, group, score


def _assessment_join(followup_id, level: Confidentiality):
    """ON clause of the left join: only the assessment made at the follow-up, if visible."""
    return and_(
        col(Assessment.finding_id) == col(Finding.finding_id),
        col(Assessment.visit_id) == followup_id,
        assessment_visible(level),
    )


def implementation_index(score_sum: int, scored_items: int) -> float | None:
    """100 × mean(score / 4), rounded half up to one decimal; None when nothing is scored."""
    if not scored_items:
        return None
    exact = Decimal(100 * score_sum) / Decimal(4 * scored_items)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- choosing the visits


def _state(connection: Connection, iso3: str) -> Row[Any]:
    code = iso3.strip().upper()
    state = connection.execute(select(MemberState).where(col(MemberState.iso3) == code)).first()
    if state is None:
        raise NotFound(f"'{iso3}' is not a Member State code", "use an ISO 3166 alpha-3 code such as KOR")
    return state


def _is_followup():
    return or_(col(Visit.kind) == VisitKind.follow_up.value, col(Visit.baseline_visit_id).is_not(None))


def _visit(connection: Connection, visit_id: str):
    return connection.execute(select(Visit).where(col(Visit.visit_id) == visit_id)).first()


def _is_visible(connection: Connection, visit_id: str, level: Confidentiality) -> bool:
    return (
        connection.execute(
            select(col(Visit.visit_id)).where(col(Visit.visit_id) == visit_id, visit_visible(level))
        ).first()
        is not None
    )


def _resolve_visits(
    connection: Connection, iso3: str, followup: str | None, level: Confidentiality
) -> tuple[Row[Any], str, str]:
    """The state and its (baseline, follow-up) visit ids, or a one-sentence error."""
    state = _state(connection, iso3)
    if followup is None:
        latest = connection.execute(
            select(col(Visit.visit_id))
            .where(col(Visit.state) == state.iso3, _is_followup(), visit_visible(level))
            .order_by(col(Visit.start_date).desc(), col(Visit.visit_id).desc())
            .limit(1)
        ).scalar()
        if latest is None:
            raise NotFound(
                f"{state.name} ({state.iso3}) has no follow-up visit that you may see",
                "record a follow-up visit with a baseline_visit_id, or use a higher --level",
            )
        followup = latest
    visit = _visit(connection, followup)
    # A hidden visit is told in the words of a missing one, so that no refusal confirms it.
    if visit is None or not _is_visible(connection, visit.visit_id, level):
        raise NotFound(no_such("visit", followup), "check the visit id given to --followup")
    if visit.state != state.iso3:
        raise TrackerError(
            f"visit {visit.visit_id} is a visit of {visit.state}, not of {state.iso3}",
            f"give a follow-up visit of {state.iso3} or leave out --followup",
        )
    # The baseline is named by its follow-up: its own id may be above the level.
    if visit.baseline_visit_id is None or not _is_visible(connection, visit.baseline_visit_id, level):
        raise TrackerError(
            f"visit {visit.visit_id} has no baseline visit that you may see to compare with",
            "set its baseline_visit_id to the earlier visit it follows up, or use a higher --level",
        )
    return state, visit.baseline_visit_id, visit.visit_id


# ---------------------------------------------------------------- the §3 comparison

# Follow-up visits read per statement: the grouped queries name them in an IN list.
_CHUNK = 500


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _grouped_counts(connection: Connection, followup_ids: list[str], level: Confidentiality) -> list[Row[Any]]:
    """Visible findings of each follow-up and its baseline, grouped by follow-up, area, visit, kind and status."""
    followup = aliased(Visit)
    status, group, score = _assessed_status()
    trackable = and_(col(Finding.visit_id) == col(followup.baseline_visit_id), col(Finding.kind).in_(_TRACKABLE))
    rows: list[Row[Any]] = []
    for chunk in _chunks(followup_ids):
        items = (
            select(
                col(followup.visit_id).label("followup_visit"),
                _top_area.label("area"),
                col(Finding.visit_id),
                col(Finding.kind),
                case((trackable, status)).label("status"),
                case((trackable, group)).label("status_group"),
                case((trackable, score)).label("score"),
                # A link to a finding the reader may not see counts as no link.
                not_(continued_shown(level)).label("is_new"),
            )
            .select_from(followup)
            .join(Finding, col(Finding.visit_id).in_([col(followup.visit_id), col(followup.baseline_visit_id)]))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
            .outerjoin(Assessment, and_(trackable, _assessment_join(col(followup.visit_id), level)))
            .where(col(followup.visit_id).in_(chunk), finding_visible(level))
            .subquery()
        )
        keys = (items.c.followup_visit, items.c.area, items.c.visit_id, items.c.kind, items.c.status)
        rows += connection.execute(
            select(
                *keys,
                items.c.status_group,
                func.count().label("n"),
                func.sum(case((items.c.is_new, 1), else_=0)).label("new"),
                func.coalesce(func.sum(items.c.score), 0).label("score_sum"),
                func.count(items.c.score).label("scored"),
            ).group_by(*keys, items.c.status_group)
        ).all()
    return rows


def _top_areas(connection: Connection) -> list[str]:
    """Codes of the top-level areas in taxonomy order."""
    return list(
        connection.execute(
            select(col(ThematicArea.code))
            .where(col(ThematicArea.parent).is_(None))
            .order_by(col(ThematicArea.sort_order), col(ThematicArea.code))
        )
        .scalars()
        .all()
    )


def _empty_counts() -> dict:
    return dict.fromkeys(COUNT_FIELDS, 0) | {"score_sum": 0, "scored_items": 0}


def _fold(rows: Iterable, baseline_id: str) -> tuple[dict[str, dict], dict[str, int]]:
    """Sum the grouped rows into the §3 counts per area and the status counts."""
    per_area: dict[str, dict] = defaultdict(_empty_counts)
    status_counts = dict.fromkeys((s.value for s in Status), 0)
    for row in rows:
        counts = per_area[row.area]
        kind = FindingKind(row.kind)
        if row.visit_id == baseline_id:
            if kind in _TRACKED_FIELDS:
                total_field, group_prefix = _TRACKED_FIELDS[kind]
                counts[total_field] += row.n
                counts[group_prefix + row.status_group] += row.n
                counts["score_sum"] += row.score_sum
                counts["scored_items"] += row.scored
                status_counts[row.status] += row.n
            elif kind in _BASELINE_FIELDS:
                counts[_BASELINE_FIELDS[kind]] += row.n
        elif kind in _FOLLOWUP_FIELDS:
            counts[_FOLLOWUP_FIELDS[kind]] += row.n
            if kind == FindingKind.shortfall:
                counts["new_gaps"] += row.new
    return per_area, status_counts


def _published(counts: dict) -> dict:
    """The counts as §3 shows them: the 16 counts, the index and how many items it scores."""
    return {field: counts[field] for field in COUNT_FIELDS} | {
        "implementation_index": implementation_index(counts["score_sum"], counts["scored_items"]),
        "scored_items": counts["scored_items"],
    }


@dataclass(frozen=True)
class Pair:
    """A follow-up visit the reader may see, its State and its baseline visit (visible too)."""

    state: str
    baseline: str
    followup: str


def _comparisons(connection: Connection, pairs: list[Pair], level: Confidentiality) -> dict[str, dict]:
    """The §3 comparison of each follow-up with its baseline, by follow-up visit id, from one grouped read."""
    grouped: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in _grouped_counts(connection, [pair.followup for pair in pairs], level):
        grouped[row.followup_visit].append(row)
    order = _top_areas(connection)
    results = {}
    for pair in pairs:
        per_area, status_counts = _fold(grouped.get(pair.followup, []), pair.baseline)
        areas = []
        totals = _empty_counts()
        for code in order:
            counts = per_area.get(code)
            if counts is None or not any(counts[field] for field in COUNT_FIELDS):
                continue
            areas.append({"area": code} | _published(counts))
            for field in totals:
                totals[field] += counts[field]
        results[pair.followup] = {
            "state": pair.state,
            "baseline_visit": pair.baseline,
            "followup_visit": pair.followup,
            "areas": areas,
            "totals": _published(totals),
            "status_counts": status_counts,
        }
    return results


def resolve(engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level=None) -> Pair:
    """The follow-up visit of a state that `compare` would compare (by default its latest) and its baseline."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        state, baseline_id, followup_id = _resolve_visits(connection, iso3, followup, level)
    return Pair(state.iso3, baseline_id, followup_id)


def _pairs(connection: Connection, followups: Iterable[str], level: Confidentiality) -> list[Pair]:
    """Each named follow-up visit with its State and baseline, or the error `compare` gives for it."""
    ids = list(dict.fromkeys(followups))
    baseline = aliased(Visit)
    found: dict[str, Pair] = {}
    for chunk in _chunks(ids):
        query = select(col(Visit.visit_id), col(Visit.state), col(Visit.baseline_visit_id)).where(
            col(Visit.visit_id).in_(chunk),
            visit_visible(level),
            select(col(baseline.visit_id))
            .where(col(baseline.visit_id) == col(Visit.baseline_visit_id), visit_visible(level, baseline))
            .exists(),
        )
        found |= {
            row.visit_id: Pair(row.state, row.baseline_visit_id, row.visit_id) for row in connection.execute(query)
        }
    pairs = []
    for visit_id in ids:
        if visit_id not in found:
            # The full resolution names what is wrong: a missing or hidden visit, or its baseline.
            visit = _visit(connection, visit_id)
            if visit is None:
                raise NotFound(no_such("visit", visit_id), "check the follow-up visit id")
            _resolve_visits(connection, visit.state, visit_id, level)
        pairs.append(found[visit_id])
    return pairs


def compare(engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level=None) -> dict:
    """The DESIGN §3 comparison of a state's follow-up visit (by default its latest) with its baseline."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        state, baseline_id, followup_id = _resolve_visits(connection, iso3, followup, level)
        return _comparisons(connection, [Pair(state.iso3, baseline_id, followup_id)], level)[followup_id]


def compare_many(engine: Engine, actor: Actor, followups: Iterable[str], level=None) -> dict[str, dict]:
    """`compare` of each named follow-up visit, by its id, read in a few grouped queries for all of them."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        return _comparisons(connection, _pairs(connection, followups, level), level)


def area_names() -> dict[str, str]:
    """Names of the seeded thematic areas by code."""
    return {area.code: area.name for area in taxonomy.areas()}


def thematic_area_names(engine: Engine) -> dict[str, str]:
    """Names of every thematic area by code, as stored (users may add and rename areas), in taxonomy order."""
    require_schema(engine)
    parent = aliased(ThematicArea)
    query = (
        select(col(ThematicArea.code), col(ThematicArea.name))
        .outerjoin(parent, col(parent.code) == col(ThematicArea.parent))
        .order_by(
            func.coalesce(col(parent.sort_order), col(ThematicArea.sort_order)),
            col(ThematicArea.parent).is_not(None),
            col(ThematicArea.sort_order),
            col(ThematicArea.code),
        )
    )
    with reading(engine) as connection:
        return dict(connection.execute(query).all())


def areas_frame(result: dict, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The per-area rows of a comparison as a table, with each area's name (stored names when given)."""
    import numpy as np
    import pandas as pd

    names = area_names() if names is None else names
    areas = result["areas"]
    # Built column by column with its type: a report builds one per State.
    columns: dict[str, Any] = {
        "area": pd.Series([area["area"] for area in areas], dtype=None if areas else object),
        "area_name": pd.Series(
            [names.get(area["area"], area["area"]) for area in areas], dtype=None if areas else object
        ),
    }
    columns |= {field: np.array([area[field] for area in areas], dtype="int64") for field in COUNT_FIELDS}
    columns["implementation_index"] = np.array(
        [np.nan if area["implementation_index"] is None else area["implementation_index"] for area in areas],
        dtype="float64",
    )
    columns["scored_items"] = np.array([area["scored_items"] for area in areas], dtype="int64")
    return pd.DataFrame(columns)


# ---------------------------------------------------------------- item-level table


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
]


def item_table(engine: Engine, actor: Actor, followup: str, level=None) -> pd.DataFrame:
    """Each visible trackable baseline item with its follow-up status, then each follow-up finding.

    `role` is "baseline" for a trackable baseline item, "new" for a follow-up finding that
    continues no earlier finding and "continuing" for one that does.
    """
    import pandas as pd

    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        visit = _visit(connection, followup)
        if visit is None or not _is_visible(connection, visit.visit_id, level):
            raise NotFound(no_such("visit", followup), "check the follow-up visit id")
        _, _, followup_id = _resolve_visits(connection, visit.state, visit.visit_id, level)
        rows = [row[1:] for row in _item_rows(connection, [followup_id], level)]
    return pd.DataFrame(rows, columns=ITEM_COLUMNS).astype({"priority": "bool", "score": "Int64"})


def item_rows(engine: Engine, actor: Actor, followups: Iterable[str], level=None) -> dict[str, list[dict]]:
    """`item_table` of each named follow-up visit, by its id, as rows of plain values (no score is None).

    One query reads them all: a period report's tables need the rows, and a frame per follow-up
    would cost more than the query.
    """
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        followup_ids = [pair.followup for pair in _pairs(connection, followups, level)]
        found: dict[str, list[dict]] = {visit_id: [] for visit_id in followup_ids}
        for followup_id, *values in _item_rows(connection, followup_ids, level):
            row = dict(zip(ITEM_COLUMNS, values, strict=True))
            row["priority"] = bool(row["priority"])
            found[followup_id].append(row)
    return found


def _item_rows(connection: Connection, followup_ids: list[str], level: Confidentiality) -> list[tuple]:
    """The item table of each follow-up (resolved, with a visible baseline), its visit id first in each row."""
    followup = aliased(Visit)
    status, group, score = _assessed_status()
    is_baseline = col(Finding.visit_id) == col(followup.baseline_visit_id)
    parent = aliased(ThematicArea)
    rows: list[tuple] = []
    for chunk in _chunks(followup_ids):
        query = (
            select(
                col(followup.visit_id).label("followup_visit"),
                col(Finding.finding_id),
                col(Finding.visit_id),
                case(
                    (is_baseline, literal("baseline")),
                    (not_(continued_shown(level)), literal("new")),
                    else_=literal("continuing"),
                ).label("role"),
                _top_area.label("area"),
                col(Finding.area).label("sub_area"),
                col(Finding.kind),
                col(Finding.priority),
                func.coalesce(col(Finding.severity), "").label("severity"),
                col(Finding.title),
                case((is_baseline, status), else_=literal("")).label("status"),
                case((is_baseline, group), else_=literal("")).label("status_group"),
                case((is_baseline, score)).label("score"),
                func.coalesce(col(Assessment.evidence), "").label("evidence"),
                func.coalesce(visible_continues(level), "").label("continues"),
                col(Finding.confidentiality),
                col(parent.name).label("area_name"),
                col(ThematicArea.name).label("sub_area_name"),
            )
            .select_from(followup)
            .join(Finding, col(Finding.visit_id).in_([col(followup.visit_id), col(followup.baseline_visit_id)]))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
            .join(parent, col(parent.code) == _top_area)
            .outerjoin(Assessment, and_(is_baseline, _assessment_join(col(followup.visit_id), level)))
            .where(
                col(followup.visit_id).in_(chunk),
                or_(
                    and_(is_baseline, col(Finding.kind).in_(_TRACKABLE)),
                    col(Finding.visit_id) == col(followup.visit_id),
                ),
                finding_visible(level),
            )
            .order_by(
                col(followup.visit_id),
                case((is_baseline, 0), else_=1),
                col(parent.sort_order),
                col(ThematicArea.sort_order),
                col(Finding.finding_id),
            )
        )
        # Plain tuples: pandas probes each row for attributes, which a Row answers slowly.
        rows += map(tuple, connection.execute(query).all())
    return rows


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
    """A baseline shortfall or recommendation marked as a priority, with its status at the follow-up."""

    finding_id: str
    area: str
    area_name: str
    sub_area_name: str
    kind: str
    title: str
    status: str
    status_group: str
    evidence: str


@dataclass(frozen=True)
class FollowupPriority:
    """A finding of the follow-up visit marked as a priority (it has no status: nothing assesses it yet)."""

    finding_id: str
    area: str
    area_name: str
    kind: str
    severity: str | None
    title: str


def new_issues(items: pd.DataFrame | list[dict]) -> list[NewIssue]:
    """The new issues of a follow-up, from its `item_table`: the one definition pages and reports share.

    A new issue is a follow-up shortfall, recommendation or concern that continues no finding visible
    at the level. TA needs, good practices and progress are reported in their own places, and a new
    issue is never a regression. `totals["new_gaps"]` counts the shortfalls among them.
    """
    kinds = {kind.value for kind in ISSUE_KINDS}
    return _typed_rows(NewIssue, [row for row in _rows(items) if row["role"] == "new" and row["kind"] in kinds])


def priority_items(items: pd.DataFrame | list[dict], kind: FindingKind | None = None) -> list[PriorityItem]:
    """The baseline items marked as priorities (of one kind, if given), in taxonomy order, with their status."""
    chosen = [
        row
        for row in _rows(items)
        if row["role"] == "baseline" and row["priority"] and (kind is None or row["kind"] == kind.value)
    ]
    return _typed_rows(PriorityItem, chosen)


def followup_priorities(items: pd.DataFrame | list[dict]) -> list[FollowupPriority]:
    """The follow-up's own findings marked as priorities, new or continuing one, in taxonomy order."""
    return _typed_rows(FollowupPriority, [row for row in _rows(items) if row["role"] != "baseline" and row["priority"]])


_Row = TypeVar("_Row", NewIssue, PriorityItem, FollowupPriority)


def _rows(items: pd.DataFrame | list[dict]) -> list[dict]:
    """An `item_table` frame, or the rows of `item_rows`, as rows."""
    from tracker.services.frames import records

    return items if isinstance(items, list) else records(items)


def _typed_rows(of: type[_Row], rows: list[dict]) -> list[_Row]:
    """Each row of an item table as the dataclass `of`, from the columns its fields name."""
    names = [field.name for field in dataclasses.fields(of)]
    fields: list[dict[str, Any]] = [{name: row[name] for name in names} | {"kind": str(row["kind"])} for row in rows]
    return [of(**values) for values in fields]


def as_frame(
    rows: list[NewIssue] | list[PriorityItem] | list[FollowupPriority],
    of: type[NewIssue] | type[PriorityItem] | type[FollowupPriority],
) -> pd.DataFrame:
    """Typed rows as a DataFrame for a page's table, with the dataclass's fields as columns."""
    import pandas as pd

    columns = [f.name for f in dataclasses.fields(of)]
    return pd.DataFrame([row.__dict__ for row in rows], columns=columns)


# ---------------------------------------------------------------- across states


FOLLOWUP_COLUMNS = [
    "visit_id",
    "state",
    "state_name",
    "region",
    "start_date",
    "end_date",
    "baseline_visit_id",
    "baseline_start_date",
    "lead",
]


def followup_visits(engine: Engine, actor: Actor, iso3: str | None = None, level=None) -> pd.DataFrame:
    """Visible follow-up visits whose baseline is visible too, latest first within each state."""
    import pandas as pd

    require_schema(engine)
    level = effective_level(actor, level)
    baseline = aliased(Visit)
    query = (
        select(
            col(Visit.visit_id),
            col(Visit.state),
            col(MemberState.name),
            col(MemberState.region),
            col(Visit.start_date),
            col(Visit.end_date),
            col(Visit.baseline_visit_id),
            col(baseline.start_date),
            col(Visit.lead),
        )
        .join(MemberState, col(MemberState.iso3) == col(Visit.state))
        .join(baseline, col(baseline.visit_id) == col(Visit.baseline_visit_id))
        .where(visit_visible(level), visit_visible(level, baseline))
        .order_by(col(Visit.state), col(Visit.start_date).desc(), col(Visit.visit_id))
    )
    with reading(engine) as connection:
        if iso3 is not None:
            query = query.where(col(Visit.state) == _state(connection, iso3).iso3)
        return pd.DataFrame(connection.execute(query).all(), columns=FOLLOWUP_COLUMNS)


CROSS_STATE_COLUMNS = [
    "state",
    "state_name",
    "region",
    "followup_visit",
    "baseline_visit",
    "start_date",
    "area",
    "implementation_index",
    "scored_items",
]


def cross_state_index(engine: Engine, actor: Actor, level=None) -> pd.DataFrame:
    """The implementation index of every visible follow-up per top-level area, and overall as "ALL".

    An area appears when the baseline has a visible trackable item in it; "ALL" appears for every
    follow-up, with a null index when nothing is scored.
    """
    import pandas as pd

    visits = followup_visits(engine, actor, level=level)
    level = effective_level(actor, level)
    followup = aliased(Visit)
    baseline = aliased(Visit)
    *_, score = _assessed_status()
    query: Select = (
        select(
            col(followup.visit_id).label("followup_visit"),
            _top_area.label("area"),
            func.coalesce(func.sum(score), 0).label("score_sum"),
            func.count(score).label("scored_items"),
        )
        .select_from(followup)
        .join(baseline, col(baseline.visit_id) == col(followup.baseline_visit_id))
        .join(Finding, col(Finding.visit_id) == col(baseline.visit_id))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
        .outerjoin(Assessment, _assessment_join(col(followup.visit_id), level))
        .where(
            visit_visible(level, followup),
            visit_visible(level, baseline),
            col(Finding.kind).in_(_TRACKABLE),
            finding_visible(level),
        )
        .group_by(col(followup.visit_id), _top_area)
    )
    with reading(engine) as connection:
        scores = pd.DataFrame(connection.execute(query).all(), columns=list(query.selected_columns.keys()))
        order = {code: position for position, code in enumerate(_top_areas(connection))}
    overall = scores.groupby("followup_visit", as_index=False)[["score_sum", "scored_items"]].sum().assign(area="ALL")
    scores = pd.concat([scores, overall], ignore_index=True)
    visits = visits.rename(columns={"visit_id": "followup_visit", "baseline_visit_id": "baseline_visit"})
    frame = visits.merge(scores, on="followup_visit", how="left")
    frame["area"] = frame["area"].fillna("ALL")
    frame[["score_sum", "scored_items"]] = frame[["score_sum", "scored_items"]].fillna(0).astype("int64")
    frame["implementation_index"] = [
        implementation_index(s, n) for s, n in zip(frame["score_sum"], frame["scored_items"])
    ]
    frame["area_order"] = frame["area"].map(order).fillna(len(order))
    frame = frame.sort_values(
        ["state", "start_date", "followup_visit", "area_order"], ascending=[True, False, True, True]
    )
    return frame[CROSS_STATE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- plain-text and CSV renderings


# Column groups of the text table: (short header, field); the legend explains the headers.
_TABLE_GROUPS = [
    [("gaps", "baseline_gaps"), *((group[:2], f"gaps_{group}") for group in StatusGroup)],
    [("recs", "baseline_recommendations"), *((group[:2], f"recs_{group}") for group in StatusGroup)],
    [("f-gaps", "followup_gaps"), ("new", "new_gaps")],
    [("gp-b", "good_practices_baseline"), ("gp-f", "good_practices_followup")],
    [("ta-b", "ta_needs_baseline"), ("ta-f", "ta_needs_followup")],
    [("index", "implementation_index"), ("n", "scored_items")],
]
_LEGEND = (
    "gaps, recs: baseline shortfalls and recommendations, and how many are now closed (cl), "
    "progressing (pr), open (op) or excluded (ex); f-gaps: shortfalls found at the follow-up, new: "
    "those that continue no earlier finding; gp, ta: good practices and TA needs at the baseline (b) "
    "and the follow-up (f); index: implementation index (0-100) over n scored items."
)


def _cell(value) -> str:
    return "-" if value is None else str(value)


def render_table(result: dict, width: int = 100) -> str:
    """The comparison as plain text for a terminal of `width` columns."""
    rows = [*result["areas"], {"area": "TOTAL"} | result["totals"]]
    columns = [[("area", [row["area"] for row in rows])]] + [
        [(header, [_cell(row[field]) for row in rows]) for header, field in group] for group in _TABLE_GROUPS
    ]

    def line(index: int | None) -> str:
        groups = []
        for group in columns:
            cells = []
            for header, values in group:
                size = max(len(header), *map(len, values))
                text = header if index is None else values[index]
                cells.append(text.ljust(size) if header == "area" else text.rjust(size))
            groups.append(" ".join(cells))
        return " | ".join(groups)

    header = line(None)
    rule = "-" * len(header)
    body = [line(index) for index in range(len(rows))]
    statuses = ", ".join(f"{status} {count}" for status, count in result["status_counts"].items())
    trackable = sum(result["status_counts"].values())
    wrap = functools.partial(textwrap.fill, width=width, break_on_hyphens=False)
    return "\n".join(
        [
            f"{result['state']}: follow-up visit {result['followup_visit']} "
            f"compared with baseline visit {result['baseline_visit']}",
            "",
            header,
            rule,
            *body[:-1],
            rule,
            body[-1],
            "",
            wrap(_LEGEND),
            "",
            wrap(f"Status of the {trackable} baseline items: {statuses}."),
        ]
    )


def render_csv(result: dict, names: dict[str, str] | None = None) -> str:
    """The per-area rows and a TOTAL row as CSV, with `\\n` line ends and empty cells for no index."""
    import pandas as pd

    frame = areas_frame(result, names)
    totals = pd.DataFrame([{"area": "TOTAL", "area_name": "All areas"} | result["totals"]], columns=frame.columns)
    return pd.concat([frame, totals], ignore_index=True).to_csv(index=False, lineterminator="\n")
