"""What every `tracker` command shares: the app, printing, failing in one sentence, registering a command."""

import functools
import os
import re
import sys
from collections.abc import Iterable
from typing import Annotated, NoReturn

import typer

from tracker.enums import Confidentiality
from tracker.errors import TrackerError

# Services, SQLAlchemy, pandas and the report libraries are imported inside the commands that use
# them, so that `tracker --help` and a mistyped option answer at once.

app = typer.Typer(
    help="Follow-up Visit Progress Tracker: CTED baseline and follow-up visits, compared per thematic area.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        echo(f"tracker {version('cted-followup-tracker')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """Follow-up Visit Progress Tracker: CTED baseline and follow-up visits, compared per thematic area."""
    from tracker import logs
    from tracker.config import get_settings

    # Settings are checked before any command acts (the log format is one of them): each bad value in one sentence.
    try:
        get_settings()
    except TrackerError as error:
        fail(str(error))
    logs.configure()


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
    from tracker import logs

    if err and logs.in_json:
        text = str(message)
        logs.message(text.removeprefix("Error: "), error=text.startswith("Error: "))
        return
    typer.echo(printable(str(message)), err=err, nl=nl)


def fail(message: str) -> NoReturn:
    echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def guarded(function):
    """Turn every failure into one sentence on stderr and exit code 1, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        from tracker import logs

        # `import_` is `import`, `user_add` is `user add`.
        with logs.action(function.__name__.strip("_").replace("_", " "), _command_user()):
            return _run_guarded(function, *args, **kwargs)

    return wrapper


def _command_user() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _run_guarded(function, *args, **kwargs):
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


def is_database_error(error: Exception) -> bool:
    """Whether SQLAlchemy raised it; SQLAlchemy is only looked up once a command has loaded it."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.SQLAlchemyError)


def command(*args, typer_app: typer.Typer = app, **kwargs):
    """Register a guarded command on the app (or on a sub-app such as `user`)."""

    def register(function):
        return typer_app.command(*args, **kwargs)(guarded(function))

    return register


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
