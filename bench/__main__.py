"""World-scale timings, each against a baseline measured in the same run.

    python -m bench [--quick] [--only continuity]

Prints a table and writes bench/RESULTS.md (with --quick, a smaller run written to
bench/data/RESULTS-quick.md). Generated bundles and databases go to bench/data/.
"""

import argparse
import csv
import datetime as dt
import hashlib
import json
import logging
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from bench import generate as generator
from bench import waiting
from bench.limits import connect, plain_export, plain_import
from bench.results import write_section
from tracker import db
from tracker.services.bundle.exporter import export_bundle
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.operations.reference import init_database
from tracker.services.people.access import LOCAL_ADMIN

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
DATA = HERE / "data"
DASHBOARD = PROJECT / "dashboard.py"
SEED = 1
# The whole run should end within ten minutes; the period reports are stopped to keep to it.
DEADLINE = 9 * 60
PERIOD_CUTOFF = 120.0
PERIOD_TARGETS = {"md": 5.0, "html": 10.0, "docx": 30.0}
PERIOD_WORDS = {"md": "Markdown", "html": "HTML with charts", "docx": "DOCX with charts"}
PERIOD_WHY = {
    "md": "CPU spread over many parts, none over about 1 s on a quiet machine: the process's start and imports "
    "(about 1 s), reading every State's history through the access rules (1.0 s), the comparisons and item rows "
    "built from them (1.7 s), each State's sections (1.0 s) and writing 21 MB of Markdown tables (1.2 s)",
    "html": "on top of the Markdown line's reading, Plotly builds one figure per State (about 4 s for the 194) "
    "and the file embeds each of them",
    "docx": "the headless browser draws the 194 charts two at a time beside the text and tables (0.07 s a chart "
    "on a quiet machine, 0.15 s under load; `python -m bench.docx_render` times the writing alone), on top of "
    "reading the 193 follow-ups as the Markdown line says",
}


@dataclass
class Figure:
    """One line of the results: a median, what it is measured against, and the target."""

    name: str
    unit: str
    samples: list[float]
    baseline_name: str
    baseline: float | None
    target: str
    met: bool | None
    note: str = ""
    stopped: bool = False
    # Why the target is out of reach, said in the results when it is missed.
    why: str = ""

    @property
    def value(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


def _seconds(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s" and value < 0.01:
        return f"{value * 1000:.1f} ms"
    if unit == "s" and value < 1:
        return f"{value * 1000:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:,.0f} {unit}"


# ---------------------------------------------------------------- data


def bundle(findings: int) -> Path:
    """The synthetic bundle, generated again only when the generator or its arguments change."""
    folder = DATA / f"bundle-{findings}-seed{SEED}"
    stamp = hashlib.sha256(Path(generator.__file__).read_bytes() + f"{findings}/{SEED}".encode()).hexdigest()
    stamp_file = folder / ".stamp"
    if not (stamp_file.exists() and stamp_file.read_text() == stamp):
        shutil.rmtree(folder, ignore_errors=True)
        _log(f"generating {findings:,} findings into {folder}")
        generator.generate(findings, folder, SEED)
        stamp_file.write_text(stamp)
    return folder


def _template() -> Path:
    """An initialised, seeded database with no assessment material, copied for each import."""
    path = DATA / "template.db"
    _remove_database(path)
    engine = db.get_engine(_url(path))
    init_database(engine)
    _dispose(path)
    return path


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _fresh_copy(template: Path, name: str) -> Path:
    path = DATA / name
    _dispose(path)
    _remove_database(path)
    shutil.copy(template, path)
    return path


def _dispose(path: Path) -> None:
    db.get_engine(_url(path)).dispose()


def _rows(folder: Path) -> dict[str, int]:
    counts = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            counts[path.name] = sum(1 for _ in csv.reader(handle)) - 1
    return counts


# ---------------------------------------------------------------- measurements


def measure_import(folder: Path, template: Path, runs: int) -> tuple[list[Figure], Path]:
    """Import, no-change re-import and the plain-sqlite3 limit, run in turns so load hits all alike."""
    limit, audited, imports, reimports = [], [], [], []
    database = None
    for run in range(runs):
        _log(f"import run {run + 1}/{runs}")
        plain = _fresh_copy(template, "limit.db")
        limit.append(_seconds(lambda plain=plain: plain_import(plain, folder)))
        plain = _fresh_copy(template, "limit.db")
        audited.append(_seconds(lambda plain=plain: plain_import(plain, folder, audited=True)))
        database = _fresh_copy(template, "import.db")
        engine = db.get_engine(_url(database))
        result = None

        def run_import(engine=engine):
            nonlocal result
            result = import_bundle(engine, sources_from_paths([folder]), LOCAL_ADMIN)

        imports.append(_seconds(run_import))
        if not result.ok:
            raise RuntimeError("the synthetic bundle did not import: " + "; ".join(map(str, result.errors[:5])))
        reimports.append(_seconds(run_import))
        if any(c.created or c.updated for c in result.counts.values()):
            raise RuntimeError("re-importing the same bundle changed rows")
        _dispose(database)
    baseline = statistics.median(limit)
    with_audit = statistics.median(audited)
    left = 2 * baseline - with_audit
    why = (
        f"{_format(left + with_audit - baseline, 's')} of the 2x is left for reading, validating and checking "
        f"{sum(_rows(folder).values()):,} rows and recording them in the import's one audit event; they take "
        f"{_format(statistics.median(imports) - baseline, 's')}"
    )
    return [
        Figure(
            "Import into an empty database",
            "s",
            imports,
            "plain sqlite3 executemany, one transaction, no checks",
            baseline,
            "≤ 2x",
            None,
            f"{statistics.median(imports) / with_audit:.2f}x the same limit writing one JSON audit event per row, "
            f"as the trail did before an import became one event ({_format(with_audit, 's')})",
            why=why,
        ),
        Figure("Re-import, nothing changes", "s", reimports, "the same limit", baseline, "≤ 1.5x", None),
    ], database


def measure_export(database: Path, runs: int) -> Figure:
    engine = db.get_engine(_url(database))
    exported, limit = [], []
    for run in range(runs):
        _log(f"export run {run + 1}/{runs}")
        limit.append(_seconds(lambda: plain_export(database, DATA / "export-limit")))
        exported.append(_seconds(lambda: export_bundle(engine, DATA / "export", LOCAL_ADMIN)))
    return Figure(
        "Export of the database",
        "s",
        exported,
        "plain sqlite3 rows written by the csv module",
        statistics.median(limit),
        "≤ 2x",
        None,
    )


def _largest_state(database: Path) -> tuple[str, int]:
    with closing(connect(database)) as connection:
        return connection.execute(
            "SELECT v.state, count(*) AS n FROM finding f JOIN visit v ON v.visit_id = f.visit_id "
            "GROUP BY v.state ORDER BY n DESC, v.state LIMIT 1"
        ).fetchone()


_STATE_LIMIT = """
SELECT f.area, f.kind, coalesce(a.status, 'not_assessed'), count(*)
FROM visit b JOIN finding f ON f.visit_id = b.visit_id
LEFT JOIN assessment a ON a.finding_id = f.finding_id AND a.visit_id = ?
WHERE b.visit_id = ? GROUP BY 1, 2, 3
"""
_INDEX_LIMIT = """
SELECT fu.visit_id, f.area, a.status, count(*)
FROM visit fu JOIN finding f ON f.visit_id = fu.baseline_visit_id
JOIN assessment a ON a.finding_id = f.finding_id AND a.visit_id = fu.visit_id
GROUP BY 1, 2, 3
"""


def _plain_query(database: Path, sql: str, parameters: tuple, runs: int) -> float:
    with closing(connect(database)) as connection:
        connection.execute(sql, parameters).fetchall()
        return statistics.median(_seconds(lambda: connection.execute(sql, parameters).fetchall()) for _ in range(runs))


def measure_comparison(database: Path, runs: int) -> list[Figure]:
    from tracker.services.progress import comparison

    engine = db.get_engine(_url(database))
    iso3, findings = _largest_state(database)
    result = comparison.compare(engine, LOCAL_ADMIN, iso3)
    state_limit = _plain_query(database, _STATE_LIMIT, (result["followup_visit"], result["baseline_visit"]), runs)
    compares = [_seconds(lambda: comparison.compare(engine, LOCAL_ADMIN, iso3)) for _ in range(runs)]
    comparison.cross_state_index(engine, LOCAL_ADMIN)
    indexes = [_seconds(lambda: comparison.cross_state_index(engine, LOCAL_ADMIN)) for _ in range(runs)]
    index_limit = _plain_query(database, _INDEX_LIMIT, (), runs)
    return [
        Figure(
            f"One state's comparison ({iso3}, the largest: {findings:,} findings)",
            "s",
            compares,
            "plain sqlite3: its baseline items grouped by area, kind and status",
            state_limit,
            "< 50 ms",
            statistics.median(compares) < 0.05,
        ),
        Figure(
            "Cross-state index, all states (every register: chains, carried statuses, scope), the scores kept",
            "s",
            indexes,
            "plain sqlite3: every assessment grouped by follow-up, area and status",
            index_limit,
            "< 300 ms",
            statistics.median(indexes) < 0.3,
        ),
    ]


def _page(page: str, **query: str):
    """The dashboard opened on one page, through Streamlit's AppTest in this process, not yet run."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(DASHBOARD), default_timeout=600)
    app.switch_page(page)
    for key, value in query.items():
        app.query_params[key] = value
    return app


def _checked(app, title: str):
    if app.exception or app.error:
        raise RuntimeError(f"the {title} page failed: {[e.value for e in app.exception or app.error]}")
    return app


def measure_pages(database: Path, runs: int) -> list[Figure]:
    import streamlit as st

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["TRACKER_DATABASE_URL"] = _url(database)
    os.environ.pop("TRACKER_AUTH", None)
    iso3, _ = _largest_state(database)
    figures = []
    for title, page in (("Overview", "tracker/ui/overview.py"), ("State progress", "tracker/ui/state_progress.py")):
        cold, warm = [], []
        for run in range(runs):
            _log(f"{title} page run {run + 1}/{runs}")
            st.cache_data.clear()
            st.cache_resource.clear()
            app = _page(page, state=iso3)
            cold.append(_seconds(app.run))
            warm.append(_seconds(app.run))
            _checked(app, title)
        figures += [
            Figure(
                f"{title} page, cold (empty caches)", "s", cold, "target", 2.0, "< 2 s", statistics.median(cold) < 2
            ),
            Figure(f"{title} page, warm rerun", "s", warm, "target", 0.3, "< 300 ms", statistics.median(warm) < 0.3),
        ]
    return figures + measure_page_choices(database, runs)


def measure_page_choices(database: Path, runs: int) -> list[Figure]:
    """What an analyst waits for on the 193-State pages: each choice made after the first render.

    A choice that reads at another level or another State meets empty caches for it; sorting,
    filtering and the top/bottom view only redraw.
    """
    import streamlit as st

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["TRACKER_DATABASE_URL"] = _url(database)
    os.environ.pop("TRACKER_AUTH", None)
    iso3, _ = _largest_state(database)
    from tracker.services.progress.comparison import followup_visits

    shown = followup_visits(db.get_engine(_url(database)), LOCAL_ADMIN, level="committee")
    region = shown["region"].iloc[0]
    other = shown.loc[shown["state"] != iso3, "state"].iloc[0]
    overview = {
        "a region chosen": lambda app: app.multiselect(key="overview:regions").set_value([region]),
        "sorted by index": lambda app: app.segmented_control(key="overview:sort").set_value("index"),
        "sorted by region": lambda app: app.segmented_control(key="overview:sort").set_value("region"),
        "top and bottom 10": lambda app: app.segmented_control(key="overview:view").set_value("ends"),
        "another level (restricted)": lambda app: app.selectbox(key="overview:level").set_value("restricted"),
    }
    progress = {
        "another State": lambda app: app.selectbox(key="progress:state").set_value(other),
        "ranked by most progress": lambda app: app.segmented_control(key="progress:order").set_value("most"),
        "another level (restricted)": lambda app: app.selectbox(key="progress:level").set_value("restricted"),
    }
    samples: dict[tuple[str, str], list[float]] = {}
    for run in range(runs):
        _log(f"page choices run {run + 1}/{runs}")
        for title, page, choices in (
            ("Overview", "tracker/ui/overview.py", overview),
            ("State progress", "tracker/ui/state_progress.py", progress),
        ):
            for choice, make in choices.items():
                st.cache_data.clear()
                st.cache_resource.clear()
                app = _checked(_page(page, state=iso3).run(), title)
                make(app)
                samples.setdefault((title, choice), []).append(_seconds(app.run))
                _checked(app, title)
    return [
        Figure(
            f"{title} page at 193 States, {choice}", "s", values, "target", 1.0, "< 1 s", statistics.median(values) < 1
        )
        for (title, choice), values in samples.items()
    ]


def measure_reports(database: Path, runs: int, budget: float) -> list[Figure]:
    from tracker.services.reports.chart_browser import image_server
    from tracker.services.reports.documents import build_state_report, render_built

    engine = db.get_engine(_url(database))
    iso3, _ = _largest_state(database)

    def state(fmt: str) -> Callable[[], object]:
        # As the Reports page and `tracker report --state` write it: a Word report's browser (one tab)
        # starts before the document is read and built.
        return lambda: render_built(lambda: build_state_report(engine, LOCAL_ADMIN, iso3), fmt, tabs=1)

    _log("state reports")
    docx_cold = _repeat(state("docx"), runs, budget)
    with image_server():
        docx_warm = _repeat(state("docx"), runs, budget)
        html = _repeat(state("html"), runs, budget)
    return [
        Figure(
            f"State report DOCX with charts ({iso3}), browser started for it",
            "s",
            docx_cold,
            "target",
            2.0,
            "< 2 s",
            statistics.median(docx_cold) < 2,
            f"before: {waiting.BEFORE['state_docx_cold']}; 2.00 s with the browser started after the build",
            why=f"most of it is starting the headless browser that draws the charts: with one already running "
            f"(next line) the same report takes {_format(statistics.median(docx_warm), 's')}",
        ),
        Figure(
            f"State report DOCX with charts ({iso3}), browser already running",
            "s",
            docx_warm,
            "target",
            2.0,
            "< 2 s",
            statistics.median(docx_warm) < 2,
            "as in the dashboard, whose Reports page starts the browser once Word is chosen and keeps it "
            "for five minutes after",
        ),
        Figure(
            f"State report HTML with charts ({iso3})", "s", html, "target", 5.0, "< 5 s", statistics.median(html) < 5
        ),
    ]


def measure_period_report(database: Path, fmt: str, runs: int, cutoff: float) -> Figure:
    """`tracker report --period` over every follow-up visit, in a process of its own so that it can be stopped."""
    command = [
        str(Path(sys.executable).with_name("tracker")),
        "report",
        "--period",
        "1990-01-01..2100-12-31",
        "--format",
        fmt,
        "--out",
        str(DATA / f"period.{fmt}"),
    ]
    environment = os.environ | {"TRACKER_DATABASE_URL": _url(database)}
    name = f"Period report {PERIOD_WORDS[fmt]}, every follow-up visit (`tracker report --period`)"
    target = PERIOD_TARGETS[fmt]
    before = f"before: {waiting.BEFORE[f'period_{fmt}']}"

    def run() -> None:
        # A session of its own, so that a stop also ends the browser the command started for its charts.
        child = subprocess.Popen(
            command,
            env=environment,
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, errors = child.communicate(timeout=cutoff)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise
        if child.returncode:
            raise RuntimeError(errors.decode(errors="replace").strip().splitlines()[-1])

    _log(f"period report {fmt}")
    try:
        samples = _repeat(run, runs, cutoff)
    except subprocess.TimeoutExpired:
        return Figure(
            name,
            "s",
            [cutoff],
            "target",
            target,
            f"< {target:.0f} s",
            False,
            f"stopped after {cutoff:.0f} s; {before}",
            stopped=True,
            why=PERIOD_WHY.get(fmt, ""),
        )
    return Figure(
        name,
        "s",
        samples,
        "target",
        target,
        f"< {target:.0f} s",
        statistics.median(samples) < target,
        f"includes starting the command; {before}",
        why=PERIOD_WHY.get(fmt, ""),
    )


def _repeat(function: Callable[[], object], runs: int, budget: float) -> list[float]:
    """Up to `runs` timings, fewer when they would pass `budget` seconds in all (at least one)."""
    samples = [_seconds(function)]
    while len(samples) < runs and sum(samples) + samples[-1] <= budget:
        samples.append(_seconds(function))
    return samples


def measure_peak_memory(folder: Path, template: Path, findings: int) -> Figure:
    database = _fresh_copy(template, "peak.db")
    _log(f"importing {findings:,} findings in a separate process")
    child = subprocess.run(
        [sys.executable, "-m", "bench.peak", str(folder), _url(database)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(child.stdout)
    if not report["ok"]:
        raise RuntimeError("the large bundle did not import: " + "; ".join(report["errors"]))
    _remove_database(database)
    return Figure(
        f"Peak memory importing {findings:,} findings",
        "MB",
        [report["peak_mb"]],
        "the same process before the import",
        report["before_mb"],
        "< 500 MB",
        report["peak_mb"] < 500,
        f"the import took {report['seconds']:.0f} s",
    )


def _largest_followup(database: Path) -> tuple[str, int]:
    with closing(connect(database)) as connection:
        return connection.execute(
            "SELECT f.visit_id, count(*) AS n FROM finding f JOIN visit v ON v.visit_id = f.visit_id "
            "WHERE v.baseline_visit_id IS NOT NULL GROUP BY f.visit_id ORDER BY n DESC, f.visit_id LIMIT 1"
        ).fetchone()


def measure_continuity(database: Path, runs: int) -> list[Figure]:
    """Suggestions for the largest follow-up visit, and for every follow-up visit one after another."""
    from tracker.services.continuity import suggestions as continuity
    from tracker.services.progress import comparison

    engine = db.get_engine(_url(database))
    visit_id, findings = _largest_followup(database)
    continuity.suggest_links(engine, LOCAL_ADMIN, visit_id)
    one, one_cpu = _timed(lambda: continuity.suggest_links(engine, LOCAL_ADMIN, visit_id), max(runs, 3))
    followups = list(comparison.followup_visits(engine, LOCAL_ADMIN)["visit_id"])

    def every() -> None:
        for followup in followups:
            continuity.suggest_links(engine, LOCAL_ADMIN, followup)

    _log(f"continuity suggestions for {len(followups)} follow-up visits")
    all_of_them, all_cpu = _timed(every, runs)
    return [
        Figure(
            f"Continuity suggestions, one follow-up visit ({visit_id}, the largest: {findings:,} findings)",
            "s",
            one,
            "target",
            3.0,
            "< 3 s",
            statistics.median(one) < 3,
            f"CPU time of this process {_format(one_cpu, 's')}",
        ),
        Figure(
            f"Continuity suggestions, every follow-up visit ({len(followups)}) one after another",
            "s",
            all_of_them,
            "target",
            60.0,
            "< 60 s",
            statistics.median(all_of_them) < 60,
            f"CPU time of this process {_format(all_cpu, 's')}",
            why=f"the suggestions themselves used {_format(all_cpu, 's')} of CPU; the rest of the wall time is "
            f"waiting for a core (load average {_load()} on {os.cpu_count()} cores)",
        ),
    ]


def measure_save_during_import(folder: Path, template: Path, findings: int) -> list[Figure]:
    """A dashboard save while a large import runs on SQLite: at once while it reads, after its write phase."""
    database = _fresh_copy(template, "save-during-import.db")
    _log(f"saving while {findings:,} findings are imported in a separate process")
    child = subprocess.run(
        [sys.executable, "-m", "bench.save_during_import", str(folder), _url(database)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(child.stdout)
    _remove_database(database)
    if not report["import_ok"]:
        raise RuntimeError("the large bundle did not import: " + "; ".join(report["import_errors"]))
    took = f"the import took {report['import_seconds']:.0f} s"
    return [
        Figure(
            f"A save while {findings:,} findings are read and checked",
            "s",
            [report["save_while_reading"]],
            "the target",
            1.0,
            "< 1 s, saved",
            report["save_while_reading"] < 1.0 and report["save_while_reading_outcome"] == "saved",
            f"{report['save_while_reading_outcome']}; {took}",
        ),
        Figure(
            f"A save while the same import writes its {findings:,} findings",
            "s",
            [report["save_while_writing"]],
            "the busy timeout, after which a save fails",
            60.0,
            "saved",
            report["save_while_writing_outcome"] == "saved",
            f"{report['save_while_writing_outcome']}; the lock was taken {report['lock_held_from']:.0f} s in",
            why="a save waits for the import's whole write phase, which on a busy machine can pass the busy timeout",
        ),
    ]


def _timed(function: Callable[[], object], runs: int) -> tuple[list[float], float]:
    """Wall-clock seconds of each run, and the median CPU seconds of this process: on a busy machine
    the second says how much of the first is the work itself."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu = time.process_time()
        walls.append(_seconds(function))
        cpus.append(time.process_time() - cpu)
    return walls, statistics.median(cpus)


def continuity_quality() -> list[str]:
    """The evaluation sets' figures, each from a set not used to choose what it measures, as lines for the results."""
    from bench import continuity as evaluation

    return evaluation.report()


def run_continuity(findings: int, runs: int, out: Path) -> None:
    """`--only continuity`: the quality figures, then the speed on one import of the timed bundle."""
    quality = continuity_quality()
    for line in quality:
        print(line)
    folder = bundle(findings)
    database = _fresh_copy(_template(), "continuity.db")
    _log(f"importing {findings:,} findings")
    result = import_bundle(db.get_engine(_url(database)), sources_from_paths([folder]), LOCAL_ADMIN)
    if not result.ok:
        raise RuntimeError("the synthetic bundle did not import: " + "; ".join(map(str, result.errors[:5])))
    started, load_before = time.perf_counter(), _load()
    figures = measure_continuity(database, runs)
    conditions = (
        f"load average {load_before} at the start and {_load()} at the end (1, 5, 15 min); "
        f"the measurements took {(time.perf_counter() - started) / 60:.1f} min"
    )
    data = {"timed bundle": f"{findings:,} findings, seed {SEED}"}
    out.write_text(
        markdown(figures, machine(), data, [], conditions, {"Continuity suggestions: quality": quality}),
        encoding="utf-8",
    )
    _print_table(figures)
    print(f"\n{conditions}; written to {out}")


def _matrix_figures(database: Path, folder: Path, template: Path, runs: int) -> list[Figure]:
    from bench.matrix import measure_matrix, measure_workbook_bundle

    return measure_matrix(database, runs) + measure_workbook_bundle(database, folder, template, runs)


def _verdicts(figures: list[Figure]) -> None:
    limits = {"≤ 3x": 3.0, "≤ 2x": 2.0, "≤ 1.5x": 1.5}
    for figure in figures:
        if figure.target in limits and figure.ratio is not None:
            figure.met = figure.ratio <= limits[figure.target]


# ---------------------------------------------------------------- the machine and the report


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    total_kb = next((int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0)
    return {
        "CPU": model,
        "cores": str(os.cpu_count()),
        "memory": f"{total_kb / 1024 / 1024:.1f} GiB",
        "system": platform.platform(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def table(figures: list[Figure]) -> list[list[str]]:
    rows = []
    for f in figures:
        ratio = ("> " if f.stopped else "") + f"{f.ratio:.2f}x" if f.ratio is not None else "—"
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        baseline = f"{_format(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else f.baseline_name
        value = ("> " if f.stopped else "") + _format(f.value, f.unit)
        spread = f"{_format(min(f.samples), f.unit)} – {_format(max(f.samples), f.unit)}" if len(f.samples) > 1 else ""
        rows.append([f.name, value, str(len(f.samples)), spread, baseline, ratio, f.target, met, f.note])
    return rows


NOTES = [
    "Import, re-import and export were run in turns with their limits, so that whatever else the "
    "machine was doing weighed on both alike; the load average above says how busy it was.",
    "The plain limit writes no audit trail, while the import must write one event per created or "
    "updated row, holding every field as JSON. The import's note gives the same limit writing those "
    "events too: the import's ratio to that is what validation, reference checks and the upsert add.",
    'A figure marked "> … stopped" was cut off to keep the whole run within ten minutes; it takes longer than that.',
    "Page timings run the dashboard through Streamlit's AppTest in this process: cold is the first "
    "run with empty caches, warm is a rerun.",
]
HEADER = ["measurement", "median", "runs", "fastest – slowest", "baseline", "ratio", "target", "met", "note"]


def markdown(
    figures: list[Figure],
    facts: dict[str, str],
    data: dict[str, str],
    missing: list[str],
    conditions: str,
    sections: dict[str, list[str]] | None = None,
) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (`make bench`). Each figure is the median of its runs, taken in the",
        "same run as its baseline; ratios are median ÷ baseline, and a figure with a plain time target",
        "has the target itself as its baseline.",
        "",
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in facts.items()],
        f"- conditions: {conditions}",
        "",
        "## Data",
        "",
        *[f"- {name}: {value}" for name, value in data.items()],
        "",
        "## Results",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in table(figures)],
        "",
    ]
    missed = [f"{f.name}: {f.why}." for f in figures if f.met is False and f.why]
    if missed:
        lines += ["## Targets missed, and why", "", *[f"- {line}" for line in missed], ""]
    if missing:
        lines += ["## Not measured", "", *[f"- {line}" for line in missing], ""]
    for title, items in (sections or {}).items():
        lines += [f"## {title}", "", *[f"- {line}" for line in items], ""]
    lines += ["## Notes", "", *[f"- {line}" for line in NOTES], ""]
    return "\n".join(lines)


def _print_table(figures: list[Figure]) -> None:
    rows = [HEADER[:-1]] + [row[:-1] for row in table(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


PAGES_HEADING = "## Dashboard pages at 193 States"


WAITING_HEADING = "## Where users wait"


def waiting_only(findings: int, runs: int, out: Path) -> None:
    """Command start, the State DOCX and the period reports alone, in their own section of the results."""
    started, load_before = time.perf_counter(), _load()
    folder = bundle(findings)
    template = _template()
    database = _fresh_copy(template, "waiting.db")
    result = import_bundle(db.get_engine(_url(database)), sources_from_paths([folder]), LOCAL_ADMIN)
    if not result.ok:
        raise RuntimeError("the synthetic bundle did not import")
    _dispose(database)
    figures = waiting.command_start(DATA, PROJECT, runs, Figure)
    figures += waiting.first_page(DATA, PROJECT, runs, Figure)
    figures += waiting.import_whole_process(DATA, PROJECT, folder, template, runs, Figure)
    figures += [f for f in measure_reports(database, runs, budget=60) if "DOCX" in f.name]
    figures += [measure_period_report(database, fmt, 1, PERIOD_CUTOFF) for fmt in ("md", "html", "docx")]
    conditions = (
        f"load average {load_before} at the start and {_load()} at the end (1, 5, 15 min); "
        f"the run took {(time.perf_counter() - started) / 60:.1f} min with the import"
    )
    intro = (
        f"Written by `python -m bench --only waiting` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, on the "
        f"{findings:,}-finding database (193 States, one follow-up each); each figure is a whole process as a "
        f"user runs it, the period reports once each. The note gives the figure before this work, "
        f"{waiting.BEFORE_CONDITIONS}. {conditions}."
    )
    _write_section(out, WAITING_HEADING, intro, figures)
    _print_table(figures)
    print(f"\n{conditions}; written to {out}")


def _write_section(out: Path, heading: str, intro: str, figures: list[Figure]) -> None:
    """Put the figures under `heading` in the results, replacing that section only."""
    lines = [
        heading,
        "",
        intro,
        "",
        "| measurement | median | runs | fastest – slowest | target | met | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for figure in figures:
        spread = (
            f"{_format(min(figure.samples), figure.unit)} – {_format(max(figure.samples), figure.unit)}"
            if len(figure.samples) > 1
            else ""
        )
        shown = f"> {_format(figure.value, figure.unit)}" if figure.stopped else _format(figure.value, figure.unit)
        met = {True: "yes", False: "**no**", None: "—"}[figure.met]
        lines.append(
            f"| {figure.name} | {shown} | {len(figure.samples)} | {spread} | {figure.target} | {met} | {figure.note} |"
        )
    missed = [f for f in figures if not f.met and f.why]
    if missed:
        lines += ["", "Missed, and why:", ""] + [f"- {f.name}: {f.why}." for f in missed]
    section = "\n".join(lines) + "\n"
    write_section(out, heading, section)


def pages_only(findings: int, runs: int, out: Path) -> None:
    """Time the dashboard pages alone and put them in their own section of the results."""
    started, load_before = time.perf_counter(), _load()
    folder = bundle(findings)
    database = _fresh_copy(_template(), "pages.db")
    result = import_bundle(db.get_engine(_url(database)), sources_from_paths([folder]), LOCAL_ADMIN)
    if not result.ok:
        raise RuntimeError("the synthetic bundle did not import")
    _dispose(database)
    figures = measure_pages(database, runs)
    _verdicts(figures)
    conditions = (
        f"load average {load_before} at the start and {_load()} at the end (1, 5, 15 min); "
        f"the run took {(time.perf_counter() - started) / 60:.1f} min with the import"
    )
    lines = [
        PAGES_HEADING,
        "",
        f"Written by `python -m bench --pages` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, on the "
        f"{findings:,}-finding database (193 States, one follow-up each), at the pages' default level "
        "(Committee) unless a line says otherwise; each page runs through Streamlit's AppTest in this process, so "
        "the browser's drawing is not included. A choice is timed from the rerun it causes after a first render "
        f"from empty caches; a choice that reads another level or State finds nothing cached for it. {conditions}.",
        "",
        "| measurement | median | runs | fastest – slowest | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for figure in figures:
        spread = (
            f"{_format(min(figure.samples), figure.unit)} – {_format(max(figure.samples), figure.unit)}"
            if len(figure.samples) > 1
            else ""
        )
        met = "yes" if figure.met else "**no**"
        lines.append(
            f"| {figure.name} | {_format(figure.value, figure.unit)} | {len(figure.samples)} | {spread} | "
            f"{figure.target} | {met} |"
        )
    write_section(out, PAGES_HEADING, "\n".join(lines) + "\n")
    _print_table(figures)
    print(f"\n{conditions}; written to {out}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run (10,000 and 100,000 findings, one run each)")
    parser.add_argument("--findings", type=int, help="findings in the timed bundle (default 100,000)")
    parser.add_argument(
        "--peak-findings", type=int, help="findings in the bundle whose import memory is measured (default 1,000,000)"
    )
    parser.add_argument("--runs", type=int, help="runs per measurement (default 3; 5 for import and export)")
    parser.add_argument("--out", type=Path, help="where to write the results (default bench/RESULTS.md)")
    parser.add_argument(
        "--pages",
        action="store_true",
        help="only the dashboard pages, on the 100,000-finding database imported once; rewrites their section of "
        "the results",
    )
    parser.add_argument(
        "--only",
        choices=["continuity", "waiting"],
        help="run one part alone: continuity (the evaluation sets' precision@1, recall@3 and new findings "
        "with a suggestion, each on a set not used for tuning, and the speed of suggestions; results to bench/data/RESULTS-continuity.md), or waiting "
        "(command start, the State DOCX and the period reports; rewrites their section of the results)",
    )
    args = parser.parse_args(argv)
    findings = args.findings or (10_000 if args.quick else 100_000)
    peak_findings = args.peak_findings or (100_000 if args.quick else 1_000_000)
    runs = args.runs or (1 if args.quick else 3)
    # Import and export swing most with what else the machine runs, so they get more turns.
    bulk_runs = args.runs or (1 if args.quick else 5)
    out = args.out or (DATA / "RESULTS-quick.md" if args.quick else HERE / "RESULTS.md")
    DATA.mkdir(parents=True, exist_ok=True)
    if args.pages:
        pages_only(findings, runs, out)
        return
    if args.only == "waiting":
        waiting_only(findings, runs, out)
        return
    if args.only == "continuity":
        run_continuity(findings, runs, args.out or DATA / "RESULTS-continuity.md")
        return

    started, load_before = time.perf_counter(), _load()
    folder = bundle(findings)
    template = _template()
    figures, missing = [], []

    import_figures, database = measure_import(folder, template, bulk_runs)
    figures += import_figures
    figures.append(measure_export(database, bulk_runs))

    # The period reports come last, each stopped at what is left of the whole run's time.
    def cutoff() -> float:
        return max(30.0, min(PERIOD_CUTOFF, (DEADLINE - (time.perf_counter() - started)) / 2))

    steps = [
        ("comparison (tracker.services.progress.comparison)", lambda: measure_comparison(database, max(runs, 5))),
        ("tracking matrix (tracker.services.bundle.matrix)", lambda: _matrix_figures(database, folder, template, runs)),
        ("dashboard pages (tracker/ui)", lambda: measure_pages(database, runs)),
        ("reports (tracker.services.reports)", lambda: measure_reports(database, runs, budget=60)),
        (
            "continuity suggestions (tracker.services.continuity.suggestions)",
            lambda: measure_continuity(database, runs),
        ),
        ("peak memory", lambda: [measure_peak_memory(bundle(peak_findings), template, peak_findings)]),
        ("command start (tracker --help, tracker compare)", lambda: waiting.command_start(DATA, PROJECT, runs, Figure)),
        ("first dashboard page (tracker dashboard)", lambda: waiting.first_page(DATA, PROJECT, runs, Figure)),
        (
            "tracker import, whole process",
            lambda: waiting.import_whole_process(DATA, PROJECT, folder, template, runs, Figure),
        ),
        (
            "period report Markdown (tracker report --period)",
            lambda: [measure_period_report(database, "md", runs, cutoff())],
        ),
        (
            "a save during a large import",
            lambda: measure_save_during_import(bundle(peak_findings), template, peak_findings),
        ),
        (
            "period report DOCX (tracker report --period)",
            lambda: [measure_period_report(database, "docx", runs, cutoff())],
        ),
        (
            "period report HTML (tracker report --period)",
            lambda: [measure_period_report(database, "html", runs, cutoff())],
        ),
    ]
    for name, step in steps:
        try:
            figures += step()
        except ImportError as error:
            missing.append(f"{name}: not available yet ({error})")
        except Exception as error:  # one failed measurement must not lose the others
            _log(traceback.format_exc())
            missing.append(
                f"{name}: failed ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
            )
    _verdicts(figures)

    total = time.perf_counter() - started
    conditions = (
        f"load average {load_before} at the start and {_load()} at the end (1, 5, 15 min); "
        f"the whole run took {total / 60:.1f} min"
    )
    counts = _rows(folder)
    data = {
        "timed bundle": f"{findings:,} findings, seed {SEED}: "
        + ", ".join(f"{name} {n:,}" for name, n in counts.items()),
        "timed database": f"SQLite, {database.stat().st_size / 1024 / 1024:.0f} MB after the import",
    }
    sections = {"Continuity suggestions: quality": continuity_quality()}
    out.write_text(markdown(figures, machine(), data, missing, conditions, sections), encoding="utf-8")
    _print_table(figures)
    for line in missing:
        print(f"not measured: {line}")
    print(f"\n{conditions}; written to {out}")


if __name__ == "__main__":
    main()
