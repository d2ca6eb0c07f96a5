"""Export of the database as a CSV bundle (docs/data-formats.md), streamed row by row."""

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tracker.db import require_schema
from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services.bundle import datapackage
from tracker.services.bundle.files import FILES, FileSpec
from tracker.services.bundle.rows import file_records
from tracker.services.people.access import Actor, effective_level

# A fixed timestamp keeps the bytes of a .zip bundle the same from one export to the next.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_csv(stream: io.TextIOBase, spec: FileSpec, records: Any) -> int:
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
        from tracker.services.bundle.workbook import export_workbook

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
                        counts[spec.name] = write_csv(text, spec, file_records(connection, spec, visible))
                package = zipfile.ZipInfo(datapackage.NAME, _ZIP_DATE)
                package.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(package, datapackage.datapackage_bytes())
            partial.replace(destination)
        else:
            for spec in FILES:
                partial = destination / (spec.name + ".part")
                with partial.open("w", encoding="utf-8", newline="") as text:
                    counts[spec.name] = write_csv(text, spec, file_records(connection, spec, visible))
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
    return {spec.name: template_of(spec) for spec in FILES}


def template_of(spec: FileSpec) -> bytes:
    """A bundle file's header row: its columns, in their order."""
    return (",".join(spec.columns) + "\n").encode()
