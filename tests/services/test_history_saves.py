"""The History in plain words: one row per save, created, changed, undone, withdrawn, restored."""

from tests.conftest import finding_row, followup_row, visit_row, write_bundle
from tracker.models import Confidentiality, Role
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.records import editing as records
from tracker.services.records import history, withdrawal

ANALYST = Actor("ann", Role.analyst, Confidentiality.committee)


def _imported(engine, folder) -> None:
    bundle = write_bundle(folder, visits=[visit_row(), followup_row()], findings=[finding_row("F1")])
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok


def test_a_creation_is_one_row_and_an_edit_one_row_in_plain_words(engine, tmp_path):
    _imported(engine, tmp_path / "b")
    records.save_finding(engine, ANALYST, records.get_finding(engine, ANALYST, "F1") | {"title": "Retitled"})

    trail = history.saves(engine, ANALYST, "finding", "F1")

    assert trail[["username", "action", "key"]].values.tolist() == [
        ["ann", "changed", "F1"],
        ["local", "created", "F1"],
    ]
    assert trail["change"].iloc[0] == "Title: Finding F1 → Retitled"
    assert "Title: Finding F1" in trail["change"].iloc[1]


def test_an_undo_reads_undone_and_a_withdrawal_and_restoring_read_as_such(engine, tmp_path):
    _imported(engine, tmp_path / "b")
    saved = records.save_finding(engine, ANALYST, records.get_finding(engine, ANALYST, "F1") | {"title": "Retitled"})
    history.undo(engine, ANALYST, saved.changes)
    withdrawal.withdraw(engine, ANALYST, "finding", "F1", "entered twice")
    withdrawal.restore(engine, ANALYST, "finding", "F1")

    trail = history.saves(engine, ANALYST, "finding", "F1")

    assert list(trail["action"]) == ["restored", "withdrawn", "undone", "changed", "created"]
    assert trail["change"].iloc[1] == "Withdrawn: — → entered twice"
    assert trail["change"].iloc[2] == "Title: Retitled → Finding F1"


def test_undoing_an_added_row_reads_undone(engine, tmp_path):
    _imported(engine, tmp_path / "b")
    added = records.save_finding(engine, ANALYST, finding_row("F2"), new=True)
    history.undo(engine, ANALYST, added.changes)

    trail = history.saves(engine, LOCAL_ADMIN, "finding", "F2")

    assert list(trail["action"]) == ["undone", "created"]
