"""`tracker import --dry-run`, `tracker withdraw`, `tracker restore` and `tracker delete`: whole outputs."""

import json

from typer.testing import CliRunner

from tracker.cli import app

runner = CliRunner()
ITEM = "KOR-2009-F15"


def tracker(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def test_a_dry_run_lists_the_changed_status_as_text_and_as_json(demo_engine, tmp_path):
    (tmp_path / "assessments.csv").write_text(f"finding_id,visit_id,status\n{ITEM},KOR-2023,fully_implemented\n")

    text = tracker("import", tmp_path / "assessments.csv", "--dry-run")
    as_json = tracker("import", tmp_path / "assessments.csv", "--dry-run", "--format", "json")

    assert (text.exit_code, text.stdout) == (
        0,
        f"assessments.csv {ITEM}/KOR-2023: status: largely_implemented → fully_implemented\n"
        "assessments.csv: 0 created, 1 updated, 0 unchanged\n"
        "Dry run: nothing was written; these changes would be made.\n",
    )
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {
        "files": {"assessments.csv": {"created": 0, "updated": 1, "unchanged": 0}},
        "changes": [
            {
                "file": "assessments.csv",
                "key": f"{ITEM}/KOR-2023",
                "field": "status",
                "old": "largely_implemented",
                "new": "fully_implemented",
            }
        ],
        "errors": [],
    }


def test_errors_as_json_name_the_row_and_key_suggest_a_value_and_give_no_counts(demo_engine, tmp_path):
    (tmp_path / "assessments.csv").write_text(
        "finding_id,visit_id,status,evidence\n"
        f'{ITEM},KOR-2023,fully implemnted,"two\nlines"\n'
        "KOR-2009-F16,KOR-2023,fully implemnted,\n"
    )

    as_json = tracker("import", tmp_path / "assessments.csv", "--format", "json")
    text = tracker("import", tmp_path / "assessments.csv")

    message = (
        "'fully implemnted' is not a status; did you mean fully_implemented? use one of fully_implemented, "
        "addressed_otherwise, largely_implemented, partially_implemented, initial_steps, not_implemented, "
        "contrary_action, no_longer_relevant, not_assessed, insufficient_information"
    )
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {
        "files": {"assessments.csv": None},
        "changes": [],
        "errors": [
            {
                "file": "assessments.csv",
                "line": 2,
                "row": 1,
                "key": f"{ITEM}/KOR-2023",
                "column": "status",
                "message": message,
            },
            {
                "file": "assessments.csv",
                "line": 4,
                "row": 2,
                "key": "KOR-2009-F16/KOR-2023",
                "column": "status",
                "message": message,
            },
        ],
    }
    assert (text.exit_code, text.stdout, text.stderr) == (
        1,
        "",
        f"assessments.csv: lines 2, 4: status: {message}\n"
        "Error: the bundle has 2 error(s) and nothing was written; correct the rows listed above and import again.\n",
    )


def test_withdraw_and_restore_from_the_command_line(demo_engine):
    before = json.loads(tracker("compare", "KOR", "--format", "json").stdout)["status_counts"]
    withdrawn = tracker("withdraw", "finding", ITEM, "--reason", "entered twice")
    again = tracker("withdraw", "finding", ITEM, "--reason", "entered twice")
    compared = tracker("compare", "KOR", "--format", "json")
    restored = tracker("restore", "finding", ITEM)
    twice = tracker("restore", "finding", ITEM)

    assert (withdrawn.exit_code, withdrawn.stdout, withdrawn.stderr) == (
        0,
        "",
        f"Withdrew finding {ITEM}; 'tracker restore finding {ITEM}' brings it back.\n",
    )
    assert (again.exit_code, again.stderr) == (
        1,
        f"Error: finding {ITEM} is already withdrawn (entered twice); restore it first to withdraw it again.\n",
    )
    assert json.loads(compared.stdout)["status_counts"] == before | {
        "largely_implemented": before["largely_implemented"] - 1
    }
    assert (restored.exit_code, restored.stderr) == (0, f"Restored finding {ITEM}.\n")
    assert (twice.exit_code, twice.stderr) == (1, f"Error: finding {ITEM} is not withdrawn; nothing to restore.\n")
    audit = tracker("audit", "--key", ITEM)
    assert audit.stdout.count("withdrawn: None → entered twice") == 1
    assert audit.stdout.count("withdrawn: entered twice → None") == 1


def test_withdraw_names_what_it_accepts(demo_engine):
    entity = tracker("withdraw", "recommendation", ITEM, "--reason", "x")
    key = tracker("restore", "assessment", ITEM)

    assert (entity.exit_code, entity.stderr) == (
        1,
        "Error: 'recommendation' is not something that can be withdrawn; use one of visit, finding, assessment, meeting, state_update, update_item.\n",
    )
    assert (key.exit_code, key.stderr) == (
        1,
        f"Error: '{ITEM}' is not the key of a assessment; write FINDING_ID/VISIT_ID, e.g. KOR-2009-F03/KOR-2023.\n",
    )


def test_delete_asks_first_and_refuses_what_others_depend_on(demo_engine):
    declined = tracker("delete", "meeting", "KOR-2023-M01", input="n\n")
    depended = tracker("delete", "visit", "KOR-2009", "--yes")
    deleted = tracker("delete", "meeting", "KOR-2023-M01", input="y\n")
    gone = tracker("delete", "meeting", "KOR-2023-M01", "--yes")

    assert (declined.exit_code, declined.stderr) == (
        1,
        "Delete meeting KOR-2023-M01 for good? This cannot be undone [y/N]:Error: meeting KOR-2023-M01 was not deleted.\n",
    )
    assert (depended.exit_code, depended.stderr) == (
        1,
        "Error: visit KOR-2009 cannot be deleted: other rows (findings) depend on it; "
        "withdraw it instead, or delete those rows first.\n",
    )
    assert (deleted.exit_code, deleted.stderr) == (
        0,
        "Delete meeting KOR-2023-M01 for good? This cannot be undone [y/N]:"
        "Deleted meeting KOR-2023-M01; the audit trail keeps its last values.\n",
    )
    assert (gone.exit_code, gone.stderr) == (
        1,
        "Error: there is no meeting KOR-2023-M01 you may see; check the meeting id.\n",
    )


def test_delete_refuses_a_finding_with_a_ta_record_and_a_visit_with_milestones(engine, tmp_path):
    from tests.conftest import finding_row, followup_row, visit_row, write_bundle
    from tests.services.test_after_visit import milestone_row, ta_row

    bundle = write_bundle(
        tmp_path / "bundle",
        visits=[visit_row("KOR-2009"), followup_row("KOR-2023")],
        findings=[finding_row("KOR-2009-F01", kind="ta_need"), finding_row("KOR-2009-F02")],
        milestones=[milestone_row("KOR-2023")],
        ta=[ta_row("KOR-2009-F01", addresses="KOR-2009-F02")],
    )
    assert tracker("import", bundle).exit_code == 0

    with_record = tracker("delete", "finding", "KOR-2009-F01", "--yes")
    addressed = tracker("delete", "finding", "KOR-2009-F02", "--yes")
    with_milestones = tracker("delete", "visit", "KOR-2023", "--yes")

    assert (with_record.exit_code, with_record.stderr) == (
        1,
        "Error: finding KOR-2009-F01 cannot be deleted: other rows (TA records) depend on it; withdraw it instead.\n",
    )
    assert (addressed.exit_code, addressed.stderr) == (
        1,
        "Error: finding KOR-2009-F02 cannot be deleted: other rows (TA records) depend on it; withdraw it instead.\n",
    )
    assert (with_milestones.exit_code, with_milestones.stderr) == (
        1,
        "Error: visit KOR-2023 cannot be deleted: other rows (milestones) depend on it; withdraw it instead.\n",
    )


def test_every_key_pointing_at_a_visit_or_a_finding_is_a_dependent_or_deleted_with_it():
    from sqlmodel import SQLModel

    from tracker.services.records import withdrawal

    for entity, model in (("visit", "visit"), ("finding", "finding")):
        listed = {(table_of.__tablename__, column) for table_of, column in withdrawal._DEPENDENTS[entity]}
        deleted_with_it = {link.__tablename__ for link in withdrawal._LINKS[entity]}
        pointing = {
            (table.name, key.parent.name)
            for table in SQLModel.metadata.sorted_tables
            for key in table.foreign_keys
            if key.column.table.name == model and key.ondelete != "CASCADE" and table.name not in deleted_with_it
        }
        assert pointing == listed, entity
