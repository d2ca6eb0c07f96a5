"""Export of the database as a CSV bundle (DESIGN §4), streamed row by row."""

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, select
from sqlmodel import col

from tracker.db import require_schema
from tracker.errors import TrackerError
from tracker.models import Confidentiality, Finding, Visit
from tracker.services import datapackage
from tracker.services.access import (
    Actor,
    assessment_visible,
    effective_level,
    finding_visible,
    meeting_visible,
    milestone_visible,
    ta_visible,
    visible_addresses,
    visible_baseline,
    visible_continues,
    visit_visible,
)
from tracker.services.bundle_format import FILES, FileSpec, format_cell

# A fixed timestamp keeps the bytes of a .zip bundle the same from one export to the next.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# References to rows above the level are left blank: the bundle names no hidden key and imports on its own.
_REFERENCES = {
    "baseline_visit_id": visible_baseline,
    "continues": visible_continues,
    "addresses": visible_addresses,
}


def _rows_query(spec: FileSpec, level: Confidentiality) -> Select:
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
    return query


def _finding_shown(column: ColumnElement, level: Confidentiality) -> ColumnElement[bool]:
    """The finding this column names is one the reader may see."""
    return (
        select(col(Finding.finding_id))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .where(col(Finding.finding_id) == column, finding_visible(level))
        .exists()
    )


def _link_query(spec: FileSpec, column: str, level: Confidentiality) -> Select:
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


def _records(connection: Connection, spec: FileSpec, level: Confidentiality) -> Iterator[list[str]]:
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


def _grouped(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[str, list]]:
    owner: str = ""
    values: list = []
    for row_owner, value in rows:
        if row_owner != owner and values:
            yield owner, values
            values = []
        owner = row_owner
        values.append(value)
    if values:
        yield owner, values


def write_csv(stream: io.TextIOBase, spec: FileSpec, records) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    # The csv module quotes only the line terminator's characters, so a cell holding a bare
    # carriage return goes through a CRLF writer, whose row end is then written as "\n".
    row_buffer = io.StringIO()
    cr_writer = csv.writer(row_buffer, lineterminator="\r\n")
    writer.writerow(spec.columns)
    count = 0
    for record in records:
        if "\r" in "".join(record):
            row_buffer.seek(0)
            row_buffer.truncate()
            cr_writer.writerow(record)
            stream.write(row_buffer.getvalue()[:-2] + "\n")
        else:
            writer.writerow(record)
        count += 1
    return count


def export_bundle(
    engine: Engine, destination: Path, actor: Actor, level: str | Confidentiality | None = None
) -> dict[str, int]:
    """Write every bundle file to a folder or a .zip, with the Data Package that describes them;
    returns the rows written per file. A destination ending in .xlsx gets a workbook bundle."""
    if destination.suffix.lower() == ".xlsx":
        from tracker.services.workbook import export_workbook

        return export_workbook(engine, destination, actor, level)
    require_schema(engine)
    visible = effective_level(actor, level)
    counts: dict[str, int] = {}
    as_zip = destination.suffix.lower() == ".zip"
    target = destination.parent if as_zip else destination
    if target.exists() and not target.is_dir():
        raise TrackerError(f"{target} is a file, not a folder", "give a folder or a path ending in .zip")
    target.mkdir(parents=True, exist_ok=True)
    with engine.connect() as connection:
        if as_zip:
            partial = destination.with_name(destination.name + ".part")
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
                for spec in FILES:
                    info = zipfile.ZipInfo(spec.name, _ZIP_DATE)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    with bundle.open(info, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                        counts[spec.name] = write_csv(text, spec, _records(connection, spec, visible))
                package = zipfile.ZipInfo(datapackage.NAME, _ZIP_DATE)
                package.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(package, datapackage.datapackage_bytes())
            partial.replace(destination)
        else:
            for spec in FILES:
                partial = destination / (spec.name + ".part")
                with partial.open("w", encoding="utf-8", newline="") as text:
                    counts[spec.name] = write_csv(text, spec, _records(connection, spec, visible))
                partial.replace(destination / spec.name)
            (destination / datapackage.NAME).write_bytes(datapackage.datapackage_bytes())
    return counts


def bundle_zip_bytes(engine: Engine, actor: Actor, level: str | Confidentiality | None = None) -> bytes:
    """The bundle as .zip bytes, for a download."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.zip"
        export_bundle(engine, path, actor, level)
        return path.read_bytes()


def bundle_workbook_bytes(engine: Engine, actor: Actor, level: str | Confidentiality | None = None) -> bytes:
    """The bundle as the five sheets of an .xlsx, for a download."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.xlsx"
        export_bundle(engine, path, actor, level)
        return path.read_bytes()


def template_bytes() -> dict[str, bytes]:
    """Each bundle file with its header row only: a blank form to fill in."""
    return {spec.name: (",".join(spec.columns) + "\n").encode() for spec in FILES}
