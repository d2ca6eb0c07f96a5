"""The `Latest State update` column of a tracking matrix, read back as rows of update_items.csv.

The column shows what the State last said of an item in a written update, e.g.
`Fully implemented (self-reported, 2016-06-30, KOR-U-2016)`. An analyst may correct the status or
name another update of the State there; the cell is then what that update says of the item: a
self-reported status, never counted. An empty cell changes nothing.
"""

import re
from collections.abc import Iterator

from sqlalchemy import Connection, select
from sqlmodel import col
from xlsxwriter.utility import xl_rowcol_to_cell

from tracker.models import Confidentiality, Update
from tracker.services.bundle.files import Report, SheetRows, unescape_cell
from tracker.services.bundle.matrix_model import LATEST_UPDATE_HEADER
from tracker.services.bundle.matrix_reading import MatrixSheet, same_text, status_code, stored_titles, suggestion_for
from tracker.services.people.access import update_visible

UPDATE_ITEM_HEADER = ["finding_id", "update_id", "status"]
_CLAIM = re.compile(
    r"^\s*(?P<status>[^()]+?)\s*\(\s*(?:self-reported\s*,\s*)?"
    r"(?:(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})\s*,\s*)?(?P<update>[^,()\s]+)\s*\)\s*$",
    re.IGNORECASE,
)
_FORM = "write it as Status (self-reported, YYYY-MM-DD, UPDATE_ID), e.g. Fully implemented (self-reported, 2016-06-30, KOR-U-2016)"


def has_claims(sheet: MatrixSheet) -> bool:
    """Whether the sheet has a filled `Latest State update` cell."""
    lowered = [h.strip().lower() for h in sheet.header]
    if LATEST_UPDATE_HEADER.lower() not in lowered:
        return False
    at = lowered.index(LATEST_UPDATE_HEADER.lower())
    return any(cells[at].strip() for _, cells in sheet.rows)


def matrix_update_rows(sheets: list[MatrixSheet]) -> SheetRows:
    """The filled `Latest State update` cells of State sheets as the rows of an update_items.csv.

    Rows whose Id or Finding the assessments' reading refuses are left to it, so a problem is told once.
    """
    places: dict[int, str] = {}

    def place(line: int, column: str) -> str:
        return places.get(line, f"line {line}")

    def read(connection: Connection, level: Confidentiality, report: Report) -> Iterator[tuple[int, list[str]]]:
        yield 1, list(UPDATE_ITEM_HEADER)
        line = 1
        received = _received_on(connection, level)
        for sheet in sheets:
            lowered = [h.strip().lower() for h in sheet.header]
            if not {"id", "finding", LATEST_UPDATE_HEADER.lower()} <= set(lowered):
                continue
            id_at, title_at = lowered.index("id"), lowered.index("finding")
            claim_at = lowered.index(LATEST_UPDATE_HEADER.lower())
            filled = [(number, cells) for number, cells in sheet.rows if cells[claim_at].strip()]
            titles = stored_titles(connection, level, [cells[id_at] for _, cells in filled])
            for number, cells in filled:
                finding_id = cells[id_at].strip()
                if finding_id not in titles or not same_text(unescape_cell(cells[title_at]), titles[finding_id]):
                    continue
                line += 1
                places[line] = f"{sheet.name}!{xl_rowcol_to_cell(number - 1, claim_at)}"
                text = cells[claim_at].strip()
                found = _CLAIM.match(text)
                if found is None:
                    report(line, LATEST_UPDATE_HEADER, f'"{text}" is not a self-reported status; {_FORM}')
                    continue
                code = status_code(found["status"])
                if code is None:
                    report(
                        line,
                        LATEST_UPDATE_HEADER,
                        f'"{found["status"]}" is not a status; {suggestion_for(found["status"])}',
                    )
                    continue
                update_id, day = found["update"], found["date"]
                if day and update_id in received and received[update_id] != day:
                    report(
                        line,
                        LATEST_UPDATE_HEADER,
                        f"update {update_id} was received on {received[update_id]}, not {day}; "
                        "correct the date, or name the update received that day",
                    )
                    continue
                yield line, [finding_id, update_id, code]

    return SheetRows(read, place)


def _received_on(connection: Connection, level: Confidentiality) -> dict[str, str]:
    """The date each visible update was received, as ISO text."""
    return {
        update_id: day.isoformat()
        for update_id, day in connection.execute(
            select(col(Update.update_id), col(Update.received_on)).where(update_visible(level))
        )
    }
