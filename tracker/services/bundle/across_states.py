"""Every State's tracking matrix as one table: one row per item under follow-up, with its State and region,
and its status and evidence at the State's latest follow-up visit (docs/data-formats.md).

On screen it is the matrix across States; in the every-State workbook it is the sheet `All States`,
before the Summary. That sheet is for filtering and reading: an import reads the State sheets only.
"""

import datetime as dt
from typing import Any

import pandas as pd

from tracker.models import STATUS_GROUP, Confidentiality, Status
from tracker.services.bundle.files import escape_cell
from tracker.services.bundle.matrix_model import (
    LATEST_UPDATE_HEADER,
    STATUS_LABELS,
    StateMatrix,
    assessed_header,
    evidence_header,
    status_header,
)
from tracker.services.bundle.quick_sheet import QuickSheet
from tracker.services.presentation.wording import label

COMBINED_SHEET = "All States"
# The combined sheet's header row (0-based) under the title, level, date and note lines.
COMBINED_HEADER_ROW = 4
COMBINED_HEADERS = (
    "State",
    "State name",
    "Region",
    "Baseline visit",
    "Follow-up visit",
    "Id",
    "Area",
    "Thematic area",
    "Kind",
    "Priority",
    "Severity",
    "Finding",
    "Raised at",
    "Status",
    "Status group",
    "Evidence",
    "Assessed on",
    LATEST_UPDATE_HEADER,
)
# Codes beside the words, for filtering: the kind, the status and its group ("" where not assessed).
CODE_COLUMNS = ("kind_code", "status_code", "group_code")
_WIDTHS = {
    "State": 7,
    "State name": 24,
    "Region": 16,
    "Baseline visit": 14,
    "Follow-up visit": 14,
    "Id": 16,
    "Area": 12,
    "Thematic area": 26,
    "Kind": 15,
    "Priority": 9,
    "Severity": 10,
    "Finding": 60,
    "Raised at": 14,
    "Status": 22,
    "Status group": 13,
    "Evidence": 50,
    "Assessed on": 12,
    LATEST_UPDATE_HEADER: 40,
}


def combined_items(matrices: list[StateMatrix]) -> pd.DataFrame:
    """One row per item of every State's matrix, at its State's latest follow-up: COMBINED_HEADERS in words,
    then CODE_COLUMNS. States in the order given, items in their matrix's order."""
    columns: dict[str, list[object]] = {name: [] for name in (*COMBINED_HEADERS, *CODE_COLUMNS)}
    kinds = {code: label(code) for code in ("shortfall", "recommendation")}
    groups = {status.value: STATUS_GROUP[status].value for status in Status} | {"": ""}
    for matrix in matrices:
        items = matrix.items
        count = len(items)
        latest = matrix.visits[-1] if matrix.visits else None
        statuses = items[status_header(latest)].tolist() if latest else [""] * count
        for name, value in (
            ("State", matrix.state),
            ("State name", matrix.state_name),
            ("Region", matrix.region),
            ("Baseline visit", matrix.baseline_visit),
            ("Follow-up visit", matrix.followup_visit),
        ):
            columns[name] += [value] * count
        for name, column in (
            ("Id", "finding_id"),
            ("Area", "area"),
            ("Thematic area", "area_name"),
            ("Finding", "title"),
            ("Raised at", "raised_at"),
            (LATEST_UPDATE_HEADER, LATEST_UPDATE_HEADER),
        ):
            columns[name] += items[column].tolist()
        codes = items["kind"].tolist()
        columns["Kind"] += [kinds.get(code) or label(code) for code in codes]
        columns["kind_code"] += codes
        columns["Priority"] += ["Yes" if flag else "No" for flag in items["priority"].tolist()]
        columns["Severity"] += [label(severity) for severity in items["severity"].tolist()]
        columns["Status"] += [STATUS_LABELS[code] if code else "" for code in statuses]
        columns["status_code"] += statuses
        columns["group_code"] += [groups[code] for code in statuses]
        columns["Status group"] += [label(groups[code]) for code in statuses]
        columns["Evidence"] += items[evidence_header(latest)].tolist() if latest else [""] * count
        columns["Assessed on"] += items[assessed_header(latest)].tolist() if latest else [""] * count
    return pd.DataFrame(columns, dtype=object)


def write_combined_sheet(book: Any, formats: Any, matrices: list[StateMatrix], level: Confidentiality) -> None:
    """The sheet `All States`: a title, the level and the date, then one row per item, with an autofilter."""
    frame = combined_items(matrices)
    sheet = book.add_worksheet(COMBINED_SHEET, worksheet_class=QuickSheet)
    words = label(level.value)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_header(f"&L{COMBINED_SHEET}&RLevel: {words}")
    sheet.set_footer(f"&LLevel: {words}&RPage &P of &N")
    sheet.write_string(0, 0, "Tracking matrix: every item of every State, at its latest follow-up visit", formats.title)
    sheet.write_string(1, 0, f"Level: {level.value}", formats.note)
    sheet.write_string(2, 0, f"Written: {dt.datetime.now(dt.UTC):%Y-%m-%d} (UTC)", formats.note)
    sheet.write_string(
        3,
        0,
        "Filter and read here; edit statuses and evidence in the State sheets, which an import reads.",
        formats.note,
    )
    sheet.write_row(COMBINED_HEADER_ROW, 0, COMBINED_HEADERS, formats.header)
    status_column = COMBINED_HEADERS.index("Status")
    wrapped = {COMBINED_HEADERS.index(name) for name in ("Finding", "Evidence", LATEST_UPDATE_HEADER)}
    styles = [formats.wrapped if column in wrapped else formats.text for column in range(len(COMBINED_HEADERS))]
    finding, evidence = COMBINED_HEADERS.index("Finding"), COMBINED_HEADERS.index("Evidence")
    values = frame[list(COMBINED_HEADERS)].to_numpy().tolist()
    for offset, (row_values, group) in enumerate(zip(values, frame["group_code"].tolist())):
        cells = [
            (column, value, formats.status[group])
            if column == status_column and group
            else (column, escape_cell(value), styles[column])
            for column, value in enumerate(row_values)
            if value
        ]
        # Room for the wrapped texts: spreadsheets do not grow rows written by a program.
        lines = max(len(row_values[finding]) // 56, len(row_values[evidence]) // 46) + 1
        sheet.quick_row(COMBINED_HEADER_ROW + 1 + offset, cells, 13.5 * min(lines, 12) if lines > 1 else None)
    last_row = COMBINED_HEADER_ROW + max(len(values), 1)
    sheet._check_dimensions(last_row, len(COMBINED_HEADERS) - 1)
    sheet.freeze_panes(COMBINED_HEADER_ROW + 1, 0)
    sheet.autofilter(COMBINED_HEADER_ROW, 0, last_row, len(COMBINED_HEADERS) - 1)
    sheet.set_row(COMBINED_HEADER_ROW, 30)
    for column, header in enumerate(COMBINED_HEADERS):
        sheet.set_column(column, column, _WIDTHS[header])
