"""`tracker dossier`, and the area → resolution map under `tracker reference` (docs/dossier.md)."""

from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import LevelOption, command, echo
from tracker.cli.reference import reference_app


@command()
def dossier(
    iso3: Annotated[str, typer.Argument(metavar="ISO3", help="The State whose next visit to prepare, e.g. KOR.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write; it appears only once complete.")],
    output: Annotated[
        str | None, typer.Option("--format", help="docx, html or md; by default the suffix of --out.")
    ] = None,
    level: LevelOption = None,
) -> None:
    """Write the dossier that prepares a State's next visit: open items, claims to verify, the State's
    track record on its claims, assessment debt, new recommendations to follow, suggested partners."""
    from tracker.services.reports.files import check_destination, report_format

    fmt = report_format(output, out)
    check_destination(out)
    from tracker.db import get_engine
    from tracker.services.people.access import cli_actor
    from tracker.services.reports import documents as reports
    from tracker.services.reports.dossier import build_dossier

    document = build_dossier(get_engine(), cli_actor(), iso3, level)
    reports.write_file(reports.render(document, fmt, charts=False), out)
    echo(f"Dossier written to {out} (confidentiality level {document.level.value}).", err=True)


def _map(area: str, resolution: str, applies: bool) -> None:
    from tracker.db import get_engine
    from tracker.services.dossier import area_map
    from tracker.services.people.access import cli_actor

    saved = area_map.set_concern(get_engine(), cli_actor(), area, resolution, applies)
    pair = f"{area.strip().upper()} → {resolution.strip()}"
    if not (saved.created or saved.updated):
        echo(f"Unchanged: {pair}.", err=True)
    else:
        echo(f"{'Mapped' if applies else 'Unmapped'} {pair}.", err=True)


@command("map-resolution", typer_app=reference_app)
def map_resolution(
    area: Annotated[str, typer.Argument(help="A top-level area code, e.g. LEG.")],
    resolution: Annotated[str, typer.Argument(help="A resolution number, e.g. 2396.")],
) -> None:
    """Say that a thematic area concerns a resolution, for the assessment debt (audited)."""
    _map(area, resolution, True)


@command("unmap-resolution", typer_app=reference_app)
def unmap_resolution(
    area: Annotated[str, typer.Argument(help="A top-level area code, e.g. LEG.")],
    resolution: Annotated[str, typer.Argument(help="A resolution number, e.g. 2396.")],
) -> None:
    """Say that a thematic area no longer concerns a resolution of the map (audited; the pair is kept, off)."""
    _map(area, resolution, False)
