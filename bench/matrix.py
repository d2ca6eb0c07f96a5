"""Timings of the tracking matrix and of workbook bundles, on the benchmark's database.

    python -m bench.matrix [--findings N] [--runs N]

Run on its own it prints its figures; `python -m bench` runs the same measurements as one of its steps.
"""

import argparse
import statistics
import sys
from pathlib import Path

from bench.__main__ import DATA, Figure, _dispose, _fresh_copy, _largest_state, _log, _seconds, _template, _url, bundle
from tracker import db
from tracker.services.bundle import matrix
from tracker.services.bundle.exporter import export_bundle
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN


def measure_matrix(database: Path, runs: int) -> list[Figure]:
    """One State's matrix, every State's, and reading every State's back (a dry-run import)."""
    engine = db.get_engine(_url(database))
    iso3, findings = _largest_state(database)
    state = DATA / "matrix-state.xlsx"
    every = DATA / "matrix-all.xlsx"

    def one() -> None:
        matrix.save_matrix([matrix.state_matrix(engine, LOCAL_ADMIN, iso3)], state)

    def all_states() -> None:
        matrix.save_matrix(matrix.all_matrices(engine, LOCAL_ADMIN), every)

    def read_back() -> None:
        result = import_bundle(engine, sources_from_paths([every]), LOCAL_ADMIN, dry_run=True)
        if not result.ok or any(c.updated or c.created for c in result.counts.values()):
            raise RuntimeError(
                "the unchanged matrix did not read back unchanged: " + "; ".join(map(str, result.errors[:3]))
            )

    _log("matrix of one state")
    ones = [_seconds(one) for _ in range(runs)]
    _log("matrix of every state")
    alls = [_seconds(all_states) for _ in range(runs)]
    _log("reading the matrix of every state back")
    reads = [_seconds(read_back) for _ in range(runs)]
    return [
        Figure(
            f"Tracking matrix of one state ({iso3}, the largest: {findings:,} findings), written to .xlsx",
            "s",
            ones,
            "target",
            1.0,
            "< 1 s",
            statistics.median(ones) < 1,
        ),
        Figure(
            "Tracking matrix of every state (`tracker matrix --all`), 193 sheets",
            "s",
            alls,
            "target",
            20.0,
            "< 20 s",
            statistics.median(alls) < 20,
        ),
        Figure(
            "Reading that 193-sheet matrix back (import, dry run)",
            "s",
            reads,
            "target",
            20.0,
            "< 20 s",
            statistics.median(reads) < 20,
        ),
    ]


def measure_workbook_bundle(database: Path, folder: Path, template: Path, runs: int) -> list[Figure]:
    """Workbook bundle export and import against the CSV ones, in turns so load weighs on both alike."""
    engine = db.get_engine(_url(database))
    workbook = DATA / "bundle.xlsx"
    csv_exports, xlsx_exports, csv_imports, xlsx_imports = [], [], [], []
    for run in range(runs):
        _log(f"workbook bundle run {run + 1}/{runs}")
        csv_exports.append(_seconds(lambda: export_bundle(engine, DATA / "export", LOCAL_ADMIN)))
        xlsx_exports.append(_seconds(lambda: export_bundle(engine, workbook, LOCAL_ADMIN)))
        for source, samples in ((folder, csv_imports), (workbook, xlsx_imports)):
            fresh = _fresh_copy(template, "workbook-import.db")
            target = db.get_engine(_url(fresh))
            outcome = {}

            def run_import(target=target, source=source, outcome=outcome) -> None:
                outcome["result"] = import_bundle(target, sources_from_paths([source]), LOCAL_ADMIN)

            samples.append(_seconds(run_import))
            if not outcome["result"].ok:
                raise RuntimeError(f"{source} did not import: " + "; ".join(map(str, outcome["result"].errors[:3])))
            _dispose(fresh)
    return [
        Figure(
            "Workbook bundle export (.xlsx, five sheets)",
            "s",
            xlsx_exports,
            "the CSV export of the same database",
            statistics.median(csv_exports),
            "≤ 3x",
            None,
        ),
        Figure(
            "Workbook bundle import into an empty database",
            "s",
            xlsx_imports,
            "the CSV import of the same bundle",
            statistics.median(csv_imports),
            "≤ 3x",
            None,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.matrix", description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    folder = bundle(args.findings)
    template = _template()
    database = _fresh_copy(template, "matrix.db")
    result = import_bundle(db.get_engine(_url(database)), sources_from_paths([folder]), LOCAL_ADMIN)
    if not result.ok:
        sys.exit("the synthetic bundle did not import")
    figures = measure_matrix(database, args.runs) + measure_workbook_bundle(database, folder, template, args.runs)
    for figure in figures:
        ratio = f" ({figure.ratio:.2f}x {figure.baseline_name})" if figure.baseline_name != "target" else ""
        print(f"{figure.name}: median {figure.value:.2f} s of {len(figure.samples)}{ratio}; target {figure.target}")


if __name__ == "__main__":
    main()
