"""`tracker report --issue` and `tracker reports list | get | diff`: whole outputs and one-sentence errors."""

import hashlib
import json

from typer.testing import CliRunner

from tests.conftest import write_bundle
from tests.services.test_snapshots import ADDED, CHANGED
from tracker.cli import app
from tracker.services import snapshots
from tracker.services.access import LOCAL_ADMIN

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def issue(tmp_path, name="korea.md", title="Republic of Korea, 2024", *more):
    out = tmp_path / name
    result = tracker("report", "--state", "KOR", "--out", out, "--level", "committee", "--issue", title, *more)
    return result, out


def test_issue_prints_the_snapshot_id_on_stdout(demo_engine, tmp_path):
    result, out = issue(tmp_path)

    assert result.exit_code == 0, result.output
    assert result.stdout == "1\n"
    assert result.stderr == (
        f"Report written to {out} (confidentiality level committee).\nIssued to the Committee as report 1.\n"
    )
    assert snapshots.get(demo_engine, LOCAL_ADMIN, 1).content == out.read_bytes()


def test_issue_needs_a_title_and_writes_nothing_without_one(demo_engine, tmp_path):
    result, out = issue(tmp_path, "korea.md", "   ")

    assert result.exit_code == 1
    assert result.stderr == 'Error: an issued report needs a title; give one, e.g. --issue "Republic of Korea, 2024".\n'
    assert not out.exists()
    assert snapshots.listing(demo_engine, LOCAL_ADMIN).empty


def test_get_writes_the_issued_bytes_exactly(demo_engine, tmp_path):
    issue(tmp_path, "korea.docx")
    issued = (tmp_path / "korea.docx").read_bytes()
    again = tmp_path / "again.docx"

    result = tracker("reports", "get", "1", "--out", again)

    digest = hashlib.sha256(issued).hexdigest()
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Issued report 1 written to {again} (SHA-256 {digest}).\n"
    assert again.read_bytes() == issued
    assert snapshots.get(demo_engine, LOCAL_ADMIN, 1).sha256 == digest


def test_get_of_an_unknown_or_malformed_id(demo_engine, tmp_path):
    missing = tracker("reports", "get", "7", "--out", tmp_path / "x.md")
    malformed = tracker("reports", "get", "seven", "--out", tmp_path / "x.md")

    assert (missing.exit_code, malformed.exit_code) == (1, 1)
    assert (
        missing.stderr
        == "Error: there is no issued report 7 that you may see; run 'tracker reports list' to see them.\n"
    )
    assert malformed.stderr == "Error: 'seven' is not an issued report id; run 'tracker reports list' to see them.\n"
    assert not (tmp_path / "x.md").exists()


def test_list_as_table_and_as_json(demo_engine, tmp_path):
    empty = tracker("reports", "list")
    issue(tmp_path)

    table = tracker("reports", "list")
    listed = tracker("reports", "list", "--format", "json")

    assert empty.stdout == "No report has been issued yet.\n"
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "issued_at", "level", "format", "scope", "issued_by", "title"]
    assert lines[1].split()[2:5] == ["committee", "md", "state:KOR:KOR-2023"]
    assert lines[1].endswith("Republic of Korea, 2024") and len(lines) == 2
    [row] = json.loads(listed.stdout)
    content = (tmp_path / "korea.md").read_bytes()
    assert row | {"issued_at": None, "issued_by": None} == {
        "id": 1,
        "title": "Republic of Korea, 2024",
        "scope": "state:KOR:KOR-2023",
        "level": "committee",
        "format": "md",
        "issued_by": None,
        "issued_at": None,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
    }


def test_diff_as_json_lists_the_changes_made_by_import(demo_engine, tmp_path):
    issue(tmp_path)
    assert tracker("import", write_bundle(tmp_path / "changes", findings=[ADDED], assessments=CHANGED)).exit_code == 0

    result = tracker("reports", "diff", "1", "--format", "json")

    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    assert list(diff) == [
        "from",
        "to",
        "scope",
        "level",
        "status_changes",
        "added",
        "withdrawn",
        "followups_added",
        "areas",
    ]
    assert diff == snapshots.diff(demo_engine, LOCAL_ADMIN, 1)
    assert [(c["finding_id"], c["followup"], c["old_status"], c["new_status"]) for c in diff["status_changes"]] == [
        ("KOR-2009-F02", "KOR-2023", "largely_implemented", "fully_implemented"),
        ("KOR-2009-F03", "KOR-2023", "partially_implemented", "not_implemented"),
    ]
    assert diff["added"] == [{"finding_id": "KOR-2023-F99", "visit_id": "KOR-2023", "kind": "shortfall", "area": "LEG"}]


def test_diff_as_table(demo_engine, tmp_path):
    issue(tmp_path)
    tracker("import", write_bundle(tmp_path / "changes", assessments=CHANGED[:1]))

    result = tracker("reports", "diff", "1")

    assert result.exit_code == 0, result.output
    head = result.stdout.split("Implementation index per area")[0]
    assert head == (
        "Changes from issued report 1 to now: KOR, follow-up visit KOR-2023, level committee\n"
        "\n"
        "Status changes: 1\n"
        "  finding       follow-up  old status           new status         groups\n"
        "  KOR-2009-F02  KOR-2023   largely_implemented  fully_implemented  progressing -> closed\n"
        "\n"
        "Added: none\n"
        "\n"
        "Withdrawn: none\n"
        "\n"
        "Follow-up visits added: none\n"
        "\n"
    )
    assert "  LEG    75.0   83.3\n" in result.stdout


def test_diff_of_two_reports_on_different_scopes(demo_engine, tmp_path):
    issue(tmp_path)
    period = tracker(
        "report",
        "--period",
        "2023-01-01..2023-12-31",
        "--out",
        tmp_path / "p.md",
        "--issue",
        "2023",
        "--level",
        "committee",
    )
    assert period.stdout == "2\n"

    result = tracker("reports", "diff", "1", "2")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: issued reports 1 and 2 cover different scopes (state:KOR:KOR-2023 and period:2023-01-01..2023-12-31); "
        "compare two reports on the same scope, or one report with now.\n"
    )
