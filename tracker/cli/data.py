"""`tracker init`, `demo`, `import`, `withdraw`, `restore`, `delete`, `export` and `matrix`: the data in and out."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import LevelOption, _one_of, command, echo, fail
from tracker.enums import WITHDRAWABLE


@command()
def init() -> None:
    """Create or upgrade the database schema and seed the reference data; safe to rerun."""
    from tracker.db import get_engine
    from tracker.services.operations.reference import init_database

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
    from tracker.services.bundle import demo as demo_service
    from tracker.services.bundle.importer import describe
    from tracker.services.operations.reference import init_database
    from tracker.services.people.access import cli_actor

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
    from tracker.services.bundle.importer import (
        describe,
        describe_changes,
        grouped_errors,
        import_bundle,
        result_as_dict,
    )
    from tracker.services.bundle.sources import sources_from_paths
    from tracker.services.people.access import cli_actor

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
    from tracker.services.people.access import cli_actor
    from tracker.services.records import withdrawal

    row = withdrawal.target(entity, key)
    withdrawal.withdraw(get_engine(), cli_actor(), row.entity, row.key, reason)
    echo(f"Withdrew {row}; 'tracker restore {row.entity} {row.key}' brings it back.", err=True)


@command()
def restore(entity: EntityArgument, key: KeyArgument) -> None:
    """Bring a withdrawn row back."""
    from tracker.db import get_engine
    from tracker.services.people.access import cli_actor
    from tracker.services.records import withdrawal

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
    from tracker.services.people.access import cli_actor
    from tracker.services.records import withdrawal

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
    from tracker.services.bundle.exporter import export_bundle
    from tracker.services.people.access import cli_actor

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
    from tracker.services.bundle import matrix as matrix_service
    from tracker.services.people.access import cli_actor

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
