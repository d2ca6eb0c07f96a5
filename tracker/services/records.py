"""The visits, findings, assessments and meetings as analysts list and edit them.

Reads are SQL aggregates narrowed by the clearance filters of access.py, returned as DataFrames.
Writes are handed to the bundle importer as a one-file bundle, so a form, the assessment
worksheet and `tracker import` share one set of rules: the same validation, reference checks,
clearance checks, upsert and audit trail, all in one transaction.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import pandas as pd
from sqlalchemy import Connection, Engine, Select, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.errors import NotFound, ValidationFailed
from tracker.models import (
    TRACKABLE_KINDS,
    Assessment,
    Finding,
    FindingResolution,
    Meeting,
    MemberState,
    PartnerOrg,
    Resolution,
    Status,
    ThematicArea,
    Visit,
    VisitPartner,
    VisitResolution,
)
from tracker.services.access import (
    Actor,
    assessment_visible,
    baseline_shown,
    continued_shown,
    effective_level,
    finding_visible,
    meeting_visible,
    no_such,
    require_writer,
    unavailable_key,
    visible_findings,
    visible_visits,
    visit_visible,
)
from tracker.services.bundle_format import SPECS, Source, format_cell
from tracker.services.importer import Change, FileCounts, RowError, import_bundle

FINDING_PAGE = 100


@dataclass
class Saved(FileCounts):
    """What a save did (or, in a review, would do): the counts, and each changed field."""

    changes: list[Change] = field(default_factory=list)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TRACKABLE = [kind.value for kind in TRACKABLE_KINDS]


def _frame(connection: Connection, query: Select) -> pd.DataFrame:
    result = connection.execute(query)
    # Plain tuples: pandas probes each row for attributes, which a Row answers slowly.
    return pd.DataFrame(list(map(tuple, result.all())), columns=list(result.keys()))


def _joined_lists(connection: Connection, query: Select) -> dict[str, str]:
    """(owner, value) rows as {owner: "value; value"}, in value order."""
    lists: dict[str, list[str]] = {}
    for owner, value in connection.execute(query):
        lists.setdefault(owner, []).append(str(value))
    return {owner: "; ".join(values) for owner, values in lists.items()}


# ---------------------------------------------------------------- reference data


def reference_options(engine: Engine) -> dict[str, dict]:
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
                    select(col(MemberState.iso3), col(MemberState.name)).order_by(col(MemberState.name))
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


def list_visits(engine: Engine, actor: Actor, *, state: str | None = None, level=None) -> pd.DataFrame:
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
            col(MemberState.name).label("state_name"),
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


def get_visit(engine: Engine, actor: Actor, visit_id: str, level=None) -> dict:
    """One visible visit with every column of visits.csv; lists as lists.

    A baseline the reader may not see is left out of the dict, so that a save keeps it unseen.
    """
    found = get_visits(engine, actor, [visit_id], level)
    if visit_id not in found:
        raise NotFound(no_such("visit", visit_id), "check the visit id")
    return found[visit_id]


def get_visits(engine: Engine, actor: Actor, visit_ids: Iterable[str], level=None) -> dict[str, dict]:
    """`get_visit` of each named visit the reader may see, by its id; the others are left out."""
    require_schema(engine)
    level = effective_level(actor, level)
    ids = list(dict.fromkeys(visit_ids))
    found: dict[str, dict] = {}
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


def _owned_lists(connection: Connection, owner, value, owners: list[str]) -> dict[str, list]:
    """(owner, value) rows of the named owners as {owner: [value, ...]}, in value order."""
    lists: dict[str, list] = {}
    for start in range(0, len(owners), 500):
        for key, item in connection.execute(
            select(col(owner), col(value)).where(col(owner).in_(owners[start : start + 500])).order_by(col(value))
        ):
            lists.setdefault(key, []).append(item)
    return lists


def _stored(model, file_name: str) -> list:
    return [model.__table__.c[c] for c in SPECS[file_name].stored]


def _one(connection: Connection, query: Select, entity: str, key: str) -> dict:
    row = connection.execute(query).mappings().first()
    if row is None:
        raise NotFound(no_such(entity, key), f"check the {entity} id")
    return dict(row)


# ---------------------------------------------------------------- findings


def _latest_assessment(level, column):
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
    level=None,
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


def finding_panel(engine: Engine, actor: Actor, finding_id: str) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
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
            select(col(Visit.visit_id), col(Visit.kind), col(Visit.start_date), col(Visit.end_date))
            .where(
                col(Visit.state) == finding["state"],
                col(Visit.start_date) > finding["visit_start"],
                visit_visible(level),
            )
            .order_by(col(Visit.start_date).desc()),
        )
    return finding, assessed, later


def get_finding(engine: Engine, actor: Actor, finding_id: str, level=None) -> dict:
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


def finding_counts(engine: Engine, actor: Actor, level=None) -> pd.DataFrame:
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


def assessment_worksheet(engine: Engine, actor: Actor, followup: str, level=None) -> pd.DataFrame:
    """The follow-up's baseline shortfalls and recommendations with their status and evidence there.

    The rows are those the comparison counts, so the worksheet and the charts never disagree.
    """
    from tracker.services.comparison import item_table

    items = item_table(engine, actor, followup, level)
    baseline = items[items["role"] == "baseline"]
    return baseline[["finding_id", "area", "sub_area", "kind", "priority", "title", "status", "evidence"]].reset_index(
        drop=True
    )


def assessment_changes(original: pd.DataFrame, edited: pd.DataFrame) -> list[dict]:
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


# ---------------------------------------------------------------- meetings


def list_meetings(
    engine: Engine, actor: Actor, *, state: str | None = None, visit_id: str | None = None, level=None
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
            col(Meeting.sector),
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
        return _frame(connection, query)


def get_meeting(engine: Engine, actor: Actor, meeting_id: str, level=None) -> dict:
    """One visible meeting with every column of meetings.csv."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        return _one(
            connection,
            select(*_stored(Meeting, "meetings.csv"))
            .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
            .where(col(Meeting.meeting_id) == meeting_id, meeting_visible(level)),
            "meeting",
            meeting_id,
        )


def meeting_footprint(engine: Engine, actor: Actor, visit_id: str, level=None) -> pd.DataFrame:
    """How many visible meetings a visit held, by kind and sector."""
    require_schema(engine)
    level = effective_level(actor, level)
    query = (
        select(col(Meeting.kind), col(Meeting.sector), func.count().label("meetings"))
        .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
        .where(col(Meeting.visit_id) == visit_id, meeting_visible(level))
        .group_by(col(Meeting.kind), col(Meeting.sector))
        .order_by(col(Meeting.kind), col(Meeting.sector))
    )
    with reading(engine) as connection:
        return _frame(connection, query)


# ---------------------------------------------------------------- writing


def save_visit(engine: Engine, actor: Actor, data: dict, *, new: bool = False, dry_run: bool = False) -> Saved:
    """Add (`new`) or change one visit; the fields are the columns of visits.csv. `dry_run`: only review."""
    return _save(engine, actor, "visits.csv", [data], new=new, dry_run=dry_run)


def save_finding(engine: Engine, actor: Actor, data: dict, *, new: bool = False, dry_run: bool = False) -> Saved:
    """Add (`new`) or change one finding; the fields are the columns of findings.csv. `dry_run`: only review."""
    return _save(engine, actor, "findings.csv", [data], new=new, dry_run=dry_run)


def save_meeting(engine: Engine, actor: Actor, data: dict, *, new: bool = False, dry_run: bool = False) -> Saved:
    """Add (`new`) or change one meeting; the fields are the columns of meetings.csv. `dry_run`: only review."""
    return _save(engine, actor, "meetings.csv", [data], new=new, dry_run=dry_run)


def save_assessments(
    engine: Engine, actor: Actor, followup: str, changes: Iterable[dict], *, dry_run: bool = False
) -> Saved:
    """Record the status (and evidence) of baseline items at a follow-up visit, all or none.

    Each change names a finding_id and any of status, evidence, assessed_on, confidentiality;
    what a change leaves out keeps its stored value. `dry_run`: only review.
    """
    rows = [{"finding_id": change["finding_id"], "visit_id": followup} | change for change in changes]
    if not rows:
        require_writer(actor)
        return Saved()
    return _save(engine, actor, "assessments.csv", rows, new=None, dry_run=dry_run)


def field_errors(error: ValidationFailed) -> dict[str, str]:
    """The problems of a one-row save by field, for showing beside each input."""
    fields: dict[str, list[str]] = {}
    for problem in error.errors:
        fields.setdefault(problem["field"], []).append(problem["message"])
    return {field: "; ".join(messages) for field, messages in fields.items()}


def _save(
    engine: Engine, actor: Actor, file_name: str, rows: list[dict], *, new: bool | None, dry_run: bool = False
) -> Saved:
    """Write rows as a bundle file through the importer; `new` True: must not exist, False: must exist."""
    require_writer(actor)
    if new is not None:
        _check_exists(engine, actor, SPECS[file_name], rows[0], should_exist=not new)
    return save_files(engine, actor, {file_name: rows}, dry_run=dry_run)


def save_files(engine: Engine, actor: Actor, files: dict[str, list[dict]], *, dry_run: bool = False) -> Saved:
    """Rows of several bundle files written as one bundle: one transaction, all or nothing."""
    require_writer(actor)
    sources, lines = [], {}
    for file_name, rows in files.items():
        source, lines[file_name] = _as_source(file_name, rows)
        sources.append(source)
    result = import_bundle(engine, sources, actor, dry_run=dry_run)
    if not result.ok:
        entities = " and ".join(SPECS[f].entity.replace("_", " ") for f in files)
        raise ValidationFailed(
            f"nothing was saved: {result.error_count} problem(s) with the {entities}",
            [_problem(error, lines[error.file].get(error.line, {}), SPECS[error.file]) for error in result.errors],
            "correct the fields marked and save again",
        )
    saved = Saved(changes=result.changes)
    for counts in result.counts.values():
        saved.created += counts.created
        saved.updated += counts.updated
        saved.unchanged += counts.unchanged
    return saved


def _as_source(file_name: str, rows: list[dict]) -> tuple[Source, dict[int, dict]]:
    """The rows as a one-file bundle, and which row starts on which line."""
    spec = SPECS[file_name]
    columns = [c for c in spec.columns if any(c in row for row in rows)]
    columns += sorted({c for row in rows for c in row} - set(spec.columns))
    text = io.StringIO()
    # Quoting every cell keeps a lone carriage return inside its cell.
    writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    # The importer names a row by the line it starts on; a cell may hold line breaks.
    row_at_line: dict[int, dict] = {}
    line = 2
    for row in rows:
        cells = [format_cell(row.get(c)) for c in columns]
        writer.writerow(cells)
        row_at_line[line] = row
        line += 1 + sum(len(_LINE_BREAK.findall(cell)) for cell in cells)
    data = text.getvalue().encode()
    return Source(file_name, f"{file_name} (form)", len(data), lambda: io.BytesIO(data)), row_at_line


def _problem(error: RowError, row: dict, spec) -> dict:
    key = "/".join(str(row.get(k, "")) for k in spec.key) if row else ""
    return {"key": key, "field": error.column, "message": error.message}


def _check_exists(engine: Engine, actor: Actor, spec, row: dict, *, should_exist: bool) -> None:
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


def _shown(connection: Connection, actor: Actor, spec, key: str) -> bool:
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
