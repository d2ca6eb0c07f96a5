"""The tracking matrix (DESIGN §9): one row per trackable baseline item, a status and an evidence
column per later visit of the State, on screen, as an Excel workbook, and read back as assessments.
"""

import datetime as dt
import difflib
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlsxwriter
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from xlsxwriter.utility import xl_rowcol_to_cell

from tracker.db import reading, require_schema
from tracker.errors import NotFound, TrackerError
from tracker.models import (
    STATUS_GROUP,
    TRACKABLE_KINDS,
    Assessment,
    Confidentiality,
    Finding,
    MemberState,
    Status,
    ThematicArea,
    Visit,
)
from tracker.services import comparison
from tracker.services.access import Actor, assessment_visible, effective_level, finding_visible, visit_visible
from tracker.services.bundle_format import Report, SheetRows, escape_cell, unescape_cell
from tracker.services.palette import STATUS_GROUP_COLOURS
from tracker.services.wording import label

ITEM_HEADERS = ("Id", "Area", "Thematic area", "Kind", "Priority", "Severity", "Finding", "Source")
ITEM_COLUMNS = ("finding_id", "area", "area_name", "kind", "priority", "severity", "title", "source_ref")
STATUS_WORDS = {label(status.value): status.value for status in Status}
# Words or codes in any letter case, with spaces, underscores or hyphens between the words.
_STATUS_KEYS = {status.value: status.value for status in Status} | {
    words.lower().replace(" ", "_"): code for words, code in STATUS_WORDS.items()
}
STATUS_LABELS = {code: words for words, code in STATUS_WORDS.items()}
SUMMARY_SHEET = "Summary"


def status_header(visit_id: str) -> str:
    return f"{visit_id} status"


def evidence_header(visit_id: str) -> str:
    return f"{visit_id} evidence"


@dataclass(frozen=True)
class StateMatrix:
    """A State's matrix at one level: its items and, per later visit, each item's status and evidence."""

    state: str
    state_name: str
    baseline_visit: str
    followup_visit: str
    visits: tuple[str, ...]
    level: Confidentiality
    # One row per item: ITEM_COLUMNS, then `<V> status` (code or ""), `<V> evidence` per visit.
    items: pd.DataFrame
    comparison: dict

    def in_words(self) -> pd.DataFrame:
        """The matrix as people read it: the headers of DESIGN §9 and statuses in words."""
        frame = self.items.rename(columns=dict(zip(ITEM_COLUMNS, ITEM_HEADERS)))
        frame["Kind"] = frame["Kind"].map(label)
        frame["Severity"] = frame["Severity"].map(label)
        for visit in self.visits:
            frame[status_header(visit)] = frame[status_header(visit)].map(label)
        return frame

    def groups(self) -> pd.DataFrame:
        """Each status cell's status group (closed, progressing, open, excluded), "" where empty."""
        return pd.DataFrame(
            {status_header(v): self.items[status_header(v)].map(_group_of) for v in self.visits},
            index=self.items.index,
        )


def _group_of(status: str) -> str:
    return STATUS_GROUP[Status(status)].value if status else ""


# ---------------------------------------------------------------- reading the database


def _later_visits(connection: Connection, state: str, baseline_id: str, followup_id: str, level) -> tuple[str, ...]:
    """Visible visits of the State after its baseline, up to the follow-up, oldest first."""
    baseline, followup = aliased(Visit), aliased(Visit)
    query = (
        select(col(Visit.visit_id))
        .join(baseline, col(baseline.visit_id) == baseline_id)
        .join(followup, col(followup.visit_id) == followup_id)
        .where(
            col(Visit.state) == state,
            col(Visit.start_date) > col(baseline.start_date),
            col(Visit.start_date) <= col(followup.start_date),
            visit_visible(level),
        )
        .order_by(col(Visit.start_date), col(Visit.visit_id))
    )
    return tuple(connection.execute(query).scalars())


def _items(connection: Connection, baseline_ids: list[str], level) -> pd.DataFrame:
    """The trackable items of these baseline visits, in taxonomy order, with their visit as `baseline`."""
    parent = aliased(ThematicArea)
    top = func.coalesce(col(ThematicArea.parent), col(ThematicArea.code))
    query = (
        select(
            col(Finding.finding_id),
            col(Finding.area),
            col(ThematicArea.name),
            col(Finding.kind),
            col(Finding.priority),
            func.coalesce(col(Finding.severity), ""),
            col(Finding.title),
            col(Finding.source_ref),
            col(Finding.visit_id),
        )
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .join(ThematicArea, col(ThematicArea.code) == col(Finding.area))
        .join(parent, col(parent.code) == top)
        .where(
            col(Finding.visit_id).in_(baseline_ids),
            col(Finding.kind).in_([k.value for k in TRACKABLE_KINDS]),
            finding_visible(level),
        )
        .order_by(col(parent.sort_order), col(ThematicArea.sort_order), col(Finding.finding_id))
    )
    return pd.DataFrame(connection.execute(query).all(), columns=[*ITEM_COLUMNS, "baseline"])


def _assessments(connection: Connection, baseline_ids: list[str], level) -> pd.DataFrame:
    """Every visible assessment of those items, at whichever visit."""
    query = (
        select(
            col(Finding.visit_id),
            col(Assessment.finding_id),
            col(Assessment.visit_id),
            col(Assessment.status),
            col(Assessment.evidence),
        )
        .join(Finding, col(Finding.finding_id) == col(Assessment.finding_id))
        .where(col(Finding.visit_id).in_(baseline_ids), assessment_visible(level))
    )
    return pd.DataFrame(
        connection.execute(query).all(), columns=["baseline", "finding_id", "visit_id", "status", "evidence"]
    )


def state_matrix(
    engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level: str | Confidentiality | None = None
) -> StateMatrix:
    """The matrix of a State's follow-up (by default its latest) against its baseline, at the level."""
    require_schema(engine)
    visible = effective_level(actor, level)
    result = comparison.compare(engine, actor, iso3, followup, visible)
    with reading(engine) as connection:
        baselines = [result["baseline_visit"]]
        return _build(
            connection,
            result,
            visible,
            _items(connection, baselines, visible),
            _assessments(connection, baselines, visible),
        )


def _build(
    connection: Connection, result: dict, level: Confidentiality, items: pd.DataFrame, assessed: pd.DataFrame
) -> StateMatrix:
    """The State's matrix from the items and assessments of its baseline (those of other baselines are left out)."""
    state, baseline_id, followup_id = result["state"], result["baseline_visit"], result["followup_visit"]
    visits = _later_visits(connection, state, baseline_id, followup_id, level)
    items = items[items["baseline"] == baseline_id].drop(columns="baseline").reset_index(drop=True)
    items["priority"] = items["priority"].astype(bool)
    assessed = assessed[assessed["baseline"] == baseline_id]
    for visit in visits:
        at_visit = assessed[assessed["visit_id"] == visit].set_index("finding_id")
        items[status_header(visit)] = items["finding_id"].map(at_visit["status"]).fillna("").astype(str)
        items[evidence_header(visit)] = items["finding_id"].map(at_visit["evidence"]).fillna("").astype(str)
    name = connection.execute(select(col(MemberState.name)).where(col(MemberState.iso3) == state)).scalar()
    return StateMatrix(state, name or state, baseline_id, followup_id, visits, level, items, result)


def all_matrices(engine: Engine, actor: Actor, level: str | Confidentiality | None = None) -> list[StateMatrix]:
    """The matrix of the latest follow-up of every State that has one visible at the level, by ISO3 code."""
    visible = effective_level(actor, level)
    followups = comparison.followup_visits(engine, actor, level=visible)
    latest = followups.drop_duplicates("state")
    matrices = []
    with reading(engine) as connection:
        # Two queries for every State's items and assessments, rather than two per State.
        baselines = latest["baseline_visit_id"].tolist()
        items, assessed = _items(connection, baselines, visible), _assessments(connection, baselines, visible)
        by_baseline = dict(tuple(items.groupby("baseline", sort=False))) if len(items) else {}
        assessed_by = dict(tuple(assessed.groupby("baseline", sort=False))) if len(assessed) else {}
        for state, visit, baseline in zip(latest["state"], latest["visit_id"], baselines):
            result = comparison.compare(engine, actor, state, visit, visible)
            matrices.append(
                _build(
                    connection,
                    result,
                    visible,
                    by_baseline.get(baseline, items.iloc[0:0]),
                    assessed_by.get(baseline, assessed.iloc[0:0]),
                )
            )
    if not matrices:
        raise NotFound(
            f"no State has a follow-up visit visible at level {visible.value}",
            "record a follow-up visit with a baseline_visit_id, or use a higher --level",
        )
    return matrices


# ---------------------------------------------------------------- writing the workbook


_SUMMARY_COUNTS = (
    ("baseline_gaps", "Baseline gaps"),
    ("gaps_closed", "Gaps closed"),
    ("gaps_progressing", "Gaps progressing"),
    ("gaps_open", "Gaps open"),
    ("gaps_excluded", "Gaps excluded"),
    ("baseline_recommendations", "Baseline recommendations"),
    ("recs_closed", "Recommendations closed"),
    ("recs_progressing", "Recommendations progressing"),
    ("recs_open", "Recommendations open"),
    ("recs_excluded", "Recommendations excluded"),
    ("followup_gaps", "Follow-up gaps"),
    ("new_gaps", "New gaps"),
    ("good_practices_baseline", "Good practices at baseline"),
    ("good_practices_followup", "Good practices at follow-up"),
    ("ta_needs_baseline", "TA needs at baseline"),
    ("ta_needs_followup", "TA needs at follow-up"),
    ("implementation_index", "Implementation index"),
    ("scored_items", "Scored items"),
)
SUMMARY_HEADERS = (
    "State",
    "Follow-up visit",
    "Baseline visit",
    "Area",
    "Thematic area",
    *(header for _, header in _SUMMARY_COUNTS),
)
# The Summary's header row (0-based) under the title, level and date lines.
SUMMARY_HEADER_ROW = 4
_WIDTHS = {"Id": 18, "Area": 12, "Thematic area": 28, "Kind": 15, "Priority": 9, "Severity": 10, "Source": 12}
_TITLE_WIDTH, _EVIDENCE_WIDTH, _STATUS_WIDTH = 60, 40, 24


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        base = {"valign": "top", "font_size": 10}
        self.header = book.add_format(base | {"bold": True, "bg_color": "#e7e6e6", "border": 1, "text_wrap": True})
        self.text = book.add_format(base)
        self.wrapped = book.add_format(base | {"text_wrap": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.note = book.add_format({"italic": True, "font_size": 10})
        self.total = book.add_format(base | {"bold": True, "top": 1})
        self.status = {
            group: book.add_format(
                base | {"bg_color": colour, "font_color": "#ffffff" if group == "closed" else "#000000"}
            )
            for group, colour in STATUS_GROUP_COLOURS.items()
        }


def _page_setup(sheet, title: str, level: Confidentiality) -> None:
    """Landscape, fitted to the page width, with the level in the header and the footer of every page."""
    words = label(level.value)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_header(f"&L{_header_text(title)}&RLevel: {_header_text(words)}")
    sheet.set_footer(f"&LLevel: {_header_text(words)}&RPage &P of &N")


def _header_text(text: str) -> str:
    # & starts a control code in Excel's page headers.
    return text.replace("&", "&&")


def write_matrix(matrices: list[StateMatrix], destination: Path | io.BytesIO) -> None:
    """The Summary sheet, then one sheet per State named by its ISO3 code."""
    level = matrices[0].level
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    target = destination if isinstance(destination, io.BytesIO) else str(destination)
    with xlsxwriter.Workbook(target, options | {"in_memory": True}) as book:
        formats = _Formats(book)
        book.set_properties({"title": "Tracking matrix", "comments": f"Level: {level.value}"})
        _write_summary(book, formats, matrices, level)
        for matrix in matrices:
            _write_state(book, formats, matrix)


def matrix_bytes(matrices: list[StateMatrix]) -> bytes:
    buffer = io.BytesIO()
    write_matrix(matrices, buffer)
    return buffer.getvalue()


def save_matrix(matrices: list[StateMatrix], destination: Path) -> None:
    """Write the workbook next to its destination first, so a file appears only once complete."""
    if destination.suffix.lower() != ".xlsx":
        raise TrackerError(f"{destination} does not end in .xlsx", "name the workbook FILE.xlsx")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    partial.write_bytes(matrix_bytes(matrices))
    partial.replace(destination)


def _write_summary(book, formats: _Formats, matrices: list[StateMatrix], level: Confidentiality) -> None:
    sheet = book.add_worksheet(SUMMARY_SHEET)
    _page_setup(sheet, SUMMARY_SHEET, level)
    sheet.write_string(0, 0, "Tracking matrix: progress per State and thematic area", formats.title)
    sheet.write_string(1, 0, f"Level: {level.value}", formats.note)
    sheet.write_string(2, 0, f"Written: {dt.datetime.now(dt.UTC):%Y-%m-%d} (UTC)", formats.note)
    for column, header in enumerate(SUMMARY_HEADERS):
        sheet.write_string(SUMMARY_HEADER_ROW, column, header, formats.header)
    names = comparison.area_names()
    row = SUMMARY_HEADER_ROW + 1
    for matrix in matrices:
        result = matrix.comparison
        lines = [(area["area"], names.get(area["area"], area["area"]), area, formats.text) for area in result["areas"]]
        lines.append(("TOTAL", "All areas", result["totals"], formats.total))
        for code, name, counts, style in lines:
            sheet.write_row(row, 0, (matrix.state, matrix.followup_visit, matrix.baseline_visit, code, name), style)
            for offset, (field, _) in enumerate(_SUMMARY_COUNTS):
                value = counts[field]
                column = 5 + offset
                if value is None:
                    sheet.write_blank(row, column, None, style)
                else:
                    sheet.write_number(row, column, value, style)
            row += 1
    sheet.freeze_panes(SUMMARY_HEADER_ROW + 1, 0)
    sheet.autofilter(SUMMARY_HEADER_ROW, 0, max(row - 1, SUMMARY_HEADER_ROW), len(SUMMARY_HEADERS) - 1)
    sheet.set_row(SUMMARY_HEADER_ROW, 45)
    sheet.set_column(0, 3, 14)
    sheet.set_column(4, 4, 30)
    sheet.set_column(5, len(SUMMARY_HEADERS) - 1, 12)


def _fit(values, header: str, cap: int) -> int:
    longest = max([len(header), *(len(str(v)) for v in values)]) if len(values) else len(header)
    return min(cap, longest + 2)


def _row_height(values: list, first_status: int) -> float:
    """Room for the wrapped title and evidence: spreadsheets do not grow rows written by a program."""
    lines = math.ceil(len(values[6]) / (_TITLE_WIDTH - 4))
    for column in range(first_status + 1, len(values), 2):
        lines = max(lines, math.ceil(len(values[column]) / (_EVIDENCE_WIDTH - 4)))
    return 13.5 * max(lines, 1)


def _write_state(book, formats: _Formats, matrix: StateMatrix) -> None:
    sheet = book.add_worksheet(matrix.state)
    _page_setup(sheet, f"{matrix.state_name}: {matrix.followup_visit} against {matrix.baseline_visit}", matrix.level)
    headers = list(ITEM_HEADERS)
    for visit in matrix.visits:
        headers += [status_header(visit), evidence_header(visit)]
    sheet.write_row(0, 0, headers, formats.header)
    sheet.repeat_rows(0)
    items = matrix.items
    first_status = len(ITEM_HEADERS)
    # Plain lists: reading a DataFrame cell by cell costs more than writing the cell.
    for index, values in enumerate(items.astype(object).to_numpy().tolist()):
        row = index + 1
        sheet.write_string(row, 0, values[0], formats.text)
        sheet.write_string(row, 1, values[1], formats.text)
        sheet.write_string(row, 2, values[2], formats.wrapped)
        sheet.write_string(row, 3, label(values[3]), formats.text)
        sheet.write_string(row, 4, "Yes" if values[4] else "No", formats.text)
        sheet.write_string(row, 5, label(values[5]), formats.text)
        sheet.write_string(row, 6, escape_cell(values[6]), formats.wrapped)
        sheet.write_string(row, 7, escape_cell(values[7]), formats.text)
        sheet.set_row(row, _row_height(values, first_status))
        for offset in range(len(matrix.visits)):
            column = first_status + 2 * offset
            status = values[column]
            if status:
                sheet.write_string(row, column, STATUS_LABELS[status], formats.status[_group_of(status)])
            else:
                sheet.write_blank(row, column, None, formats.text)
            sheet.write_string(row, column + 1, escape_cell(values[column + 1]), formats.wrapped)
    last_row = max(len(items), 1)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, last_row, len(headers) - 1)
    sheet.set_row(0, 30)
    for column, header in enumerate(ITEM_HEADERS):
        if header == "Finding":
            sheet.set_column(column, column, _TITLE_WIDTH)
        else:
            sheet.set_column(column, column, _fit(items[ITEM_COLUMNS[column]].map(label), header, _WIDTHS[header] + 12))
    for offset, visit in enumerate(matrix.visits):
        column = first_status + 2 * offset
        sheet.set_column(column, column, max(_STATUS_WIDTH, len(status_header(visit)) + 2))
        sheet.set_column(column + 1, column + 1, _EVIDENCE_WIDTH)
    if matrix.visits and len(items):
        latest = first_status + 2 * (len(matrix.visits) - 1)
        sheet.data_validation(
            1,
            latest,
            len(items),
            latest,
            {
                "validate": "list",
                "source": list(STATUS_WORDS),
                "error_type": "warning",
                "error_title": "Not a status",
                "error_message": "Choose one of the ten statuses from the list.",
                "input_title": "Status",
                "input_message": "Choose the status from the list.",
            },
        )


# ---------------------------------------------------------------- reading an edited matrix back


def status_code(text: str) -> str | None:
    """The stored status for a status written in words or as the code, in any letter case."""
    key = "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())
    return _STATUS_KEYS.get(key)


def _suggestion(text: str) -> str:
    close = difflib.get_close_matches(text.strip().capitalize(), list(STATUS_WORDS), n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    return "choose one of " + ", ".join(STATUS_WORDS)


def _same_text(a: str, b: str) -> bool:
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


ASSESSMENT_HEADER = ["finding_id", "visit_id", "status", "evidence"]


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
            stored = _stored_titles(connection, level, [cells[layout.id_column] for _, cells in sheet.rows])
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
                if not _same_text(title, stored[finding_id]):
                    report(
                        line,
                        "Finding",
                        f'the title of {finding_id} differs from the stored one ("{stored[finding_id]}"); '
                        "edit titles in the tracker, not in the matrix",
                    )
                    continue
                for visit_id, status_column, evidence_column in layout.visits:
                    status_text = cells[status_column].strip()
                    evidence = unescape_cell(cells[evidence_column]) if evidence_column is not None else None
                    if not status_text and not (evidence or "").strip():
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
                        report(line, "status", f'"{status_text}" is not a status; {_suggestion(status_text)}')
                        continue
                    row = [finding_id, visit_id, code]
                    yield line, row + ([evidence] if evidence is not None else [])

    return SheetRows(read, place)


@dataclass
class _Layout:
    id_column: int = 0
    title_column: int = 0
    visits: tuple[tuple[str, int, int | None], ...] = ()
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
            evidence = evidence_header(visit_id).lower()
            visits.append((visit_id, column, lowered.index(evidence) if evidence in lowered else None))
    layout.visits = tuple(visits)
    return layout


def _stored_titles(connection: Connection, level: Confidentiality, ids: list[str]) -> dict[str, str]:
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
