"""Which visits a comparison compares: a State's follow-up (by default its latest) and its baseline,
both visible at the level, or the one sentence that says why not."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.errors import NotFound, TrackerError
from tracker.models import Confidentiality, MemberState, ThematicArea, Visit, VisitKind
from tracker.services.people.access import Actor, effective_level, no_such, visit_visible

# The top-level area a finding counts under: a sub-area rolls up to its parent.
top_area = func.coalesce(col(ThematicArea.parent), col(ThematicArea.code))


def state_of(connection: Connection, iso3: str) -> Row[*tuple[Any, ...]]:
    code = iso3.strip().upper()
    state = connection.execute(select(MemberState).where(col(MemberState.iso3) == code)).first()
    if state is None:
        raise NotFound(f"'{iso3}' is not a Member State code", "use an ISO 3166 alpha-3 code such as KOR")
    return state


def is_followup() -> ColumnElement[bool]:
    return or_(col(Visit.kind) == VisitKind.follow_up.value, col(Visit.baseline_visit_id).is_not(None))


def visit_of(connection: Connection, visit_id: str) -> Row[Visit] | None:
    return connection.execute(select(Visit).where(col(Visit.visit_id) == visit_id)).first()


def is_visible(connection: Connection, visit_id: str, level: Confidentiality) -> bool:
    return (
        connection.execute(
            select(col(Visit.visit_id)).where(col(Visit.visit_id) == visit_id, visit_visible(level))
        ).first()
        is not None
    )


# How a page says "use a higher --level".
HIGHER_LEVEL = (
    "record a follow-up visit with its baseline visit on the Visits and meetings page, "
    "or choose a higher confidentiality level"
)


def resolve_visits(
    connection: Connection, iso3: str, followup: str | None, level: Confidentiality
) -> tuple[Row[*tuple[Any, ...]], str, str]:
    """The state and its (baseline, follow-up) visit ids, or a one-sentence error."""
    state = state_of(connection, iso3)
    if followup is None:
        latest = connection.execute(
            select(col(Visit.visit_id))
            .where(col(Visit.state) == state.iso3, is_followup(), visit_visible(level))
            .order_by(col(Visit.start_date).desc(), col(Visit.visit_id).desc())
            .limit(1)
        ).scalar()
        if latest is None:
            raise NotFound(
                f"{state.name} ({state.iso3}) has no follow-up visit that you may see",
                "record a follow-up visit with a baseline_visit_id, or use a higher --level",
                page_hint=HIGHER_LEVEL,
            )
        followup = latest
    visit = visit_of(connection, followup)
    # A hidden visit is told in the words of a missing one, so that no refusal confirms it.
    if visit is None or not is_visible(connection, visit.visit_id, level):
        raise NotFound(
            no_such("visit", followup),
            "check the visit id given to --followup",
            page_hint="choose one of the follow-up visits offered, or a higher confidentiality level",
        )
    if visit.state != state.iso3:
        raise TrackerError(
            f"visit {visit.visit_id} is a visit of {visit.state}, not of {state.iso3}",
            f"give a follow-up visit of {state.iso3} or leave out --followup",
            page_hint=f"choose a follow-up visit of {state.iso3}",
        )
    # The baseline is named by its follow-up: its own id may be above the level.
    if visit.baseline_visit_id is None or not is_visible(connection, visit.baseline_visit_id, level):
        raise TrackerError(
            f"visit {visit.visit_id} has no baseline visit that you may see to compare with",
            "set its baseline_visit_id to the earlier visit it follows up, or use a higher --level",
            page_hint="give it its baseline visit on the Visits and meetings page, or choose a higher confidentiality level",
        )
    return state, visit.baseline_visit_id, visit.visit_id


CHUNK = 500


def chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@dataclass(frozen=True)
class Pair:
    """A follow-up visit the reader may see, its State and its baseline visit (visible too)."""

    state: str
    baseline: str
    followup: str


def resolve(
    engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level: str | Confidentiality | None = None
) -> Pair:
    """The follow-up visit of a state that `compare` would compare (by default its latest) and its baseline."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        state, baseline_id, followup_id = resolve_visits(connection, iso3, followup, level)
    return Pair(state.iso3, baseline_id, followup_id)


def pairs_of(connection: Connection, followups: Iterable[str], level: Confidentiality) -> list[Pair]:
    """Each named follow-up visit with its State and baseline, or the error `compare` gives for it."""
    ids = list(dict.fromkeys(followups))
    baseline = aliased(Visit)
    found: dict[str, Pair] = {}
    for chunk in chunks(ids):
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
            visit = visit_of(connection, visit_id)
            if visit is None:
                raise NotFound(no_such("visit", visit_id), "check the follow-up visit id")
            resolve_visits(connection, visit.state, visit_id, level)
        pairs.append(found[visit_id])
    return pairs
