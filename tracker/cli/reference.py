"""`tracker reference`: the reference data the team maintains (docs/data-formats.md)."""

from typing import Annotated

import typer

from tracker.cli.common import command, echo

reference_app = typer.Typer(
    help="Reference data: add a State outside the 193, a resolution or a partner organisation; rename any.",
    no_args_is_help=True,
)


def _done(what: str, saved) -> None:
    verb = "Added" if saved.created else "Updated" if saved.updated else "Unchanged:"
    echo(f"{verb} {what}.", err=True)


@command("add-state", typer_app=reference_app)
def add_state(
    iso3: Annotated[str, typer.Argument(help="A three-letter code no Member State uses, e.g. VAT.")],
    name: Annotated[str, typer.Argument(help="Its name, e.g. 'Holy See'.")],
    region: Annotated[str, typer.Option(help="Its region, as the Member States' regions are named.")] = "",
) -> None:
    """Add an entity outside the 193 Member States (an observer State, a territory, a training entity)."""
    from tracker.db import get_engine
    from tracker.services.operations import reference_data
    from tracker.services.people.access import cli_actor

    saved = reference_data.add_state(get_engine(), cli_actor(), iso3, name, region)
    _done(f"{iso3.strip().upper()} {' '.join(name.split())} (not a UN Member State)", saved)


@command("add-resolution", typer_app=reference_app)
def add_resolution(
    number: Annotated[str, typer.Argument(help="The resolution number, e.g. 2331.")],
    year: Annotated[str, typer.Argument(help="The year it was adopted, e.g. 2016.")],
    title: Annotated[str, typer.Argument(help="A short title.")],
    adopted_on: Annotated[str, typer.Option(help="The day it was adopted, YYYY-MM-DD.")] = "",
) -> None:
    """Add a Security Council resolution that findings and visits may cite."""
    from tracker.db import get_engine
    from tracker.services.operations import reference_data
    from tracker.services.people.access import cli_actor

    saved = reference_data.add_resolution(get_engine(), cli_actor(), number, year, title, adopted_on)
    _done(f"resolution {number.strip()} ({year.strip()})", saved)


@command("add-partner", typer_app=reference_app)
def add_partner(
    code: Annotated[str, typer.Argument(help="A short code in capitals, e.g. GCTF.")],
    name: Annotated[str, typer.Argument(help="Its full name.")],
) -> None:
    """Add a partner organisation that visits, meetings and TA records may name."""
    from tracker.db import get_engine
    from tracker.services.operations import reference_data
    from tracker.services.people.access import cli_actor

    saved = reference_data.add_partner(get_engine(), cli_actor(), code, name)
    _done(f"partner organisation {code.strip().upper()}", saved)


def _rename(kind: str, key: str, name: str) -> None:
    from tracker.db import get_engine
    from tracker.services.operations import reference_data
    from tracker.services.people.access import cli_actor

    old, new = reference_data.rename(get_engine(), cli_actor(), kind, key, name)
    echo(f"Renamed {kind} {key.strip().upper()}: {old} → {new}." if old != new else f"Unchanged: {old}.", err=True)


@command("rename-state", typer_app=reference_app)
def rename_state(iso3: str, name: str) -> None:
    """Rename a State or entity, seeded or added (audited)."""
    _rename("state", iso3, name)


@command("rename-resolution", typer_app=reference_app)
def rename_resolution(number: str, title: str) -> None:
    """Give a resolution, seeded or added, a new title (audited)."""
    _rename("resolution", number, title)


@command("rename-partner", typer_app=reference_app)
def rename_partner(code: str, name: str) -> None:
    """Rename a partner organisation, seeded or added (audited)."""
    _rename("partner", code, name)
