"""A reader cleared for `committee` never sees a `state_and_cted` or `restricted` row, by any read path."""

import io
import json
import zipfile

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import PermissionDenied, TrackerError
from tracker.models import Confidentiality, Role
from tracker.services.bundle import exporter
from tracker.services.people import audit
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.progress import comparison
from tracker.services.records import editing as records

from .conftest import COMMITTEE_READER, HIDDEN, VISIBLE

runner = CliRunner()
reader = COMMITTEE_READER


def _text(value) -> str:
    if isinstance(value, tuple):
        return "".join(map(_text, value))
    if hasattr(value, "to_csv"):
        return value.to_csv()
    return json.dumps(value, default=str)


def _zip_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        return "".join(bundle.read(name).decode("utf-8", "replace") for name in bundle.namelist())


def test_the_comparison_counts_only_what_the_reader_may_see(guarded_engine):
    seen = comparison.compare(guarded_engine, reader, "KOR", "KOR-2023")
    assert seen == comparison.compare(guarded_engine, LOCAL_ADMIN, "KOR", "KOR-2023", level="committee")
    assert seen != comparison.compare(guarded_engine, LOCAL_ADMIN, "KOR", "KOR-2023")
    assert HIDDEN not in _text(seen)


def test_a_reader_asking_for_a_higher_level_gets_their_clearance(guarded_engine):
    assert comparison.compare(guarded_engine, reader, "KOR", "KOR-2023", level="restricted") == comparison.compare(
        guarded_engine, reader, "KOR", "KOR-2023"
    )


def test_the_latest_follow_up_is_the_latest_visible_one(guarded_engine):
    assert comparison.compare(guarded_engine, reader, "KOR")["followup_visit"] == "KOR-2023"
    assert comparison.compare(guarded_engine, LOCAL_ADMIN, "KOR")["followup_visit"] == "KOR-2031-ZZHIDDEN"


@pytest.mark.parametrize(("iso3", "followup"), [("KOR", "KOR-2031-ZZHIDDEN"), ("FRA", "FRA-2022"), ("FRA", None)])
def test_a_comparison_with_a_hidden_visit_is_an_error_that_names_no_hidden_visit(guarded_engine, iso3, followup):
    with pytest.raises(TrackerError) as error:
        comparison.compare(guarded_engine, reader, iso3, followup)
    assert "FRA-2015" not in str(error.value)


@pytest.mark.parametrize(
    "read",
    [
        lambda e: comparison.item_table(e, reader, "KOR-2023"),
        lambda e: comparison.followup_visits(e, reader),
        lambda e: comparison.cross_state_index(e, reader),
        lambda e: records.list_visits(e, reader),
        lambda e: records.list_findings(e, reader),
        lambda e: records.list_findings(e, reader, text=HIDDEN),
        lambda e: records.list_findings(e, reader, state="KOR", status="fully_implemented"),
        lambda e: records.finding_counts(e, reader),
        lambda e: records.list_meetings(e, reader),
        lambda e: records.meeting_footprint(e, reader, "KOR-2023"),
        lambda e: records.assessment_worksheet(e, reader, "KOR-2023"),
        lambda e: records.get_visit(e, reader, "KOR-2023"),
        lambda e: records.get_finding(e, reader, "KOR-2009-F-VISIBLE"),
        lambda e: records.get_finding(e, reader, "KOR-2023-F-CONTINUING"),
        lambda e: records.get_visit(e, reader, "FRA-2022"),
    ],
    ids=[
        "item_table",
        "followup_visits",
        "cross_state_index",
        "list_visits",
        "list_findings",
        "search_findings",
        "findings_by_status",
        "finding_counts",
        "list_meetings",
        "meeting_footprint",
        "assessment_worksheet",
        "get_visit",
        "get_finding",
        "get_continuing_finding",
        "get_visit_of_hidden_baseline",
    ],
)
def test_no_record_read_returns_a_hidden_row(guarded_engine, read):
    assert HIDDEN not in _text(read(guarded_engine))


def test_record_reads_do_return_the_rows_the_reader_may_see(guarded_engine):
    findings, total = records.list_findings(guarded_engine, reader, text=VISIBLE)
    assert total == 2 and set(findings["finding_id"]) == {"KOR-2009-F-VISIBLE", "FRA-2022-F1"}
    item = comparison.item_table(guarded_engine, reader, "KOR-2023").set_index("finding_id").loc["KOR-2009-F-VISIBLE"]
    assert item["status"] == "not_assessed" and item["evidence"] == ""


@pytest.mark.parametrize(
    "read",
    [
        lambda e: records.get_visit(e, reader, "KOR-2031-ZZHIDDEN"),
        lambda e: records.get_visit(e, reader, "FRA-2015-ZZHIDDEN"),
        lambda e: records.get_finding(e, reader, "KOR-2009-F-ZZHIDDEN"),
        lambda e: records.get_finding(e, reader, "KOR-2031-F1-ZZHIDDEN"),
        lambda e: records.get_meeting(e, reader, "KOR-2023-M-ZZHIDDEN"),
        lambda e: records.get_meeting(e, reader, "KOR-2031-M1-ZZHIDDEN"),
        lambda e: comparison.item_table(e, reader, "KOR-2031-ZZHIDDEN"),
    ],
)
def test_a_hidden_row_asked_for_by_key_is_not_found(guarded_engine, read):
    with pytest.raises(TrackerError):
        read(guarded_engine)


def test_an_export_for_the_reader_leaves_hidden_rows_out(guarded_engine, tmp_path):
    counts = exporter.export_bundle(guarded_engine, tmp_path / "out", reader, "restricted")
    written = "".join(path.read_text() for path in (tmp_path / "out").glob("*.csv"))
    assert HIDDEN not in written and VISIBLE in written
    assert counts == exporter.export_bundle(guarded_engine, tmp_path / "admin", LOCAL_ADMIN, "committee")


def test_the_bundle_download_leaves_hidden_rows_out(guarded_engine):
    downloaded = _zip_text(exporter.bundle_zip_bytes(guarded_engine, reader))
    assert HIDDEN not in downloaded and VISIBLE in downloaded


def test_the_audit_trail_is_only_for_administrators_cleared_for_everything(guarded_engine):
    committee_admin = Actor("boss", Role.admin, Confidentiality.committee)
    with pytest.raises(PermissionDenied):
        audit.events(guarded_engine, committee_admin)
    with pytest.raises(PermissionDenied):
        audit.events(guarded_engine, Actor("analyst", Role.analyst, Confidentiality.restricted))
    assert HIDDEN in audit.events(guarded_engine, LOCAL_ADMIN).to_csv()


def test_cli_compare_at_committee_shows_no_hidden_row(guarded_engine):
    result = runner.invoke(app, ["compare", "KOR", "--format", "json", "--level", "committee"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == comparison.compare(guarded_engine, reader, "KOR")
    assert HIDDEN not in result.stdout


@pytest.mark.parametrize("output", ["table", "csv"])
def test_cli_compare_formats_at_committee_show_no_hidden_row(guarded_engine, output):
    result = runner.invoke(app, ["compare", "KOR", "--format", output, "--level", "committee"])
    assert result.exit_code == 0 and HIDDEN not in result.output


def test_cli_compare_of_a_hidden_baseline_names_no_hidden_visit(guarded_engine):
    result = runner.invoke(app, ["compare", "FRA", "--level", "committee"])
    assert result.exit_code == 1
    assert "FRA-2015" not in result.output


@pytest.mark.parametrize("target", ["folder", "bundle.zip"])
def test_cli_export_at_committee_shows_no_hidden_row(guarded_engine, tmp_path, target):
    result = runner.invoke(app, ["export", str(tmp_path / target), "--level", "committee"])
    assert result.exit_code == 0, result.output
    path = tmp_path / target
    written = (
        _zip_text(path.read_bytes()) if path.suffix == ".zip" else "".join(p.read_text() for p in path.glob("*.csv"))
    )
    assert HIDDEN not in written and VISIBLE in written


def test_an_export_at_committee_imports_on_its_own(guarded_engine, tmp_path):
    from tracker.db import get_engine
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths
    from tracker.services.operations.reference import init_database

    exporter.export_bundle(guarded_engine, tmp_path / "out", reader)
    empty = get_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    init_database(empty)
    result = import_bundle(empty, sources_from_paths([tmp_path / "out"]), LOCAL_ADMIN)
    assert result.ok, result.errors[:3]
    empty.dispose()


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize("scope", [["--state", "KOR"], ["--period", "2000-01-01..2040-12-31"]], ids=["state", "period"])
def test_cli_report_at_committee_shows_no_hidden_row(guarded_engine, tmp_path, fmt, scope):
    out = tmp_path / f"report.{fmt}"
    result = runner.invoke(app, ["report", *scope, "--out", str(out), "--level", "committee"])
    assert result.exit_code == 0, result.output
    written = out.read_text()
    assert HIDDEN not in written and VISIBLE in written


def test_a_docx_report_for_the_reader_shows_no_hidden_row(guarded_engine):
    import datetime as dt

    from tracker.services.reports import documents as reports

    for document in (
        reports.build_state_report(guarded_engine, reader, "KOR"),
        reports.build_period_report(guarded_engine, reader, dt.date(2000, 1, 1), dt.date(2040, 12, 31)),
    ):
        assert HIDDEN not in _zip_text(reports.render(document, "docx", charts=False))
