"""The cross-State index kept per level and State stays what it would be worked out afresh, after every kind of write.

Each test keeps the index first, then writes through one path and reads it again: a write that
left no trace for the kept scores would show the figures of before. "Afresh" is the index read
once nothing is kept.
"""

import importlib.util
import re
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

import tracker
from tests.conftest import assessment_row, finding_row, write_bundle
from tests.services.test_history_index import Q, longer_history
from tracker.config import get_settings
from tracker.models import (
    Assessment,
    Confidentiality,
    Finding,
    RegisterChange,
    RegisterFloor,
    RegisterKept,
    RegisterScore,
    Role,
    ThematicArea,
    Visit,
    table_of,
)
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.continuity import suggestions
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.progress import kept_index
from tracker.services.records import editing as records
from tracker.services.records import history, withdrawal
from tracker.services.records.saving import save_assessments, save_visit

ANALYST = Actor("ann", Role.analyst, Confidentiality.restricted)
F = "KOR-2024"


def _index(engine, level=None) -> list[tuple]:
    """Every follow-up's items, scored items and score sum per top-level area: the index's inputs."""
    return sorted(kept_index.area_scores(engine, Confidentiality(level or "restricted")))


def _afresh(engine, level=None) -> list[tuple]:
    with engine.begin() as connection:
        connection.execute(delete(table_of(RegisterKept)))
    return _index(engine, level)


def _kept_levels(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(table_of(RegisterKept).c.level)).scalars())


@pytest.fixture
def kept(engine, tmp_path):
    """The longer history imported, and its index kept at the analyst's level."""
    result = import_bundle(engine, sources_from_paths([write_bundle(tmp_path / "b", **longer_history())]), LOCAL_ADMIN)
    assert result.ok, result.errors
    before = _index(engine)
    assert _kept_levels(engine) == {"restricted"}
    assert _index(engine) == before
    return before


def _changed_and_current(engine, before) -> list[tuple]:
    now = _index(engine)
    assert now != before
    assert now == _afresh(engine)
    return now


def test_a_kept_index_is_the_index_worked_out_afresh(engine, kept):
    assert kept == _afresh(engine)
    assert kept_index.AreaScores("KOR-2024", "LEG", 4, 3, 10) in kept


def test_an_import_that_changes_a_status_is_counted(engine, kept, tmp_path):
    bundle = write_bundle(tmp_path / "again", assessments=[assessment_row("B2", "not_implemented", visit_id=F)])

    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok

    now = _changed_and_current(engine, kept)
    assert kept_index.AreaScores("KOR-2024", "LEG", 4, 3, 7) in now


def test_a_form_save_its_undo_a_withdrawal_and_its_restoring_are_counted(engine, kept):
    saved = save_assessments(engine, ANALYST, F, [{"finding_id": "B2", "status": "initial_steps"}])
    after_save = _changed_and_current(engine, kept)

    history.undo(engine, ANALYST, saved.changes)
    assert _index(engine) == kept

    withdrawal.withdraw(engine, ANALYST, "finding", "B2", "entered twice")
    after_withdrawal = _changed_and_current(engine, kept)
    assert after_withdrawal != after_save

    withdrawal.restore(engine, ANALYST, "finding", "B2")
    assert _index(engine) == kept


def test_a_visit_withdrawn_and_a_scope_changed_are_counted(engine, kept):
    visit = records.get_visit(engine, ANALYST, Q)
    save_visit(engine, ANALYST, visit | {"scope": "LEG"})
    _changed_and_current(engine, kept)

    save_visit(engine, ANALYST, records.get_visit(engine, ANALYST, Q) | {"scope": "LEG;CFT"})
    assert _index(engine) == kept

    withdrawal.withdraw(engine, ANALYST, "visit", Q, "a duplicate of another visit")
    _changed_and_current(engine, kept)


def test_a_link_accepted_and_cleared_is_counted(engine, kept):
    decision = suggestions.accept_link(engine, ANALYST, "Q2", "B1")
    _changed_and_current(engine, kept)

    suggestions.undo_decision(engine, ANALYST, "accept", decision)
    assert _index(engine) == kept


def test_a_new_finding_and_a_deleted_assessment_are_counted(engine, kept):
    records.save_finding(engine, ANALYST, finding_row("F9", visit_id=Q, kind="shortfall", area="LEG"), new=True)
    _changed_and_current(engine, kept)

    # A write no service makes, straight to the table: the database's triggers see it too.
    with engine.begin() as connection:
        connection.execute(delete(table_of(Assessment)).where(table_of(Assessment).c.finding_id == "B2"))
    assert kept_index.AreaScores("KOR-2024", "LEG", 5, 2, 7) in _index(engine)
    assert _index(engine) == _afresh(engine)


def test_each_level_keeps_its_own_index_and_a_change_of_level_reaches_it(engine, kept):
    committee = _index(engine, "committee")
    assert _kept_levels(engine) == {"restricted", "committee"}

    with engine.begin() as connection:
        connection.execute(
            update(table_of(Assessment))
            .where(table_of(Assessment).c.finding_id == "B2", table_of(Assessment).c.visit_id == F)
            .values(confidentiality="restricted")
        )

    assert _index(engine, "committee") != committee
    assert _index(engine, "committee") == _afresh(engine, "committee")
    assert _index(engine) == kept


def _read_then_saved(engine) -> tuple[int, list]:
    """A reading's horizon and the scores it worked out, then a save it did not see."""
    with engine.connect() as connection:
        horizon = kept_index._horizon(connection)
        older = kept_index._worked_out(connection, Confidentiality.restricted, ["KOR"])
    save_assessments(engine, ANALYST, F, [{"finding_id": "B2", "status": "initial_steps"}])
    return horizon, older


def test_scores_worked_out_before_a_write_and_kept_after_it_still_count_the_write(engine, kept):
    horizon, older = _read_then_saved(engine)

    kept_index._keep(engine, Confidentiality.restricted, ["KOR"], older, horizon)

    now = _index(engine)
    assert now != kept
    assert now == _afresh(engine)


def test_scores_of_a_reading_older_than_the_forgotten_changes_are_not_kept(engine, kept):
    horizon, older = _read_then_saved(engine)
    now = _index(engine)
    # Nothing kept, and the changes up to the reading's horizon forgotten.
    with engine.begin() as connection:
        connection.execute(delete(table_of(RegisterKept)))
        connection.execute(update(table_of(RegisterFloor)).values(floor=horizon + 1))

    kept_index._keep(engine, Confidentiality.restricted, ["KOR"], older, horizon)

    assert _kept_levels(engine) == set()
    assert _index(engine) == now


def test_changes_counted_by_every_kept_score_are_forgotten_and_the_floor_raised(engine, kept):
    _read_then_saved(engine)
    _index(engine, "committee")
    _index(engine)
    change = table_of(RegisterChange)
    with engine.connect() as connection:
        floor = connection.execute(select(table_of(RegisterFloor).c.floor)).scalar_one()
        oldest = connection.execute(select(func.min(table_of(RegisterKept).c.horizon))).scalar_one()
        stamp = change.c.id if engine.dialect.name == "sqlite" else change.c.stamp
        left = connection.execute(select(stamp).where(change.c.state == "KOR")).scalars().all()

    assert floor == oldest
    assert all(stamp >= floor for stamp in left)


def _migration():
    path = Path(tracker.__file__).parent / "migrations" / "versions" / "0017_kept_cross_state_index.py"
    spec = importlib.util.spec_from_file_location("kept_index_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("level", list(Confidentiality))
def test_an_update_of_any_column_the_index_reads_fires_the_triggers(engine, level):
    """On SQLite the update triggers of findings and assessments watch a list of columns: every
    column of theirs the index statement reads must be on it."""
    statement = str(kept_index._scores_query(level).compile(engine))
    watched = _migration().UPDATED_COLUMNS
    for model in (Finding, Assessment):
        table = table_of(model)
        read = {column.name for column in table.columns if re.search(rf"\.{column.name}\b", statement)}
        assert read <= set(watched[table.name]), table.name


def test_a_change_of_the_areas_forgets_every_kept_score(engine, kept):
    with engine.begin() as connection:
        connection.execute(
            update(table_of(ThematicArea)).where(table_of(ThematicArea).c.code == "BM.MARITIME").values(parent="CFT")
        )

    assert _kept_levels(engine) == set()
    now = _index(engine)
    assert now != kept
    assert now == _afresh(engine)


def _triggers(engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = (
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal"
            )
        return set(connection.exec_driver_sql(query).scalars())


def test_a_large_import_notes_every_state_and_keeps_its_triggers(engine, kept, tmp_path, monkeypatch):
    triggers = _triggers(engine)
    monkeypatch.setattr(kept_index, "MANY_ROWS", 1)
    bundle = write_bundle(tmp_path / "again", assessments=[assessment_row("B2", "not_implemented", visit_id=F)])

    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok

    assert _triggers(engine) == triggers
    assert kept_index.AreaScores("KOR-2024", "LEG", 4, 3, 7) in _changed_and_current(engine, kept)
    # The triggers are back: a save after the import is counted as before.
    save_assessments(engine, ANALYST, F, [{"finding_id": "B2", "status": "fully_implemented"}])
    assert kept_index.AreaScores("KOR-2024", "LEG", 4, 3, 11) in _index(engine)
    assert _index(engine) == _afresh(engine)


def test_a_large_import_refused_keeps_the_triggers(engine, kept, tmp_path, monkeypatch):
    triggers = _triggers(engine)
    monkeypatch.setattr(kept_index, "MANY_ROWS", 1)
    bundle = write_bundle(tmp_path / "bad", assessments=[assessment_row("NOPE", "not_implemented", visit_id=F)])

    assert not import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok

    assert _triggers(engine) == triggers
    save_assessments(engine, ANALYST, F, [{"finding_id": "B2", "status": "initial_steps"}])
    _changed_and_current(engine, kept)


@pytest.mark.parametrize("many", [False, True])
def test_the_scores_of_a_state_whose_visits_are_all_deleted_are_dropped(engine, kept, monkeypatch, many):
    if many:
        monkeypatch.setattr(kept_index, "MANY_ROWS", 1)
    tables = [table_of(model) for model in (Assessment, Finding)]
    with engine.begin() as connection, kept_index.many_writes(connection, 2):
        for table in tables:
            connection.execute(delete(table))
        connection.execute(delete(table_of(Visit)))

    assert _index(engine) == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(table_of(RegisterScore))).scalar_one() == 0


def test_keeping_gives_up_rather_than_wait_for_another_writer(engine, kept):
    """A reading while another transaction holds what keeping needs is answered at once, keeps
    nothing, and leaves the connections with their usual wait for a lock."""
    with engine.begin() as connection:
        connection.execute(delete(table_of(RegisterKept)))
    with engine.connect() as writer, writer.begin():
        if engine.dialect.name == "sqlite":
            writer.exec_driver_sql("DELETE FROM register_floor WHERE 0")  # the write lock, held to the end
        else:
            writer.execute(select(table_of(RegisterFloor)).with_for_update()).all()

        assert _index(engine) == kept

    assert _kept_levels(engine) == set()
    if engine.dialect.name == "sqlite":
        pooled = [engine.connect() for _ in range(engine.pool.checkedin())]
        try:
            waits = {c.exec_driver_sql("PRAGMA busy_timeout").scalar_one() for c in pooled}
        finally:
            for c in pooled:
                c.close()
        assert waits == {get_settings().sqlite_busy_timeout_ms}
