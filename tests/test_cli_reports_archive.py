"""`tracker report --issue` and `tracker reports list | get | diff`: whole outputs and one-sentence errors."""

import hashlib
import json
import zipfile

import pytest
from sqlalchemy import select, text, update
from typer.testing import CliRunner

import tracker.services.reports.seal as seal
from tests.conftest import write_bundle
from tests.services.test_snapshots import ADDED, CHANGED
from tracker.cli import app
from tracker.models import ReportSnapshot
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.reports import snapshots

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
    assert result.stderr == f"Issued report 1 written to {again} (SHA-256 {digest}; keyed seal).\n"
    assert again.read_bytes() == issued
    assert snapshots.get(demo_engine, LOCAL_ADMIN, 1).sha256 == digest


def test_get_of_an_unknown_or_malformed_id(demo_engine, tmp_path):
    missing = tracker("reports", "get", "7", "--out", tmp_path / "x.md")
    malformed = tracker("reports", "get", "seven", "--out", tmp_path / "x.md")
    huge = tracker("reports", "get", "99999999999999999999", "--out", tmp_path / "x.md")
    zero = tracker("reports", "get", "0", "--out", tmp_path / "x.md")

    assert (missing.exit_code, malformed.exit_code) == (1, 1)
    assert (
        missing.stderr
        == "Error: there is no issued report 7 that you may see; run 'tracker reports list' to see them.\n"
    )
    assert malformed.stderr == "Error: 'seven' is not an issued report id; run 'tracker reports list' to see them.\n"
    assert (huge.exit_code, huge.stderr) == (
        1,
        "Error: there is no issued report 99999999999999999999 that you may see; "
        "run 'tracker reports list' to see them.\n",
    )
    assert (zero.exit_code, zero.stderr) == (
        1,
        "Error: there is no issued report 0 that you may see; run 'tracker reports list' to see them.\n",
    )
    assert not (tmp_path / "x.md").exists()


def test_list_as_table_and_as_json(demo_engine, tmp_path):
    empty = tracker("reports", "list")
    issue(tmp_path)

    table = tracker("reports", "list")
    listed = tracker("reports", "list", "--format", "json")

    assert empty.stdout == "No report has been issued yet.\n"
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["id", "issued_at", "level", "format", "scope", "issued_by", "seal", "title"]
    assert lines[1].split()[2:5] == ["committee", "md", "state:KOR:KOR-2023"]
    assert lines[1].split()[6] == "keyed"
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
        "seal": "keyed",
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


def _damage(engine) -> None:
    """Write the issued file back as text, as a hand edit of a SQLite database can."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE report_snapshot SET content = CAST(content AS TEXT) WHERE id = 1"))


def test_a_report_stored_as_text_is_said_damaged_and_a_backup_keeps_it(demo_engine, tmp_path):
    if demo_engine.dialect.name != "sqlite":
        pytest.skip("only SQLite can hold text in the column of the issued bytes")
    issue(tmp_path, "korea.md")
    issue(tmp_path, "again.md", "Republic of Korea, 2025")
    _damage(demo_engine)

    got = tracker("reports", "get", "1", "--out", tmp_path / "x.md")
    other = tracker("reports", "get", "2", "--out", tmp_path / "y.md")
    listed = tracker("reports", "list", "--format", "json")
    backed_up = tracker("backup", tmp_path / "backup.zip")

    assert (got.exit_code, got.stderr) == (
        1,
        "Error: issued report 1 is damaged: its file is stored as text instead of the bytes issued; "
        "restore a backup taken before the damage, or issue the report again.\n",
    )
    assert not (tmp_path / "x.md").exists()
    assert other.exit_code == 0, other.output
    assert [row["id"] for row in json.loads(listed.stdout)] == [2, 1]
    assert backed_up.exit_code == 0, backed_up.output
    assert backed_up.stdout.endswith(
        "\nDamaged issued reports kept as they are stored (their file is text, not the bytes issued): 1; "
        "restore a backup taken before the damage, or issue them again.\n"
    )
    with zipfile.ZipFile(tmp_path / "backup.zip") as archive:
        kept = snapshots.backup_read(archive.read(snapshots.BACKUP_NAME), seal.ensure_key(demo_engine))
    assert [row["content"] for row in kept] == [
        (tmp_path / "korea.md").read_bytes(),
        (tmp_path / "again.md").read_bytes(),
    ]


def _rewrite(engine, **values) -> None:
    """Change the issued report behind the tracker's back, sealing it again with a plain SHA-256."""
    table = ReportSnapshot.__table__
    with engine.begin() as connection:
        row = dict(connection.execute(select(table).where(table.c.id == 1)).mappings().one()) | values
        connection.execute(update(table).where(table.c.id == 1).values(values | {"seal": seal.unkeyed(row)}))


def test_a_report_lowered_in_level_and_sealed_again_without_the_key_is_refused(demo_engine, tmp_path):
    issued = tracker(
        "report", "--state", "KOR", "--out", tmp_path / "k.md", "--level", "restricted", "--issue", "Korea"
    )
    assert issued.exit_code == 0, issued.output
    _rewrite(demo_engine, level="public")

    got = tracker("reports", "get", "1", "--out", tmp_path / "x.md")
    listed = tracker("reports", "list", "--format", "json")

    assert (got.exit_code, got.stderr) == (
        1,
        "Error: issued report 1 no longer matches its seal: it carries an unkeyed seal, which anyone who can write "
        "to the database can make, on a server that keys its seals; restore it from a backup and ask an "
        "administrator to check the audit trail.\n",
    )
    assert not (tmp_path / "x.md").exists()
    assert [(row["level"], row["seal"]) for row in json.loads(listed.stdout)] == [("public", "broken")]


def test_a_report_issued_before_keyed_seals_reads_and_init_seals_it_under_a_new_key_file(
    demo_engine, tmp_path, monkeypatch
):
    if demo_engine.dialect.name != "sqlite":
        pytest.skip("the key file beside the database is SQLite's; PostgreSQL's is in the user's data folder")
    issue(tmp_path)
    monkeypatch.delenv("TRACKER_SEAL_KEY")
    key_file = seal.key_file(demo_engine)
    key_file.unlink(missing_ok=True)
    _rewrite(demo_engine)

    before = tracker("reports", "get", "1", "--out", tmp_path / "before.md")
    initialised = tracker("init")
    after = tracker("reports", "get", "1", "--out", tmp_path / "after.md")
    listed = tracker("reports", "list", "--format", "json")
    monkeypatch.setenv("TRACKER_SEAL_KEY", "another key")
    other_key = tracker("reports", "get", "1", "--out", tmp_path / "other.md")

    digest = hashlib.sha256((tmp_path / "korea.md").read_bytes()).hexdigest()
    assert (before.exit_code, before.stderr) == (
        0,
        f"Issued report 1 written to {tmp_path / 'before.md'} (SHA-256 {digest}; unkeyed seal).\n",
    )
    assert initialised.exit_code == 0, initialised.output
    assert key_file.parent == tmp_path and key_file.name == "tracker.db.seal-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert (after.exit_code, after.stderr) == (
        0,
        f"Issued report 1 written to {tmp_path / 'after.md'} (SHA-256 {digest}; keyed (issued unkeyed, sealed again) seal).\n",
    )
    assert [row["seal"] for row in json.loads(listed.stdout)] == ["keyed (issued unkeyed, sealed again)"]
    assert other_key.exit_code == 1
    assert "this server's seal key is not the one it was sealed with" in other_key.stderr
