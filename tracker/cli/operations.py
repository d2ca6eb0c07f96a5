"""`tracker backup`: a copy of the database to restore from."""

from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import command, echo


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
    from tracker.services.operations import backup as backup_service
    from tracker.services.people.access import cli_actor

    actor = cli_actor()
    if restore:
        echo(backup_service.restore(get_engine(), file, actor))
        echo(f"Restored {file}.", err=True)
        return
    echo(backup_service.backup(get_engine(), file, actor))
    echo(f"Backup written to {file}.", err=True)
