"""`tracker --help` answers at once: the command line loads no heavy library until a command needs it."""

import json
import subprocess
import sys

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


def test_a_command_still_loads_what_it_needs():
    assert {"sqlalchemy", "pandas"} <= loaded_after(
        "from typer.testing import CliRunner\nfrom tracker.cli import app\n"
        "CliRunner().invoke(app, ['audit', '--since', 'not a day'])"
    )
