"""The tracking matrix (docs/data-formats.md): one row per trackable baseline item, a status and an evidence
column per later visit of the State, on screen, as an Excel workbook, and read back as assessments.
"""

import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from sqlalchemy import Connection, Engine, select
from sqlmodel import col
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings

from tracker.db import reading, require_schema
from tracker.errors import NotFound, TrackerError
from tracker.models import (
    Assessment,
    Confidentiality,
    MemberState,
    listed_state_name,
)
from tracker.services.bundle.across_states import write_combined_sheet
from tracker.services.bundle.files import escape_cell, ooxml_text
from tracker.services.bundle.matrix_model import (
    ITEM_COLUMNS,
    ITEM_HEADERS,
    LATEST_UPDATE_HEADER,
    RAISED_AT,
    STATUS_LABELS,
    STATUS_WORDS,
    SUMMARY_SHEET,
    StateMatrix,
    _group_of,
    assessed_header,
    evidence_header,
    status_header,
)
from tracker.services.bundle.quick_sheet import QuickSheet
from tracker.services.people.access import Actor, assessment_visible, effective_level
from tracker.services.presentation.palette import STATUS_GROUP_COLOURS
from tracker.services.presentation.wording import label
from tracker.services.progress import comparison, register, self_reported
from tracker.services.progress.compared import Comparison, Counts

# ---------------------------------------------------------------- reading the database


def _later_visits(history: register.History, baseline_id: str, followup_id: str) -> tuple[str, ...]:
    """Visible visits of the State after its baseline, up to the follow-up, oldest first."""
    baseline, followup = history.visits[baseline_id], history.visits[followup_id]
    return tuple(
        visit.visit_id
        for visit in history.ordered_visits()
        if baseline.start_date < visit.start_date <= followup.start_date
    )


def _item_frame(history: register.History, result: Comparison, order: dict[str, tuple[Any, ...]]) -> pd.DataFrame:
    """A State's items, each with its status and evidence at each later visit and, in each visit's
    `assessed on` column for now, the (finding_id, visit_id) of the assessment shown (None where none).

    An item's row is that of its chain's earliest finding, and a visit's cells hold the assessment
    made there of any finding of the chain. `raised_at` names the visit that raised the item.
    """
    visits = _later_visits(history, result.baseline_visit, result.followup_visit)
    items = sorted(
        register.register(history, result.followup_visit).in_scope(),
        key=lambda item: (order.get(item.finding.sub_area, (0, 0)), item.finding.finding_id),
    )
    rows = []
    for item in items:
        finding = item.finding
        row = [
            finding.finding_id,
            finding.sub_area,
            finding.sub_area_name,
            finding.kind,
            finding.priority,
            finding.severity,
            finding.title,
            finding.source_ref,
            item.raised_at,
        ]
        judgements = [register.judgement_at(history, item.members, visit) for visit in visits]
        for judgement in judgements:
            row += [judgement.status, judgement.evidence] if judgement else ["", ""]
        # Appended after every status and evidence pair, so those keep their places.
        row += [(judgement.finding_id, judgement.visit_id) if judgement else None for judgement in judgements]
        rows.append(row)
    columns = [*ITEM_COLUMNS, "raised_at"]
    for visit in visits:
        columns += [status_header(visit), evidence_header(visit)]
    columns += [assessed_header(visit) for visit in visits]
    frame = pd.DataFrame(rows, columns=columns)
    frame["priority"] = frame["priority"].astype(bool)
    return frame


def _build(
    connection: Connection, states: list[tuple[register.History, Comparison]], level: Confidentiality
) -> list[StateMatrix]:
    """The matrix of each (history, comparison): each item under follow-up in the follow-up's scope, and
    its assessment at each later visit. The dates, updates and names are read once for all the States."""
    order = comparison.area_order(connection)
    frames = [_item_frame(history, result, order) for history, result in states]
    visits = [_later_visits(history, result.baseline_visit, result.followup_visit) for history, result in states]
    keys = [key for frame, of in zip(frames, visits) for visit in of for key in frame[assessed_header(visit)] if key]
    dates = assessment_dates(connection, level, keys)
    latest = self_reported.latest_claims(connection, level, [i for frame in frames for i in frame["finding_id"]])
    codes = sorted({result.state for _, result in states})
    named = {
        iso3: (name, region)
        for iso3, name, region in connection.execute(
            select(col(MemberState.iso3), listed_state_name(), col(MemberState.region)).where(
                col(MemberState.iso3).in_(codes)
            )
        )
    }
    matrices = []
    for frame, of, (_, result) in zip(frames, visits, states):
        for visit in of:
            frame[assessed_header(visit)] = [dates.get(key, "") if key else "" for key in frame[assessed_header(visit)]]
        frame[LATEST_UPDATE_HEADER] = [
            latest[finding_id].in_words() if finding_id in latest else "" for finding_id in frame["finding_id"]
        ]
        name, region = named.get(result.state, (result.state, ""))
        matrices.append(
            StateMatrix(
                result.state,
                name or result.state,
                result.baseline_visit,
                result.followup_visit,
                of,
                level,
                frame,
                result,
                region or "",
            )
        )
    return matrices


def assessment_dates(
    connection: Connection, level: Confidentiality, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The `assessed_on` of these visible assessments, (finding_id, visit_id), as ISO text."""
    wanted = sorted({finding_id for finding_id, _ in keys})
    found: dict[tuple[str, str], str] = {}
    for start in range(0, len(wanted), 5000):
        query = select(col(Assessment.finding_id), col(Assessment.visit_id), col(Assessment.assessed_on)).where(
            col(Assessment.finding_id).in_(wanted[start : start + 5000]), assessment_visible(level)
        )
        found.update(((f, v), day.isoformat() if day else "") for f, v, day in connection.execute(query))
    return found


def state_matrix(
    engine: Engine, actor: Actor, iso3: str, followup: str | None = None, level: str | Confidentiality | None = None
) -> StateMatrix:
    """The matrix of a State's follow-up (by default its latest) against its baseline, at the level."""
    require_schema(engine)
    visible = effective_level(actor, level)
    result = comparison.compare(engine, actor, iso3, followup, visible)
    with reading(engine) as connection:
        history = register.read_histories(connection, [result.state], visible)[result.state]
        return _build(connection, [(history, result)], visible)[0]


def all_matrices(engine: Engine, actor: Actor, level: str | Confidentiality | None = None) -> list[StateMatrix]:
    """The matrix of the latest follow-up of every State that has one visible at the level, by ISO3 code."""
    visible = effective_level(actor, level)
    followups = comparison.followup_visits(engine, actor, level=visible)
    latest = followups.drop_duplicates("state")
    with reading(engine) as connection:
        # A few queries for every State's history, rather than a few per State, read once for the
        # comparisons and the matrices.
        histories = register.read_histories(connection, latest["state"].tolist(), visible)
        results = comparison.compare_read(connection, latest["visit_id"].tolist(), visible, histories)
        matrices = _build(
            connection,
            [(histories[state], results[visit]) for state, visit in zip(latest["state"], latest["visit_id"])],
            visible,
        )
    if not matrices:
        raise NotFound(
            f"no State has a follow-up visit visible at level {visible.value}",
            "record a follow-up visit with a baseline_visit_id, or use a higher --level",
            page_hint="record a follow-up visit with its baseline visit on the Visits and meetings page, "
            "or choose a higher confidentiality level",
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


def _page_setup(sheet: Any, title: str, level: Confidentiality) -> None:
    """Landscape, fitted to the page width, with the level in the header and the footer of every page."""
    words = label(level.value)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_header(f"&L{_header_text(title)}&RLevel: {_header_text(words)}")
    sheet.set_footer(f"&LLevel: {_header_text(words)}&RPage &P of &N")


def _header_text(text: str) -> str:
    # & starts a control code in Excel's page headers.
    return text.replace("&", "&&")


class _SharedStrings(SharedStrings):  # type: ignore[misc]  # XlsxWriter ships no types
    @staticmethod
    def _escape_control_characters(data: str) -> str:
        # XlsxWriter's own escape misses a sequence that opens on the closing underscore of
        # another: `_x0041_x0042_` would read back as `_x0041B`.
        return ooxml_text(data)


class _Packager(Packager):  # type: ignore[misc]  # XlsxWriter ships no types
    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        strings = _SharedStrings()
        strings.string_table = self.workbook.str_table
        strings._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        strings._assemble_xml_file()


class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]  # XlsxWriter ships no types
    """A workbook whose text cells read back exactly as written (see `ooxml_text`)."""

    def _get_packager(self) -> Packager:
        return _Packager()


def write_matrix(matrices: list[StateMatrix], destination: Path | io.BytesIO) -> None:
    """The Summary sheet, then one sheet per State named by its ISO3 code; with several States, the sheet
    of every State's items (`across_states`) comes first."""
    level = matrices[0].level
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    target = destination if isinstance(destination, io.BytesIO) else str(destination)
    with _Workbook(target, options | {"in_memory": True}) as book:
        formats = _Formats(book)
        book.set_properties({"title": "Tracking matrix", "comments": f"Level: {level.value}"})
        if len(matrices) > 1:
            write_combined_sheet(book, formats, matrices, level)
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


def _write_summary(book: Any, formats: _Formats, matrices: list[StateMatrix], level: Confidentiality) -> None:
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
        # The counts over the items the State's sheet lists: every item under follow-up in scope.
        block = matrix.comparison.all_items
        lines: list[tuple[str, str, Counts, Any]] = [
            (area.area, names.get(area.area, area.area), area, formats.text) for area in block.areas
        ]
        lines.append(("TOTAL", "All areas", block.totals, formats.total))
        for code, name, counts, style in lines:
            sheet.write_row(row, 0, (matrix.state, matrix.followup_visit, matrix.baseline_visit, code, name), style)
            for offset, (field, _) in enumerate(_SUMMARY_COUNTS):
                value = counts.count(field)
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


def _fit(values: "pd.Series[Any]", header: str, cap: int) -> int:
    longest = max([len(header), *(len(str(v)) for v in values)]) if len(values) else len(header)
    return min(cap, longest + 2)


def _row_height(values: list[Any], first_status: int) -> float:
    """Room for the wrapped title and evidence: spreadsheets do not grow rows written by a program."""
    lines = math.ceil(len(values[6]) / (_TITLE_WIDTH - 4))
    for column in range(first_status + 1, len(values), 2):
        lines = max(lines, math.ceil(len(values[column]) / (_EVIDENCE_WIDTH - 4)))
    return 13.5 * max(lines, 1)


def _write_state(book: Any, formats: _Formats, matrix: StateMatrix) -> None:
    sheet = book.add_worksheet(matrix.state, worksheet_class=QuickSheet)
    _page_setup(sheet, f"{matrix.state_name}: {matrix.followup_visit} against {matrix.baseline_visit}", matrix.level)
    headers = list(matrix.item_headers)
    for visit in matrix.visits:
        headers += [status_header(visit), evidence_header(visit)]
    headers += [assessed_header(visit) for visit in matrix.visits] + [LATEST_UPDATE_HEADER]
    sheet.write_row(0, 0, headers, formats.header)
    sheet.repeat_rows(0)
    items = matrix.shown_items()
    first_status = len(matrix.item_headers)
    # Read once: the property compares every row.
    raised_elsewhere = matrix.raised_elsewhere
    after_pairs = first_status + 2 * len(matrix.visits)
    text, wrapped = formats.text, formats.wrapped
    # Plain lists: reading a DataFrame cell by cell costs more than writing the cell.
    for index, values in enumerate(items.astype(object).to_numpy().tolist()):
        cells = [
            (0, values[0], text),
            (1, values[1], text),
            (2, values[2], wrapped),
            (3, label(values[3]), text),
            (4, "Yes" if values[4] else "No", text),
            (5, label(values[5]), text),
            (6, escape_cell(values[6]), wrapped),
            (7, escape_cell(values[7]), text),
        ]
        if raised_elsewhere:
            cells.append((8, values[8], text))
        for offset in range(len(matrix.visits)):
            column = first_status + 2 * offset
            status = values[column]
            if status:
                cells.append((column, STATUS_LABELS[status], formats.status[_group_of(status)]))
            else:
                cells.append((column, "", text))
            cells.append((column + 1, escape_cell(values[column + 1]), wrapped))
        cells += [(column, values[column], text) for column in range(after_pairs, after_pairs + len(matrix.visits))]
        cells.append((after_pairs + len(matrix.visits), escape_cell(values[-1]), wrapped))
        sheet.quick_row(index + 1, cells, _row_height(values, first_status))
    last_row = max(len(items), 1)
    sheet._check_dimensions(last_row, len(headers) - 1)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, last_row, len(headers) - 1)
    sheet.set_row(0, 30)
    if raised_elsewhere:
        sheet.set_column(8, 8, _fit(items["raised_at"], RAISED_AT, 24))
    for column, header in enumerate(ITEM_HEADERS):
        if header == "Finding":
            sheet.set_column(column, column, _TITLE_WIDTH)
        else:
            sheet.set_column(column, column, _fit(items[ITEM_COLUMNS[column]].map(label), header, _WIDTHS[header] + 12))
    for offset, visit in enumerate(matrix.visits):
        column = first_status + 2 * offset
        sheet.set_column(column, column, max(_STATUS_WIDTH, len(status_header(visit)) + 2))
        sheet.set_column(column + 1, column + 1, _EVIDENCE_WIDTH)
    after_pairs = first_status + 2 * len(matrix.visits)
    for offset, visit in enumerate(matrix.visits):
        sheet.set_column(after_pairs + offset, after_pairs + offset, len(assessed_header(visit)) + 2)
    sheet.set_column(after_pairs + len(matrix.visits), after_pairs + len(matrix.visits), _EVIDENCE_WIDTH)
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
