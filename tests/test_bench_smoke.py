"""The benchmark's synthetic bundle: valid, complete and the same for the same seed (no timings here)."""

import csv
import json

import pytest
from sqlalchemy import func, select

from bench import analyze
from bench.generate import FILES, generate
from tests.conftest import POSTGRES_URL
from tracker import taxonomy
from tracker.models import TRACKABLE_KINDS, Assessment, Finding, Visit
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN


def read(folder, name) -> list[dict]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_generated_bundle_imports_whole_and_again_changes_nothing(engine, tmp_path):
    counts = generate(1000, tmp_path, seed=7)
    first = import_bundle(engine, sources_from_paths([tmp_path]), LOCAL_ADMIN)
    assert first.ok, first.errors[:5]
    assert first.counts["findings.csv"].created == 1000
    assert {name: c.created for name, c in first.counts.items()} == counts

    with engine.connect() as connection:
        states = connection.execute(select(func.count(func.distinct(Visit.state)))).scalar_one()
        followups = connection.execute(select(func.count()).where(Visit.baseline_visit_id.is_not(None))).scalar_one()
        baseline = select(Visit.baseline_visit_id).where(Visit.baseline_visit_id.is_not(None))
        trackable = connection.execute(
            select(func.count())
            .select_from(Finding)
            .where(Finding.visit_id.in_(baseline), Finding.kind.in_(TRACKABLE_KINDS))
        ).scalar_one()
        assessed = connection.execute(
            select(func.count(func.distinct(Assessment.finding_id))).where(
                Assessment.finding_id.in_(
                    select(Finding.finding_id).where(Finding.visit_id.in_(baseline), Finding.kind.in_(TRACKABLE_KINDS))
                )
            )
        ).scalar_one()
    assert states == followups == len(taxonomy.member_states()) == 193
    assert trackable > 0
    assert assessed == trackable

    again = import_bundle(engine, sources_from_paths([tmp_path]), LOCAL_ADMIN)
    assert again.ok
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())


def test_generated_bundle_spreads_over_areas_kinds_statuses_and_levels(tmp_path):
    generate(1000, tmp_path, seed=7)
    findings, assessments = read(tmp_path, "findings.csv"), read(tmp_path, "assessments.csv")
    assert {row["area"] for row in findings} <= {area.code for area in taxonomy.areas()}
    assert len({row["area"] for row in findings}) > 20
    assert len({row["kind"] for row in findings}) == 7
    assert len({row["status"] for row in assessments}) == 10
    assert len({row["confidentiality"] for row in findings}) == 6
    assert any(row["continues"] for row in findings)


def test_the_same_seed_gives_the_same_bytes(tmp_path):
    generate(1000, tmp_path / "a", seed=3)
    generate(1000, tmp_path / "b", seed=3)
    generate(1000, tmp_path / "c", seed=4)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "findings.csv").read_bytes() != (tmp_path / "c" / "findings.csv").read_bytes()


def test_the_whole_process_figures_run_the_commands_a_user_runs(tmp_path):
    """`python -m bench` measures `tracker --help`, `tracker compare KOR` and `tracker import` as processes."""
    from bench import waiting
    from bench.__main__ import PROJECT, Figure
    from tracker import db
    from tracker.services.operations.reference import init_database

    folder = tmp_path / "bundle"
    generate(300, folder, seed=1)
    template = tmp_path / "template.db"
    engine = db.get_engine(f"sqlite:///{template}")
    init_database(engine)
    engine.dispose()

    figures = waiting.command_start(tmp_path, PROJECT, 1, Figure)
    figures += waiting.import_whole_process(tmp_path, PROJECT, folder, template, 1, Figure)

    assert [figure.name for figure in figures] == [
        "`tracker --help`, whole process",
        "`tracker --help`, peak memory",
        "`tracker compare KOR` on the demo, whole process",
        "`tracker import` of the bundle into an initialised database, whole process",
    ]
    assert [len(figure.samples) for figure in figures] == [5, 5, 5, 3]
    assert all(sample > 0 for figure in figures for sample in figure.samples)


def test_the_history_bench_gives_every_state_a_focused_middle_visit(tmp_path):
    """`python -m bench.history` times the comparison over registers of two visits: its world has them."""
    from bench.history import add_middle_visits, measure_history
    from tracker import db
    from tracker.services.operations.reference import init_database
    from tracker.services.progress import comparison

    generate(1000, tmp_path / "bundle", seed=7)
    path = tmp_path / "history.db"
    engine = db.get_engine(f"sqlite:///{path}")
    init_database(engine)
    assert import_bundle(engine, sources_from_paths([tmp_path / "bundle"]), LOCAL_ADMIN).ok
    engine.dispose()

    states = add_middle_visits(path)

    followups = comparison.followup_visits(engine, LOCAL_ADMIN)
    latest = followups.drop_duplicates("state")
    assert states == len(latest) == 193 and len(followups) == 2 * states
    results = comparison.compare_many(engine, LOCAL_ADMIN, latest["visit_id"].tolist())
    assert all(result.since_previous is not None for result in results.values())
    assert sum(result.wider for result in results.values()) > 150

    figures = measure_history(path, 1)
    assert [figure.target for figure in figures] == ["< 50 ms", "< 300 ms", "< 300 ms", ""]
    assert all(sample > 0 for figure in figures for sample in figure.samples)


# Named for PostgreSQL, so that `make test-postgres` (-k postgresql) runs it; skipped when no server is set.
@pytest.mark.skipif(not POSTGRES_URL, reason="the ANALYZE figures are PostgreSQL's (TRACKER_TEST_POSTGRES_URL)")
def test_the_analyze_figures_run_on_a_small_bundle_on_postgresql(capsys, worker_id):
    analyze.main([POSTGRES_URL, "--findings", "300", "--schema", f"bench_analyze_{worker_id}"])

    figures = json.loads(capsys.readouterr().out)
    assert figures["findings"] == 300
    assert figures["overview_before_analyze_s"] > 0 and figures["overview_after_analyze_s"] > 0


def test_a_results_section_is_replaced_in_place_and_the_others_kept(tmp_path):
    from bench.results import write_section

    out = tmp_path / "RESULTS.md"
    out.write_text("# Benchmark results\n\n## A\n\nold a\n\n## B\n\nb\n", encoding="utf-8")

    write_section(out, "## A", "## A\n\nnew a\n")
    write_section(out, "## C", "## C\n\nc\n")

    assert out.read_text(encoding="utf-8") == "# Benchmark results\n\n## A\n\nnew a\n\n## B\n\nb\n\n## C\n\nc\n"


def test_the_every_state_workbook_bench_gives_this_process_cpu_time_beside_the_clock(tmp_path):
    """On a shared machine the clock counts other work: each figure of bench/across_states.py names its CPU time."""
    from bench.across_states import measure_across_states
    from tracker import db
    from tracker.services.operations.reference import init_database

    folder, database = tmp_path / "bundle", tmp_path / "across.db"
    generate(300, folder, seed=1)
    engine = db.get_engine(f"sqlite:///{database}")
    init_database(engine)
    assert import_bundle(engine, sources_from_paths([folder]), LOCAL_ADMIN).ok
    engine.dispose()

    figures = measure_across_states(database, 1)

    assert [figure.met is None for figure in figures] == [False, True, True, False, True]
    assert all(figure.note.startswith("CPU time of this process ") for figure in figures)
