"""The README names every command of the command line and every option of each command."""

import re
from pathlib import Path

import pytest
import typer.main

from tracker.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(command, path: tuple[str, ...] = ()):
    """(words after `tracker`, long options) of every leaf command, sub-commands such as `user add` too."""
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        options = [
            option
            for param in command.params
            if param.param_type_name == "option"
            for option in param.opts
            if option.startswith("--") and option != "--help"
        ]
        yield path, options


COMMANDS = list(_commands(typer.main.get_command(app)))


def _row(path: tuple[str, ...]) -> str:
    """The command table's row of the command (`tracker user add|list|…` for a sub-command)."""
    head, *rest = path
    for line in README.splitlines():
        first = re.match(r"\| `tracker ([^`]*)`", line)
        named = first.group(1).split() if first else []
        if (
            named
            and named[0] == head
            and (not rest or rest[0] in re.split(r"[|\\]+", named[1] if len(named) > 1 else ""))
        ):
            return line
    return ""


def _passages(path: tuple[str, ...]) -> list[str]:
    """The README's paragraphs and examples that mention `tracker <command>`."""
    name = "tracker " + " ".join(path)
    return [block for block in re.split(r"\n\s*\n", README) if name in block]


def test_every_command_is_found():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"init", "demo", "import", "compare", "report", "dashboard", "user add"} <= names


@pytest.mark.parametrize(("path", "options"), COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS])
def test_readme_names_the_command_and_its_options(path, options):
    row = _row(path)
    assert row, f"README's command table has no row for 'tracker {' '.join(path)}'"
    said = row + "\n".join(_passages(path))
    missing = [option for option in options if option not in said]
    assert not missing, f"README does not say what {missing} of 'tracker {' '.join(path)}' does"


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=[" ".join(path) for path, _ in COMMANDS])
def test_help_speaks_to_the_user(path):
    """Help names no internal document: the reader of `--help` has only the README."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "DESIGN" not in result.output and "§" not in result.output
