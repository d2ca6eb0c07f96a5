"""The `tracker` command: parse, call a service, print. Data goes to stdout, messages to stderr."""

import functools
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import first_line, get_engine
from tracker.errors import TrackerError
from tracker.services import comparison
from tracker.services import demo as demo_service
from tracker.services.access import cli_actor
from tracker.services.bundle_format import sources_from_paths
from tracker.services.exporter import export_bundle
from tracker.services.importer import describe, import_bundle
from tracker.services.reference import init_database

app = typer.Typer(
    help="Follow-up Visit Progress Tracker: CTED baseline and follow-up visits, compared per thematic area.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

LevelOption = Annotated[
    str | None,
    typer.Option(
        "--level",
        help="Only rows at or below this confidentiality level: public, un_platform, member_states, "
        "committee, state_and_cted, restricted.",
    ),
]


def fail(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def guarded(function):
    """Turn every failure into one sentence on stderr and exit code 1, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except TrackerError as error:
            fail(str(error))
        except SQLAlchemyError as error:
            if os.environ.get("TRACKER_DEBUG"):
                raise
            fail(f"the database refused the operation ({first_line(error)}); check TRACKER_DATABASE_URL and run 'tracker init'.")
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            if os.environ.get("TRACKER_DEBUG"):
                raise
            fail(f"unexpected failure ({type(error).__name__}: {error}); rerun with TRACKER_DEBUG=1 to see where it happened.")

    return wrapper


def command(*args, typer_app: typer.Typer = app, **kwargs):
    """Register a guarded command on the app (or on a sub-app such as `user`)."""

    def register(function):
        return typer_app.command(*args, **kwargs)(guarded(function))

    return register


@command()
def init() -> None:
    """Create or upgrade the database schema and seed the reference data; safe to rerun."""
    seeded = init_database(get_engine())
    typer.echo(
        f"Database ready: added {seeded.states} Member States, {seeded.areas} thematic areas, "
        f"{seeded.resolutions} resolutions and {seeded.partners} partner organisations.",
        err=True,
    )


@command()
def demo() -> None:
    """Load the illustrative Republic of Korea example (2009 baseline, 2023 follow-up).

    Its findings are invented for illustration; they are not CTED's findings.
    """
    engine = get_engine()
    init_database(engine)
    result = demo_service.load_demo(engine, cli_actor())
    typer.echo(describe(result))
    typer.echo("Loaded the illustrative Republic of Korea example (not CTED's findings).", err=True)


@command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help="Bundle folders, .zip bundles or single CSV files.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and count, write nothing.")] = False,
) -> None:
    """Validate a CSV bundle and upsert it by key, all or nothing."""
    result = import_bundle(get_engine(), sources_from_paths(paths), cli_actor(), dry_run=dry_run)
    if not result.ok:
        for error in result.errors:
            typer.echo(str(error), err=True)
        if result.error_count > len(result.errors):
            typer.echo(f"... and {result.error_count - len(result.errors)} more errors.", err=True)
        fail(f"the bundle has {result.error_count} error(s) and nothing was written; correct the rows listed above and import again.")
    typer.echo(describe(result))


@command()
def export(
    destination: Annotated[Path, typer.Argument(help="A folder, or a file name ending in .zip.")],
    level: LevelOption = None,
) -> None:
    """Write the database as a CSV bundle (all five files, sorted by key)."""
    counts = export_bundle(get_engine(), destination, cli_actor(), level)
    for name, count in counts.items():
        typer.echo(f"{name}: {count} rows")
    typer.echo(f"Exported to {destination}.", err=True)


@command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve the dashboard on.")] = 8501,
    headless: Annotated[bool, typer.Option(help="Do not open a browser window.")] = False,
) -> None:
    """Start the Streamlit dashboard on the database of TRACKER_DATABASE_URL."""
    import subprocess
    import sys

    from tracker.config import PROJECT_ROOT

    command_line = [
        sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "dashboard.py"),
        "--server.port", str(port), "--server.headless", str(headless).lower(),
        "--browser.gatherUsageStats", "false",
    ]
    raise typer.Exit(subprocess.call(command_line))


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
    output: Annotated[CompareFormat, typer.Option("--format", help="table for people, json or csv for tools.")] = CompareFormat.table,
    level: LevelOption = None,
) -> None:
    """Compare a State's follow-up visit with its baseline, per thematic area (DESIGN §3)."""
    result = comparison.compare(get_engine(), cli_actor(), iso3, followup, level)
    match output:
        case CompareFormat.json:
            typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        case CompareFormat.csv:
            typer.echo(comparison.render_csv(result), nl=False)
        case CompareFormat.table:
            typer.echo(comparison.render_table(result))


def main() -> None:
    app()
