"""An edited tracking matrix read back: each State sheet's statuses, evidence and dates as assessments,
every problem named by its sheet and cell."""

import datetime as dt
import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlmodel import col
from xlsxwriter.utility import xl_rowcol_to_cell

from tracker.models import (
    TRACKABLE_KINDS,
    Assessment,
    Confidentiality,
    Finding,
    Visit,
)
from tracker.services.bundle.files import Report, SheetRows, unescape_cell
from tracker.services.bundle.matrix import assessment_dates
from tracker.services.bundle.matrix_model import STATUS_KEYS, STATUS_WORDS, assessed_header, evidence_header
from tracker.services.people.access import assessment_visible, finding_visible
from tracker.services.progress import register


def status_code(text: str) -> str | None:
    """The stored status for a status written in words or as the code, in any letter case."""
    key = "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    return STATUS_KEYS.get(key)


def suggestion_for(text: str) -> str:
    close = difflib.get_close_matches(text.strip().capitalize(), list(STATUS_WORDS), n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    return "choose one of " + ", ".join(STATUS_WORDS)


def same_text(a: str, b: str) -> bool:
    """Equal up to spacing and line breaks, which spreadsheets rewrite in wrapped cells."""
    return " ".join(a.split()) == " ".join(b.split())


@dataclass(frozen=True)
class _Place:
    sheet: str
    row: int
    id_column: int
    title_column: int
    status_column: int
    evidence_column: int | None


@dataclass(frozen=True)
class MatrixSheet:
    """A State sheet as read from the file: its name, header and data rows (row number, cells)."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


ASSESSMENT_HEADER = ["finding_id", "visit_id", "status", "evidence", "assessed_on"]


def matrix_sheet_rows(sheets: list[MatrixSheet]) -> SheetRows:
    """The status and evidence cells of State sheets as the rows of an assessments.csv."""
    places: dict[int, _Place] = {}

    def place(line: int, column: str) -> str:
        spot = places.get(line)
        if spot is None:
            return f"line {line}"
        match column:
            case "Id" | "finding_id":
                cell = xl_rowcol_to_cell(spot.row - 1, spot.id_column)
            case "Finding":
                cell = xl_rowcol_to_cell(spot.row - 1, spot.title_column)
            case "visit_id":
                cell = xl_rowcol_to_cell(0, spot.status_column)
            case "evidence" if spot.evidence_column is not None:
                cell = xl_rowcol_to_cell(spot.row - 1, spot.evidence_column)
            case _:
                cell = xl_rowcol_to_cell(spot.row - 1, spot.status_column)
        return f"{spot.sheet}!{cell}"

    def read(connection: Connection, level: Confidentiality, report: Report) -> Iterator[tuple[int, list[str]]]:
        yield 1, list(ASSESSMENT_HEADER)
        line = 1
        for sheet in sheets:
            layout = _layout(sheet, report, places, line)
            line = layout.next_line
            if layout.problem:
                continue
            ids = [cells[layout.id_column] for _, cells in sheet.rows]
            stored = stored_titles(connection, level, ids)
            # A visit whose evidence column was removed keeps the evidence stored, as a CSV file
            # without the column would.
            without_evidence = [visit[0] for visit in layout.visits if visit[2] is None]
            kept = _stored_evidence(connection, level, ids, without_evidence) if without_evidence else {}
            # Likewise a visit whose `assessed on` column was removed keeps the stored dates.
            without_dates = [visit[0] for visit in layout.visits if visit[3] is None]
            kept_dates = _stored_dates(connection, level, ids, without_dates) if without_dates else {}
            restated = _restatements_assessed(connection, level, list(stored))
            for number, cells in sheet.rows:
                finding_id = cells[layout.id_column].strip()
                title = unescape_cell(cells[layout.title_column])
                line += 1
                places[line] = _Place(sheet.name, number, layout.id_column, layout.title_column, 0, None)
                if finding_id not in stored:
                    report(
                        line,
                        "Id",
                        f'"{finding_id}" is not a stored baseline shortfall or recommendation; '
                        "keep the Id column as exported",
                    )
                    continue
                if not same_text(title, stored[finding_id]):
                    report(
                        line,
                        "Finding",
                        f'the title of {finding_id} differs from the stored one ("{stored[finding_id]}"); '
                        "edit titles in the tracker, not in the matrix",
                    )
                    continue
                for visit_id, status_column, evidence_column, date_column in layout.visits:
                    status_text = cells[status_column].strip()
                    if evidence_column is None:
                        evidence, given = kept.get((finding_id, visit_id), ""), ""
                    else:
                        evidence = given = unescape_cell(cells[evidence_column])
                    if not status_text and not given.strip():
                        continue
                    line += 1
                    places[line] = _Place(
                        sheet.name, number, layout.id_column, layout.title_column, status_column, evidence_column
                    )
                    if not status_text:
                        report(line, "status", "is empty but its evidence is filled; choose a status from the list")
                        continue
                    code = status_code(status_text)
                    if code is None:
                        report(line, "status", f'"{status_text}" is not a status; {suggestion_for(status_text)}')
                        continue
                    # A cell of an item whose restatement was assessed at that visit is that assessment.
                    assessed = restated.get((finding_id, visit_id), finding_id)
                    if date_column is None:
                        assessed_on = kept_dates.get((assessed, visit_id), "")
                    else:
                        assessed_on = _date_text(cells[date_column])
                    yield line, [assessed, visit_id, code, evidence, assessed_on]

    return SheetRows(read, place)


@dataclass
class _Layout:
    id_column: int = 0
    title_column: int = 0
    # (visit_id, status column, evidence column or None, `assessed on` column or None)
    visits: tuple[tuple[str, int, int | None, int | None], ...] = ()
    next_line: int = 0
    problem: bool = False


def _layout(sheet: MatrixSheet, report: Report, places: dict[int, _Place], line: int) -> _Layout:
    """Where the Id, Finding and each visit's status and evidence columns are."""
    header = [h.strip() for h in sheet.header]
    lowered = [h.lower() for h in header]
    layout = _Layout(next_line=line)
    for needed in ("Id", "Finding"):
        if needed.lower() not in lowered:
            layout.next_line += 1
            places[layout.next_line] = _Place(sheet.name, 1, 0, 0, 0, None)
            report(layout.next_line, needed, f"the header row has no {needed} column; keep the header as exported")
            layout.problem = True
    if layout.problem:
        return layout
    layout.id_column, layout.title_column = lowered.index("id"), lowered.index("finding")
    visits = []
    for column, text in enumerate(header):
        if text.lower().endswith(" status"):
            visit_id = text[: -len(" status")].strip()
            evidence, dated = evidence_header(visit_id).lower(), assessed_header(visit_id).lower()
            visits.append(
                (
                    visit_id,
                    column,
                    lowered.index(evidence) if evidence in lowered else None,
                    lowered.index(dated) if dated in lowered else None,
                )
            )
    layout.visits = tuple(visits)
    return layout


def _restatements_assessed(
    connection: Connection, level: Confidentiality, ids: list[str]
) -> dict[tuple[str, str], str]:
    """(item, visit) -> the later finding of the item's `continues` chain that was assessed at that visit.

    The matrix shows a chain as one row, named by its earliest finding; its cells read back onto the
    finding whose assessment they show.
    """
    if not ids:
        return {}
    states = set(
        connection.execute(
            select(col(Visit.state))
            .join(Finding, col(Finding.visit_id) == col(Visit.visit_id))
            .where(col(Finding.finding_id).in_(ids[:5000]))
        ).scalars()
    )
    wanted = set(ids)
    found: dict[tuple[str, str], str] = {}
    for history in register.read_histories(connection, states, level, details=False).values():
        for root, chain in register.chains(history).items():
            if root not in wanted or len(chain) == 1:
                continue
            for finding in chain[1:]:
                for judgement in history.assessments.get(finding.finding_id, ()):
                    found[(root, judgement.visit_id)] = finding.finding_id
    return found


def _stored_evidence(
    connection: Connection, level: Confidentiality, ids: list[str], visit_ids: list[str]
) -> dict[tuple[str, str], str]:
    """The evidence of the visible assessments of these findings at these visits."""
    wanted = sorted({i.strip() for i in ids if i.strip()})
    evidence: dict[tuple[str, str], str] = {}
    for start in range(0, len(wanted), 5000):
        query = select(col(Assessment.finding_id), col(Assessment.visit_id), col(Assessment.evidence)).where(
            col(Assessment.finding_id).in_(wanted[start : start + 5000]),
            col(Assessment.visit_id).in_(visit_ids),
            assessment_visible(level),
        )
        evidence.update(((finding_id, visit_id), text) for finding_id, visit_id, text in connection.execute(query))
    return evidence


def _stored_dates(
    connection: Connection, level: Confidentiality, ids: list[str], visit_ids: list[str]
) -> dict[tuple[str, str], str]:
    """The `assessed_on` of the visible assessments of these findings at these visits, as ISO text."""
    wanted = sorted({i.strip() for i in ids if i.strip()})
    return {
        key: day
        for key, day in assessment_dates(connection, level, [(f, "") for f in wanted]).items()
        if key[1] in visit_ids
    }


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _date_text(cell: str) -> str:
    """A date cell as ISO text: a spreadsheet may store a typed date as its serial day number."""
    text = cell.strip()
    if text.isdigit() and 20000 < int(text) < 80000:
        return (_EXCEL_EPOCH + dt.timedelta(days=int(text))).isoformat()
    return text


def stored_titles(connection: Connection, level: Confidentiality, ids: list[str]) -> dict[str, str]:
    """Titles of the visible trackable findings among these ids."""
    wanted = sorted({i.strip() for i in ids if i.strip()})
    titles: dict[str, str] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        query = (
            select(col(Finding.finding_id), col(Finding.title))
            .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
            .where(
                col(Finding.finding_id).in_(chunk),
                col(Finding.kind).in_([k.value for k in TRACKABLE_KINDS]),
                finding_visible(level),
            )
        )
        titles.update((finding_id, title) for finding_id, title in connection.execute(query))
    return titles
