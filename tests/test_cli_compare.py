"""`tracker compare`: the §3 JSON, the table for people, CSV, and one-sentence errors."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from tests.conftest import followup_row, visit_row, write_bundle
from tests.demo_comparison import expected_demo_comparison
from tracker.cli import app

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("level", ["restricted", "committee", "public"])
def test_compare_json_is_the_hand_counted_demo_comparison(demo_engine, level):
    result = tracker("compare", "KOR", "--format", "json", "--level", level)

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == expected_demo_comparison(level)


def test_compare_json_is_indented_in_a_stable_key_order(demo_engine):
    result = tracker("compare", "kor", "--followup", "KOR-2023", "--format", "json")

    assert result.stdout == json.dumps(expected_demo_comparison("restricted"), indent=2) + "\n"


def test_compare_table_fits_100_columns(demo_engine):
    result = tracker("compare", "KOR")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[0] == "KOR: follow-up visit KOR-2023 compared with baseline visit KOR-2009"
    assert any(
        line.startswith("STRAT |    1  1  0  0  0 |    2  0  1  0  1 |") and line.endswith("87.5  2") for line in lines
    )
    assert any(line.startswith("TOTAL |   14") and line.endswith("67.7 24") for line in lines)
    assert any(line.startswith("gaps, recs: baseline shortfalls") for line in lines)


def test_compare_csv_has_area_rows_and_a_totals_row(demo_engine):
    result = tracker("compare", "KOR", "--format", "csv", "--level", "committee")

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = expected_demo_comparison("committee")
    assert result.exit_code == 0
    assert [row["area"] for row in rows] == [area["area"] for area in expected["areas"]] + ["TOTAL"]
    assert rows[-1]["baseline_gaps"] == "12" and rows[-1]["implementation_index"] == "66.3"
    le = next(row for row in rows if row["area"] == "LE")
    assert (le["area_name"], le["scored_items"], le["implementation_index"]) == ("Law enforcement", "1", "100.0")


def test_compare_csv_leaves_the_index_empty_when_nothing_is_scored(demo_engine):
    result = tracker("compare", "KOR", "--format", "csv", "--level", "public")

    totals = list(csv.DictReader(io.StringIO(result.stdout)))[-1]
    assert (totals["implementation_index"], totals["scored_items"]) == ("", "0")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["XYZ"], "'XYZ' is not a Member State code"),
        (["FRA"], "France (FRA) has no follow-up visit"),
        (["KOR", "--followup", "JPN-2020"], "visit JPN-2020 is a visit of JPN, not of KOR"),
        (["KOR", "--followup", "KOR-2009"], "visit KOR-2009 has no baseline visit"),
        (["KOR", "--followup", "NOPE"], "there is no visit NOPE"),
        (["KOR", "--level", "secret"], "'secret' is not a confidentiality level"),
    ],
)
def test_compare_errors_are_one_sentence_with_exit_code_1(demo_engine, tmp_path, args, message):
    write_bundle(tmp_path, visits=[visit_row("JPN-2020", state="JPN", start_date="2020-01-01", end_date="2020-01-02")])
    assert tracker("import", tmp_path).exit_code == 0

    result = tracker("compare", *args)

    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: {message}") and line.endswith(".") and ";" in line


def test_compare_of_a_follow_up_whose_baseline_is_missing_fails(engine, tmp_path):
    write_bundle(tmp_path, visits=[visit_row("KOR-2023", kind="follow_up")])
    assert tracker("import", tmp_path).exit_code == 0

    result = tracker("compare", "KOR")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: visit KOR-2023 has no baseline visit that you may see to compare with;")


def test_compare_of_a_visit_above_the_level_fails(engine, tmp_path):
    write_bundle(tmp_path, visits=[visit_row(confidentiality="restricted"), followup_row(confidentiality="public")])
    assert tracker("import", tmp_path).exit_code == 0

    result = tracker("compare", "KOR", "--level", "committee")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: visit KOR-2023 has no baseline visit that you may see to compare with; set its "
        "baseline_visit_id to the earlier visit it follows up, or use a higher --level.\n"
    )


def test_compare_without_a_schema_asks_for_init(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")

    result = tracker("compare", "KOR")

    assert result.exit_code == 1
    assert result.stderr == "Error: the database has no tracker schema yet; run 'tracker init' first.\n"


def test_compare_csv_names_areas_as_stored(demo_engine):
    from sqlalchemy import update

    from tracker.models import ThematicArea, table_of

    areas = table_of(ThematicArea)
    with demo_engine.begin() as connection:
        connection.execute(update(areas).where(areas.c.code == "LEG").values(name="Legislation, as renamed"))

    result = tracker("compare", "KOR", "--format", "csv")

    assert result.exit_code == 0, result.output
    names = {row["area"]: row["area_name"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert names["LEG"] == "Legislation, as renamed"
