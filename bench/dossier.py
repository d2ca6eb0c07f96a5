"""Timings of a State's dossier for its next visit, at world scale.

    python -m bench.dossier [--findings N] [--runs N] [--out FILE]

The benchmark's bundle gives every Member State a baseline and a follow-up; bench/history.py adds a
focused follow-up between them, and here each State also gets a written update between its last two
visits that claims a status for a third of its items under follow-up. The dossier of the State with
the most findings is then computed (its register as if a follow-up started today, the claims and
their track record, the TA pipeline, the assessment debt over every finding's resolutions and the
area map, the new recommendations and the partners), and the assessment debt of every State, as the
Overview shows it. The target is under 1 s for one dossier at 193 States. Figures go to their own
section of bench/RESULTS.md.
"""

import argparse
import datetime as dt
import random
import statistics
from contextlib import closing
from pathlib import Path

from bench.__main__ import (
    HERE,
    Figure,
    _largest_state,
    _load,
    _log,
    _seconds,
    _url,
    _write_section,
)
from bench.history import STATUSES, add_middle_visits, imported
from bench.limits import connect
from tracker import db
from tracker.services.dossier.build import compute_dossier
from tracker.services.dossier.debt import debt_by_state
from tracker.services.people.access import LOCAL_ADMIN

SEED = 11
HEADING = "## A State's dossier for its next visit (bench/dossier.py)"
CLAIMED = 1 / 3


def add_written_updates(database: Path, seed: int = SEED) -> int:
    """A written update per State, between its last two visits, claiming a status for a third of its items."""
    rng = random.Random(seed)
    claims = 0
    with closing(connect(database)) as connection:
        visits = connection.execute(
            "SELECT state, visit_id, start_date FROM visit ORDER BY state, start_date, visit_id"
        ).fetchall()
        by_state: dict[str, list[tuple[str, str]]] = {}
        for state, visit_id, start in visits:
            by_state.setdefault(state, []).append((visit_id, start))
        connection.execute("BEGIN")
        for state, listed in by_state.items():
            if len(listed) < 2:
                continue
            (_, earlier_start), (_, later_start) = listed[-2], listed[-1]
            first, last = dt.date.fromisoformat(earlier_start), dt.date.fromisoformat(later_start)
            received = first + (last - first) / 2
            update_id = f"{state}-U"
            connection.execute(
                "INSERT INTO state_update (update_id, state, received_on, reference, summary, confidentiality) "
                "VALUES (?, ?, ?, 'Note verbale', '', 'committee')",
                (update_id, state, received.isoformat()),
            )
            items = connection.execute(
                "SELECT f.finding_id FROM finding f JOIN visit v ON v.visit_id = f.visit_id "
                "WHERE v.state = ? AND v.start_date <= ? AND f.kind IN ('shortfall', 'recommendation')",
                (state, earlier_start),
            ).fetchall()
            chosen = [(finding,) for (finding,) in items if rng.random() < CLAIMED]
            connection.executemany(
                "INSERT INTO update_item (finding_id, update_id, status, evidence, confidentiality) "
                "VALUES (?, ?, ?, '', 'committee')",
                [(finding, update_id, rng.choice(STATUSES)) for (finding,) in chosen],
            )
            claims += len(chosen)
        connection.execute("COMMIT")
    return claims


def measure(database: Path, runs: int) -> list[Figure]:
    engine = db.get_engine(_url(database))
    iso3, findings = _largest_state(database)
    dossier = compute_dossier(engine, LOCAL_ADMIN, iso3, "committee")
    _log(
        f"dossier of {iso3}: {len(dossier.open_items)} open items, {len(dossier.claims)} claims to verify, "
        f"{len(dossier.track_record.claims)} verified claims, {dossier.owed} resolutions owed"
    )
    dossiers = [_seconds(lambda: compute_dossier(engine, LOCAL_ADMIN, iso3, "committee")) for _ in range(runs)]
    debt_by_state(engine, LOCAL_ADMIN, "committee")
    debts = [_seconds(lambda: debt_by_state(engine, LOCAL_ADMIN, "committee")) for _ in range(runs)]
    return [
        Figure(
            f"One State's dossier ({iso3}, the largest: {findings:,} findings, {len(dossier.open_items)} open items, "
            f"{len(dossier.track_record.claims)} verified claims), 193 States in the database",
            "s",
            dossiers,
            "none",
            None,
            "< 1 s",
            statistics.median(dossiers) < 1,
        ),
        Figure(
            "Assessment debt of every State (the Overview's table), 193 States",
            "s",
            debts,
            "none",
            None,
            "< 1 s",
            statistics.median(debts) < 1,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dossier", description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    load_before = _load()
    database = imported(args.findings, "dossier.db")
    states = add_middle_visits(database)
    claims = add_written_updates(database)
    figures = measure(database, args.runs)
    for figure in figures:
        print(f"{figure.name}: median {figure.value * 1000:.0f} ms of {len(figure.samples)}; target {figure.target}")
    intro = (
        f"{args.findings:,} findings of the benchmark's bundle, a focused follow-up between each of the {states} "
        f"States' baseline and follow-up (bench/history.py), and a written update per State claiming {claims:,} "
        "statuses in all. A dossier reads the State's history through the access rules (three queries), the "
        "dates of its assessments, its claims, its TA pipeline, the resolutions it could owe that are tagged on "
        "any visible finding of the database with the area map, and its partners, and works out the six parts in "
        "Python. Median of "
        f"{args.runs} runs, at the committee level. The machine is shared: the load average was {load_before} at "
        f"the start and {_load()} at the end (1, 5, 15 min)."
    )
    _write_section(args.out, HEADING, intro, figures)


if __name__ == "__main__":
    main()
