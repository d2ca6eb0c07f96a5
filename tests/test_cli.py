"""The `tracker` command line: init, demo, import, export and its error messages."""

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.conftest import finding_row, visit_row, write_bundle
from tracker.cli import app
from tracker.models import Finding, MemberState, PartnerOrg, Resolution, ThematicArea
from tracker.services.bundle.files import FILE_NAMES

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_sentence_error(result):
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: ") and last.endswith(".") and ";" in last


def test_init_twice_leaves_193_states_and_no_duplicates(engine):
    first = tracker("init")
    second = tracker("init")

    assert first.exit_code == 0 and second.exit_code == 0
    assert "added 0 Member States, 0 thematic areas" in second.stderr
    with engine.connect() as connection:
        for model, expected in ((MemberState, 193), (ThematicArea, 34), (Resolution, 16), (PartnerOrg, 20)):
            assert connection.execute(select(func.count()).select_from(model)).scalar_one() == expected


def test_init_creates_a_new_sqlite_database(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/sub/new.db")

    result = tracker("init")

    assert result.exit_code == 0
    assert "added 193 Member States" in result.stderr


def test_demo_export_import_export_is_byte_identical(engine, tmp_path, monkeypatch):
    assert tracker("demo").exit_code == 0
    assert tracker("export", tmp_path / "out", "--level", "restricted").exit_code == 0
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/second.db")
    assert tracker("init").exit_code == 0

    imported = tracker("import", tmp_path / "out")
    exported = tracker("export", tmp_path / "again.zip", "--level", "restricted")

    assert imported.exit_code == 0, imported.output
    assert "findings.csv: 71 created, 0 updated, 0 unchanged" in imported.stdout
    assert exported.exit_code == 0
    import zipfile

    with zipfile.ZipFile(tmp_path / "again.zip") as archive:
        for name in archive.namelist():
            assert archive.read(name) == (tmp_path / "out" / name).read_bytes(), name


def test_reimport_into_the_same_database_reports_nothing_created_or_updated(engine, tmp_path):
    tracker("demo")
    tracker("export", tmp_path / "out", "--level", "restricted")

    result = tracker("import", tmp_path / "out")

    assert result.exit_code == 0
    for line in result.stdout.strip().splitlines():
        assert " 0 created, 0 updated," in line


def test_import_with_errors_lists_them_exits_1_and_writes_nothing(engine, tmp_path):
    tracker("demo")
    before = _finding_count(engine)
    bundle = write_bundle(
        tmp_path / "bad",
        visits=[visit_row("KOR-2030", start_date="2030-13-01", end_date="2030-13-02")],
        findings=[
            finding_row("X1", kind="gap"),
            finding_row("X2", visit_id="KOR-1999"),
            finding_row("X3", visit_id="KOR-2009", area="NOPE"),
        ],
    )
    (bundle / "meetings.csv").write_text("meeting_id,visit_id,kind,mood\nM1,KOR-2023,technical,calm\n")

    result = tracker("import", bundle)

    assert_one_sentence_error(result)
    for expected in (
        "visits.csv:2: start_date:",
        "findings.csv:2: kind:",
        "findings.csv:3: visit_id: visit KOR-1999",
        "findings.csv:4: area: NOPE is not a thematic area",
        "meetings.csv:1: mood: unknown column",
    ):
        assert expected in result.stderr
    assert _finding_count(engine) == before


def test_dry_run_writes_nothing(engine, tmp_path):
    bundle = write_bundle(tmp_path / "b", visits=[visit_row()], findings=[finding_row("F1")])

    result = tracker("import", bundle, "--dry-run")

    assert result.exit_code == 0
    assert "findings.csv: 1 created" in result.stdout
    assert "Dry run: nothing was written" in result.stdout
    assert _finding_count(engine) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("import", "/no/such/bundle"),
            "/no/such/bundle does not exist; give a bundle folder, a .zip file or .csv files.",
        ),
        (
            ("export", "out", "--level", "secret"),
            "'secret' is not a confidentiality level; use one of "
            "public, un_platform, member_states, committee, state_and_cted, restricted.",
        ),
    ],
)
def test_bad_arguments_give_one_sentence_with_a_hint(engine, args, message):
    result = tracker(*args)

    assert_one_sentence_error(result)
    assert result.stderr == f"Error: {message}\n"


def test_a_file_that_is_not_part_of_a_bundle_is_refused(engine, tmp_path):
    (tmp_path / "notes.csv").write_text("a,b\n")

    result = tracker("import", tmp_path / "notes.csv")

    assert_one_sentence_error(result)
    assert (
        result.stderr == f"Error: {tmp_path / 'notes.csv'} is not a bundle file; name each file one of {FILE_NAMES}.\n"
    )


def test_an_uninitialised_database_says_to_run_init(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")

    result = tracker("export", tmp_path / "out")

    assert_one_sentence_error(result)
    assert result.stderr == "Error: the database has no tracker schema yet; run 'tracker init' first.\n"


def test_an_unreachable_database_is_one_sentence(monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")

    assert_one_sentence_error(tracker("init"))


def test_a_malformed_database_url_is_one_sentence(monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", "not a url")

    result = tracker("init")

    assert_one_sentence_error(result)
    assert result.stderr == (
        "Error: TRACKER_DATABASE_URL 'not a url' is not a database URL; "
        "use sqlite:///path/to/tracker.db or postgresql+psycopg://user@host/db.\n"
    )


def test_every_command_has_help():
    import typer

    for name in typer.main.get_command(app).commands:
        result = tracker(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage" in result.output


def test_python_dash_m_tracker_is_the_same_command():
    import subprocess
    import sys
    from importlib.metadata import version

    completed = subprocess.run(
        [sys.executable, "-m", "tracker", "--version"], capture_output=True, text=True, check=False
    )

    assert (completed.returncode, completed.stdout) == (0, f"tracker {version('cted-followup-tracker')}\n")


def test_each_command_group_is_a_short_module():
    from pathlib import Path

    import tracker.cli

    for module in sorted(Path(tracker.cli.__file__).parent.glob("*.py")):
        assert len(module.read_text(encoding="utf-8").splitlines()) < 400, module.name


def _finding_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Finding)).scalar_one()


def test_version_is_the_installed_package_version():
    from importlib.metadata import version

    result = tracker("--version")

    assert result.exit_code == 0
    assert result.output == f"tracker {version('cted-followup-tracker')}\n"


def test_every_bad_setting_is_named_in_one_sentence_before_a_command_acts(engine, monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "0")
    monkeypatch.setenv("TRACKER_MAX_UPLOAD_MB", "-5")
    monkeypatch.setenv("TRACKER_LOCKOUT_MINUTES", "a quarter")

    result = tracker("init")

    assert result.exit_code == 1
    assert result.output == (
        "Error: TRACKER_SESSION_TIMEOUT_MINUTES=0 is not allowed: it must be a whole number above 0, e.g. 30. "
        "TRACKER_LOCKOUT_MINUTES=a quarter is not a whole number; write digits only, e.g. 15. "
        "TRACKER_MAX_UPLOAD_MB=-5 is not allowed: it must be a whole number above 0, e.g. 200.\n"
    )
