"""The visits, findings, assessments and meetings as analysts list and edit them.

Reads are SQL aggregates narrowed by the clearance filters of access.py, returned as DataFrames.
Writes are saving.py's, offered here too, so that a page edits through one module.
"""

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, Engine, Select, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.errors import NotFound
from tracker.models import (
    TRACKABLE_KINDS,
    Assessment,
    Confidentiality,
    Finding,
    FindingResolution,
    Meeting,
    MeetingPartner,
    MeetingSector,
    MemberState,
    PartnerOrg,
    Resolution,
    Sector,
    Status,
    ThematicArea,
    Visit,
    VisitPartner,
    VisitResolution,
    listed_state_name,
)
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.review_guard import same
from tracker.services.people.access import (
    Actor,
    assessment_visible,
    baseline_shown,
    continued_shown,
    effective_level,
    finding_visible,
    meeting_visible,
    no_such,
    visit_visible,
)
from tracker.services.progress.register import in_scope
from tracker.services.records.saving import Saved as Saved
from tracker.services.records.saving import field_errors as field_errors
from tracker.services.records.saving import guarded_row as guarded_row
from tracker.services.records.saving import save_assessments as save_assessments
from tracker.services.records.saving import save_files as save_files
from tracker.services.records.saving import save_finding as save_finding
from tracker.services.records.saving import save_meeting as save_meeting
from tracker.services.records.saving import save_visit as save_visit

FINDING_PAGE = 100


_TRACKABLE = [kind.value for kind in TRACKABLE_KINDS]


def _frame(connection: Connection, query: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    result = connection.execute(query)
    # Plain tuples: pandas probes each row for attributes, which a Row answers slowly.
    return pd.DataFrame(list(map(tuple, result.all())), columns=list(result.keys()))


def _joined_lists(connection: Connection, query: Select[*tuple[Any, ...]]) -> dict[str, str]:
    """(owner, value) rows as {owner: "value; value"}, in value order."""
    lists: dict[str, list[str]] = {}
    for owner, value in connection.execute(query):
        lists.setdefault(owner, []).append(str(value))
    return {owner: "; ".join(values) for owner, values in lists.items()}


# ---------------------------------------------------------------- reference data


def reference_options(engine: Engine) -> dict[str, dict[Any, Any]]:
    """Codes and names the forms offer: states, areas (taxonomy order), partners, resolutions."""
    require_schema(engine)
    with reading(engine) as connection:
        parent = aliased(ThematicArea)
        areas = connection.execute(
            select(col(ThematicArea.code), col(ThematicArea.name))
            .outerjoin(parent, col(parent.code) == col(ThematicArea.parent))
            .order_by(
                func.coalesce(col(parent.sort_order), col(ThematicArea.sort_order)),
                col(ThematicArea.parent).is_not(None),
                col(ThematicArea.sort_order),
                col(ThematicArea.code),
            )
        ).all()
        return {
            "states": dict(
                connection.execute(
                    select(col(MemberState.iso3), listed_state_name()).order_by(col(MemberState.name))
                ).all()
            ),
            "areas": dict(areas),
            "partners": dict(
                connection.execute(
                    select(col(PartnerOrg.code), col(PartnerOrg.name)).order_by(col(PartnerOrg.code))
                ).all()
            ),
            "resolutions": {
                number: f"{number} ({year})"
                for number, year in connection.execute(
                    select(col(Resolution.number), col(Resolution.year)).order_by(col(Resolution.number))
                )
            },
        }


# ---------------------------------------------------------------- visits


def list_visits(
    engine: Engine, actor: Actor, *, state: str | None = None, level: str | Confidentiality | None = None
) -> pd.DataFrame:
    """Visible visits, newest first, with their partners, resolutions and how many findings and meetings."""
    require_schema(engine)
    level = effective_level(actor, level)
    findings = (
        select(col(Finding.visit_id), func.count().label("findings"))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .where(finding_visible(level))
        .group_by(col(Finding.visit_id))
        .subquery()
    )
    meetings = (
        select(col(Meeting.visit_id), func.count().label("meetings"))
        .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
        .where(meeting_visible(level))
        .group_by(col(Meeting.visit_id))
        .subquery()
    )
    query = (
        select(
            col(Visit.visit_id),
            col(Visit.state),
            listed_state_name().label("state_name"),
            col(MemberState.region),
            col(Visit.kind),
            col(Visit.modality),
            col(Visit.start_date),
            col(Visit.end_date),
            case((baseline_shown(level), col(Visit.baseline_visit_id)), else_="").label("baseline_visit_id"),
            col(Visit.lead),
            func.coalesce(findings.c.findings, 0).label("findings"),
            func.coalesce(meetings.c.meetings, 0).label("meetings"),
            col(Visit.confidentiality),
        )
        .join(MemberState, col(MemberState.iso3) == col(Visit.state))
        .outerjoin(findings, findings.c.visit_id == col(Visit.visit_id))
        .outerjoin(meetings, meetings.c.visit_id == col(Visit.visit_id))
        .where(visit_visible(level))
        .order_by(col(Visit.start_date).desc(), col(Visit.visit_id))
    )
    visible_ids = select(col(Visit.visit_id)).where(visit_visible(level))
    if state:
        query = query.where(col(Visit.state) == state)
        visible_ids = visible_ids.where(col(Visit.state) == state)
    with reading(engine) as connection:
        frame = _frame(connection, query)
        partners = _joined_lists(
            connection,
            select(col(VisitPartner.visit_id), col(VisitPartner.partner))
            .where(col(VisitPartner.visit_id).in_(visible_ids))
            .order_by(col(VisitPartner.partner)),
        )
        resolutions = _joined_lists(
            connection,
            select(col(VisitResolution.visit_id), col(VisitResolution.resolution))
            .where(col(VisitResolution.visit_id).in_(visible_ids))
            .order_by(col(VisitResolution.resolution)),
        )
    frame.insert(10, "partners", [partners.get(v, "") for v in frame["visit_id"]])
    frame.insert(11, "resolutions", [resolutions.get(v, "") for v in frame["visit_id"]])
    return frame


def get_visit(
    engine: Engine, actor: Actor, visit_id: str, level: str | Confidentiality | None = None
) -> dict[str, Any]:
    """One visible visit with every column of visits.csv; lists as lists.

    A baseline the reader may not see is left out of the dict, so that a save keeps it unseen.
    """
    found = get_visits(engine, actor, [visit_id], level)
    if visit_id not in found:
        raise NotFound(no_such("visit", visit_id), "check the visit id")
    return found[visit_id]


def get_visits(
    engine: Engine, actor: Actor, visit_ids: Iterable[str], level: str | Confidentiality | None = None
) -> dict[str, dict[str, Any]]:
    """`get_visit` of each named visit the reader may see, by its id; the others are left out."""
    require_schema(engine)
    level = effective_level(actor, level)
    ids = list(dict.fromkeys(visit_ids))
    found: dict[str, dict[str, Any]] = {}
    with reading(engine) as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = connection.execute(
                select(*_stored(Visit, "visits.csv"), baseline_shown(level).label("baseline_seen")).where(
                    col(Visit.visit_id).in_(chunk), visit_visible(level)
                )
            ).mappings()
            found |= {row["visit_id"]: dict(row) for row in rows}
        partners = _owned_lists(connection, VisitPartner.visit_id, VisitPartner.partner, list(found))
        resolutions = _owned_lists(connection, VisitResolution.visit_id, VisitResolution.resolution, list(found))
    visits = {}
    for visit_id in ids:
        if visit_id not in found:
            continue
        row = found[visit_id]
        if not row.pop("baseline_seen") and row["baseline_visit_id"]:
            del row["baseline_visit_id"]
        row["partners"] = partners.get(visit_id, [])
        row["resolutions"] = resolutions.get(visit_id, [])
        visits[visit_id] = row
    return visits


def _owned_lists(connection: Connection, owner: Any, value: Any, owners: list[str]) -> dict[str, list[Any]]:
    """(owner, value) rows of the named owners as {owner: [value, ...]}, in value order."""
    lists: dict[str, list[Any]] = {}
    for start in range(0, len(owners), 500):
        for key, item in connection.execute(
            select(col(owner), col(value)).where(col(owner).in_(owners[start : start + 500])).order_by(col(value))
        ):
            lists.setdefault(key, []).append(item)
    return lists


def _stored(model: Any, file_name: str) -> list[Any]:
    return [model.__table__.c[c] for c in SPECS[file_name].stored]


def _one(connection: Connection, query: Select[*tuple[Any, ...]], entity: str, key: str) -> dict[str, Any]:
    row = connection.execute(query).mappings().first()
    if row is None:
        raise NotFound(no_such(entity, key), f"check the {entity} id")
    return dict(row)


# ---------------------------------------------------------------- findings


def _latest_assessment(level: Confidentiality, column: Any) -> Any:
    """A column of the finding's visible assessment made at the latest visit, per finding row.

    Correlated, so a page of rows looks up only its own assessments.
    """
    assessing_visit = aliased(Visit)
    return (
        select(column)
        .join(assessing_visit, col(assessing_visit.visit_id) == col(Assessment.visit_id))
        .where(col(Assessment.finding_id) == col(Finding.finding_id), assessment_visible(level))
        .order_by(col(assessing_visit.start_date).desc())
        .limit(1)
        .scalar_subquery()
    )


def list_findings(
    engine: Engine,
    actor: Actor,
    *,
    state: str | None = None,
    visit_id: str | None = None,
    area: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    level: str | Confidentiality | None = None,
) -> tuple[pd.DataFrame, int]:
    """Visible findings matching every filter given (a page of `limit` rows from `offset`, or all),
    and how many match, by visit date and then id in natural order (F2 before F10).

    A shortfall's or recommendation's status is its assessment at the latest visit that judged it,
    `not_assessed` when none has; `area` matches the area and its sub-areas; `text` searches the
    id, title and detail.
    """
    require_schema(engine)
    level = effective_level(actor, level)
    current_status = func.coalesce(_latest_assessment(level, col(Assessment.status)), Status.not_assessed.value)
    trackable = col(Finding.kind).in_(_TRACKABLE)
    conditions = [finding_visible(level)]
    if state:
        conditions.append(col(Visit.state) == state)
    if visit_id:
        conditions.append(col(Finding.visit_id) == visit_id)
    if area:
        conditions.append(or_(col(Finding.area) == area, col(Finding.area).like(f"{area}.%")))
    if kind:
        conditions.append(col(Finding.kind) == kind)
    if status:
        conditions.extend([trackable, current_status == status])
    if text and text.strip():
        pattern = f"%{text.strip()}%"
        conditions.append(
            or_(
                col(Finding.finding_id).ilike(pattern),
                col(Finding.title).ilike(pattern),
                col(Finding.detail).ilike(pattern),
            )
        )
    base = select(col(Finding.finding_id)).join(Visit, col(Visit.visit_id) == col(Finding.visit_id)).where(*conditions)
    # Natural order of the trailing number (KOR-2023-F2 before KOR-2023-F10) in SQL, so that only
    # the page's rows are read: the id without its trailing digits, then its length, then the id.
    natural = (
        col(Visit.start_date),
        func.rtrim(col(Finding.finding_id), "0123456789"),
        func.length(col(Finding.finding_id)),
        col(Finding.finding_id),
    )
    # The page's ids first: the correlated status columns are then computed for its rows only.
    page = base.order_by(*natural).limit(limit).offset(offset).subquery()
    query = (
        select(
            col(Finding.finding_id),
            col(Finding.visit_id),
            col(Visit.state),
            col(Finding.area),
            col(ThematicArea.name).label("area_name"),
            col(Finding.kind),
            col(Finding.priority),
            func.coalesce(col(Finding.severity), "").label("severity"),
            col(Finding.title),
            case((trackable, current_status), else_="").label("status"),
            func.coalesce(_latest_assessment(level, col(Assessment.visit_id)), "").label("assessed_at"),
            case((continued_shown(level), col(Finding.continues)), else_="").label("continues"),
            col(Finding.confidentiality),
        )
        .join(page, page.c.finding_id == col(Finding.finding_id))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
        .order_by(*natural)
    )
    with reading(engine) as connection:
        total = connection.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        frame = _frame(connection, query)
    return frame.astype({"priority": "bool"}), total


def next_finding_id(engine: Engine, visit_id: str) -> str:
    """The id a new finding of the visit would take: one past the highest `VISIT-F<n>`, same width."""
    require_schema(engine)
    prefix = f"{visit_id}-F"
    with reading(engine) as connection:
        # Every finding counts, whatever its level: a proposed id must be free.
        taken = connection.execute(
            select(col(Finding.finding_id)).where(col(Finding.finding_id).startswith(prefix, autoescape=True))
        ).scalars()
        numbers = [m for m in (re.fullmatch(r"(\d+)", f.removeprefix(prefix)) for f in taken) if m]
    if not numbers:
        return f"{prefix}01"
    width = max(len(m.group(1)) for m in numbers)
    return f"{prefix}{max(int(m.group(1)) for m in numbers) + 1:0{width}d}"


def finding_panel(engine: Engine, actor: Actor, finding_id: str) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """One finding as its panel shows it (withdrawn or not), its visible assessments at later
    visits, and the later visits of its State that may assess it."""
    require_schema(engine)
    level = actor.clearance
    with reading(engine) as connection:
        finding = _one(
            connection,
            select(
                *_stored(Finding, "findings.csv"),
                col(ThematicArea.name).label("area_name"),
                func.coalesce(col(ThematicArea.parent), col(ThematicArea.code)).label("top_area"),
                col(Visit.state),
                col(Visit.start_date).label("visit_start"),
                col(Visit.withdrawn).label("visit_withdrawn"),
                continued_shown(level, include_withdrawn=True).label("continued_seen"),
            )
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
            .where(col(Finding.finding_id) == finding_id, finding_visible(level, include_withdrawn=True)),
            "finding",
            finding_id,
        )
        if not finding.pop("continued_seen"):
            finding["continues"] = None
        finding["resolutions"] = list(
            connection.execute(
                select(col(FindingResolution.resolution))
                .where(col(FindingResolution.finding_id) == finding_id)
                .order_by(col(FindingResolution.resolution))
            ).scalars()
        )
        assessed = _frame(
            connection,
            select(
                col(Assessment.visit_id),
                col(Visit.start_date),
                col(Assessment.status),
                col(Assessment.evidence),
                col(Assessment.assessed_on),
                col(Assessment.confidentiality),
            )
            .join(Visit, col(Visit.visit_id) == col(Assessment.visit_id))
            .where(col(Assessment.finding_id) == finding_id, assessment_visible(level))
            .order_by(col(Visit.start_date)),
        )
        later = _frame(
            connection,
            select(col(Visit.visit_id), col(Visit.kind), col(Visit.start_date), col(Visit.end_date), col(Visit.scope))
            .where(
                col(Visit.state) == finding["state"],
                col(Visit.start_date) > finding["visit_start"],
                visit_visible(level),
            )
            .order_by(col(Visit.start_date).desc()),
        )
    # Only a visit whose scope covers the finding's area may assess it.
    top_area = finding.pop("top_area")
    covering = [in_scope(scope, top_area) for scope in later["scope"]]
    later = later[covering].drop(columns="scope").reset_index(drop=True)
    return finding, assessed, later


def get_finding(
    engine: Engine, actor: Actor, finding_id: str, level: str | Confidentiality | None = None
) -> dict[str, Any]:
    """One visible finding with every column of findings.csv; resolutions as a list.

    A continued finding the reader may not see is left out of the dict, so that a save keeps it unseen.
    """
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        row = _one(
            connection,
            select(*_stored(Finding, "findings.csv"), continued_shown(level).label("continued_seen"))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .where(col(Finding.finding_id) == finding_id, finding_visible(level)),
            "finding",
            finding_id,
        )
        if not row.pop("continued_seen") and row["continues"]:
            del row["continues"]
        row["resolutions"] = list(
            connection.execute(
                select(col(FindingResolution.resolution))
                .where(col(FindingResolution.finding_id) == finding_id)
                .order_by(col(FindingResolution.resolution))
            ).scalars()
        )
    return row


def finding_counts(engine: Engine, actor: Actor, level: str | Confidentiality | None = None) -> pd.DataFrame:
    """How many visible findings of each kind every visible visit holds."""
    require_schema(engine)
    level = effective_level(actor, level)
    query = (
        select(col(Finding.visit_id), col(Visit.state), col(Finding.kind), func.count().label("findings"))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .where(finding_visible(level))
        .group_by(col(Finding.visit_id), col(Visit.state), col(Finding.kind))
        .order_by(col(Finding.visit_id), col(Finding.kind))
    )
    with reading(engine) as connection:
        return _frame(connection, query)


def assessment_worksheet(
    engine: Engine, actor: Actor, followup: str, level: str | Confidentiality | None = None
) -> pd.DataFrame:
    """The items under follow-up in the follow-up's scope with their status (carried or not) and evidence there.

    The rows are those the comparison counts, so the worksheet and the charts never disagree.
    """
    from tracker.services.progress.comparison import ITEM_ROLES, item_table

    items = item_table(engine, actor, followup, level)
    baseline = items[items["role"].isin(ITEM_ROLES)]
    return baseline[["finding_id", "area", "sub_area", "kind", "priority", "title", "status", "evidence"]].reset_index(
        drop=True
    )


def assessment_changes(original: pd.DataFrame, edited: pd.DataFrame) -> list[dict[str, Any]]:
    """The worksheet rows whose status or evidence the analyst changed, as assessment rows.

    Both frames hold `finding_id`, `status` and `evidence`; rows are matched by finding_id, and
    evidence differing only in surrounding blanks is no change.
    """

    def cleaned(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "status": frame["status"].fillna("").astype(str).to_numpy(),
                "evidence": frame["evidence"].fillna("").astype(str).str.strip().to_numpy(),
            },
            index=frame["finding_id"].astype(str).to_numpy(),
        )

    before, after = cleaned(original), cleaned(edited)
    changes = []
    for index, row in after.iterrows():
        finding_id = str(index)
        if finding_id not in before.index or not row.equals(cast(pd.Series, before.loc[finding_id])):
            changes.append({"finding_id": finding_id, "status": row["status"], "evidence": row["evidence"]})
    return changes


def worksheet_before(worksheet: pd.DataFrame, changes: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Each changed row's status and evidence as the worksheet showed them: what its save is reviewed against."""
    shown = worksheet.set_index("finding_id")
    return {
        change["finding_id"]: {name: shown.at[change["finding_id"], name] for name in ("status", "evidence")}
        for change in changes
    }


def assessment_changes_again(
    changes: list[dict[str, Any]], before: dict[str, dict[str, Any]], worksheet: pd.DataFrame
) -> list[dict[str, Any]]:
    """The worksheet changes of a save refused because rows moved, made again on the rows as they
    are now: a field the analyst changed keeps the analyst's value, the others the stored one."""
    now = worksheet.set_index("finding_id")
    again = []
    for change in changes:
        finding_id = change["finding_id"]
        if finding_id not in now.index:
            continue
        row = {"finding_id": finding_id}
        for name in ("status", "evidence"):
            stored = now.at[finding_id, name]
            mine = change.get(name, stored)
            row[name] = stored if same(mine, before.get(finding_id, {}).get(name)) else mine
        if not all(same(row[name], now.at[finding_id, name]) for name in ("status", "evidence")):
            again.append(row)
    return again


# ---------------------------------------------------------------- meetings


def list_meetings(
    engine: Engine,
    actor: Actor,
    *,
    state: str | None = None,
    visit_id: str | None = None,
    level: str | Confidentiality | None = None,
) -> pd.DataFrame:
    """Visible meetings in date order, optionally of one state or one visit."""
    require_schema(engine)
    level = effective_level(actor, level)
    query = (
        select(
            col(Meeting.meeting_id),
            col(Meeting.visit_id),
            col(Visit.state),
            col(Meeting.date),
            col(Meeting.kind),
            col(Meeting.counterpart),
            func.coalesce(col(Meeting.area), "").label("area"),
            col(Meeting.notes),
            col(Meeting.confidentiality),
        )
        .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
        .where(meeting_visible(level))
        .order_by(col(Visit.start_date).desc(), col(Meeting.date), col(Meeting.meeting_id))
    )
    if state:
        query = query.where(col(Visit.state) == state)
    if visit_id:
        query = query.where(col(Meeting.visit_id) == visit_id)
    with reading(engine) as connection:
        frame = _frame(connection, query)
        shown = query.with_only_columns(col(Meeting.meeting_id)).order_by(None)
        sectors = _joined_lists(
            connection,
            select(col(MeetingSector.meeting_id), col(MeetingSector.sector))
            .where(col(MeetingSector.meeting_id).in_(shown))
            .order_by(col(MeetingSector.sector)),
        )
        partners = _joined_lists(
            connection,
            select(col(MeetingPartner.meeting_id), col(MeetingPartner.partner))
            .where(col(MeetingPartner.meeting_id).in_(shown))
            .order_by(col(MeetingPartner.partner)),
        )
    # Sectors as codes joined by "; " (each one in words with `sectors_in_words`), partners as codes.
    frame.insert(6, "sector", [sectors.get(m, "") for m in frame["meeting_id"]])
    frame.insert(7, "partners", [partners.get(m, "") for m in frame["meeting_id"]])
    return frame


def get_meeting(
    engine: Engine, actor: Actor, meeting_id: str, level: str | Confidentiality | None = None
) -> dict[str, Any]:
    """One visible meeting with every column of meetings.csv."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        meeting = _one(
            connection,
            select(*_stored(Meeting, "meetings.csv"))
            .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
            .where(col(Meeting.meeting_id) == meeting_id, meeting_visible(level)),
            "meeting",
            meeting_id,
        )
        meeting["sector"] = _owned_lists(connection, MeetingSector.meeting_id, MeetingSector.sector, [meeting_id]).get(
            meeting_id, []
        )
        meeting["partners"] = _owned_lists(
            connection, MeetingPartner.meeting_id, MeetingPartner.partner, [meeting_id]
        ).get(meeting_id, [])
    return meeting


def meeting_footprint(
    engine: Engine, actor: Actor, visit_id: str, level: str | Confidentiality | None = None
) -> pd.DataFrame:
    """How many visible meetings a visit held, by kind and sector: a meeting of several sectors counts
    once under each of them, so a sector's count is the meetings it took part in, not a share of them."""
    require_schema(engine)
    level = effective_level(actor, level)
    query = (
        select(col(Meeting.kind), col(MeetingSector.sector), func.count().label("meetings"))
        .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
        .join(MeetingSector, col(MeetingSector.meeting_id) == col(Meeting.meeting_id))
        .where(col(Meeting.visit_id) == visit_id, meeting_visible(level))
        .group_by(col(Meeting.kind), col(MeetingSector.sector))
        .order_by(col(Meeting.kind), col(MeetingSector.sector))
    )
    with reading(engine) as connection:
        return _frame(connection, query)


def sector_counts(sectors: Iterable[str]) -> dict[str, int]:
    """How many meetings each sector took part in, in the vocabulary's order, from each meeting's
    sectors (`; `-separated): a meeting of several sectors counts once under each of them."""
    counted = Counter(part.strip() for listed in sectors for part in listed.split(";") if part.strip())
    return {sector.value: counted[sector.value] for sector in Sector if counted[sector.value]}


def footprint_by_sector(footprint: pd.DataFrame) -> pd.DataFrame:
    """`meeting_footprint` summed over the kinds: the meetings each sector took part in."""
    totals = footprint.groupby("sector")["meetings"].sum()
    order = [sector.value for sector in Sector if sector.value in totals.index]
    return pd.DataFrame({"sector": order, "meetings": [int(totals[s]) for s in order]})
