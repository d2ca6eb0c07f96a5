"""Baseline versus follow-up progress per thematic area (docs/committee-figures.md), over a State's whole history.

The counts of the two visits' own findings come from grouped SQL queries; the items under
follow-up and their statuses from the State's history, read in a few queries (`register`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, Row, case, func, not_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker import taxonomy
from tracker.db import reading, require_schema
from tracker.models import (
    Confidentiality,
    Finding,
    FindingKind,
    MemberState,
    Status,
    ThematicArea,
    Visit,
    listed_state_name,
)
from tracker.services.people.access import (
    Actor,
    continued_shown,
    effective_level,
    finding_visible,
    visit_visible,
)
from tracker.services.progress import compared, kept_index, register
from tracker.services.progress.compared import (
    COUNT_FIELDS,
    HISTORY_FIELDS,
    AreaCounts,
    Block,
    Comparison,
    SincePrevious,
    Totals,
)
from tracker.services.progress.items import (
    ISSUE_KINDS,
    ITEM_COLUMNS,
    ITEM_ROLES,
    FollowupPriority,
    NewIssue,
    PriorityItem,
    area_order,
    as_frame,
    followup_priorities,
    item_rows,
    item_rows_read,
    item_table,
    new_issues,
    priority_items,
)
from tracker.services.progress.visits import Pair, chunks, pairs_of, resolve, resolve_visits, state_of, top_area

if TYPE_CHECKING:
    import pandas as pd

# What the item table, the visits compared and the typed result offer, read from here as before.
__all__ = [
    "COUNT_FIELDS",
    "HISTORY_FIELDS",
    "ISSUE_KINDS",
    "ITEM_COLUMNS",
    "ITEM_ROLES",
    "Comparison",
    "FollowupPriority",
    "NewIssue",
    "Pair",
    "PriorityItem",
    "area_order",
    "as_frame",
    "followup_priorities",
    "item_rows",
    "item_table",
    "new_issues",
    "priority_items",
    "resolve",
]

_C = TypeVar("_C", AreaCounts, Totals)

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


def implementation_index(score_sum: int, scored_items: int) -> float | None:
    """100 × mean(score / 4), rounded half up to one decimal; None when nothing is scored."""
    if not scored_items:
        return None
    exact = Decimal(100 * score_sum) / Decimal(4 * scored_items)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- the comparison, over the register


# Follow-up visits read per statement: the grouped queries name them in an IN list.
def _grouped_counts(
    connection: Connection, followup_ids: list[str], level: Confidentiality
) -> list[Row[*tuple[Any, ...]]]:
    """Visible findings of each follow-up and its baseline, grouped by follow-up, area, visit and kind.

    `new` counts those that continue no finding visible at the level.
    """
    followup = aliased(Visit)
    rows: list[Row[*tuple[Any, ...]]] = []
    for chunk in chunks(followup_ids):
        items = (
            select(
                col(followup.visit_id).label("followup_visit"),
                top_area.label("area"),
                col(Finding.visit_id),
                col(Finding.kind),
                # A link to a finding the reader may not see counts as no link.
                not_(continued_shown(level)).label("is_new"),
            )
            .select_from(followup)
            .join(Finding, col(Finding.visit_id).in_([col(followup.visit_id), col(followup.baseline_visit_id)]))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
            .where(col(followup.visit_id).in_(chunk), finding_visible(level))
            .subquery()
        )
        keys = (items.c.followup_visit, items.c.area, items.c.visit_id, items.c.kind)
        rows += connection.execute(
            select(*keys, func.count().label("n"), func.sum(case((items.c.is_new, 1), else_=0)).label("new")).group_by(
                *keys
            )
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


def _empty_counts() -> dict[str, Any]:
    return dict.fromkeys((*COUNT_FIELDS, *HISTORY_FIELDS), 0) | {"score_sum": 0, "scored_items": 0}


def _visit_counts(rows: Iterable[Any], baseline_id: str, followup: register.HistoryVisit) -> dict[str, dict[str, Any]]:
    """The counts of findings that are not items under follow-up, per area, from the grouped rows.

    The baseline's good practices and TA needs count within the follow-up's scope only.
    """
    per_area: dict[str, dict[str, Any]] = defaultdict(_empty_counts)
    for row in rows:
        kind = FindingKind(row.kind)
        if row.visit_id == baseline_id:
            if kind in _BASELINE_FIELDS and followup.covers(row.area):
                per_area[row.area][_BASELINE_FIELDS[kind]] += row.n
            continue
        counts = per_area[row.area]
        if kind in _FOLLOWUP_FIELDS:
            counts[_FOLLOWUP_FIELDS[kind]] += row.n
        if kind == FindingKind.shortfall:
            counts["new_gaps"] += row.new
        elif kind == FindingKind.recommendation:
            counts["followup_recs"] += row.new
    return per_area


def _published(counts: dict[str, Any], of: type[_C], **more: Any) -> _C:
    """The counts as the comparison shows them, with the index over the scored items."""
    return of(
        **{name: counts[name] for name in (*COUNT_FIELDS, *HISTORY_FIELDS)},
        implementation_index=implementation_index(counts["score_sum"], counts["scored_items"]),
        scored_items=counts["scored_items"],
        **more,
    )


def _block(
    order: list[str],
    others: dict[str, dict[str, Any]],
    items: list[register.Item],
    by_visit: dict[str, int] | None = None,
) -> Block:
    """Per area the counts of the other findings and of the items with their statuses, then their totals."""
    per_area: dict[str, dict[str, Any]] = defaultdict(_empty_counts)
    for area, counts in others.items():
        per_area[area] = dict(counts)
    status_counts = dict.fromkeys((s.value for s in Status), 0)
    for item in items:
        counts = per_area[item.finding.area]
        total_field, group_prefix = _TRACKED_FIELDS[FindingKind(item.finding.kind)]
        counts[total_field] += 1
        counts[group_prefix + item.group] += 1
        score = item.score
        if score is not None:
            counts["score_sum"] += score
            counts["scored_items"] += 1
        counts["carried"] += item.carried
        status_counts[item.status] += 1
    areas = []
    totals = _empty_counts()
    for code in order:
        if code not in per_area:
            continue
        counts = per_area[code]
        # An area is listed for its baseline counts; one holding only follow-up recommendations adds to the totals.
        if any(counts[name] for name in COUNT_FIELDS):
            areas.append(_published(counts, AreaCounts, area=code))
        for name in totals:
            totals[name] += counts[name]
    return Block(areas, _published(totals, Totals, items_by_visit=by_visit), status_counts)


def _since_previous(history: register.History, now: register.Register) -> SincePrevious | None:
    trend = register.since_previous(history, now)
    if trend is None:
        return None
    return SincePrevious(
        trend.followup,
        trend.items,
        implementation_index(trend.score_then, trend.items),
        implementation_index(trend.score_now, trend.items),
    )


def _comparisons(
    connection: Connection,
    pairs: list[Pair],
    level: Confidentiality,
    histories: dict[str, register.History] | None = None,
) -> dict[str, Comparison]:
    """The comparison of each follow-up with its baseline, by follow-up visit id, from a few reads for all
    (the States' `histories` at the level, when the caller has read them already)."""
    grouped: dict[str, list[Row[*tuple[Any, ...]]]] = defaultdict(list)
    for row in _grouped_counts(connection, [pair.followup for pair in pairs], level):
        grouped[row.followup_visit].append(row)
    if histories is None:
        histories = register.read_histories(connection, {pair.state for pair in pairs}, level, details=False)
    order = _top_areas(connection)
    results = {}
    for pair in pairs:
        history = histories[pair.state]
        now = register.register(history, pair.followup)
        others = _visit_counts(grouped.get(pair.followup, []), pair.baseline, now.followup)
        block = _block(order, others, now.baseline_items())
        in_scope = now.in_scope()
        raised = Counter(item.raised_at for item in in_scope)
        by_visit = {
            visit.visit_id: raised[visit.visit_id] for visit in history.ordered_visits() if raised[visit.visit_id]
        }
        results[pair.followup] = Comparison(
            state=pair.state,
            baseline_visit=pair.baseline,
            followup_visit=pair.followup,
            areas=block.areas,
            totals=block.totals,
            status_counts=block.status_counts,
            scope=[code for code in order if code in now.followup.scope] if now.followup.scope is not None else None,
            out_of_scope=now.out_of_scope(),
            out_of_scope_areas=[code for code in order if code in now.out_of_scope_areas()],
            all_items=_block(order, others, in_scope, by_visit),
            since_previous=_since_previous(history, now),
        )
    return results


def compare(
    engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level: str | Confidentiality | None = None
) -> Comparison:
    """The comparison (docs/committee-figures.md) of a state's follow-up visit (by default its latest) with its baseline."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        state, baseline_id, followup_id = resolve_visits(connection, iso3, followup, level)
        return _comparisons(connection, [Pair(state.iso3, baseline_id, followup_id)], level)[followup_id]


def compare_many(
    engine: Engine, actor: Actor, followups: Iterable[str], level: str | Confidentiality | None = None
) -> dict[str, Comparison]:
    """`compare` of each named follow-up visit, by its id, read in a few grouped queries for all of them."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        return _comparisons(connection, pairs_of(connection, followups, level), level)


def compare_with_items(
    engine: Engine, actor: Actor, followups: Iterable[str], level: str | Confidentiality | None = None
) -> tuple[dict[str, Comparison], dict[str, list[dict[str, Any]]]]:
    """`compare_many` and `item_rows` of the same follow-up visits, over one reading of their States' histories."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        pairs = pairs_of(connection, followups, level)
        histories = register.read_histories(connection, {pair.state for pair in pairs}, level)
        return _comparisons(connection, pairs, level, histories), item_rows_read(connection, pairs, level, histories)


def compare_read(
    connection: Connection, followups: Iterable[str], level: Confidentiality, histories: dict[str, register.History]
) -> dict[str, Comparison]:
    """`compare_many` on an open connection, over the States' histories already read at the level."""
    return _comparisons(connection, pairs_of(connection, followups, level), level, histories)


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


def areas_frame(result: Comparison, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The per-area rows of a comparison's baseline block as a table, with each area's name (stored names when given)."""
    return compared.areas_frame(result.baseline_block, area_names() if names is None else names)


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


def followup_visits(
    engine: Engine, actor: Actor, iso3: str | None = None, level: str | Confidentiality | None = None
) -> pd.DataFrame:
    """Visible follow-up visits whose baseline is visible too, latest first within each state."""
    import pandas as pd

    require_schema(engine)
    level = effective_level(actor, level)
    baseline = aliased(Visit)
    query = (
        select(
            col(Visit.visit_id),
            col(Visit.state),
            listed_state_name().label("name"),
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
            query = query.where(col(Visit.state) == state_of(connection, iso3).iso3)
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


def cross_state_index(engine: Engine, actor: Actor, level: str | Confidentiality | None = None) -> pd.DataFrame:
    """The implementation index of every visible follow-up per top-level area, and overall as "ALL".

    The index is over every item under follow-up in the follow-up's scope (`all_items`). An
    area appears when such an item is in it; "ALL" appears for every follow-up, with a null index
    when nothing is scored.
    """
    import pandas as pd

    visits = followup_visits(engine, actor, level=level)
    level = effective_level(actor, level)
    sums = [
        (found.followup, found.area, found.score_sum, found.scored_items)
        for found in kept_index.area_scores(engine, level)
    ]
    with reading(engine) as connection:
        order = {code: position for position, code in enumerate(_top_areas(connection))}
    scores = pd.DataFrame(sums, columns=["followup_visit", "area", "score_sum", "scored_items"])
    overall = scores.groupby("followup_visit", as_index=False)[["score_sum", "scored_items"]].sum().assign(area="ALL")
    scores = pd.concat([scores, overall], ignore_index=True) if len(scores) else overall
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


render_table = compared.render_table


def render_csv(result: Comparison, names: dict[str, str] | None = None) -> str:
    """The per-area rows and a TOTAL row as CSV, with `\\n` line ends and empty cells for no index."""
    return compared.render_csv(result, area_names() if names is None else names)
