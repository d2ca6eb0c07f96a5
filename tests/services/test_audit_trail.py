"""The audit trail of a bulk import: one import event, and still who created each row, when, with which values."""

import csv
import datetime as dt
import json
import zlib

import pytest
from sqlalchemy import select

from bench.generate import generate
from tracker.models import Confidentiality, Role
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people import audit
from tracker.services.people.access import Actor
from tracker.services.records import history

FINDINGS = 100_000
IMPORTER = Actor("ines", Role.analyst, Confidentiality.restricted)


@pytest.fixture(scope="session")
def large_bundle(tmp_path_factory):
    """The benchmark's synthetic bundle, made once per test session."""
    folder = tmp_path_factory.mktemp("bundle-100000")
    generate(FINDINGS, folder, seed=1)
    return folder


def _csv_row(folder, name: str, number: int) -> dict:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            if index == number:
                return row
    raise AssertionError(f"{name} has no row {number}")


def _as_cell(value) -> str:
    """A stored value as the bundle writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "" if value is None else str(value)


@pytest.mark.slow
def test_the_trail_names_the_creator_time_and_values_of_a_row_from_a_100000_row_import(engine, large_bundle):
    started = dt.datetime.now(dt.UTC)
    result = import_bundle(engine, sources_from_paths([large_bundle]), IMPORTER)
    finished = dt.datetime.now(dt.UTC)
    assert result.ok, result.errors[:3]
    assert result.counts["findings.csv"].created == FINDINGS

    row = _csv_row(large_bundle, "findings.csv", 76_543)
    key = row["finding_id"]
    # The History panel: one creation, by the importer, at the import.
    lines = history.history(engine, IMPORTER, "finding", key)
    created = lines[lines["action"] == "create"]
    assert set(created["username"]) == {IMPORTER.username}
    (at,) = set(created["at"])
    assert started <= at <= finished

    # The service History reads it from: every value of the CSV row, as the import stored it.
    with engine.connect() as connection:
        table = SPECS["findings.csv"].table
        event = connection.execute(select(table.c.created_in).where(table.c.finding_id == key)).scalar_one()
        (creation,) = audit.creations(connection, [("finding", key, event)])
    assert event == result.event
    assert (creation["username"], creation["at"], creation["action"]) == (IMPORTER.username, at, "create")
    values = {field: new for field, (_, new) in json.loads(creation["changes"]).items()}
    assert {column: _as_cell(values.get(column)) for column in row} == row

    # The audit page finds the creation by the row's key; the import itself is one event.
    admin = Actor("admin", Role.admin, Confidentiality.restricted)
    trail = audit.events(engine, admin, entity="finding", key=key)
    assert trail[trail["key"] == key][["action", "username"]].values.tolist() == [["create", IMPORTER.username]]
    imports = audit.events(engine, admin, entity=audit.IMPORT_ENTITY)
    assert imports[["action", "username", "id"]].values.tolist() == [["import", IMPORTER.username, result.event]]
    assert json.loads(imports["changes"].iloc[0])["created"]["findings.csv"] == FINDINGS


@pytest.mark.parametrize(
    "values",
    [
        ("KOR-2023-F1", 'Lead ‘quoted’ "twice"', "tab\there\nline\u2028end\\", None, True, False),
        ("é1", dt.date(2023, 5, 25), [1373, 2178], [], 0.1, 12, "\x1f\u00a0"),
    ],
)
def test_created_rows_lines_are_the_trails_own_json(values):
    """Each line of an import's content is what encode_changes writes, so every reader of the trail reads it."""
    columns = tuple(f"c{index}" for index in range(len(values)))
    rows = audit.CreatedRows()
    rows.add("findings.csv", "finding", columns, [(values[0], dict(zip(columns, values)))])
    content = rows.content()
    # Lines end at a line feed only: JSON leaves U+2028 as it is.
    lines = zlib.decompress(content).decode().split("\n")[:-1]
    assert lines == [
        f'"finding"\tnull\t{audit.encode_changes(columns)}',
        f'"finding"\t{audit.encode_changes(values[0])}\t{audit.encode_changes(values)}',
    ]
    expected = {c: json.loads(audit.encode_changes(v)) for c, v in zip(columns, values) if v is not None}
    assert list(audit.created_rows(content)) == [("finding", values[0], expected)]
    assert audit.created_values(content, "finding", values[0]) == expected
