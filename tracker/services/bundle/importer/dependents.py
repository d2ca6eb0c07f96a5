"""Stored rows that refer to a row the import updated, checked again once it is written."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, literal, not_, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.models import TRACKABLE_KINDS, Finding, ThematicArea, Visit
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer.result import RowError
from tracker.services.bundle.importer.state import BATCH_SIZE, Context, chunks
from tracker.services.bundle.update_checks import moved_update_problems
from tracker.services.progress.register import out_of_scope_message


def dependent_problems(connection: Connection, context: Context) -> list[RowError]:
    """Stored rows that refer to an updated row must still hold once it changed: a follow-up
    after its baseline, a continued finding earlier than the one continuing it, an assessed
    finding trackable and assessed later, a sub-area's parent top-level. Checked on the rows as
    written, within the import's transaction; each problem is told on the updated row's line."""
    visits, findings, areas = (context.moved.get(e, {}) for e in ("visit", "finding", "thematic_area"))
    problems: dict[tuple[str, int, str, str], None] = {}
    seen = context.level.visible_levels()

    def note(where: tuple[str, int], column: str, message: str) -> None:
        problems[(where[0], where[1], column, message)] = None

    def hidden_note(where: tuple[str, int], column: str) -> None:
        note(
            where,
            column,
            "a stored row you may not see depends on this value; keep it, or ask a colleague to change both",
        )

    follow, base = aliased(Visit), aliased(Visit)
    for condition in _touching(visits, col(follow.visit_id), col(base.visit_id)):
        for f_id, b_id, f_level in connection.execute(
            select(col(follow.visit_id), col(base.visit_id), col(follow.confidentiality))
            .join(base, col(base.visit_id) == col(follow.baseline_visit_id))
            .where(or_(col(follow.state) != col(base.state), col(follow.start_date) <= col(base.start_date)), condition)
        ):
            if b_id in visits:
                if f_level not in seen:
                    hidden_note(visits[b_id], "start_date")
                else:
                    note(
                        visits[b_id],
                        "start_date",
                        f"visit {f_id} follows up on this visit and would no longer be a later visit to the same state; keep its state and dates, or change {f_id} first",
                    )
            else:
                note(
                    visits[f_id],
                    "start_date",
                    f"its baseline {b_id} would no longer be an earlier visit to the same state; keep its state and dates",
                )

    later, earlier = aliased(Finding), aliased(Finding)
    later_visit, earlier_visit = aliased(Visit), aliased(Visit)
    conditions = list(_touching(findings, col(later.finding_id), col(earlier.finding_id))) + list(
        _touching(visits, col(later_visit.visit_id), col(earlier_visit.visit_id))
    )
    for condition in conditions:
        for l_id, e_id, l_visit, e_visit, l_level, lv_level in connection.execute(
            select(
                col(later.finding_id),
                col(earlier.finding_id),
                col(later.visit_id),
                col(earlier.visit_id),
                col(later.confidentiality),
                col(later_visit.confidentiality),
            )
            .join(earlier, col(earlier.finding_id) == col(later.continues))
            .join(later_visit, col(later_visit.visit_id) == col(later.visit_id))
            .join(earlier_visit, col(earlier_visit.visit_id) == col(earlier.visit_id))
            .where(
                or_(
                    col(later_visit.state) != col(earlier_visit.state),
                    col(later_visit.start_date) <= col(earlier_visit.start_date),
                ),
                condition,
            )
        ):
            where, column = (
                (findings[e_id], "visit_id")
                if e_id in findings
                else (findings[l_id], "visit_id")
                if l_id in findings
                else (visits.get(e_visit) or visits[l_visit], "start_date")
            )
            if l_level not in seen or lv_level not in seen:
                hidden_note(where, column)
            else:
                note(
                    where,
                    column,
                    f"finding {l_id} continues {e_id}, which would no longer be from an earlier visit to the same state; keep the visits in order, or change {l_id} first",
                )

    assessed, assessed_visit = aliased(Finding), aliased(Visit)
    assessing = aliased(Visit)
    table = SPECS["assessments.csv"].table
    conditions = list(_touching(findings, col(assessed.finding_id))) + list(
        _touching(visits, col(assessed_visit.visit_id), col(assessing.visit_id))
    )
    for condition in conditions:
        for f_id, v_id, f_visit, kind, a_level, av_level in connection.execute(
            select(
                col(assessed.finding_id),
                col(assessing.visit_id),
                col(assessed.visit_id),
                col(assessed.kind),
                table.c.confidentiality,
                col(assessing.confidentiality),
            )
            .select_from(table)
            .join(assessed, col(assessed.finding_id) == table.c.finding_id)
            .join(assessed_visit, col(assessed_visit.visit_id) == col(assessed.visit_id))
            .join(assessing, col(assessing.visit_id) == table.c.visit_id)
            .where(
                or_(
                    col(assessed.kind).notin_(list(TRACKABLE_KINDS)),
                    col(assessing.state) != col(assessed_visit.state),
                    col(assessing.start_date) <= col(assessed_visit.start_date),
                ),
                condition,
            )
        ):
            where = findings.get(f_id) or visits.get(f_visit) or visits[v_id]
            column = "start_date" if f_id not in findings else ("kind" if kind not in TRACKABLE_KINDS else "visit_id")
            if a_level not in seen or av_level not in seen:
                hidden_note(where, column)
            elif kind not in TRACKABLE_KINDS:
                note(
                    where,
                    column,
                    f"finding {f_id} is assessed at {v_id}, and only shortfalls and recommendations are assessed; keep its kind",
                )
            else:
                note(
                    where,
                    column,
                    f"finding {f_id} is assessed at {v_id}, which would no longer be a later visit to the same state; keep the visits in order",
                )

    # An assessment stays within the scope of the visit that made it (docs/committee-figures.md).
    top = func.coalesce(col(ThematicArea.parent), col(ThematicArea.code))
    outside = and_(
        col(assessing.scope) != "",
        not_(literal(";").concat(col(assessing.scope)).concat(";").contains(literal(";").concat(top).concat(";"))),
    )
    conditions = list(_touching(findings, col(assessed.finding_id))) + list(_touching(visits, col(assessing.visit_id)))
    for condition in conditions:
        for f_id, v_id, area, top_area, a_level in connection.execute(
            select(col(assessed.finding_id), col(assessing.visit_id), col(assessed.area), top, table.c.confidentiality)
            .select_from(table)
            .join(assessed, col(assessed.finding_id) == table.c.finding_id)
            .join(assessing, col(assessing.visit_id) == table.c.visit_id)
            .join(ThematicArea, col(ThematicArea.code) == col(assessed.area))
            .where(outside, condition)
        ):
            where, column = (findings[f_id], "area") if f_id in findings else (visits[v_id], "scope")
            if a_level not in seen:
                hidden_note(where, column)
            else:
                note(where, column, out_of_scope_message(f_id, area, top_area, v_id))

    child, parent = aliased(ThematicArea), aliased(ThematicArea)
    for condition in _touching(areas, col(parent.code)):
        for child_code, parent_code in connection.execute(
            select(col(child.code), col(parent.code))
            .join(parent, col(parent.code) == col(child.parent))
            .where(col(parent.parent).is_not(None), condition)
        ):
            note(
                areas[parent_code],
                "parent",
                f"{child_code} is a sub-area of {parent_code}, which cannot become a sub-area itself; give {child_code} another parent first",
            )
    problems |= dict.fromkeys(moved_update_problems(connection, context.moved, context.level))
    return [RowError(*problem) for problem in problems]


def _touching(moved: dict[str, Any], *columns: Any) -> Iterator[ColumnElement[bool]]:
    """Conditions, a batch of keys at a time, for rows whose columns name a moved row."""
    for chunk in chunks(list(moved), BATCH_SIZE):
        yield or_(*(column.in_(chunk) for column in columns))
