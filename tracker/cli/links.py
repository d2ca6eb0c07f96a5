"""`tracker links ...`: which earlier finding each follow-up finding restates, suggested and decided."""

import json
from enum import StrEnum
from typing import Annotated

import typer

from tracker.cli.common import LevelOption, app, command, echo
from tracker.services.continuity.threshold import DEFAULT_MIN_SCORE

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
            "chosen by cross-validation on the evaluation sets in bench/continuity_sets).",
            show_default=False,
        ),
    ] = DEFAULT_MIN_SCORE,
    output: Annotated[
        LinksFormat, typer.Option("--format", help="table for people, csv or json for tools.")
    ] = LinksFormat.table,
    level: LevelOption = None,
) -> None:
    """Suggest, for each finding of a follow-up visit with no 'continues', the earlier findings it restates.

    Candidates are the State's earlier findings of a compatible kind, scored from 0 to 1 by the
    similarity of title and detail, another top-level area counting less, and paired over the
    whole visit so that an earlier finding is suggested first for one finding only. A finding with
    no candidate at the threshold shows its best one below it as "possible, check", or looks new.
    """
    import textwrap

    from tracker.db import get_engine
    from tracker.services.continuity import suggestions as continuity
    from tracker.services.people.access import cli_actor

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
        first = rows.iloc[0]
        if first["rank"] == 0 and not first["possible"]:
            new.append(str(finding_id))
            continue
        lines = [f"{finding_id}  {first['area']}  {first['title']}"]
        for r in rows.itertuples():
            shown = "possible, check: " if r.possible else ""
            lines.append(f"    {shown}{r.score:.2f}  {r.baseline_id}  {r.baseline_area}  {r.baseline_title}")
            lines.append(f"        why: {r.evidence}")
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
    """Record that a finding continues an earlier one (sets its 'continues'; audited), and say how to undo it."""
    from tracker.db import get_engine
    from tracker.services.continuity import suggestions as continuity
    from tracker.services.people.access import cli_actor

    decision = continuity.accept_link(get_engine(), cli_actor(), finding_id.strip(), baseline_id.strip())
    _print_decision(decision.accepted_text(), decision, decision.undo_text())


@command("clear", typer_app=links_app)
def links_clear(
    finding_id: Annotated[str, typer.Argument(help="The follow-up finding, e.g. KOR-2023-F06.")],
) -> None:
    """Empty a finding's 'continues' (audited): the undo of 'tracker links accept'."""
    from tracker.db import get_engine
    from tracker.services.continuity import suggestions as continuity
    from tracker.services.people.access import cli_actor

    decision = continuity.clear_link(get_engine(), cli_actor(), finding_id.strip())
    undo = f"To undo: tracker links accept {decision.finding_id} {decision.previous}" if decision.previous else ""
    _print_decision(decision.cleared_text(), decision, undo)


def _print_decision(text: str, decision, undo: str) -> None:
    echo(text)
    if decision.changes:
        for line in decision.change_lines():
            echo(line)
    if undo:
        echo(undo)


@command("reject", typer_app=links_app)
def links_reject(
    finding_id: Annotated[str, typer.Argument(help="The follow-up finding, e.g. KOR-2023-F06.")],
    baseline_id: Annotated[str, typer.Argument(help="The earlier finding it does not restate.")],
    note: Annotated[str, typer.Option(help="Why, in a few words, for the record.")] = "",
) -> None:
    """Record that a finding does not continue an earlier one, so the pair is never suggested again."""
    from tracker.db import get_engine
    from tracker.services.continuity import suggestions as continuity
    from tracker.services.people.access import cli_actor

    decision = continuity.reject_link(get_engine(), cli_actor(), finding_id.strip(), baseline_id.strip(), note=note)
    echo(decision.rejected_text())
