"""`tracker dashboard`, `compare` and `due`: the progress of a State, on a page or at the terminal."""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import LevelOption, command, echo, plain_table
from tracker.errors import TrackerError


@command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve the dashboard on.")] = 8501,
    address: Annotated[
        str,
        typer.Option(
            help="Network address to listen on; local mode (TRACKER_AUTH off) serves 127.0.0.1 only, "
            "a team server e.g. 0.0.0.0."
        ),
    ] = "127.0.0.1",
    headless: Annotated[
        bool | None,
        typer.Option(help="Do not open a browser window; by default so when there is no terminal."),
    ] = None,
) -> None:
    """Start the Streamlit dashboard on the database of TRACKER_DATABASE_URL."""
    import subprocess

    from tracker.config import DASHBOARD_THEME, serving_address_problem, single_sign_on_problem

    problem = serving_address_problem(address) or single_sign_on_problem()
    if problem:
        raise TrackerError(problem.removesuffix("."))
    if headless is None:
        headless = not sys.stdin.isatty()
    # The dashboard with the team server's routes (the session cookie, single sign-on).
    entry = Path(__file__).resolve().parents[1] / "app.py"
    # The settings of .streamlit/config.toml, for when the command runs from another folder.
    command_line = [
        sys.executable,
        "-m",
        "tracker.serve",
        "run",
        str(entry),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        str(headless).lower(),
        # Without it a first start waits at an "Email:" prompt, and fails with no terminal.
        "--server.showEmailPrompt",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        # Started from a terminal, Streamlit may offer developers an "install" notice over the page; a
        # hidden welcome message withholds it; this command prints the address itself.
        "--logger.hideWelcomeMessage",
        "true",
        # Reloading modules while the app runs redefines the tables and breaks every page.
        "--server.fileWatcherType",
        "none",
        *(part for name, value in DASHBOARD_THEME.items() for part in (f"--theme.{name}", value)),
    ]
    echo(f"Serving the dashboard on http://{address}:{port} (stop it with Ctrl+C).", err=True)
    raise typer.Exit(subprocess.call(command_line, stdin=subprocess.DEVNULL))


class CompareFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@command()
def compare(
    iso3: Annotated[str, typer.Argument(metavar="ISO3", help="The Member State, e.g. KOR.")],
    followup: Annotated[
        str | None, typer.Option("--followup", help="The follow-up visit id; by default the latest one.")
    ] = None,
    output: Annotated[
        CompareFormat, typer.Option("--format", help="table for people, json or csv for tools.")
    ] = CompareFormat.table,
    level: LevelOption = None,
) -> None:
    """Compare a State's follow-up visit with its baseline, per thematic area."""
    from tracker.db import get_engine
    from tracker.services.people.access import cli_actor
    from tracker.services.progress import comparison

    engine = get_engine()
    result = comparison.compare(engine, cli_actor(), iso3, followup, level)
    match output:
        case CompareFormat.json:
            echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        case CompareFormat.csv:
            echo(comparison.render_csv(result, comparison.thematic_area_names(engine)), nl=False)
        case CompareFormat.table:
            echo(comparison.render_table(result))


class DueFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    ics = "ics"


@command()
def due(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only deadlines already past.")] = False,
    within: Annotated[
        int | None,
        typer.Option(
            "--within", metavar="DAYS", min=0, help="Only deadlines within DAYS from today (overdue ones too)."
        ),
    ] = None,
    state: Annotated[str | None, typer.Option("--state", metavar="ISO3", help="Only this State's visits.")] = None,
    output: Annotated[
        DueFormat, typer.Option("--format", help="table for people, json or csv for tools, ics for a calendar.")
    ] = DueFormat.table,
    level: LevelOption = None,
) -> None:
    """List the States' open deadlines: factual observations on a draft report, responses on implementation."""
    from tracker.db import get_engine
    from tracker.services.after_visit import deadlines
    from tracker.services.people.access import cli_actor

    dues = deadlines.open_dues(get_engine(), cli_actor(), level, overdue_only=overdue, within_days=within, state=state)
    match output:
        case DueFormat.json:
            echo(json.dumps([d.as_json() for d in dues], indent=2))
        case DueFormat.csv:
            frame = deadlines.dues_frame(dues)[["visit_id", "state", "due", "due_date", "days_overdue"]]
            echo(frame.to_csv(index=False, lineterminator="\n"), nl=False)
        case DueFormat.ics:
            sys.stdout.buffer.write(deadlines.dues_calendar(dues))
            sys.stdout.flush()
        case DueFormat.table:
            if not dues:
                echo("No open deadlines match.")
                return
            frame = deadlines.dues_frame(dues)
            table = frame.assign(due=frame["due"].map(deadlines.DUE_WORDS.get))[
                ["visit_id", "state", "due_date", "status", "due"]
            ]
            echo(plain_table(table.rename(columns={"visit_id": "visit", "due_date": "due date"})))
