"""A bundle file's rows as the reader may see them, read from the database in key order.

The CSV bundle and the workbook bundle both write these rows, so both show exactly the same cells.
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, select
from sqlmodel import col

from tracker.models import Confidentiality, Finding, Visit
from tracker.services.bundle.files import FileSpec, format_cell
from tracker.services.people.access import (
    assessment_visible,
    finding_visible,
    meeting_visible,
    milestone_visible,
    ta_visible,
    update_item_visible,
    update_visible,
    visible_addresses,
    visible_baseline,
    visible_continues,
    visit_visible,
)

# References to rows above the level are left blank: the bundle names no hidden key and imports on its own.
_REFERENCES = {
    "baseline_visit_id": visible_baseline,
    "continues": visible_continues,
    "addresses": visible_addresses,
}


def _rows_query(spec: FileSpec, level: Confidentiality) -> Select[*tuple[Any, ...]]:
    table = spec.table
    # A bundle keeps withdrawn rows with their reason, so a round trip keeps the withdrawal.
    columns = [
        _REFERENCES[c](level, include_withdrawn=True).label(c) if c in _REFERENCES else table.c[c] for c in spec.stored
    ]
    query = select(*columns).order_by(*[table.c[k] for k in spec.key])
    match spec.entity:
        case "visit":
            return query.where(visit_visible(level, include_withdrawn=True))
        case "finding" | "meeting" | "milestone":
            visible = {"finding": finding_visible, "meeting": meeting_visible, "milestone": milestone_visible}
            return query.join(Visit, col(Visit.visit_id) == table.c.visit_id).where(
                visible[spec.entity](level, include_withdrawn=True)
            )
        case "ta_record":
            return (
                query.join(Finding, col(Finding.finding_id) == table.c.finding_id)
                .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
                .where(ta_visible(level, include_withdrawn=True))
            )
        case "assessment":
            return query.where(assessment_visible(level, include_withdrawn=True))
        case "link_decision":
            return query.where(*(_finding_shown(table.c[column], level) for column in ("finding_id", "baseline_id")))
        case "state_update":
            return query.where(update_visible(level, include_withdrawn=True))
        case "update_item":
            return query.where(update_item_visible(level, include_withdrawn=True))
        case "member_state":
            # The seeded Member States come with every installation; the file holds the entities added.
            return query.where(table.c.member_state.is_(False))
    return query


def _finding_shown(column: ColumnElement[Any], level: Confidentiality) -> ColumnElement[bool]:
    """The finding this column names is one the reader may see."""
    return (
        select(col(Finding.finding_id))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .where(col(Finding.finding_id) == column, finding_visible(level))
        .exists()
    )


def _link_query(spec: FileSpec, column: str, level: Confidentiality) -> Select[*tuple[Any, ...]]:
    link = spec.links[column]
    owner = link.table.c[link.owner]
    visible_owners = _rows_query(spec, level).with_only_columns(spec.table.c[spec.key[0]])
    return (
        select(owner, link.table.c[link.value])
        .where(owner.in_(visible_owners))
        .order_by(owner, link.table.c[link.value])
    )


# A text cell starting with none of these is written as it is; other values go through format_cell.
_NEEDS_FORMAT = frozenset("'=+-@\t\r")


def file_records(connection: Connection, spec: FileSpec, level: Confidentiality) -> Iterator[list[str]]:
    """The file's rows in key order, list columns merged in from their link tables as they stream."""
    streams = {
        column: _grouped(connection.execution_options(yield_per=5000).execute(_link_query(spec, column, level)))
        for column in spec.links
    }
    heads = {column: next(stream, None) for column, stream in streams.items()}
    # Where each list column goes among the stored ones, in ascending order so inserts land right.
    positions = sorted((spec.columns.index(column), column) for column in spec.links)
    key_at = spec.stored.index(spec.key[0])
    for row in connection.execution_options(yield_per=5000).execute(_rows_query(spec, level)):
        values = list(row)
        for position, column in positions:
            head = heads[column]
            if head is not None and head[0] == row[key_at]:
                values.insert(position, head[1])
                heads[column] = next(streams[column], None)
            else:
                values.insert(position, [])
        yield [
            v if v.__class__ is str and v[:1] not in _NEEDS_FORMAT else "" if v is None else format_cell(v)
            for v in values
        ]


def _grouped(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[str, list[Any]]]:
    owner: str = ""
    values: list[Any] = []
    for row_owner, value in rows:
        if row_owner != owner and values:
            yield owner, values
            values = []
        owner = row_owner
        values.append(value)
    if values:
        yield owner, values
