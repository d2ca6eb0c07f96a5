"""The benchmark's synthetic bundle: valid, complete and the same for the same seed (no timings here)."""

import csv

from sqlalchemy import func, select

from bench.generate import FILES, generate
from tracker import taxonomy
from tracker.models import TRACKABLE_KINDS, Assessment, Finding, Visit
from tracker.services.access import LOCAL_ADMIN
from tracker.services.bundle_format import sources_from_paths
from tracker.services.importer import import_bundle


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
    from tracker.services.reference import init_database

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
