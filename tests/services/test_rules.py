"""Rules the pages apply, each defined once in a service: the figures a page shows are the service's."""

import pytest

from tracker.models import Confidentiality, Role
from tracker.services.people.access import LOCAL_ADMIN, Actor, has_full_clearance
from tracker.services.people.users import changes_sign_in
from tracker.services.progress import comparison
from tracker.services.progress.glance import OverviewFigures, overview_figures
from tracker.services.records import editing as records


def test_overview_figures_are_those_of_the_comparison(demo_engine):
    level = Confidentiality.committee
    chosen = comparison.followup_visits(demo_engine, LOCAL_ADMIN, level=level)
    index = comparison.cross_state_index(demo_engine, LOCAL_ADMIN, level)
    counts = records.finding_counts(demo_engine, LOCAL_ADMIN, level)
    result = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level=level)

    figures = overview_figures(chosen, index, counts)

    visits = {result["followup_visit"], result["baseline_visit"]}
    assert figures == OverviewFigures(
        states=1,
        followup_visits=1,
        findings=int(counts.loc[counts["visit_id"].isin(visits), "findings"].sum()),
        mean_index=result["totals"]["implementation_index"],
    )
    # No follow-up chosen: nothing counted and no mean, not a zero.
    assert overview_figures(chosen.iloc[0:0], index, counts) == OverviewFigures(0, 0, 0, None)


@pytest.mark.parametrize(
    ("disabled", "locked", "may_sign_in", "changes"),
    [
        (False, False, True, False),  # nothing to do
        (False, False, False, True),  # disable
        (True, False, True, True),  # enable again
        (True, False, False, False),  # already disabled
        (False, True, True, True),  # the switch left on lifts a lockout
        (False, True, False, True),  # disabling a locked account
    ],
)
def test_may_sign_in_changes_the_account_only_when_it_flips_or_lifts_a_lockout(disabled, locked, may_sign_in, changes):
    assert changes_sign_in(disabled=disabled, locked=locked, may_sign_in=may_sign_in) is changes


def test_only_restricted_clearance_reads_what_holds_every_level():
    cleared = [level for level in Confidentiality if has_full_clearance(Actor("a", Role.admin, level))]
    assert cleared == [Confidentiality.restricted]


def test_help_lists_come_from_the_definitions(demo_engine):
    from sqlalchemy import select
    from sqlmodel import SQLModel

    from tracker.models import WITHDRAWABLE
    from tracker.services.bundle.files import SPECS
    from tracker.services.people.audit import AUDITED_ENTITIES, IMPORT_ENTITY, audit_table
    from tracker.services.records import withdrawal

    assert set(WITHDRAWABLE) == set(withdrawal.ENTITIES)
    assert set(WITHDRAWABLE) == {t.name for t in SQLModel.metadata.sorted_tables if "withdrawn" in t.c}
    assert {spec.entity for spec in SPECS.values()} | {"user", "report_snapshot"} == set(AUDITED_ENTITIES)
    with demo_engine.connect() as connection:
        recorded = set(connection.execute(select(audit_table.c.entity).distinct()).scalars())
    assert recorded and recorded <= {*AUDITED_ENTITIES, IMPORT_ENTITY}
