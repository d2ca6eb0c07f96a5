"""An update item stays true to its update: changing the update's State or date, or the finding or
visit it speaks of, is checked again on import and on a save from a form."""

import pytest

from tests.conftest import finding_row, visit_row, write_bundle
from tests.services.test_between_visits import history, update_row
from tests.services.test_bundle import run_import, snapshot
from tracker.errors import ValidationFailed
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import updates


def _errors(engine, folder) -> list[str]:
    before = snapshot(engine)
    result = run_import(engine, folder)
    assert snapshot(engine) == before
    return [str(error) for error in result.errors]


def test_an_update_moved_to_another_state_is_refused_on_its_line(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok

    errors = _errors(engine, write_bundle(tmp_path / "moved", updates=[update_row(state="VAT")]))

    assert errors == [
        f"updates.csv:2: state: update KOR-U-2016 (from VAT) reports a status for finding {finding}, which would "
        "then be of KOR; keep the update and the finding's visit of one State"
        for finding in ("F1", "F2")
    ] + [
        "updates.csv:2: state: the response_received milestone of visit KOR-2009 names update KOR-U-2016, which "
        "would then be from VAT, not KOR; keep the update's State"
    ]


def test_an_update_dated_before_the_visit_that_raised_its_items_is_refused(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok

    errors = _errors(engine, write_bundle(tmp_path / "moved", updates=[update_row(received_on="2009-01-15")]))

    assert errors == [
        "updates.csv:2: received_on: update KOR-U-2016 (received on 2009-01-15) would then come before visit "
        f"KOR-2009 (started 2009-09-14), which raised finding {finding} the update reports on; keep the update "
        "after the visit"
        for finding in ("F1", "F2")
    ]


def test_a_visit_moved_after_the_update_is_refused_on_the_visit_line(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    moved = visit_row(partners="GCTF", start_date="2016-07-04", end_date="2016-07-08")

    errors = _errors(engine, write_bundle(tmp_path / "moved", visits=[moved]))

    assert errors == [
        "visits.csv:2: start_date: update KOR-U-2016 (received on 2016-06-30) would then come before visit "
        f"KOR-2009 (started 2016-07-04), which raised finding {finding} the update reports on; keep the update "
        "after the visit"
        for finding in ("F1", "F2")
    ]


def test_a_finding_moved_to_another_state_is_refused_on_the_finding_line(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in", assessments=[])).ok

    errors = _errors(engine, write_bundle(tmp_path / "moved", findings=[finding_row("F1", visit_id="VAT-2024")]))

    assert errors == [
        "findings.csv:2: visit_id: update KOR-U-2016 (from KOR) reports a status for finding F1, which would "
        "then be of VAT; keep the update and the finding's visit of one State"
    ]


def test_a_finding_that_is_no_longer_trackable_is_refused(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in", assessments=[])).ok

    errors = _errors(engine, write_bundle(tmp_path / "moved", findings=[finding_row("F2", kind="good_practice")]))

    assert errors == [
        "findings.csv:2: kind: update KOR-U-2016 reports a status for finding F2, and States report on "
        "shortfalls and recommendations only; keep its kind"
    ]


def test_an_edit_of_the_update_from_the_form_is_refused_the_same_way(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in", milestones=[])).ok

    with pytest.raises(ValidationFailed) as refused:
        updates.save_update(engine, LOCAL_ADMIN, update_row(received_on="2009-01-15"))

    assert str(refused.value).startswith("nothing was saved: 2 problem(s) with the state update")
    assert refused.value.errors == [
        {
            "key": "KOR-U-2016",
            "field": "received_on",
            "message": "update KOR-U-2016 (received on 2009-01-15) would then come before visit KOR-2009 "
            f"(started 2009-09-14), which raised finding {finding} the update reports on; keep the update after "
            "the visit",
        }
        for finding in ("F1", "F2")
    ]
    unchanged = updates.state_updates(engine, LOCAL_ADMIN, "KOR")
    assert unchanged["received_on"].astype(str).tolist() == ["2016-06-30"]


def test_an_update_moved_within_the_rules_is_saved(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok

    result = run_import(engine, write_bundle(tmp_path / "moved", updates=[update_row(received_on="2016-07-15")]))

    assert result.ok, [str(error) for error in result.errors]
    assert result.counts["updates.csv"].updated == 1


def test_an_update_item_above_the_importer_s_clearance_is_not_named(engine, tmp_path):
    from tracker.models import Confidentiality, Role
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths
    from tracker.services.people.access import Actor

    restricted = history(
        tmp_path / "in",
        assessments=[],
        updates=[update_row(confidentiality="restricted")],
        milestones=[],
    )
    assert run_import(engine, restricted).ok
    analyst = Actor("analyst", Role.analyst, Confidentiality.committee)

    moved = write_bundle(tmp_path / "moved", findings=[finding_row("F2", kind="good_practice")])
    result = import_bundle(engine, sources_from_paths([moved]), analyst)

    assert [str(error) for error in result.errors] == [
        "findings.csv:2: kind: a stored row you may not see depends on this value; keep it, or ask a colleague "
        "to change both"
    ]
