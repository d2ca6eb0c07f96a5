"""The `tracker` command: parse, call a service, print. Data goes to stdout, messages to stderr."""

import functools
import json
import os
import re
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tracker.enums import AUDITED_ENTITIES, DEFAULT_CONFIDENTIALITY, WITHDRAWABLE, Confidentiality, Role
from tracker.errors import TrackerError
from tracker.services.continuity_threshold import DEFAULT_MIN_SCORE

# Services, SQLAlchemy, pandas and the report libraries are imported inside the commands that use
# them, so that `tracker --help` and a mistyped option answer at once.

app = typer.Typer(
    help="Follow-up Visit Progress Tracker: CTED baseline and follow-up visits, compared per thematic area.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _one_of(values: Iterable[str]) -> str:
    """Values for a help text, from the enumeration or tuple that defines them: `a, b or c`."""
    words = [str(value) for value in values]
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else "".join(words)


LevelOption = Annotated[
    str | None,
    typer.Option(
        "--level",
        help=f"Only rows at or below this confidentiality level: {_one_of(Confidentiality)}.",
    ),
]


# Control characters a terminal would act on (bell, escape sequences, carriage return), C1 included.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text with every control character but tab and newline written as a \\uXXXX escape (JSON reads it too)."""
    return _CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """typer.echo for everything this command prints: stored text reaches the terminal inert."""
    typer.echo(printable(str(message)), err=err, nl=nl)


def fail(message: str) -> NoReturn:
    echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def guarded(function):
    """Turn every failure into one sentence on stderr and exit code 1, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except TrackerError as error:
            fail(str(error))
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            if os.environ.get("TRACKER_DEBUG"):
                raise
            if is_database_error(error):
                from tracker.db import first_line

                fail(
                    f"the database refused the operation ({first_line(error)}); check TRACKER_DATABASE_URL and run 'tracker init'."
                )
            fail(
                f"unexpected failure ({type(error).__name__}: {error}); rerun with TRACKER_DEBUG=1 to see where it happened."
            )

    return wrapper


def is_database_error(error: Exception) -> bool:
    """Whether SQLAlchemy raised it; SQLAlchemy is only looked up once a command has loaded it."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.SQLAlchemyError)


def command(*args, typer_app: typer.Typer = app, **kwargs):
    """Register a guarded command on the app (or on a sub-app such as `user`)."""

    def register(function):
        return typer_app.command(*args, **kwargs)(guarded(function))

    return register


@command()
def init() -> None:
    """Create or upgrade the database schema and seed the reference data; safe to rerun."""
    from tracker.db import get_engine
    from tracker.services.reference import init_database

    seeded = init_database(get_engine())
    echo(
        f"Database ready: added {seeded.states} Member States, {seeded.areas} thematic areas, "
        f"{seeded.resolutions} resolutions and {seeded.partners} partner organisations.",
        err=True,
    )


@command()
def demo(
    force: Annotated[
        bool, typer.Option("--force", help="Put the example's values back into demo rows that were edited.")
    ] = False,
) -> None:
    """Load the illustrative Republic of Korea example (2009 baseline, 2023 follow-up).

    Its findings are invented for illustration; they are not CTED's findings. Demo rows edited
    since are kept unless --force is given.
    """
    from tracker.db import get_engine
    from tracker.services import demo as demo_service
    from tracker.services.access import cli_actor
    from tracker.services.importer import describe
    from tracker.services.reference import init_database

    engine = get_engine()
    init_database(engine)
    result = demo_service.load_demo(engine, cli_actor(), force=force)
    echo(describe(result))
    echo("Loaded the illustrative Republic of Korea example (not CTED's findings).", err=True)


class ImportFormat(StrEnum):
    text = "text"
    json = "json"


@command("import")
def import_(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Bundle folders, .zip bundles, single CSV files, workbook bundles or edited matrices (.xlsx)."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and list every change (key, field, old → new), write nothing.")
    ] = False,
    output: Annotated[
        ImportFormat,
        typer.Option("--format", help="text for people; json prints the counts, changes and errors as one object."),
    ] = ImportFormat.text,
) -> None:
    """Validate a CSV bundle and upsert it by key, all or nothing."""
    from tracker.db import get_engine
    from tracker.services.access import cli_actor
    from tracker.services.bundle_format import sources_from_paths
    from tracker.services.importer import describe, describe_changes, grouped_errors, import_bundle, result_as_dict

    result = import_bundle(get_engine(), sources_from_paths(paths), cli_actor(), dry_run=dry_run)
    if output == ImportFormat.json:
        echo(json.dumps(result_as_dict(result), indent=2, ensure_ascii=False, default=str))
        if not result.ok:
            raise typer.Exit(1)
        return
    if not result.ok:
        for line in grouped_errors(result.errors):
            echo(line, err=True)
        if result.error_count > len(result.errors):
            echo(f"... and {result.error_count - len(result.errors)} more errors.", err=True)
        fail(
            f"the bundle has {result.error_count} error(s) and nothing was written; correct the rows listed above and import again."
        )
    if dry_run and result.changes:
        echo(describe_changes(result))
    echo(describe(result))


EntityArgument = Annotated[str, typer.Argument(help=f"{_one_of(WITHDRAWABLE)}.")]
KeyArgument = Annotated[
    str, typer.Argument(help="The row's id; an assessment's is FINDING_ID/VISIT_ID, e.g. KOR-2009-F03/KOR-2023.")
]


@command()
def withdraw(
    entity: EntityArgument,
    key: KeyArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why the row is withdrawn, e.g. 'entered twice'.")],
) -> None:
    """Withdraw a row: it is kept and audited, but compare, the pages, exports and reports leave it out."""
    from tracker.db import get_engine
    from tracker.services import withdrawal
    from tracker.services.access import cli_actor

    row = withdrawal.target(entity, key)
    withdrawal.withdraw(get_engine(), cli_actor(), row.entity, row.key, reason)
    echo(f"Withdrew {row}; 'tracker restore {row.entity} {row.key}' brings it back.", err=True)


@command()
def restore(entity: EntityArgument, key: KeyArgument) -> None:
    """Bring a withdrawn row back."""
    from tracker.db import get_engine
    from tracker.services import withdrawal
    from tracker.services.access import cli_actor

    row = withdrawal.target(entity, key)
    withdrawal.restore(get_engine(), cli_actor(), row.entity, row.key)
    echo(f"Restored {row}.", err=True)


@command()
def delete(
    entity: EntityArgument,
    key: KeyArgument,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a row for good (administrators), when no other row depends on it; withdrawing is usually better."""
    from tracker.db import get_engine
    from tracker.services import withdrawal
    from tracker.services.access import cli_actor

    row = withdrawal.target(entity, key)
    if not yes and not typer.confirm(f"Delete {row} for good? This cannot be undone", err=True):
        fail(f"{row} was not deleted.")
    withdrawal.delete_permanently(get_engine(), cli_actor(), row.entity, row.key)
    echo(f"Deleted {row}; the audit trail keeps its last values.", err=True)


@command()
def export(
    destination: Annotated[
        Path, typer.Argument(help="A folder, a file name ending in .zip, or one ending in .xlsx for a workbook.")
    ],
    level: Annotated[
        str,
        typer.Option(
            "--level",
            help="Only rows at or below this confidentiality level: public, un_platform, member_states, "
            "committee, state_and_cted, restricted.",
        ),
    ] = "committee",
) -> None:
    """Write the database as a bundle (every bundle file, sorted by key), by default at committee level."""
    from tracker.db import get_engine
    from tracker.services.access import cli_actor
    from tracker.services.exporter import export_bundle

    counts = export_bundle(get_engine(), destination, cli_actor(), level)
    for name, count in counts.items():
        echo(f"{name}: {count} rows")
    echo(f"Exported to {destination}.", err=True)


@command()
def matrix(
    iso3: Annotated[
        str | None, typer.Argument(metavar="[ISO3]", help="The Member State, e.g. KOR; leave out with --all.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="The workbook to write, FILE.xlsx.")] = None,
    followup: Annotated[
        str | None, typer.Option("--followup", help="The follow-up visit id; by default the latest one.")
    ] = None,
    every_state: Annotated[
        bool, typer.Option("--all", help="One sheet per State with a follow-up visit, each at its latest.")
    ] = False,
    level: LevelOption = None,
) -> None:
    """Write the tracking matrix: a Summary sheet, then one sheet per State of its baseline items and their statuses."""
    from tracker.db import get_engine
    from tracker.services import matrix as matrix_service
    from tracker.services.access import cli_actor

    if out is None:
        fail("give the workbook to write with --out FILE.xlsx.")
    if every_state == (iso3 is not None):
        fail("give either a State's ISO3 code or --all, not both or neither.")
    if every_state and followup is not None:
        fail("--followup names one State's visit; leave it out with --all.")
    engine = get_engine()
    if iso3 is None:
        matrices = matrix_service.all_matrices(engine, cli_actor(), level)
    else:
        matrices = [matrix_service.state_matrix(engine, cli_actor(), iso3, followup, level)]
    matrix_service.save_matrix(matrices, out)
    for item in matrices:
        echo(f"{item.state}: {len(item.items)} baseline items, {item.followup_visit} against {item.baseline_visit}")
    echo(f"Wrote the tracking matrix at level {matrices[0].level.value} to {out}.", err=True)


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

    from tracker.config import serving_address_problem

    problem = serving_address_problem(address)
    if problem:
        raise TrackerError(problem.removesuffix("."))
    if headless is None:
        headless = not sys.stdin.isatty()
    entry = Path(__file__).resolve().parent / "dashboard.py"
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
        # Reloading modules while the app runs redefines the tables and breaks every page.
        "--server.fileWatcherType",
        "none",
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
    from tracker.services import comparison
    from tracker.services.access import cli_actor

    engine = get_engine()
    result = comparison.compare(engine, cli_actor(), iso3, followup, level)
    match output:
        case CompareFormat.json:
            echo(json.dumps(result, indent=2, ensure_ascii=False))
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
    from tracker.services import deadlines
    from tracker.services.access import cli_actor

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


user_app = typer.Typer(
    help="Team-server users: add, list, change role or clearance, disable, set passwords.", no_args_is_help=True
)
app.add_typer(user_app, name="user")

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of standard input (for scripts)."),
]


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@command("add", typer_app=user_app)
def user_add(
    username: Annotated[str, typer.Argument(help="Letters, digits and . _ @ -")],
    role: Annotated[
        str, typer.Option(help="viewer reads, analyst also writes, admin also manages users.")
    ] = Role.viewer.value,
    clearance: Annotated[
        str, typer.Option(help="The highest confidentiality level the user may see.")
    ] = DEFAULT_CONFIDENTIALITY.value,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user; asks for the password twice unless --password-stdin is given."""
    from tracker.db import get_engine
    from tracker.services import users as users_service
    from tracker.services.access import cli_actor

    # Name, role and clearance are checked before the password is asked for.
    users_service.validated_user(username, "placeholder-password", role, clearance)
    user = users_service.validated_user(username, read_password(password_stdin), role, clearance)
    users_service.add_user(get_engine(), cli_actor(), user)
    echo(f"Added user {user.username} ({user.role.value}, cleared for {user.clearance.value}).", err=True)


@command("list", typer_app=user_app)
def user_list() -> None:
    """List the users with their role, clearance and state."""
    from tracker.db import get_engine
    from tracker.services import users as users_service
    from tracker.services.access import cli_actor

    frame = users_service.list_users(get_engine(), cli_actor())
    echo(plain_table(frame) if len(frame) else "No users yet; add one with 'tracker user add'.")


@command("set-role", typer_app=user_app)
def user_set_role(
    username: str,
    role: Annotated[str, typer.Argument(help=f"{_one_of(Role)}.")],
) -> None:
    """Change what a user may do."""
    from tracker.db import get_engine
    from tracker.services import users as users_service
    from tracker.services.access import cli_actor

    users_service.set_role(get_engine(), cli_actor(), username, role)
    echo(f"User {username} now has the {role.strip().lower()} role.", err=True)


@command("set-clearance", typer_app=user_app)
def user_set_clearance(
    username: str,
    level: Annotated[str, typer.Argument(help=f"{_one_of(Confidentiality)}.")],
) -> None:
    """Change the highest confidentiality level a user may see."""
    from tracker.db import get_engine
    from tracker.services import users as users_service
    from tracker.services.access import cli_actor

    users_service.set_clearance(get_engine(), cli_actor(), username, level)
    echo(f"User {username} is now cleared for {level.strip().lower()}.", err=True)


@command("disable", typer_app=user_app)
def user_disable(
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable the account again and lift any lockout.")] = False,
) -> None:
    """Stop a user from signing in (their history stays in the audit trail)."""
    from tracker.db import get_engine
    from tracker.services import users as users_service
    from tracker.services.access import cli_actor

    users_service.set_disabled(get_engine(), cli_actor(), username, disabled=not enable)
    echo(f"User {username} is {'enabled' if enable else 'disabled'}.", err=True)


@command("passwd", typer_app=user_app)
def user_passwd(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (and lift a lockout)."""
    from tracker.db import get_engine
    from tracker.services import users as users_service
    from tracker.services.access import cli_actor

    users_service.set_password(get_engine(), cli_actor(), username, read_password(password_stdin))
    echo(f"Password of {username} changed.", err=True)


def plain_table(frame) -> str:
    """Columns aligned on the left; the last one, often long, is not padded."""
    # Missing values (None, NaN, NaT) print as blanks.
    # A line break inside a cell would start a false row.
    cells = frame.map(lambda v: "" if v is None or v != v else printable(str(v).replace("\n", "\\n")))
    widths = [max(len(c), cells[c].str.len().max()) for c in cells.columns[:-1]]
    lines = [list(cells.columns), *cells.values.tolist()]
    return "\n".join("  ".join([*(v.ljust(w) for v, w in zip(line, widths)), line[-1]]) for line in lines)


def parse_day(text: str | None):
    """Midnight UTC of a YYYY-MM-DD day."""
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text.strip()), dt.time(), dt.UTC)
    except ValueError:
        raise TrackerError(f"'{text}' is not a day", "write it as YYYY-MM-DD") from None


@command("audit")
def audit_(
    entity: Annotated[
        str | None,
        typer.Option(help=f"Only this entity: {_one_of(AUDITED_ENTITIES)}."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(help="Only keys starting with this, e.g. KOR-2023, or a finding_id (its assessments too)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only events on or after this day, YYYY-MM-DD (UTC).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events, newest first.")] = 1000,
) -> None:
    """Show the audit trail: who changed what, when, from what to what."""
    from tracker.db import get_engine
    from tracker.services import audit as audit_service
    from tracker.services.access import cli_actor

    frame = audit_service.events(get_engine(), cli_actor(), entity=entity, key=key, since=parse_day(since), limit=limit)
    if frame.empty:
        echo("No audit events match.")
        return
    frame = frame.drop(columns=["id"]).assign(
        at=frame["at"].map(lambda at: at.strftime("%Y-%m-%d %H:%M:%S")),
        changes=frame["changes"].map(audit_service.changes_in_words),
    )
    echo(plain_table(frame))


@command()
def backup(
    file: Annotated[
        Path, typer.Argument(help="Where to write: a SQLite file copy, or a name ending in .zip for a portable backup.")
    ],
    restore: Annotated[
        bool, typer.Option("--restore", help="Restore FILE (a .zip backup) into an empty database instead.")
    ] = False,
) -> None:
    """Take a consistent backup while the app runs (or restore a .zip backup)."""
    from tracker.db import get_engine
    from tracker.services import backup as backup_service
    from tracker.services.access import cli_actor

    actor = cli_actor()
    if restore:
        echo(backup_service.restore(get_engine(), file, actor))
        echo(f"Restored {file}.", err=True)
        return
    echo(backup_service.backup(get_engine(), file, actor))
    echo(f"Backup written to {file}.", err=True)


def progress_step(bar, label: str):
    """A `progress(done, total, item)` callback that moves one task of a rich progress bar."""
    task = bar.add_task(label, total=None)

    def advance(done: int, total: int, item: str) -> None:
        bar.update(task, completed=done, total=total, description=f"{label}: {item}")

    return advance


@command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The file to write; it appears only once complete.")],
    state: Annotated[
        str | None, typer.Option("--state", metavar="ISO3", help="Report on this State's follow-up visit.")
    ] = None,
    followup: Annotated[
        str | None, typer.Option("--followup", help="With --state: the follow-up visit id; by default the latest.")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            metavar="FROM..TO",
            help="Report on every follow-up visit that started in this period, e.g. 2023-01-01..2023-12-31.",
        ),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--format", help="docx, html or md; by default the suffix of --out.")
    ] = None,
    level: LevelOption = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            metavar="state|index",
            help="With --period: order the summary across States by State name (default) or by index.",
        ),
    ] = None,
    issue: Annotated[
        str | None,
        typer.Option(
            "--issue",
            metavar="TITLE",
            help="Issue the report to the Committee under this title: keep it in the archive and print its id.",
        ),
    ] = None,
) -> None:
    """Write a report to the Committee on a State's follow-up visit or on a period."""
    from contextlib import nullcontext

    from rich.console import Console
    from rich.progress import Progress

    from tracker.services.chart_browser import image_server
    from tracker.services.report_files import check_destination, report_format

    fmt = report_format(output, out)
    if (state is None) == (period is None):
        raise TrackerError("give either --state or --period", "e.g. --state KOR or --period 2023-01-01..2023-12-31")
    if followup and period:
        raise TrackerError("--followup goes with --state, not with --period", "leave out --followup")
    if sort and state:
        raise TrackerError("--sort goes with --period, not with --state", "leave out --sort")
    if issue is not None and not " ".join(issue.split()):
        raise TrackerError("an issued report needs a title", 'give one, e.g. --issue "Republic of Korea, 2024"')
    check_destination(out)
    # A Word report's charts are drawn by a headless browser, the slowest thing to start: it starts
    # before the reports are loaded and read. A State's report has one chart, which one tab draws.
    with image_server(tabs=1 if state else None) if fmt == "docx" else nullcontext():
        from tracker.db import get_engine
        from tracker.services import reports
        from tracker.services.access import cli_actor

        order = reports.period_sort(sort)
        engine, actor = get_engine(), cli_actor()
        if state:
            document = reports.build_state_report(engine, actor, state, followup, level)
            content = reports.render(document, fmt)
        else:
            start, end = reports.parse_period(period or "")
            with Progress(console=Console(stderr=True)) as bar:
                document = reports.build_period_report(
                    engine,
                    actor,
                    start,
                    end,
                    level,
                    progress=progress_step(bar, "Reading follow-up visits"),
                    sort=order,
                )
                charts = progress_step(bar, "Drawing charts") if fmt == "docx" and document.chart_count else None
                content = reports.render(document, fmt, progress=charts)
    reports.write_file(content, out)
    echo(f"Report written to {out} (confidentiality level {document.level.value}).", err=True)
    if issue is not None:
        snapshot_id = reports.issue(engine, actor, document, fmt, content, issue)
        echo(f"Issued to the Committee as report {snapshot_id}.", err=True)
        echo(str(snapshot_id))


reports_app = typer.Typer(
    help="The archive of reports issued to the Committee, and what changed since one.", no_args_is_help=True
)
app.add_typer(reports_app, name="reports")


class ArchiveFormat(StrEnum):
    table = "table"
    json = "json"


ArchiveFormatOption = Annotated[ArchiveFormat, typer.Option("--format", help="table for people, json for tools.")]


@command("list", typer_app=reports_app)
def reports_list(output: ArchiveFormatOption = ArchiveFormat.table) -> None:
    """List the issued reports you are cleared for, newest first."""
    from tracker.db import get_engine
    from tracker.services import snapshots
    from tracker.services.access import cli_actor

    frame = snapshots.listing(get_engine(), cli_actor())
    if output == ArchiveFormat.json:
        echo(json.dumps(frame.to_dict(orient="records"), indent=2, ensure_ascii=False))
    elif frame.empty:
        echo("No report has been issued yet.")
    else:
        echo(plain_table(frame[["id", "issued_at", "level", "format", "scope", "issued_by", "title"]]))


@command("get", typer_app=reports_app)
def reports_get(
    snapshot_id: Annotated[
        str, typer.Argument(metavar="ID", help="The issued report's id (see 'tracker reports list').")
    ],
    out: Annotated[Path, typer.Option("--out", help="The file to write the issued report to, byte for byte.")],
) -> None:
    """Write an issued report exactly as it was issued, checked against its SHA-256."""
    from tracker.db import get_engine
    from tracker.services import reports, snapshots
    from tracker.services.access import cli_actor

    snapshot = snapshots.get(get_engine(), cli_actor(), snapshot_id)
    reports.write_file(snapshot.content, out)
    echo(f"Issued report {snapshot.id} written to {out} (SHA-256 {snapshot.sha256}).", err=True)


@command("diff", typer_app=reports_app)
def reports_diff(
    snapshot_id: Annotated[str, typer.Argument(metavar="ID", help="The issued report to compare from.")],
    other_id: Annotated[
        str | None, typer.Argument(metavar="[ID2]", help="The issued report to compare to; by default now.")
    ] = None,
    output: ArchiveFormatOption = ArchiveFormat.table,
) -> None:
    """What changed from an issued report to another one on the same scope, or to now, at its level."""
    from tracker.db import get_engine
    from tracker.services import snapshots
    from tracker.services.access import cli_actor

    result = snapshots.diff(get_engine(), cli_actor(), snapshot_id, other_id)
    if output == ArchiveFormat.json:
        echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        echo(snapshots.render_diff_table(result), nl=False)


links_app = typer.Typer(
    help="Continuity: which earlier finding each follow-up finding restates; suggest, accept, reject.",
    no_args_is_help=True,
)
app.add_typer(links_app, name="links")


class LinksFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@command("suggest", typer_app=links_app)
def links_suggest(
    followup: Annotated[str, typer.Option("--followup", help="The follow-up visit id, e.g. KOR-2023.")],
    min_score: Annotated[
        float,
        typer.Option(
            "--min-score",
            help=f"Only candidates scoring at least this, from 0 to 1 (default {DEFAULT_MIN_SCORE}, "
            "chosen on the evaluation set in bench/continuity_eval.csv).",
            show_default=False,
        ),
    ] = DEFAULT_MIN_SCORE,
    output: Annotated[
        LinksFormat, typer.Option("--format", help="table for people, csv or json for tools.")
    ] = LinksFormat.table,
    level: LevelOption = None,
) -> None:
    """Suggest, for each finding of a follow-up visit with no 'continues', the earlier findings it restates.

    Candidates are the State's earlier findings, scored from 0 to 1 by the similarity of title and
    detail, same top-level area first, best first. A finding with no candidate looks new.
    """
    import textwrap

    from tracker.db import get_engine
    from tracker.services import continuity
    from tracker.services.access import cli_actor

    engine, actor = get_engine(), cli_actor()
    ranked = continuity.suggest_links(engine, actor, followup, min_score=min_score, level=level)
    if output == LinksFormat.json:
        echo(json.dumps([item.as_dict() for item in ranked], indent=2, ensure_ascii=False))
        return
    frame = continuity.suggestion_table(engine, actor, ranked, level=level)
    if output == LinksFormat.csv:
        columns = ["finding_id", "rank", "baseline_id", "score", "title", "baseline_title"]
        echo(frame[columns].to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if not ranked:
        echo(f"Every finding of {followup} already continues an earlier one; nothing to suggest.")
        return
    blocks, new = [], []
    for finding_id, rows in frame.groupby("finding_id", sort=False):
        if rows["rank"].iloc[0] == 0:
            new.append(str(finding_id))
            continue
        first = rows.iloc[0]
        lines = [f"{finding_id}  {first['area']}  {first['title']}"]
        lines += [
            f"    {r.score:.2f}  {r.baseline_id}  {r.baseline_area}  {r.baseline_title}" for r in rows.itertuples()
        ]
        blocks.append("\n".join(lines))
    if new:
        blocks.append(
            textwrap.fill(f"No earlier finding scores {min_score:g} or more, so these look new: {', '.join(new)}", 100)
        )
    echo("\n\n".join(blocks))
    if len(new) < len(ranked):
        echo(
            "Accept one with 'tracker links accept FINDING_ID BASELINE_ID', or reject it with 'tracker links reject'.",
            err=True,
        )


@command("accept", typer_app=links_app)
def links_accept(
    finding_id: Annotated[str, typer.Argument(help="The follow-up finding, e.g. KOR-2023-F06.")],
    baseline_id: Annotated[str, typer.Argument(help="The earlier finding it restates, e.g. KOR-2009-F03.")],
) -> None:
    """Record that a finding continues an earlier one (sets its 'continues'; audited)."""
    from tracker.db import get_engine
    from tracker.services import continuity
    from tracker.services.access import cli_actor

    decision = continuity.accept_link(get_engine(), cli_actor(), finding_id.strip(), baseline_id.strip())
    echo(decision.accepted_text())


@command("reject", typer_app=links_app)
def links_reject(
    finding_id: Annotated[str, typer.Argument(help="The follow-up finding, e.g. KOR-2023-F06.")],
    baseline_id: Annotated[str, typer.Argument(help="The earlier finding it does not restate.")],
    note: Annotated[str, typer.Option(help="Why, in a few words, for the record.")] = "",
) -> None:
    """Record that a finding does not continue an earlier one, so the pair is never suggested again."""
    from tracker.db import get_engine
    from tracker.services import continuity
    from tracker.services.access import cli_actor

    decision = continuity.reject_link(get_engine(), cli_actor(), finding_id.strip(), baseline_id.strip(), note=note)
    echo(decision.rejected_text())


def main() -> None:
    app()
