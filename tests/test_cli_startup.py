"""`tracker --help` answers at once: the command line loads no heavy library until a command needs it."""

import json
import subprocess
import sys

from tests.conftest import finding_row, visit_row, write_bundle

HEAVY = ("pandas", "streamlit", "plotly", "docx", "kaleido", "sqlalchemy", "sqlmodel", "numpy", "argon2")


def loaded_after(code: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(completed.stdout.splitlines()[-1]))


def test_importing_the_command_line_loads_no_heavy_library():
    assert loaded_after("import tracker.cli") & set(HEAVY) == set()


def test_help_of_every_command_loads_no_heavy_library():
    code = (
        "import typer\nfrom typer.testing import CliRunner\nfrom tracker.cli import app\n"
        "for name in typer.main.get_command(app).commands:\n"
        "    assert CliRunner().invoke(app, [name, '--help']).exit_code == 0, name"
    )
    assert loaded_after(code) & set(HEAVY) == set()


def test_a_command_still_loads_what_it_needs(database_url):
    assert {"sqlalchemy", "pandas"} <= loaded_after(
        "from typer.testing import CliRunner\nfrom tracker.cli import app\n"
        "assert CliRunner().invoke(app, ['audit', '--limit', '1']).exit_code == 0"
    )


def test_an_import_leaves_pandas_unloaded_though_it_writes_the_audit_trail(database_url, tmp_path):
    folder = write_bundle(tmp_path / "bundle", visits=[visit_row()], findings=[finding_row("F1")])
    loaded = loaded_after(
        "from typer.testing import CliRunner\nfrom tracker.cli import app\n"
        f"assert CliRunner().invoke(app, ['import', {str(folder)!r}]).exit_code == 0"
    )
    assert "sqlalchemy" in loaded and "pandas" not in loaded
