"""CSV bundle import and export through the services."""

import io
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.conftest import (
    assessment_row,
    finding_row,
    followup_row,
    meeting_row,
    visit_row,
    write_bundle,
)
from tracker.models import Assessment, AuditEvent, Finding, FindingResolution, MemberState, Visit, VisitPartner
from tracker.services.bundle.demo import demo_bundle_path
from tracker.services.bundle.exporter import bundle_zip_bytes, export_bundle, template_bytes
from tracker.services.bundle.files import FILES, escape_cell, unescape_cell
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths, sources_from_uploads
from tracker.services.operations.reference import seed_reference_data
from tracker.services.people.access import LOCAL_ADMIN, Actor


def run_import(engine, *paths, dry_run=False, actor=LOCAL_ADMIN):
    return import_bundle(engine, sources_from_paths(list(paths)), actor, dry_run=dry_run)


def count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def snapshot(engine) -> dict[str, list]:
    """Every row of every table, to prove that nothing changed."""
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        return {
            name: sorted(map(repr, connection.execute(select(table)).all()))
            for name, table in SQLModel.metadata.tables.items()
        }


def small_bundle(folder):
    return write_bundle(
        folder,
        visits=[visit_row(partners="icao; UNODC", resolutions="S/RES/1373 (2001);2178 (2014)"), followup_row()],
        findings=[
            finding_row("F1", resolutions="1373"),
            finding_row("F2", kind="recommendation", priority="yes"),
            finding_row("G1", visit_id="KOR-2023", continues="F1"),
        ],
        assessments=[assessment_row("F1", "partially_implemented"), assessment_row("F2", "fully_implemented")],
        meetings=[meeting_row("M1")],
    )


def test_import_creates_rows_and_links(engine, tmp_path):
    result = run_import(engine, small_bundle(tmp_path / "b"))

    assert result.ok and result.committed
    assert {n: (c.created, c.updated, c.unchanged) for n, c in result.counts.items()} == {
        "visits.csv": (2, 0, 0),
        "findings.csv": (3, 0, 0),
        "assessments.csv": (2, 0, 0),
        "meetings.csv": (1, 0, 0),
    }
    with engine.connect() as connection:
        assert sorted(
            connection.execute(select(VisitPartner.partner).where(VisitPartner.visit_id == "KOR-2009")).scalars()
        ) == ["ICAO", "UNODC"]
        assert connection.execute(select(Finding.priority).where(Finding.finding_id == "F2")).scalar_one() is True
        assert connection.execute(
            select(FindingResolution.resolution).where(FindingResolution.finding_id == "F1")
        ).scalars().all() == [1373]


def test_reimport_of_the_same_bundle_changes_nothing(engine, tmp_path):
    bundle = small_bundle(tmp_path / "b")
    run_import(engine, bundle)
    events = count(engine, AuditEvent)

    again = run_import(engine, bundle)

    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())
    assert sum(c.unchanged for c in again.counts.values()) == 8
    assert count(engine, AuditEvent) == events  # nothing changed, so nothing to audit


def test_import_updates_changed_rows_and_keeps_left_out_columns(engine, tmp_path):
    run_import(engine, small_bundle(tmp_path / "b"))
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "findings.csv").write_text(
        "FINDING_ID,Title,Visit_ID,Area,Kind\nF1,Renamed gap,KOR-2009,LEG,shortfall\n", encoding="utf-8"
    )

    result = run_import(engine, partial)

    assert (result.counts["findings.csv"].updated, result.counts["findings.csv"].unchanged) == (1, 0)
    with engine.connect() as connection:
        title, resolutions = connection.execute(
            select(Finding.title, func.count(FindingResolution.resolution))
            .outerjoin(FindingResolution, FindingResolution.finding_id == Finding.finding_id)
            .where(Finding.finding_id == "F1")
            .group_by(Finding.title)
        ).one()
        changes = connection.execute(
            select(AuditEvent.changes).where(
                AuditEvent.entity == "finding", AuditEvent.key == "F1", AuditEvent.action == "update"
            )
        ).scalar_one()
    assert title == "Renamed gap"
    assert resolutions == 1  # the resolutions column was not in the file, so it is kept
    assert '"title": ["Finding F1", "Renamed gap"]' in changes


def test_import_reads_bom_semicolons_crlf_multiline_cells_and_any_column_order(engine, tmp_path):
    run_import(engine, small_bundle(tmp_path / "b"))
    odd = tmp_path / "odd"
    odd.mkdir()
    content = (
        "\ufeffTitle;KIND;finding_id;visit_id;area;detail\r\n"
        'Two-line gap;shortfall;F9;KOR-2009;cj;"first line\r\nsecond; line"\r\n'
        "\r\n"
        "'=SUM(A1);recommendation;F10;KOR-2009;LEG;\r\n"
    )
    (odd / "findings.csv").write_bytes(content.encode("utf-8"))

    result = run_import(engine, odd)

    assert result.ok, result.errors
    with engine.connect() as connection:
        rows = dict(
            connection.execute(
                select(Finding.finding_id, Finding.detail).where(Finding.finding_id.in_(["F9", "F10"]))
            ).all()
        )
        titles = dict(
            connection.execute(
                select(Finding.finding_id, Finding.title).where(Finding.finding_id.in_(["F9", "F10"]))
            ).all()
        )
    assert rows["F9"] == "first line\r\nsecond; line"
    assert titles["F10"] == "=SUM(A1)"


def test_bundle_with_errors_lists_each_one_and_writes_nothing(engine, tmp_path):
    run_import(engine, small_bundle(tmp_path / "b"))
    before = snapshot(engine)
    bad = write_bundle(
        tmp_path / "bad",
        visits=[
            visit_row("XXX-2020", state="XXX", start_date="2020-01-01", end_date="2020-01-02"),
            visit_row("KOR-2020", start_date="2020-01-01", end_date="2020-02-30"),
        ],
        findings=[
            finding_row("B1", kind="gap"),
            finding_row("B2", visit_id="NOPE-2000"),
            finding_row("B3", visit_id="KOR-2009"),
        ],
    )
    with (bad / "meetings.csv").open("w") as handle:
        handle.write("meeting_id,visit_id,kind,colour\nM9,KOR-2023,technical,blue\n")

    result = run_import(engine, bad)

    messages = [str(e) for e in result.errors]
    assert not result.ok and not result.committed
    assert any(m.startswith("visits.csv:2: state: XXX is not a UN Member State") for m in messages)
    assert any(m.startswith("visits.csv:3: end_date: '2020-02-30' is not a date") for m in messages)
    assert (
        "findings.csv:2: kind: 'gap' is not a kind; use one of shortfall, recommendation, good_practice, ta_need, "
        "progress, concern, capacity_to_assist"
    ) in messages
    assert any(m.startswith("findings.csv:3: visit_id: visit NOPE-2000 is neither") for m in messages)
    assert any(m.startswith("meetings.csv:1: colour: unknown column") for m in messages)
    assert snapshot(engine) == before


def test_failed_import_leaves_the_sqlite_file_byte_for_byte_unchanged(engine, tmp_path):
    if engine.dialect.name != "sqlite":
        pytest.skip("byte comparison of the database file applies to SQLite")
    run_import(engine, small_bundle(tmp_path / "b"))
    path = Path(engine.url.database)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    bad = write_bundle(tmp_path / "bad", findings=[finding_row("N1"), finding_row("N2", area="NOWHERE")])

    assert not run_import(engine, bad).ok

    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.read_bytes() == before


def test_dry_run_counts_without_writing(engine, tmp_path):
    result = run_import(engine, small_bundle(tmp_path / "b"), dry_run=True)

    assert result.ok and not result.committed
    assert result.counts["findings.csv"].created == 3
    assert count(engine, Finding) == 0
    assert count(engine, AuditEvent) == 0


def test_references_must_resolve_and_agree(engine, tmp_path):
    run_import(engine, small_bundle(tmp_path / "b"))
    bad = write_bundle(
        tmp_path / "bad",
        visits=[
            followup_row("FRA-2024", baseline="KOR-2009", state="FRA", start_date="2024-01-01", end_date="2024-01-02"),
            visit_row("KOR-2001", baseline_visit_id="KOR-2023", start_date="2001-01-01", end_date="2001-01-02"),
        ],
        findings=[
            finding_row("C1", visit_id="KOR-2009", continues="G1"),
            finding_row("C2", continues="MISSING"),
            finding_row("P1", kind="good_practice"),
        ],
        assessments=[
            assessment_row("F1", "fully_implemented", visit_id="KOR-2009"),
            assessment_row("P1", "fully_implemented"),
        ],
    )

    messages = [str(e) for e in run_import(engine, bad).errors]

    assert any("visits.csv:2: baseline_visit_id: baseline KOR-2009 is a visit to KOR, not FRA" in m for m in messages)
    assert any("visits.csv:3: baseline_visit_id: baseline KOR-2023 does not start before" in m for m in messages)
    assert any("findings.csv:2: continues: finding G1 is not from an earlier visit" in m for m in messages)
    assert any("findings.csv:3: continues: finding MISSING is neither" in m for m in messages)
    assert any("assessments.csv:2: visit_id: visit KOR-2009 does not come after" in m for m in messages)
    assert (
        "assessments.csv:3: finding_id: finding P1 is a good_practice; only shortfalls and recommendations are assessed"
        in messages
    )


def test_rows_may_point_at_rows_later_in_the_same_file(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "b",
        visits=[followup_row(), visit_row()],
        findings=[finding_row("G1", visit_id="KOR-2023", continues="F1"), finding_row("F1")],
    )

    result = run_import(engine, bundle)

    assert result.ok, result.errors
    assert count(engine, Visit) == 2


def test_every_key_met_again_names_the_line_it_was_first_on(engine, tmp_path):
    """Lines are found for keys met before and after the first repeat, and for a key in another case."""
    visits = ["KOR-2009", "KOR-2009", "KOR-2017", "KOR-2023", "KOR-2017", "kor-2023", "KOR-2023"]
    write_bundle(tmp_path / "b", visits=[visit_row(visit_id) for visit_id in visits])

    messages = [str(e) for e in run_import(engine, tmp_path / "b").errors]

    assert messages == [
        "visits.csv:3: visit_id: KOR-2009 appears again (first on line 2); keep one row per key",
        "visits.csv:6: visit_id: KOR-2017 appears again (first on line 4); keep one row per key",
        "visits.csv:7: visit_id: kor-2023 differs from KOR-2023 (line 5) only in letter case; write each key one way",
        "visits.csv:8: visit_id: KOR-2023 appears again (first on line 5); keep one row per key",
    ]


def test_duplicate_keys_and_missing_required_columns_are_reported(engine, tmp_path):
    folder = tmp_path / "b"
    write_bundle(folder, visits=[visit_row(), visit_row()])
    (folder / "findings.csv").write_text("finding_id,visit_id\nF1,KOR-2009\n")

    messages = [str(e) for e in run_import(engine, folder).errors]

    assert "visits.csv:3: visit_id: KOR-2009 appears again (first on line 2); keep one row per key" in messages
    assert "findings.csv:1: title: required column is missing; add it to the header" in messages


def test_bad_bytes_and_broken_quotes_are_errors_not_crashes(engine, tmp_path):
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "visits.csv").write_bytes("visit_id,state\nK\xe9,KOR\n".encode("latin-1"))
    (folder / "findings.csv").write_bytes(b"finding_id,visit_id\x00\n")

    result = run_import(engine, folder)

    messages = [str(e) for e in result.errors]
    assert any(m.startswith("visits.csv:") and "is not UTF-8 text" in m for m in messages)
    assert (
        "findings.csv:1: file: holds binary data, not CSV text; save it from the spreadsheet as CSV UTF-8" in messages
    )


def test_export_sorts_by_key_escapes_formulas_and_uses_lf(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "b",
        visits=[visit_row()],
        findings=[finding_row("Z1", title="=HYPERLINK(1)"), finding_row("A1", title="+cmd", detail="@x")],
    )
    run_import(engine, bundle)

    export_bundle(engine, tmp_path / "out", LOCAL_ADMIN)

    text_ = (tmp_path / "out" / "findings.csv").read_bytes().decode("utf-8")
    lines = text_.split("\n")
    assert "\r" not in text_
    assert lines[1].startswith("A1,KOR-2009,LEG,shortfall,'+cmd,'@x,")
    assert lines[2].startswith("Z1,KOR-2009,LEG,shortfall,'=HYPERLINK(1),")


@pytest.mark.parametrize("text_", ["=1", "'=1", "''+x", "'plain", "-", "\t=tab", "plain"])
def test_formula_escape_round_trips(text_):
    assert unescape_cell(escape_cell(text_)) == text_
    assert not escape_cell(text_).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_round_trip_of_the_demo_is_byte_identical(demo_engine, tmp_path, request):
    first = tmp_path / "first"
    export_bundle(demo_engine, first, LOCAL_ADMIN)
    fresh = _fresh_database(demo_engine, request, tmp_path)

    result = run_import(fresh, first)
    assert result.ok, result.errors
    second = tmp_path / "second"
    export_bundle(fresh, second, LOCAL_ADMIN)

    for spec in FILES:
        assert (first / spec.name).read_bytes() == (second / spec.name).read_bytes(), spec.name
    assert (first / "milestones.csv").read_text().count("\n") > 1 and (first / "ta.csv").read_text().count("\n") > 1
    again = run_import(demo_engine, first)
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())


def _fresh_database(engine, request, tmp_path):
    """An empty second database of the same kind as `engine`."""
    from tracker import db

    if engine.dialect.name == "sqlite":
        other = db.get_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        db.upgrade(other)
        seed_reference_data(other)
        return other
    # A schema of its own: tests on other workers make fresh databases at the same time.
    schema = f"tracker_fresh_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    other = db.get_engine(url.render_as_string(hide_password=False))
    db.upgrade(other)
    seed_reference_data(other)
    request.addfinalizer(lambda: _drop_schema(engine, schema, other))
    return other


def _drop_schema(engine, schema, other):
    other.dispose()
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def test_export_level_leaves_out_rows_above_it_and_their_assessments(demo_engine, tmp_path):
    export_bundle(demo_engine, tmp_path / "committee", LOCAL_ADMIN, "committee")
    export_bundle(demo_engine, tmp_path / "all", LOCAL_ADMIN)

    committee = (tmp_path / "committee" / "findings.csv").read_text()
    everything = (tmp_path / "all" / "findings.csv").read_text()
    assessments = (tmp_path / "committee" / "assessments.csv").read_text()
    assert "restricted" in everything and "state_and_cted" in everything
    assert "restricted" not in committee and "state_and_cted" not in committee
    assert "KOR-2009-F09" not in assessments  # its finding is restricted
    assert ",restricted" not in assessments and ",state_and_cted" not in assessments


def test_export_follows_the_readers_clearance(demo_engine, tmp_path):
    from tracker.models import Confidentiality, Role

    reader = Actor("reader", Role.viewer, Confidentiality.member_states)
    export_bundle(demo_engine, tmp_path / "out", reader, "restricted")

    findings = (tmp_path / "out" / "findings.csv").read_text()
    assert ",committee,\n" not in findings
    assert ",public,\n" in findings


def test_zip_bundle_round_trips_through_the_upload_path(demo_engine):
    data = bundle_zip_bytes(demo_engine, LOCAL_ADMIN, "committee")

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == [
            "area_resolutions.csv",
            "areas.csv",
            "assessments.csv",
            "datapackage.json",
            "findings.csv",
            "link_decisions.csv",
            "meetings.csv",
            "milestones.csv",
            "partners.csv",
            "resolutions.csv",
            "states.csv",
            "ta.csv",
            "update_items.csv",
            "updates.csv",
            "visits.csv",
        ]
    result = import_bundle(demo_engine, sources_from_uploads([("bundle.zip", data)]), LOCAL_ADMIN, dry_run=True)
    assert result.ok
    assert result.counts["findings.csv"].created == 0
    assert bundle_zip_bytes(demo_engine, LOCAL_ADMIN, "committee") == data


def test_templates_are_header_only_and_import_as_nothing(engine, tmp_path):
    for name, data in template_bytes().items():
        (tmp_path / name).write_bytes(data)

    result = run_import(engine, tmp_path)

    assert result.ok
    assert all(c.created == c.updated == c.unchanged == 0 for c in result.counts.values())


def test_viewer_cannot_import(engine, tmp_path):
    from tracker.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(engine, small_bundle(tmp_path / "b"), actor=Actor("v"))
    assert count(engine, Visit) == 0


def test_rows_above_the_importers_clearance_are_refused(engine, tmp_path):
    from tracker.models import Confidentiality, Role

    analyst = Actor("a", Role.analyst, Confidentiality.committee)
    bundle = write_bundle(tmp_path / "b", visits=[visit_row(confidentiality="restricted")])

    messages = [str(e) for e in run_import(engine, bundle, actor=analyst).errors]

    assert messages == [
        "visits.csv:2: confidentiality: restricted is above your clearance (committee); ask a user cleared for it to import this row"
    ]


def test_the_shipped_demo_is_a_valid_bundle(engine):
    result = run_import(engine, demo_bundle_path())

    assert result.ok, result.errors
    with engine.connect() as connection:
        kinds = set(connection.execute(select(Finding.kind)).scalars())
        statuses = set(connection.execute(select(Assessment.status)).scalars())
        areas = set(
            connection.execute(
                text(
                    "SELECT DISTINCT COALESCE(a.parent, a.code) FROM finding f JOIN thematic_area a ON a.code = f.area"
                )
            ).scalars()
        )
        trackable = connection.execute(
            text("SELECT count(*) FROM finding WHERE visit_id = 'KOR-2009' AND kind IN ('shortfall', 'recommendation')")
        ).scalar_one()
        assessed = connection.execute(
            select(func.count()).select_from(Assessment).where(Assessment.visit_id == "KOR-2023")
        ).scalar_one()
    assert count(engine, Finding) >= 40 and len(areas) >= 8
    assert len(kinds) == 7 and len(statuses) == 10
    assert assessed == trackable
    assert count(engine, MemberState) == 193


def test_a_bare_carriage_return_inside_a_cell_survives_the_round_trip(engine, tmp_path):
    bundle = write_bundle(tmp_path / "b", visits=[visit_row()])
    (bundle / "findings.csv").write_bytes(
        b'finding_id,visit_id,area,kind,title,detail\nF1,KOR-2009,LEG,shortfall,Gap,"one\rtwo"\n'
    )
    assert run_import(engine, bundle).ok
    export_bundle(engine, tmp_path / "out", LOCAL_ADMIN)

    assert b'"one\rtwo"' in (tmp_path / "out" / "findings.csv").read_bytes()
    result = run_import(engine, tmp_path / "out")
    assert result.ok, result.errors
    assert result.counts["findings.csv"].unchanged == 1


def test_validation_messages_say_how_to_fix_the_cell(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "b",
        visits=[visit_row(state="KO")],
        findings=[finding_row("bad id", title=""), finding_row("F2", title="x" * 501)],
    )

    messages = [str(e) for e in run_import(engine, bundle).errors]

    assert "visits.csv:2: state: 'KO' is not valid; write the State's ISO3 code, e.g. KOR" in messages
    assert any(m.startswith("findings.csv:2: finding_id: 'bad id' is not valid; use letters, digits") for m in messages)
    assert "findings.csv:2: title: is empty; fill it in" in messages
    assert "findings.csv:3: title: is 501 characters long; shorten it to at most 500" in messages


def test_every_seeded_partner_code_can_be_named_in_any_letter_case(engine, tmp_path):
    from tracker import taxonomy

    codes = ";".join(code.lower() for code, _ in taxonomy.PARTNERS)
    result = run_import(engine, write_bundle(tmp_path / "b", visits=[visit_row(partners=codes)]))

    assert result.ok, result.errors
    assert count(engine, VisitPartner) == len(taxonomy.PARTNERS)
