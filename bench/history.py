"""Timings of the comparison over each State's whole history, at world scale.

    python -m bench.history [--findings N] [--runs N] [--out FILE]

The benchmark's bundle gives every Member State a baseline and a follow-up. Here each State also
gets a focused follow-up between them, covering three areas: it assesses the baseline's items in
those areas and raises items of its own (some restating a baseline item), which the last
follow-up re-assesses in part. The comparison then reads a register of items from two visits,
carries statuses forward and counts the like-for-like trend. Its figures go to their own section
of bench/RESULTS.md, beside plain sqlite3 reading the same rows.
"""

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine, delete, select
from sqlmodel import col

from bench.__main__ import (
    DATA,
    HERE,
    Figure,
    _dispose,
    _format,
    _fresh_copy,
    _largest_state,
    _load,
    _log,
    _seconds,
    _template,
    _url,
    _write_section,
    bundle,
)
from bench.limits import connect
from tracker import db
from tracker.models import Assessment, RegisterKept, Visit, table_of
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress import comparison
from tracker.services.records.saving import save_assessments

SEED = 7
HEADING = "## Whole history of a State (bench/history.py)"
STATUSES = ("fully_implemented", "largely_implemented", "partially_implemented", "initial_steps", "not_implemented")
# Of the middle visit's items, how many restate a baseline item, and how many the last visit re-assesses.
RESTATED, REASSESSED = 0.3, 0.5
COLD_WHY = (
    "no target: worked out in full, the statement reads what plain sqlite3 reads (every trackable finding, counted per "
    "visit, and every assessment with the finding it judges) and then ranks each assessment within its chain "
    "at every follow-up whose register holds it, a window function over every such pair that takes about as "
    "long again as the reading; the scores are then kept, so only the first reading after an import that "
    "wrote every State (or the first at a level) takes this long"
)


def add_middle_visits(database: Path, seed: int = SEED) -> int:
    """A focused follow-up between each State's baseline and follow-up, with its assessments and items."""
    rng = random.Random(seed)
    added = 0
    with closing(connect(database)) as connection:
        top = [code for (code,) in connection.execute("SELECT code FROM thematic_area WHERE parent IS NULL")]
        pairs = connection.execute(
            "SELECT f.state, b.visit_id, b.start_date, f.visit_id, f.start_date FROM visit f "
            "JOIN visit b ON b.visit_id = f.baseline_visit_id ORDER BY f.state"
        ).fetchall()
        connection.execute("BEGIN")
        for state, baseline, baseline_start, followup, followup_start in pairs:
            start = (
                dt.date.fromisoformat(baseline_start)
                + (dt.date.fromisoformat(followup_start) - dt.date.fromisoformat(baseline_start)) / 2
            )
            middle = f"{state}-MID"
            scope = sorted(rng.sample(top, 3))
            connection.execute(
                "INSERT INTO visit (visit_id, state, kind, modality, start_date, end_date, baseline_visit_id, scope, "
                "lead, summary, confidentiality, consent) VALUES (?, ?, 'follow_up', 'in_person', ?, ?, ?, ?, '', '', "
                "'committee', 'none')",
                (
                    middle,
                    state,
                    start.isoformat(),
                    (start + dt.timedelta(days=3)).isoformat(),
                    baseline,
                    ";".join(scope),
                ),
            )
            items = connection.execute(
                "SELECT f.finding_id, coalesce(t.parent, t.code), f.kind FROM finding f "
                "JOIN thematic_area t ON t.code = f.area "
                "WHERE f.visit_id = ? AND f.kind IN ('shortfall', 'recommendation')",
                (baseline,),
            ).fetchall()
            in_scope = [(finding, area, kind) for finding, area, kind in items if area in scope]
            connection.executemany(
                "INSERT INTO assessment (finding_id, visit_id, status, evidence, confidentiality) "
                "VALUES (?, ?, ?, '', 'committee')",
                [(finding, middle, rng.choice(STATUSES)) for finding, _, _ in in_scope],
            )
            raised = []
            for number in range(1, max(2, len(in_scope) // 2) + 1):
                finding = f"{middle}-{number}"
                restates = rng.choice(in_scope) if in_scope and rng.random() < RESTATED else None
                area = restates[1] if restates else rng.choice(scope)
                kind = restates[2] if restates else rng.choice(("shortfall", "recommendation"))
                connection.execute(
                    "INSERT INTO finding (finding_id, visit_id, area, kind, title, detail, priority, source_ref, "
                    "continues, confidentiality) VALUES (?, ?, ?, ?, ?, '', ?, '', ?, 'committee')",
                    (
                        finding,
                        middle,
                        area,
                        kind,
                        f"Item {number} of {middle}",
                        rng.random() < 0.1,
                        restates[0] if restates else None,
                    ),
                )
                raised.append(finding)
            connection.executemany(
                "INSERT INTO assessment (finding_id, visit_id, status, evidence, confidentiality) "
                "VALUES (?, ?, ?, '', 'committee')",
                [(finding, followup, rng.choice(STATUSES)) for finding in raised if rng.random() < REASSESSED],
            )
            added += 1
        connection.execute("COMMIT")
    return added


# The same rows the comparison reads, through plain sqlite3 without the access rules: a State's
# visits, its trackable findings and their assessments.
_STATE_ROWS = (
    "SELECT visit_id, kind, start_date, baseline_visit_id, scope FROM visit WHERE state = ?",
    "SELECT f.finding_id, f.visit_id, coalesce(t.parent, t.code), f.kind, f.continues FROM finding f "
    "JOIN visit v ON v.visit_id = f.visit_id JOIN thematic_area t ON t.code = f.area "
    "WHERE v.state = ? AND f.kind IN ('shortfall', 'recommendation')",
    "SELECT a.finding_id, a.visit_id, a.status FROM assessment a JOIN finding f ON f.finding_id = a.finding_id "
    "JOIN visit v ON v.visit_id = f.visit_id WHERE v.state = ? AND f.kind IN ('shortfall', 'recommendation')",
)


def _processor(function: Callable[[], object]) -> float:
    """Seconds of this process's CPU time a call takes: on a shared machine, steadier than the clock."""
    started = time.process_time()
    function()
    return time.process_time() - started


# CPU medians by figure name, written beside the clock medians: SQLite runs in this process.
_CPU: dict[str, tuple[float, float]] = {}


def _plain(database: Path, state: str | None, runs: int, cpu_of: str = "") -> float:
    """Median seconds to read those rows for one State, or for every State (`state` None).

    With `cpu_of`, the CPU-time median is kept for that figure too.
    """
    queries = [q if state else q.replace("WHERE state = ?", "").replace("v.state = ? AND ", "") for q in _STATE_ROWS]
    parameters = (state,) if state else ()
    with closing(connect(database)) as connection:

        def read() -> None:
            for query in queries:
                connection.execute(query, parameters).fetchall()

        read()
        clock = statistics.median(_seconds(read) for _ in range(runs))
        if cpu_of:
            _CPU[cpu_of] = (_CPU[cpu_of][0], statistics.median(_processor(read) for _ in range(runs)))
        return clock


def _forget_kept(engine: Engine) -> None:
    """Nothing kept: as after an import that wrote every State."""
    with engine.begin() as connection:
        connection.execute(delete(table_of(RegisterKept)))


def _index_figure(
    engine: Engine, database: Path, runs: int, name: str, target: str, before: Callable[[], object] | None = None
) -> Figure:
    """The cross-State index's reading, each run after `before` (not timed), beside plain sqlite3."""

    def timed(measure: Callable[[Callable[[], object]], float]) -> float:
        if before:
            before()
        return measure(lambda: comparison.cross_state_index(engine, LOCAL_ADMIN))

    comparison.cross_state_index(engine, LOCAL_ADMIN)
    samples = [timed(_seconds) for _ in range(runs)]
    _CPU[name] = (statistics.median(timed(_processor) for _ in range(runs)), 0.0)
    return Figure(
        name,
        "s",
        samples,
        "plain sqlite3: every State's visits, trackable findings and assessments",
        _plain(database, None, runs, name),
        target,
        statistics.median(samples) < 0.3 if target else None,
    )


def measure_two_visits(database: Path, runs: int) -> Figure:
    """The cross-State index on the bundle as generated (a baseline and one follow-up per State), worked out in full."""
    engine = db.get_engine(_url(database))
    _log("cross-state index with two visits per State")
    return _index_figure(
        engine,
        database,
        runs,
        "Cross-state index, 193 States with two visits each (no middle visit), nothing kept",
        "< 300 ms",
        lambda: _forget_kept(engine),
    )


def _save_in(engine: Engine, iso3: str) -> Callable[[], object]:
    """A save as the worksheet makes it, of one status at the State's follow-up, another each time."""
    with engine.connect() as connection:
        finding, followup = connection.execute(
            select(col(Assessment.finding_id), col(Assessment.visit_id))
            .join(Visit, col(Visit.visit_id) == col(Assessment.visit_id))
            .where(col(Visit.state) == iso3, col(Visit.baseline_visit_id).is_not(None))
            .order_by(col(Visit.start_date).desc(), col(Assessment.finding_id))
            .limit(1)
        ).one()
    turns = iter(STATUSES * 100)
    return lambda: save_assessments(engine, LOCAL_ADMIN, followup, [{"finding_id": finding, "status": next(turns)}])


def measure_history(database: Path, runs: int) -> list[Figure]:
    engine = db.get_engine(_url(database))
    iso3, findings = _largest_state(database)
    result = comparison.compare(engine, LOCAL_ADMIN, iso3)
    if result.since_previous is None or not result.wider:
        raise RuntimeError(f"{iso3} has no history of three visits to time")
    _log(f"comparison of {iso3} over its register of {result.all_items.item_count} items")
    compares = [_seconds(lambda: comparison.compare(engine, LOCAL_ADMIN, iso3)) for _ in range(runs)]
    one = (
        f"One State's comparison over its whole history ({iso3}, the largest: {findings:,} findings, "
        f"{result.all_items.item_count} items under follow-up)"
    )
    _CPU[one] = (
        statistics.median(_processor(lambda: comparison.compare(engine, LOCAL_ADMIN, iso3)) for _ in range(runs)),
        0.0,
    )
    registers = len(comparison.followup_visits(engine, LOCAL_ADMIN))
    every = f"Cross-state index over every register, 193 States ({registers} follow-ups)"
    _log("cross-state index over every register")
    return [
        Figure(
            one,
            "s",
            compares,
            "plain sqlite3: that State's visits, trackable findings and assessments",
            _plain(database, iso3, runs, one),
            "< 50 ms",
            statistics.median(compares) < 0.05,
        ),
        _index_figure(engine, database, runs, f"{every}, the scores kept", "< 300 ms"),
        _index_figure(engine, database, runs, f"{every}, after a save in {iso3}", "< 300 ms", _save_in(engine, iso3)),
        _index_figure(
            engine,
            database,
            runs,
            f"{every}, nothing kept (after an import of every State)",
            "",
            lambda: _forget_kept(engine),
        ),
    ]


def imported(findings: int, name: str) -> Path:
    """A fresh database under bench/data named `name`, holding the synthetic bundle of `findings`."""
    DATA.mkdir(parents=True, exist_ok=True)
    folder = bundle(findings)
    database = _fresh_copy(_template(), name)
    _log(f"importing {findings:,} findings")
    if not import_bundle(db.get_engine(_url(database)), sources_from_paths([folder]), LOCAL_ADMIN).ok:
        sys.exit("the synthetic bundle did not import")
    _dispose(database)
    return database


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    load_before = _load()
    database = imported(args.findings, "history.db")
    two_visits = measure_two_visits(database, args.runs)
    _dispose(database)
    states = add_middle_visits(database)
    figures = [two_visits, *measure_history(database, args.runs)]
    for figure in figures:
        cpu, plain_cpu = _CPU[figure.name]
        figure.note = (
            f"{figure.baseline_name}: {_format(figure.baseline, figure.unit)} ({figure.ratio:.1f}x); CPU time "
            f"{_format(cpu, 's')} against {_format(plain_cpu, 's')} ({cpu / plain_cpu:.1f}x)"
        ) + ("" if figure.target else f"; {COLD_WHY}")
    for figure in figures:
        print(
            f"{figure.name}: median {figure.value * 1000:.0f} ms of {len(figure.samples)} "
            f"({figure.ratio:.1f}x {figure.baseline_name}); target {figure.target}"
        )
    intro = (
        f"{args.findings:,} findings of the benchmark's bundle, and for each of the {states} States a focused "
        "follow-up between its baseline and its follow-up (three areas, assessing the baseline's items there, "
        "raising items of its own of which some restate a baseline item and half are re-assessed at the last "
        "follow-up). One State's comparison reads three queries (visits, trackable findings, assessments, each "
        "through the access rules) and works out the register, the carried statuses and the like-for-like trend "
        "in Python. The cross-State index keeps its scores per level, State and top-level area, and works out "
        "again only the States written since (the database's triggers note every write): the Overview's reading "
        "once they are kept, the reading after one save through the worksheet's service (not timed) in the "
        "largest State, and the reading with nothing kept, which counts every register in one SQL statement (its "
        "items as the register's findings less those linking to an earlier one, the `continues` chains by a "
        "recursive query over the links alone, each chain's latest assessment by a window function), sums per "
        "area and keeps the scores. The baseline is plain sqlite3 reading the same rows without the access "
        f"rules. Median of {args.runs} runs, by the clock and, in the note, in CPU time of the process (SQLite runs in it); the first line times the same index before the middle visits are "
        f"added. The machine is shared: the load average was {load_before} at the start and {_load()} at the end "
        "(1, 5, 15 min), so the ratio to plain sqlite3, measured in the same run, is the steadier figure."
    )
    _write_section(args.out, HEADING, intro, figures)


if __name__ == "__main__":
    main()
