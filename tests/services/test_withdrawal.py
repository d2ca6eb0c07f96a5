"""Withdrawing, restoring and deleting rows; the History of a row; Undo of a save."""

import io
import json

import docx
import pytest
from sqlalchemy import func, select

from tests.conftest import assessment_row, finding_row, followup_row, visit_row, write_bundle
from tracker.errors import NotFound, PermissionDenied, TrackerError
from tracker.models import AuditEvent, Confidentiality, Finding, Meeting, Role
from tracker.services.bundle.exporter import export_bundle
from tracker.services.bundle.importer import Change, import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.progress import comparison
from tracker.services.records import editing as records
from tracker.services.records import history, withdrawal
from tracker.services.reports.documents import build_state_report, render

ITEM = "KOR-2009-F15"  # a baseline recommendation, largely implemented at KOR-2023
ANALYST = Actor("ann", Role.analyst, Confidentiality.committee)


def _events(engine, **where) -> list:
    with engine.connect() as connection:
        query = select(AuditEvent).order_by(AuditEvent.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEvent, column) == value)
        return list(connection.execute(query))


def test_a_withdrawn_recommendation_leaves_compare_pages_exports_and_reports_and_comes_back(demo_engine, tmp_path):
    before = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR")

    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "finding", ITEM, "entered twice")

    after = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR")
    assert after["totals"]["baseline_recommendations"] == before["totals"]["baseline_recommendations"] - 1
    assert after["status_counts"]["largely_implemented"] == before["status_counts"]["largely_implemented"] - 1
    listed, _ = records.list_findings(demo_engine, LOCAL_ADMIN, text=ITEM)
    assert listed.empty
    worksheet = records.assessment_worksheet(demo_engine, LOCAL_ADMIN, "KOR-2023")
    assert ITEM not in set(worksheet["finding_id"])
    with pytest.raises(NotFound):
        records.get_finding(demo_engine, LOCAL_ADMIN, ITEM)
    report = build_state_report(demo_engine, LOCAL_ADMIN, "KOR")
    for fmt in ("md", "html"):
        assert ITEM not in render(report, fmt, charts=False).decode()
    word = docx.Document(io.BytesIO(render(report, "docx", charts=False)))
    cells = [cell.text for table in word.tables for row in table.rows for cell in row.cells]
    assert ITEM not in "\n".join([p.text for p in word.paragraphs] + cells)
    assert ITEM in "\n".join(
        cell.text
        for table in docx.Document(io.BytesIO(render(_restored_report(demo_engine), "docx", charts=False))).tables
        for row in table.rows
        for cell in row.cells
    )
    # The bundle keeps the row and its reason, so a re-import carries the withdrawal.
    export_bundle(demo_engine, tmp_path / "out", LOCAL_ADMIN)
    line = next(r for r in (tmp_path / "out" / "findings.csv").read_text().splitlines() if r.startswith(ITEM))
    assert line.endswith(",committee,entered twice")
    assert withdrawal.withdrawn_rows(demo_engine, LOCAL_ADMIN).to_dict("records") == [
        {"entity": "finding", "key": ITEM, "reason": "entered twice"}
    ]

    withdrawal.restore(demo_engine, LOCAL_ADMIN, "finding", ITEM)

    assert comparison.compare(demo_engine, LOCAL_ADMIN, "KOR") == before
    trail = history.history(demo_engine, LOCAL_ADMIN, "finding", ITEM)
    assert trail[trail["field"] == "Withdrawn"][["old", "new"]].values.tolist()[:2] == [
        ["entered twice", "—"],
        ["—", "entered twice"],
    ]


def _restored_report(engine):
    """The same report with the item restored, to show the check above could fail."""
    withdrawal.restore(engine, LOCAL_ADMIN, "finding", ITEM)
    try:
        return build_state_report(engine, LOCAL_ADMIN, "KOR")
    finally:
        withdrawal.withdraw(engine, LOCAL_ADMIN, "finding", ITEM, "entered twice")


def test_a_withdrawn_visit_takes_its_findings_and_meetings_out_of_every_list(demo_engine):
    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "visit", "KOR-2023", "recorded against the wrong state")

    assert "KOR-2023" not in set(records.list_visits(demo_engine, LOCAL_ADMIN)["visit_id"])
    assert records.list_meetings(demo_engine, LOCAL_ADMIN, visit_id="KOR-2023").empty
    assert records.list_findings(demo_engine, LOCAL_ADMIN, visit_id="KOR-2023")[1] == 0
    with pytest.raises(TrackerError, match="has no follow-up visit"):
        comparison.compare(demo_engine, LOCAL_ADMIN, "KOR")


def test_a_withdrawal_needs_a_reason_an_existing_row_and_a_writer(demo_engine):
    with pytest.raises(TrackerError) as empty:
        withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "finding", ITEM, "  ")
    with pytest.raises(NotFound) as missing:
        withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "assessment", "KOR-2009-F15/KOR-2009", "typo")
    with pytest.raises(TrackerError) as shape:
        withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "assessment", ITEM, "typo")
    with pytest.raises(PermissionDenied):
        withdrawal.withdraw(demo_engine, Actor("val", Role.viewer), "finding", ITEM, "typo")

    assert str(empty.value) == (
        f"no reason was given to withdraw finding {ITEM}; say why with --reason, e.g. 'entered twice'."
    )
    assert str(missing.value) == ("there is no assessment KOR-2009-F15/KOR-2009 you may see; check the assessment id.")
    assert str(shape.value) == (
        f"'{ITEM}' is not the key of a assessment; write FINDING_ID/VISIT_ID, e.g. KOR-2009-F03/KOR-2023."
    )


def test_a_bundle_carries_a_withdrawal_to_another_database(demo_engine, tmp_path):
    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "assessment", f"{ITEM}/KOR-2023", "assessed by mistake")
    export_bundle(demo_engine, tmp_path / "out", LOCAL_ADMIN)
    withdrawal.restore(demo_engine, LOCAL_ADMIN, "assessment", f"{ITEM}/KOR-2023")

    result = import_bundle(demo_engine, sources_from_paths([tmp_path / "out"]), LOCAL_ADMIN)

    assert result.counts["assessments.csv"].updated == 1
    assert [(c.key, c.field, c.old, c.new) for c in result.changes] == [
        (f"{ITEM}/KOR-2023", "withdrawn", None, "assessed by mistake")
    ]


def test_delete_removes_only_what_nothing_depends_on(demo_engine):
    with pytest.raises(TrackerError) as depended:
        withdrawal.delete_permanently(demo_engine, LOCAL_ADMIN, "finding", ITEM)
    with pytest.raises(PermissionDenied):
        withdrawal.delete_permanently(demo_engine, ANALYST, "meeting", "KOR-2023-M01")

    withdrawal.delete_permanently(demo_engine, LOCAL_ADMIN, "meeting", "KOR-2023-M01")

    assert str(depended.value) == (
        f"finding {ITEM} cannot be deleted: other rows (assessments) depend on it; "
        "withdraw it instead, or delete those rows first."
    )
    with demo_engine.connect() as connection:
        assert connection.execute(select(func.count()).where(Meeting.meeting_id == "KOR-2023-M01")).scalar_one() == 0
    (event,) = _events(demo_engine, action="delete")
    assert (event.entity, event.key) == ("meeting", "KOR-2023-M01")
    assert json.loads(event.changes)["kind"][1] is None


def test_an_analyst_reads_the_history_of_what_they_may_see_and_nothing_else(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "b",
        visits=[visit_row(), followup_row()],
        findings=[finding_row("F1"), finding_row("F2", confidentiality="restricted")],
    )
    import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    records.save_finding(engine, LOCAL_ADMIN, finding_row("F1", title="Retitled"))
    records.save_assessments(engine, LOCAL_ADMIN, "KOR-2023", [{"finding_id": "F1", "status": "initial_steps"}])

    trail = history.history(engine, ANALYST, "finding", "F1")

    lines = trail[["action", "key", "field", "old", "new"]].values.tolist()
    assert ["create", "F1/KOR-2023", "Status", "—", "Initial steps"] in lines
    assert ["update", "F1", "Title", "Finding F1", "Retitled"] in lines
    assert set(trail["key"]) == {"F1", "F1/KOR-2023"}
    with pytest.raises(NotFound) as hidden:
        history.history(engine, ANALYST, "finding", "F2")
    assert str(hidden.value) == "there is no finding F2 you may see; check the finding id."


def test_history_leaves_out_what_was_written_while_the_row_was_above_the_readers_clearance(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "b", visits=[visit_row()], findings=[finding_row("F1", confidentiality="restricted")]
    )
    import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    records.save_finding(engine, LOCAL_ADMIN, finding_row("F1", title="Secret wording", confidentiality="restricted"))
    records.save_finding(engine, LOCAL_ADMIN, finding_row("F1", title="Public wording", confidentiality="committee"))

    trail = history.history(engine, ANALYST, "finding", "F1")

    assert trail[["field", "old", "new"]].values.tolist() == [
        ["Title", history.HIDDEN, "Public wording"],
        ["Confidentiality", history.HIDDEN, "Committee"],
    ]


def test_undo_writes_the_previous_values_back_as_a_new_audited_change(demo_engine):
    before = records.get_finding(demo_engine, LOCAL_ADMIN, ITEM)
    stored_before = records.assessment_worksheet(demo_engine, LOCAL_ADMIN, "KOR-2023")
    saved = records.save_finding(
        demo_engine, ANALYST, before | {"title": "A new title", "priority": not before["priority"], "resolutions": []}
    )
    assessed = records.save_assessments(
        demo_engine, ANALYST, "KOR-2023", [{"finding_id": ITEM, "status": "initial_steps", "evidence": "Only a plan"}]
    )
    events_before_undo = len(_events(demo_engine))

    history.undo(demo_engine, ANALYST, saved.changes + assessed.changes)

    assert records.get_finding(demo_engine, LOCAL_ADMIN, ITEM) == before
    after = records.assessment_worksheet(demo_engine, LOCAL_ADMIN, "KOR-2023")
    assert after.equals(stored_before)
    undone = _events(demo_engine)[events_before_undo:]
    assert sorted((e.username, e.action, e.entity, e.key) for e in undone) == [
        ("ann", "update", "assessment", f"{ITEM}/KOR-2023"),
        ("ann", "update", "finding", ITEM),
    ]


def test_undo_of_an_added_row_withdraws_it_and_refuses_when_the_row_changed_again(demo_engine):
    added = records.save_finding(demo_engine, ANALYST, finding_row("KOR-2023-F99", visit_id="KOR-2023"), new=True)
    assert [(c.key, c.field) for c in added.changes] == [("KOR-2023-F99", "*")]
    changed = records.save_finding(
        demo_engine, ANALYST, records.get_finding(demo_engine, ANALYST, ITEM) | {"title": "Once"}
    )
    records.save_finding(demo_engine, ANALYST, records.get_finding(demo_engine, ANALYST, ITEM) | {"title": "Twice"})

    with pytest.raises(TrackerError) as refused:
        history.undo(demo_engine, ANALYST, changed.changes)
    history.undo(demo_engine, ANALYST, added.changes)

    assert str(refused.value).startswith(f"finding {ITEM} has changed again since this save")
    with demo_engine.connect() as connection:
        assert connection.execute(
            select(Finding.withdrawn).where(Finding.finding_id == "KOR-2023-F99")
        ).scalar_one() == ("undone: added by mistake")


def test_an_import_review_names_each_changed_field(demo_engine, tmp_path):
    # A file with only the columns it changes: the others keep their stored values.
    (tmp_path / "assessments.csv").write_text(f"finding_id,visit_id,status\n{ITEM},KOR-2023,fully_implemented\n")

    result = import_bundle(demo_engine, sources_from_paths([tmp_path / "assessments.csv"]), LOCAL_ADMIN, dry_run=True)

    assert result.changes == [
        Change("assessments.csv", f"{ITEM}/KOR-2023", "status", "largely_implemented", "fully_implemented")
    ]
    assert records.assessment_worksheet(demo_engine, LOCAL_ADMIN, "KOR-2023").set_index("finding_id").loc[
        ITEM, "status"
    ] == ("largely_implemented")


def test_a_withdrawn_recommendation_leaves_the_tracking_matrix_and_comes_back(demo_engine):
    from tracker.services.bundle import matrix

    def rows_of_the_matrix() -> list[str]:
        [kor] = matrix.all_matrices(demo_engine, LOCAL_ADMIN, "committee")
        return kor.in_words()["Id"].tolist()

    assert ITEM in rows_of_the_matrix()

    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "finding", ITEM, "entered twice")
    assert ITEM not in rows_of_the_matrix()

    withdrawal.restore(demo_engine, LOCAL_ADMIN, "finding", ITEM)
    assert ITEM in rows_of_the_matrix()


PUBLIC_ANALYST = Actor("pia", Role.analyst, Confidentiality.public)


def _public_visit_holding_restricted_rows(engine, folder) -> None:
    bundle = write_bundle(
        folder,
        visits=[
            visit_row("KOR-2009", confidentiality="public"),
            followup_row("KOR-2023", confidentiality="public"),
        ],
        findings=[
            finding_row("KOR-2009-F01", confidentiality="public"),
            finding_row("KOR-2009-F02", confidentiality="restricted"),
            finding_row("KOR-2009-F03", confidentiality="public"),
        ],
        assessments=[
            assessment_row("KOR-2009-F01", "initial_steps", confidentiality="restricted"),
            assessment_row("KOR-2009-F03", "initial_steps", confidentiality="public"),
        ],
    )
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok


@pytest.mark.parametrize(("entity", "key"), [("visit", "KOR-2009"), ("visit", "KOR-2023"), ("finding", "KOR-2009-F01")])
def test_withdrawing_a_row_that_holds_rows_above_the_users_clearance_is_refused(engine, tmp_path, entity, key):
    _public_visit_holding_restricted_rows(engine, tmp_path / "bundle")
    before = comparison.compare(engine, LOCAL_ADMIN, "KOR")

    with pytest.raises(PermissionDenied) as refused:
        withdrawal.withdraw(engine, PUBLIC_ANALYST, entity, key, "entered twice")

    assert str(refused.value) == (
        f"{entity} {key} holds rows above your clearance, which withdrawing it would hide as well; "
        "ask a user cleared for all of its rows to withdraw it."
    )
    assert withdrawal.withdrawn_rows(engine, LOCAL_ADMIN).empty
    assert comparison.compare(engine, LOCAL_ADMIN, "KOR") == before


def test_withdrawing_a_row_whose_rows_the_user_all_sees_is_allowed(engine, tmp_path):
    _public_visit_holding_restricted_rows(engine, tmp_path / "bundle")

    withdrawal.withdraw(engine, PUBLIC_ANALYST, "finding", "KOR-2009-F03", "entered twice")
    withdrawal.withdraw(engine, LOCAL_ADMIN, "visit", "KOR-2023", "entered twice")

    assert withdrawal.withdrawn_rows(engine, LOCAL_ADMIN).to_dict("records") == [
        {"entity": "finding", "key": "KOR-2009-F03", "reason": "entered twice"},
        {"entity": "visit", "key": "KOR-2023", "reason": "entered twice"},
    ]
