"""A bundle file's columns are its input model's fields, declared once; everything else derives from them.

The checklist in docs/developers.md ("Adding a column") lists what is still to touch by hand; these
tests fail when a declared column is missing from any place that should carry it.
"""

import csv
import io

from pydantic import Field
from python_calamine import CalamineWorkbook
from sqlalchemy import Column, MetaData, Table, Text

from tracker.models import Confidentiality, FindingCreate
from tracker.models.inputs import Text_
from tracker.services.bundle import datapackage, quick_rows, workbook
from tracker.services.bundle.exporter import export_bundle, template_bytes, template_of
from tracker.services.bundle.files import FILES, SPECS, FileSpec
from tracker.services.bundle.importer.reading import validated
from tracker.services.bundle.importer.result import ImportResult
from tracker.services.bundle.rows import _rows_query
from tracker.services.people.access import LOCAL_ADMIN


def _sheet_header(spec: FileSpec) -> list[str]:
    stream = io.StringIO()
    workbook._write_sheet(stream, spec, [])
    text = stream.getvalue()
    return [cell.split("<t>")[1] for cell in text.split("</t>")[:-1]]


def _selected(spec: FileSpec) -> list[str]:
    return [column.name for column in _rows_query(spec, Confidentiality.restricted).selected_columns]


def test_every_file_takes_its_columns_from_its_input_model():
    for spec in FILES:
        assert spec.columns == tuple(spec.model.model_fields), spec.name


def test_every_declared_column_is_stored_exported_described_and_read(tmp_path, engine):
    exported = tmp_path / "bundle"
    export_bundle(engine, exported, LOCAL_ADMIN)
    export_bundle(engine, tmp_path / "bundle.xlsx", LOCAL_ADMIN)
    sheets = CalamineWorkbook.from_path(str(tmp_path / "bundle.xlsx"))
    resources = {resource["path"]: resource for resource in datapackage.datapackage()["resources"]}
    templates = template_bytes()
    for spec in FILES:
        columns = list(spec.columns)
        # Stored: each column is a column of the file's table, or of the table of a list column.
        assert all(c in spec.table.c or c in spec.links for c in columns), spec.name
        assert _selected(spec) == list(spec.stored), spec.name
        # Exported as CSV, as a workbook sheet, as a template, and described in datapackage.json.
        with (exported / spec.name).open(encoding="utf-8") as text:
            assert next(csv.reader(text)) == columns, spec.name
        sheet = spec.name.removesuffix(".csv")
        assert sheets.get_sheet_by_name(sheet).to_python()[0] == columns, spec.name
        assert templates[spec.name].decode().rstrip("\n").split(",") == columns, spec.name
        assert [field["name"] for field in resources[spec.name]["schema"]["fields"]] == columns, spec.name


def test_the_quick_reading_knows_every_column_of_the_files_it_reads_by_cell():
    for spec in (SPECS["findings.csv"], SPECS["assessments.csv"]):
        assert quick_rows.quick_reader(spec, list(spec.columns)) is not None, spec.name


class _FindingWithReference(FindingCreate):
    """A finding as it would be with one column more, added to its input model (checklist step 1)."""

    external_ref: str = ""


class _FindingWithNote(FindingCreate):
    """A finding with one column more, of a type the quick reading already reads (checklist step 3)."""

    external_ref: Text_ = ""


ROW = {
    "finding_id": "KOR-2009-F01",
    "visit_id": "KOR-2009",
    "area": "LEG",
    "kind": "shortfall",
    "title": "A gap",
    "external_ref": "ICAO-42",
}


def _spec_of(model: type[FindingCreate]) -> FileSpec:
    findings = SPECS["findings.csv"]
    return FileSpec(findings.name, findings.entity, _table_with_reference(), findings.key, model, findings.links)


def _table_with_reference() -> Table:
    findings = SPECS["findings.csv"].table
    return Table(
        findings.name, MetaData(), *(column._copy() for column in findings.columns), Column("external_ref", Text)
    )


def test_a_column_added_to_the_model_reaches_every_derived_place():
    findings = SPECS["findings.csv"]
    spec = _spec_of(_FindingWithReference)

    assert spec.columns == (*findings.columns, "external_ref")
    assert "external_ref" in spec.stored and "external_ref" not in spec.required
    assert template_of(spec).decode() == ",".join(findings.columns) + ",external_ref\n"
    assert _sheet_header(spec) == list(spec.columns)
    assert datapackage._resource(spec)["schema"]["fields"][-1] == {"name": "external_ref", "type": "string"}
    assert _selected(spec)[-1] == "external_ref"
    # The quick reading does not know the column's type (a plain str): the model reads every row, and keeps it.
    assert quick_rows.quick_reader(spec, list(spec.columns)) is None
    values = validated(spec, 2, ROW, ImportResult())
    assert values is not None and values["external_ref"] == "ICAO-42"


def test_a_column_of_a_type_the_quick_reading_knows_is_read_quickly():
    spec = _spec_of(_FindingWithNote)
    columns = list(ROW)

    quick = quick_rows.quick_reader(spec, columns)
    assert quick is not None
    values = quick(list(ROW.values()))
    assert tuple(values) == spec.columns
    assert values == validated(spec, 2, ROW, ImportResult())
    assert values["external_ref"] == "ICAO-42"
    # A header without the column: the quick reading gives the model's default, as the model does.
    left_out = {c: v for c, v in ROW.items() if c != "external_ref"}
    quick = quick_rows.quick_reader(spec, list(left_out))
    assert quick is not None
    assert quick(list(left_out.values())) == validated(spec, 2, left_out, ImportResult())


def test_a_column_whose_default_an_empty_cell_would_not_give_is_read_by_the_model_when_left_out():
    class _FindingWithDefaultNote(FindingCreate):
        external_ref: Text_ = "none given"

    spec = _spec_of(_FindingWithDefaultNote)
    left_out = {c: v for c, v in ROW.items() if c != "external_ref"}
    assert quick_rows.quick_reader(spec, list(ROW)) is not None
    assert quick_rows.quick_reader(spec, list(left_out)) is None
    values = validated(spec, 2, left_out, ImportResult())
    assert values is not None and values["external_ref"] == "none given"


def test_a_column_with_a_check_of_its_own_is_read_by_the_model():
    class _FindingWithShortNote(FindingCreate):
        external_ref: Text_ = Field("", max_length=4)

    spec = _spec_of(_FindingWithShortNote)
    assert quick_rows.quick_reader(spec, list(ROW)) is None
    assert validated(spec, 2, ROW, ImportResult()) is None
