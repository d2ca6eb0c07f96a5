"""The cross-State index counts each register as the comparison does, over longer chains.

Added to the history of tests/services/test_history.py: a follow-up KOR-2020 on LEG and CFT between
KOR-2017 and KOR-2024. It raises Q1, restating P1 (itself restating B3), and Q2, a LEG gap; it
assesses B1. KOR-2024 also assesses B3, at the same visit as P1: the restatement counts.
"""

import pytest

from tests.conftest import HISTORY_VISITS, assessment_row, finding_row, followup_row, history_bundle, write_bundle
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress import comparison

B, P, F = HISTORY_VISITS
Q = "KOR-2020"


def longer_history() -> dict[str, list[dict]]:
    bundle = history_bundle()
    bundle["visits"].insert(
        2, followup_row(Q, baseline=B, start_date="2020-02-01", end_date="2020-02-03", scope="LEG;CFT")
    )
    bundle["findings"] += [
        finding_row("Q1", visit_id=Q, kind="shortfall", area="CFT", continues="P1"),
        finding_row("Q2", visit_id=Q, kind="shortfall", area="LEG"),
    ]
    bundle["assessments"] += [
        assessment_row("B1", "largely_implemented", visit_id=Q, assessed_on="2020-02-03"),
        assessment_row("B3", "fully_implemented", visit_id=F, assessed_on="2024-04-03"),
    ]
    return bundle


def index_by_followup(engine, level: str | None = None) -> dict[str, list[tuple]]:
    frame = comparison.cross_state_index(engine, LOCAL_ADMIN, level)
    found: dict[str, list[tuple]] = {}
    for row in frame.itertuples():
        index = None if row.implementation_index != row.implementation_index else row.implementation_index
        found.setdefault(row.followup_visit, []).append((row.area, index, row.scored_items))
    return found


def compared_by_followup(engine, followups, level: str | None = None) -> dict[str, list[tuple]]:
    found = {}
    for followup in followups:
        block = comparison.compare(engine, LOCAL_ADMIN, "KOR", followup, level).all_items
        areas = [(area.area, area.implementation_index, area.scored_items) for area in block.areas]
        found[followup] = [row for row in areas if row[2] or row[1] is not None] + [
            ("ALL", block.totals.implementation_index, block.totals.scored_items)
        ]
    return found


@pytest.mark.parametrize("level", [None, "committee"])
def test_the_cross_state_index_agrees_with_every_comparison_of_a_longer_history(engine, tmp_path, level):
    bundle = longer_history()
    if level:
        # At committee level the middle visit KOR-2017 is hidden, and with it P1-P4 and their assessments.
        bundle["visits"][1]["confidentiality"] = "restricted"
    result = import_bundle(engine, sources_from_paths([write_bundle(tmp_path / "b", **bundle)]), LOCAL_ADMIN)
    assert result.ok, result.errors

    index = index_by_followup(engine, level)
    expected = compared_by_followup(engine, index, level)

    assert sorted(index) == ([Q, F] if level else [P, Q, F])
    for followup, rows in index.items():
        # An area with items but none scored is in the index with no figure.
        assert [row for row in rows if row[2] or row[0] == "ALL"] == expected[followup], followup


def test_the_restatement_at_the_same_visit_counts_and_the_later_status_is_carried(engine, tmp_path):
    bundle = longer_history()
    result = import_bundle(engine, sources_from_paths([write_bundle(tmp_path / "b", **bundle)]), LOCAL_ADMIN)
    assert result.ok, result.errors

    index = index_by_followup(engine)

    # At KOR-2024, every area: B1 largely (3) carried from KOR-2020; B3's chain partially (2), P1's
    # assessment beside B3's at the same visit; Q2 not assessed. LEG: B1 3 + B2 3 + P3 4 = 10/12 = 83.3.
    # CFT: B3 2 + B4 3 = 5/8 = 62.5 (P4 not assessed). All: 3 + 3 + 2 + 3 + 4 + 1 + 0 + 3 + 4 = 23/36 = 63.9.
    assert ("LEG", 83.3, 3) in index[F] and ("CFT", 62.5, 2) in index[F]
    assert index[F][-1] == ("ALL", 63.9, 9)
    # At KOR-2020 (LEG and CFT): B1 largely (3), B2 partially (2) carried, P3 not assessed; B3 not
    # implemented (0) and B4 largely (3) carried, P4 not assessed. LEG 5/8 = 62.5, CFT 3/8 = 37.5,
    # All 8/16 = 50.0.
    assert index[Q] == [("LEG", 62.5, 2), ("CFT", 37.5, 2), ("ALL", 50.0, 4)]
