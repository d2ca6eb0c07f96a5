"""Input that must be refused or made inert: control characters, odd dates, keys that differ only in
letter case, endless lines, oversized or damaged zips, and live links in Markdown."""

import datetime as dt
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from sqlalchemy import func, insert, select, update
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from tests.conftest import APP_TIMEOUT, finding_row, meeting_row, visit_row, write_bundle
from tracker.cli import app
from tracker.errors import TrackerError, ValidationFailed
from tracker.models import AuditEvent, Confidentiality, Finding, Meeting, Visit
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import editing as records
from tracker.services.reports import documents as reports
from tracker.services.reports.model import Document, Section

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard.py"
runner = CliRunner()
NOTHING_WRITTEN = (
    "Error: the bundle has {} error(s) and nothing was written; correct the rows listed above and import again.\n"
)


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------- control characters


def test_a_control_character_in_a_cell_is_refused_with_file_line_and_column(demo_engine, tmp_path):
    write_bundle(
        tmp_path / "b",
        findings=[
            finding_row("KOR-2023-X1", "KOR-2023", title="A bell \a in the title"),
            finding_row("KOR-2023-X2", "KOR-2023", detail="Tab\tand\r\nline ends are fine"),
            finding_row("KOR-2023-X3", "KOR-2023", source_ref="para. 1\x1b[31m"),
        ],
    )
    before = count(demo_engine, Finding)

    result = tracker("import", tmp_path / "b")

    assert (result.exit_code, result.output) == (
        1,
        "findings.csv:2: title: holds the control character U+0007, which no spreadsheet shows; delete it "
        "(retype the cell if need be)\n"
        "findings.csv:5 (row 3): source_ref: holds the control character U+001B, which no spreadsheet shows; delete it "
        "(retype the cell if need be)\n" + NOTHING_WRITTEN.format(2),
    )
    assert count(demo_engine, Finding) == before


def test_a_form_refuses_a_control_character_too(demo_engine):
    finding = records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F01")
    with pytest.raises(ValidationFailed) as refused:
        records.save_finding(demo_engine, LOCAL_ADMIN, finding | {"title": "Delete\x7fme"})

    assert records.field_errors(refused.value)["title"].startswith("holds the control character U+007F")


def test_the_cli_prints_stored_control_characters_as_escapes(demo_engine):
    with demo_engine.begin() as connection:
        connection.execute(
            insert(AuditEvent),
            [
                dict(
                    at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                    username="mallory\x1b[2J",
                    action="update",
                    entity="finding",
                    key="KOR-2023-F01",
                    changes='{"title": ["old\\u0007", "new\\u001b[31m\\nline\\r"]}',
                )
            ],
        )

    result = tracker("audit", "--since", "2030-01-01")

    assert result.exit_code == 0
    assert result.output == (
        "at                   username          action  entity   key           changes\n"
        "2030-01-01 00:00:00  mallory\\u001b[2J  update  finding  KOR-2023-F01  "
        "title: old\\u0007 → new\\u001b[31m\\nline\\u000d\n"
    )


def test_compare_json_stays_valid_json_with_escaped_output(demo_engine):
    import json

    result = tracker("compare", "KOR", "--format", "json")

    assert json.loads(result.stdout)["followup_visit"] == "KOR-2023"


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2023-W21-1", "'2023-W21-1' is not a date; write it as YYYY-MM-DD"),
        ("20230522", "'20230522' is not a date; write it as YYYY-MM-DD"),
        ("2023-142", "'2023-142' is not a date; write it as YYYY-MM-DD"),
        ("1999-05-22", "1999-05-22 is outside 2001-01-01 to 2100-12-31; correct the year"),
        ("2123-05-22", "2123-05-22 is outside 2001-01-01 to 2100-12-31; correct the year"),
    ],
)
def test_only_iso_calendar_days_in_the_shared_range_are_dates(engine, tmp_path, cell, message):
    write_bundle(tmp_path / "b", visits=[visit_row(start_date=cell)])

    result = tracker("import", tmp_path / "b")

    assert (result.exit_code, result.output) == (
        1,
        f"visits.csv:2: start_date: {message}\n" + NOTHING_WRITTEN.format(1),
    )
    assert count(engine, Visit) == 0


def test_a_stored_date_outside_the_pickers_range_does_not_break_the_visit_form(demo_engine, monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    with demo_engine.begin() as connection:
        connection.execute(update(Visit).where(Visit.visit_id == "KOR-2009").values(start_date=dt.date(1999, 9, 14)))
        connection.execute(update(Meeting).where(Meeting.meeting_id == "KOR-2023-M01").values(date=dt.date(2150, 1, 1)))
    page = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT).run()
    page.switch_page("tracker/ui/visits.py").run()

    page.selectbox(key="visits:edit").select("KOR-2009").run()

    assert not page.exception, page.exception
    start = next(d for d in page.date_input if d.label == "Start date")
    assert start.value is None


# ---------------------------------------------------------------- keys in another letter case


def test_a_key_differing_from_a_stored_one_only_in_case_is_refused(demo_engine, tmp_path):
    write_bundle(
        tmp_path / "b",
        visits=[visit_row("kor-2009")],
        findings=[finding_row("kor-2009-f01")],
        meetings=[meeting_row("Kor-2023-m01")],
    )

    result = tracker("import", tmp_path / "b")

    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "visits.csv:2: visit_id: kor-2009 differs from a stored key only in letter case; "
        "write the key as it is stored, or choose another"
    )
    assert count(demo_engine, Visit) == 2


@pytest.mark.parametrize(("file", "key"), [("findings", "kor-2009-f01"), ("meetings", "Kor-2023-m01")])
def test_findings_and_meetings_keys_in_another_case_are_refused(demo_engine, tmp_path, file, key):
    row = finding_row(key) if file == "findings" else meeting_row(key)
    write_bundle(tmp_path / "b", **{file: [row]})

    result = tracker("import", tmp_path / "b")

    assert (result.exit_code, result.output) == (
        1,
        f"{file}.csv:2: {'finding_id' if file == 'findings' else 'meeting_id'}: {key} differs from a stored key "
        "only in letter case; write the key as it is stored, or choose another\n" + NOTHING_WRITTEN.format(1),
    )


def test_two_rows_of_one_bundle_whose_keys_differ_only_in_case_are_refused(engine, tmp_path):
    write_bundle(tmp_path / "b", visits=[visit_row("KOR-2009"), visit_row("kor-2009")])

    result = tracker("import", tmp_path / "b")

    assert (result.exit_code, result.output) == (
        1,
        "visits.csv:3: visit_id: kor-2009 differs from KOR-2009 (line 2) only in letter case; write each key one way\n"
        + NOTHING_WRITTEN.format(1),
    )


def test_keys_in_capitals_lower_case_and_mixed_are_one_key(engine, tmp_path):
    write_bundle(
        tmp_path / "b",
        visits=[visit_row("KOR-2009"), visit_row("kor-2009"), visit_row("Kor-2017"), visit_row("KOR-2017")],
    )

    result = tracker("import", tmp_path / "b")

    assert (result.exit_code, result.output) == (
        1,
        "visits.csv:3: visit_id: kor-2009 differs from KOR-2009 (line 2) only in letter case; write each key one way\n"
        "visits.csv:5: visit_id: KOR-2017 differs from Kor-2017 (line 4) only in letter case; write each key one way\n"
        + NOTHING_WRITTEN.format(2),
    )


def test_a_re_import_of_the_same_keys_is_not_a_collision(demo_engine, tmp_path):
    tracker("export", tmp_path / "out", "--level", "restricted")

    result = tracker("import", tmp_path / "out")

    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- size, lines and damaged zips


def _zip(path: Path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


HEADER = b"finding_id,visit_id,area,kind,title\n"


def test_an_endless_line_is_refused_without_reading_it_whole(engine, tmp_path):
    bundle = _zip(tmp_path / "long.zip", {"findings.csv": HEADER + b"A" * (40 << 20) + b"\n"})
    tracemalloc.start()
    try:
        result = import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert [str(e) for e in result.errors] == [
        "findings.csv:2: file: has a line longer than 1,048,576 characters; save it from the spreadsheet as CSV UTF-8"
    ]
    assert peak < 20 << 20, f"{peak:,} bytes held for a 40 MB line"


def test_the_cli_caps_the_unpacked_size(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_IMPORT_MB", "1")
    rows = b"".join(b"KOR-2009-F%05d,KOR-2009,LEG,shortfall,%s\n" % (i, b"t" * 100) for i in range(12000))
    bundle = _zip(tmp_path / "big.zip", {"findings.csv": HEADER + rows})

    result = tracker("import", bundle)

    assert bundle.stat().st_size < 1 << 20
    assert (result.exit_code, result.output) == (
        1,
        "Error: the bundle is larger than 1 MB unpacked; split it into smaller bundles, or raise "
        "TRACKER_MAX_IMPORT_MB if it is really that large.\n",
    )


def _damaged(path: Path, kind: str) -> Path:
    data = bytearray(
        _zip(path, {"findings.csv": HEADER + b"KOR-2009-F01,KOR-2009,LEG,shortfall,T\n" * 50}).read_bytes()
    )
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    if kind == "bad_crc":
        data[local + 30 + len("findings.csv") + 5] ^= 0xFF
    elif kind == "method_9":
        data[local + 8 : local + 10] = data[central + 10 : central + 12] = (9).to_bytes(2, "little")
    elif kind == "encrypted":
        data[local + 6] |= 1
        data[central + 8] |= 1
    elif kind == "cut_off":
        data = data[:70]
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("kind", ["bad_crc", "method_9", "encrypted", "cut_off"])
def test_a_damaged_or_encrypted_zip_is_one_sentence(engine, tmp_path, kind):
    bundle = _damaged(tmp_path / f"{kind}.zip", kind)

    result = tracker("import", bundle)

    assert (result.exit_code, result.output) == (
        1,
        f"Error: {kind}.zip is damaged or encrypted; zip the CSV files again.\n",
    )
    assert count(engine, Finding) == 0


def test_a_damaged_upload_is_one_sentence_too(tmp_path):
    from tracker.services.bundle.sources import sources_from_uploads

    data = _damaged(tmp_path / "x.zip", "encrypted").read_bytes()

    with pytest.raises(TrackerError) as refused:
        sources_from_uploads([("bundle.zip", data)])

    assert str(refused.value) == "bundle.zip is damaged or encrypted; zip the CSV files again."


# ---------------------------------------------------------------- Markdown report


def test_the_markdown_report_leaves_no_link_or_image_live():
    hostile = "![p](http://evil.example/p.png) [click](http://evil.example) <http://evil.example/a> *x* _y_ &#33;"
    document = Document(
        title=hostile,
        level=Confidentiality.committee,
        generated_at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC),
        sections=[Section(hostile, paragraphs=[hostile, f"- {hostile}", f"1. {hostile}"])],
    )

    html = MarkdownIt("commonmark").enable("table").render(reports.render(document, "md").decode())

    for mark in ("<img", "<a ", "<em>", "<li>", "<ol", "<ul"):
        assert mark not in html, mark
    assert "![p](http://evil.example/p.png)" in html
