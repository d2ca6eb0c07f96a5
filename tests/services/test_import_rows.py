"""Rows a form holds go to the importer as rows: the same checks, upsert and audit as a bundle file."""

import pytest
from sqlalchemy import select

from tests.conftest import finding_row, visit_row, write_bundle
from tracker.models import Finding
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer import RowError, import_bundle, import_rows
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN


@pytest.fixture
def visited(engine, tmp_path):
    folder = write_bundle(tmp_path / "bundle", visits=[visit_row()])
    assert import_bundle(engine, sources_from_paths([folder]), LOCAL_ADMIN).ok
    return engine


def test_rows_are_stored_as_given_line_breaks_and_formula_marks_included(visited):
    detail = "First line\r\nsecond line\rthird\n=SUM(A1)"
    rows = [finding_row("KOR-2009-F01", detail=detail), finding_row("KOR-2009-F02", title="'=quoted")]

    result = import_rows(visited, {"findings.csv": rows}, LOCAL_ADMIN)

    assert result.ok and result.counts["findings.csv"].created == 2
    with visited.connect() as connection:
        stored = dict(connection.execute(select(Finding.finding_id, Finding.detail)).all())
        titles = dict(connection.execute(select(Finding.finding_id, Finding.title)).all())
    assert stored["KOR-2009-F01"] == detail
    assert titles["KOR-2009-F02"] == "'=quoted"


def test_an_error_names_the_file_the_row_line_and_the_origin_writes_nothing(visited):
    rows = [finding_row("KOR-2009-F01", detail="two\nlines"), finding_row("KOR-2009-F02", area="NOPE")]

    result = import_rows(visited, {"findings.csv": rows}, LOCAL_ADMIN)

    assert not result.ok
    assert result.errors == [
        RowError(
            "findings.csv",
            3,
            "area",
            "NOPE is not a thematic area; use a code from areas.csv such as LEG or BM.AVIATION",
            row=2,
            key="KOR-2009-F02",
        )
    ]
    with visited.connect() as connection:
        assert connection.execute(select(Finding.finding_id)).all() == []


def test_a_column_the_file_does_not_take_is_named(visited):
    result = import_rows(visited, {"findings.csv": [finding_row("KOR-2009-F01", colour="red")]}, LOCAL_ADMIN)

    assert [str(error) for error in result.errors] == [
        f"findings.csv:1: colour: unknown column; findings.csv takes {', '.join(SPECS['findings.csv'].columns)}"
    ]
