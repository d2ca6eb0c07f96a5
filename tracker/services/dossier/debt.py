"""The assessment debt (docs/dossier.md): per top-level area, the resolutions the area concerns that
the Security Council adopted after the State's last visit that covered the area, and the areas no
visit ever covered.

An area concerns a resolution when the team's map says so (`area_resolution`, seeded and editable)
or when any finding of the area that the reader may see, of any State, is tagged with it. A visit
covers an area when its scope names the area or is blank (every area); only visits that assess do
(comprehensive, focused, follow-up, desk review), not regional or advocacy visits.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, func, select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.models import (
    AreaResolution,
    Confidentiality,
    Finding,
    FindingResolution,
    MemberState,
    Resolution,
    ThematicArea,
    Visit,
    VisitKind,
    listed_state_name,
    scope_codes,
)
from tracker.services.dossier.model import AreaDebt, OwedResolution, years_between
from tracker.services.people.access import Actor, effective_level, finding_visible, visit_visible

ASSESSING_KINDS: tuple[str, ...] = tuple(
    kind.value for kind in (VisitKind.comprehensive, VisitKind.focused, VisitKind.follow_up, VisitKind.desk_review)
)
_TOP_AREA = func.coalesce(col(ThematicArea.parent), col(ThematicArea.code))


@dataclass(frozen=True)
class CoveringVisit:
    visit_id: str
    start_date: dt.date
    # The top-level areas covered; None for every area.
    scope: frozenset[str] | None

    def covers(self, area: str) -> bool:
        return self.scope is None or area in self.scope


@dataclass(frozen=True)
class DebtBasis:
    """What the debt of any State is worked out from, read once at one level."""

    # Top-level areas in taxonomy order: (code, name).
    areas: list[tuple[str, str]]
    concerns: dict[str, set[int]]
    resolutions: dict[int, OwedResolution]


def top_areas(connection: Connection) -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in connection.execute(
            select(col(ThematicArea.code), col(ThematicArea.name))
            .where(col(ThematicArea.parent).is_(None))
            .order_by(col(ThematicArea.sort_order), col(ThematicArea.code))
        )
    ]


def concerned_resolutions(
    connection: Connection, level: Confidentiality, only: Collection[int] | None = None
) -> dict[str, set[int]]:
    """The resolutions each top-level area concerns: the map's pairs that apply, and those tagged on
    the area's visible findings anywhere in the database; of the resolutions `only` names, if given."""
    concerns: dict[str, set[int]] = defaultdict(set)
    mapped = select(col(AreaResolution.area), col(AreaResolution.resolution)).where(
        col(AreaResolution.applies).is_(True)
    )
    tagged = (
        select(_TOP_AREA, col(FindingResolution.resolution))
        .select_from(FindingResolution)
        .join(Finding, col(Finding.finding_id) == col(FindingResolution.finding_id))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
        .where(finding_visible(level))
        .distinct()
    )
    if only is not None:
        if not only:
            return concerns
        mapped = mapped.where(col(AreaResolution.resolution).in_(sorted(only)))
        tagged = tagged.where(col(FindingResolution.resolution).in_(sorted(only)))
    for query in (mapped, tagged):
        for area, number in connection.execute(query):
            concerns[area].add(number)
    return concerns


def read_resolutions(connection: Connection) -> dict[int, OwedResolution]:
    return {
        number: OwedResolution(number, title, adopted_on, year)
        for number, title, adopted_on, year in connection.execute(
            select(col(Resolution.number), col(Resolution.title), col(Resolution.adopted_on), col(Resolution.year))
        )
    }


def read_basis(connection: Connection, level: Confidentiality) -> DebtBasis:
    return DebtBasis(top_areas(connection), concerned_resolutions(connection, level), read_resolutions(connection))


def state_basis(connection: Connection, level: Confidentiality, visits: list[CoveringVisit]) -> DebtBasis:
    """What one State's debt is worked out from: only the resolutions adopted after the earliest of its
    areas' last coverings can be owed, so only those are looked for among the tagged findings (all of
    them when an area was never covered)."""
    areas, resolutions = top_areas(connection), read_resolutions(connection)
    lasts = [next((v.start_date for v in reversed(visits) if v.covers(area)), None) for area, _ in areas]
    only = None
    if lasts and all(day is not None for day in lasts):
        earliest = min(day for day in lasts if day is not None)
        only = {number for number, resolution in resolutions.items() if adopted_after(resolution, earliest)}
    return DebtBasis(areas, concerned_resolutions(connection, level, only), resolutions)


def covering_visits(
    connection: Connection, level: Confidentiality, states: Iterable[str] | None = None
) -> dict[str, list[CoveringVisit]]:
    """Each State's visible visits that assess, oldest first."""
    query = select(col(Visit.state), col(Visit.visit_id), col(Visit.start_date), col(Visit.scope)).where(
        col(Visit.kind).in_(ASSESSING_KINDS), visit_visible(level)
    )
    if states is not None:
        query = query.where(col(Visit.state).in_(sorted(set(states))))
    found: dict[str, list[CoveringVisit]] = defaultdict(list)
    for state, visit_id, start, scope in connection.execute(
        query.order_by(col(Visit.state), col(Visit.start_date), col(Visit.visit_id))
    ):
        codes = scope_codes(scope)
        found[state].append(CoveringVisit(visit_id, start, frozenset(codes) if codes else None))
    return found


def adopted_after(resolution: OwedResolution, day: dt.date) -> bool:
    """Adopted after the day; a resolution with no adoption day, in a later year."""
    if resolution.adopted_on is not None:
        return resolution.adopted_on > day
    return resolution.year > day.year


def area_debts(basis: DebtBasis, visits: list[CoveringVisit], today: dt.date) -> list[AreaDebt]:
    """Every top-level area's debt for a State with these visits (oldest first)."""
    debts = []
    for area, name in basis.areas:
        last = next((visit for visit in reversed(visits) if visit.covers(area)), None)
        concerned = [basis.resolutions[n] for n in sorted(basis.concerns.get(area, ())) if n in basis.resolutions]
        if last is None:
            debts.append(AreaDebt(area, name, None, None, None, concerned))
            continue
        owed = [resolution for resolution in concerned if adopted_after(resolution, last.start_date)]
        debts.append(AreaDebt(area, name, last.visit_id, last.start_date, years_between(last.start_date, today), owed))
    return debts


DEBT_COLUMNS = [
    "state",
    "state_name",
    "region",
    "owed",
    "areas_in_debt",
    "never_covered",
    "years_since_covered",
    "last_visit",
    "last_visit_on",
]


def debt_by_state(
    engine: Engine, actor: Actor, level: str | Confidentiality | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """One row per State with a visible visit that assesses: the resolutions it owes an assessment of
    (once per area), the areas in debt, the areas no visit covered, the most years since an area was
    last covered, and its last such visit; most owed first."""
    require_schema(engine)
    level = effective_level(actor, level)
    today = today or dt.date.today()
    with reading(engine) as connection:
        basis = read_basis(connection, level)
        visits = covering_visits(connection, level)
        names = {
            iso3: (name, region)
            for iso3, name, region in connection.execute(
                select(col(MemberState.iso3), listed_state_name(), col(MemberState.region)).where(
                    col(MemberState.iso3).in_(sorted(visits))
                )
            )
        }
    rows = []
    for state, of_state in visits.items():
        debts = area_debts(basis, of_state, today)
        covered = [debt.years_since for debt in debts if debt.years_since is not None]
        name, region = names.get(state, (state, ""))
        rows.append(
            [
                state,
                name,
                region,
                sum(len(debt.owed) for debt in debts),
                sum(1 for debt in debts if debt.owed),
                sum(1 for debt in debts if debt.never_covered),
                max(covered) if covered else None,
                of_state[-1].visit_id,
                of_state[-1].start_date,
            ]
        )
    frame = pd.DataFrame(rows, columns=DEBT_COLUMNS)
    return frame.sort_values(["owed", "state_name"], ascending=[False, True], kind="stable").reset_index(drop=True)
