"""`tracker report` and `tracker reports ...`: reports to the Committee, written, issued and archived."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import LevelOption, app, command, echo, plain_table
from tracker.errors import TrackerError


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

    from tracker.services.reports.chart_browser import image_server
    from tracker.services.reports.files import check_destination, report_format

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
        from tracker.services.people.access import cli_actor
        from tracker.services.reports import documents as reports

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
    from tracker.services.people.access import cli_actor
    from tracker.services.reports import snapshots

    frame = snapshots.listing(get_engine(), cli_actor())
    if output == ArchiveFormat.json:
        echo(json.dumps(frame.to_dict(orient="records"), indent=2, ensure_ascii=False))
    elif frame.empty:
        echo("No report has been issued yet.")
    else:
        echo(plain_table(frame[["id", "issued_at", "level", "format", "scope", "issued_by", "seal", "title"]]))


@command("get", typer_app=reports_app)
def reports_get(
    snapshot_id: Annotated[
        str, typer.Argument(metavar="ID", help="The issued report's id (see 'tracker reports list').")
    ],
    out: Annotated[Path, typer.Option("--out", help="The file to write the issued report to, byte for byte.")],
) -> None:
    """Write an issued report exactly as it was issued, checked against its SHA-256."""
    from tracker.db import get_engine
    from tracker.services.people.access import cli_actor
    from tracker.services.reports import documents as reports
    from tracker.services.reports import snapshots

    snapshot = snapshots.get(get_engine(), cli_actor(), snapshot_id)
    reports.write_file(snapshot.content, out)
    echo(
        f"Issued report {snapshot.id} written to {out} (SHA-256 {snapshot.sha256}; {snapshot.seal_kind} seal).",
        err=True,
    )


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
    from tracker.services.people.access import cli_actor
    from tracker.services.reports import snapshots

    result = snapshots.diff(get_engine(), cli_actor(), snapshot_id, other_id)
    if output == ArchiveFormat.json:
        echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        echo(snapshots.render_diff_table(result), nl=False)
