"""A State's whole history: scope, the register of items, carried statuses, like for like.

One history, built here and counted by hand: a comprehensive baseline (2011), a follow-up focused
on LEG, CFT and BM (2017), and a second follow-up over every area (2024).

    KOR-2011  B1 LEG gap, B2 LEG.CRIMINALIZATION rec (priority), B3 CFT gap, B4 CFT.NPO rec,
              B5 BM.AVIATION gap, B6 STRAT gap, B7 ICT rec, B8 HR rec; B9 LEG good practice,
              B10 ICT TA need.
    KOR-2017  assesses B1 fully (4), B2 partially (2), B3 not implemented (0), B4 largely (3),
              B5 initial steps (1); raises P1 CFT gap restating B3, P2 BM.MARITIME rec (priority),
              P3 LEG gap, P4 CFT rec.
    KOR-2024  assesses B2 largely (3), P1 partially (2), B5 fully (4), B6 initial steps (1),
              B7 not implemented (0), P2 largely (3), P3 fully (4); raises F1 LEG rec (new),
              F2 CFT rec restating P4, F3 STRAT gap (new).
"""

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import HISTORY_VISITS, assessment_row, history_bundle, visit_row, write_bundle
from tests.demo_comparison import STATUSES
from tracker.cli import app
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress import comparison
from tracker.services.progress.comparison import COUNT_FIELDS

B, P, F = HISTORY_VISITS


def counts(row: tuple, carried: int = 0, followup_recs: int = 0) -> dict:
    """A row of counts in COUNT_FIELDS order, then the index and the scored items, as the JSON has them."""
    *values, index, scored = row
    return dict(zip(COUNT_FIELDS, values, strict=True)) | {
        "implementation_index": index,
        "scored_items": scored,
        "carried": carried,
        "followup_recs": followup_recs,
    }


def statuses(**found: int) -> dict:
    return {status: found.get(status, 0) for status in STATUSES}


# At KOR-2017 (scope BM, CFT, LEG) the register is KOR-2011's eight items; B6 STRAT, B7 ICT and
# B8 HR are out of scope, and so is B10, the ICT TA need: no STRAT, ICT or HR row.
#   LEG: B1 closed (4), B2 progressing (2): 6/8 = 75.0; follow-up gap P3 (new); good practice B9.
#   CFT: B3 open (0), B4 progressing (3): 3/8 = 37.5; follow-up gap P1 restates B3 (not new);
#        P4 a new recommendation.
#   BM:  B5 progressing (1): 1/4 = 25.0; P2 a new recommendation.
#   All: 10 points over 5 items: 10/20 = 50.0.
FOCUSED = {
    "state": "KOR",
    "baseline_visit": B,
    "followup_visit": P,
    #                          gaps cl pr op ex recs cl pr op ex fg new gpb gpf tab taf index n
    "areas": [
        {"area": "LEG"} | counts((1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 0, 75.0, 2)),
        {"area": "CFT"} | counts((1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 37.5, 2), followup_recs=1),
        {"area": "BM"} | counts((1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25.0, 1), followup_recs=1),
    ],
    "totals": counts((3, 1, 1, 1, 0, 2, 0, 2, 0, 0, 2, 1, 1, 0, 0, 0, 50.0, 5), followup_recs=2),
    "status_counts": statuses(
        fully_implemented=1, largely_implemented=1, partially_implemented=1, initial_steps=1, not_implemented=1
    ),
    "scope": ["LEG", "CFT", "BM"],
    "out_of_scope": 3,
}
FOCUSED["all_items"] = {
    "areas": FOCUSED["areas"],
    "totals": FOCUSED["totals"] | {"items_by_visit": {B: 5}},
    "status_counts": FOCUSED["status_counts"],
}
FOCUSED["since_previous"] = None

# At KOR-2024 (every area) KOR-2011's items have these statuses:
#   B1 fully (4) carried from KOR-2017; B2 largely (3); B3 partially (2), through P1, which restates
#   it; B4 largely (3) carried from KOR-2017; B5 fully (4); B6 initial steps (1); B7 not
#   implemented (0); B8 not assessed anywhere.
#   STRAT: B6 1/4 = 25.0; follow-up gap F3 (new).
#   LEG:   B1 + B2 = 7/8 = 87.5, B1 carried; F1 a new recommendation; good practice B9.
#   CFT:   B3 + B4 = 5/8 = 62.5, B4 carried; F2 restates P4, so it is no new recommendation.
#   BM:    B5 4/4 = 100.0.   ICT: B7 0/4 = 0.0; TA need B10.   HR: B8 excluded, no index.
#   All:   1 + 4 + 3 + 2 + 3 + 4 + 0 = 17 points over 7 items: 17/28 = 60.7.
SECOND = {
    "state": "KOR",
    "baseline_visit": B,
    "followup_visit": F,
    #                          gaps cl pr op ex recs cl pr op ex fg new gpb gpf tab taf index n
    "areas": [
        {"area": "STRAT"} | counts((1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 25.0, 1)),
        {"area": "LEG"} | counts((1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 87.5, 2), 1, 1),
        {"area": "CFT"} | counts((1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 62.5, 2), carried=1),
        {"area": "BM"} | counts((1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100.0, 1)),
        {"area": "ICT"} | counts((0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0.0, 1)),
        {"area": "HR"} | counts((0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, None, 0)),
    ],
    "totals": counts((4, 2, 2, 0, 0, 4, 0, 2, 1, 1, 1, 1, 1, 0, 1, 0, 60.7, 7), carried=2, followup_recs=1),
    "status_counts": statuses(
        fully_implemented=2,
        largely_implemented=2,
        partially_implemented=1,
        initial_steps=1,
        not_implemented=1,
        not_assessed=1,
    ),
    "scope": None,
    "out_of_scope": 0,
}
# All items under follow-up at KOR-2024: KOR-2011's eight and the three KOR-2017 raised (P1 is
# B3's item): P2 BM rec largely (3), P3 LEG gap fully (4), P4 CFT rec not assessed.
#   LEG: B1 + P3 closed, B2 progressing: 11/12 = 91.7.   CFT: P4 excluded beside B3 and B4: 62.5.
#   BM:  B5 closed, P2 progressing: 7/8 = 87.5.
#   All: 17 + 3 + 4 = 24 points over 9 items: 24/36 = 66.7.
SECOND["all_items"] = {
    "areas": [
        SECOND["areas"][0],
        {"area": "LEG"} | counts((2, 2, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 91.7, 3), 1, 1),
        {"area": "CFT"} | counts((1, 0, 1, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 62.5, 2), carried=1),
        {"area": "BM"} | counts((1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 87.5, 2)),
        *SECOND["areas"][4:],
    ],
    # Gaps B1 P3 B5 closed, B3 B6 progressing; recs B2 B4 P2 progressing, B7 open, B8 P4 excluded.
    "totals": counts((5, 3, 2, 0, 0, 6, 0, 3, 1, 2, 1, 1, 1, 0, 1, 0, 66.7, 9), carried=2, followup_recs=1)
    | {"items_by_visit": {B: 8, P: 3}},
    "status_counts": statuses(
        fully_implemented=3,
        largely_implemented=3,
        partially_implemented=1,
        initial_steps=1,
        not_implemented=1,
        not_assessed=2,
    ),
}
# Like for like: KOR-2017's register within both scopes is B1-B5, all scored at both visits.
#   Then: 4 + 2 + 0 + 3 + 1 = 10/20 = 50.0.   Now: 4 + 3 + 2 + 3 + 4 = 16/20 = 80.0.
SECOND["since_previous"] = {"followup": P, "items": 5, "index_then": 50.0, "index_now": 80.0}


def test_the_focused_visit_counts_only_the_areas_it_covered(history_engine):
    result = comparison.compare(history_engine, LOCAL_ADMIN, "KOR", P)

    assert result.scope == ["LEG", "CFT", "BM"]
    assert result.out_of_scope == 3
    assert [area.area for area in result.areas] == ["LEG", "CFT", "BM"]
    assert result.to_json() == FOCUSED


def test_the_second_follow_up_carries_statuses_and_counts_every_item(history_engine):
    result = comparison.compare(history_engine, LOCAL_ADMIN, "KOR")

    assert result.followup_visit == F
    assert (result.totals.carried, result.all_items.totals.carried) == (2, 2)
    assert result.all_items.totals.items_by_visit == {B: 8, P: 3}
    assert result.to_json() == SECOND


def test_carried_statuses_name_the_visit_they_come_from(history_engine):
    items = comparison.item_table(history_engine, LOCAL_ADMIN, F)
    tracked = items[items["role"].isin(["baseline", "intermediate"])].set_index("finding_id")

    # B1 and B4 keep KOR-2017's status; B3's comes from P1 at KOR-2024; B8 and P4 have none.
    assert tracked.loc[["B1", "B4"], "status_visit"].tolist() == [P, P]
    assert tracked.loc[["B1", "B4"], "carried"].tolist() == [True, True]
    assert (tracked.loc["B3", "status"], tracked.loc["B3", "status_visit"], tracked.loc["B3", "carried"]) == (
        "partially_implemented",
        F,
        False,
    )
    assert tracked.loc[["B8", "P4"], "status"].tolist() == ["not_assessed", "not_assessed"]
    assert tracked.loc[["P2", "P3", "P4"], "role"].tolist() == ["intermediate"] * 3
    assert tracked.loc[["P2", "P3", "P4"], "visit_id"].tolist() == [P] * 3
    assert "P1" not in tracked.index


def test_the_focused_visit_lists_no_item_out_of_its_scope(history_engine):
    items = comparison.item_table(history_engine, LOCAL_ADMIN, P)

    baseline = items[items["role"] == "baseline"]
    assert baseline["finding_id"].tolist() == ["B1", "B2", "B3", "B4", "B5"]


def test_priority_items_come_from_every_visit_of_the_register(history_engine):
    items = comparison.item_table(history_engine, LOCAL_ADMIN, F)

    priorities = comparison.priority_items(items)

    assert [(item.finding_id, item.status) for item in priorities] == [
        ("B2", "largely_implemented"),
        ("P2", "largely_implemented"),
    ]


def test_the_cross_state_index_is_over_every_item_in_scope(history_engine):
    index = comparison.cross_state_index(history_engine, LOCAL_ADMIN)

    overall = index[index["area"] == "ALL"].set_index("followup_visit")
    assert overall.loc[F, ["implementation_index", "scored_items"]].tolist() == [66.7, 9]
    assert overall.loc[P, ["implementation_index", "scored_items"]].tolist() == [50.0, 5]
    # The focused visit shows only the areas it covered.
    assert index[index["followup_visit"] == P]["area"].tolist() == ["LEG", "CFT", "BM", "ALL"]


def test_a_hidden_middle_visit_takes_its_items_and_assessments_with_it(engine, tmp_path):
    bundle = history_bundle()
    bundle["visits"][1]["confidentiality"] = "restricted"
    assert import_bundle(engine, sources_from_paths([write_bundle(tmp_path / "b", **bundle)]), LOCAL_ADMIN).ok

    result = comparison.compare(engine, LOCAL_ADMIN, "KOR", level="committee")

    # Without KOR-2017 nothing is carried, P1-P4 are gone (F2 now continues nothing visible, so it
    # is a new recommendation), and there is no earlier follow-up to compare with.
    #   B1, B4, B8 not assessed; B3 has only P1's assessment, which is gone: not assessed.
    #   B2 3 + B5 4 + B6 1 + B7 0 = 8 points over 4 items: 8/16 = 50.0.
    assert result.totals.carried == 0
    assert result.totals.followup_recs == 2
    assert (result.totals.implementation_index, result.totals.scored_items) == (50.0, 4)
    assert result.all_items.totals.items_by_visit == {B: 8}
    assert result.since_previous is None


def test_since_previous_is_null_at_the_first_follow_up(history_engine):
    assert comparison.compare(history_engine, LOCAL_ADMIN, "KOR", P).since_previous is None


runner = CliRunner()


def test_compare_json_prints_the_whole_history(history_engine):
    result = runner.invoke(app, ["compare", "KOR", "--format", "json"])

    assert result.exit_code == 0, result.output
    assert result.stdout == json.dumps(SECOND, indent=2) + "\n"


def test_compare_table_names_the_scope_and_every_item(history_engine):
    focused = runner.invoke(app, ["compare", "KOR", "--followup", P])
    second = runner.invoke(app, ["compare", "KOR"])

    assert focused.exit_code == second.exit_code == 0
    assert "Scope of KOR-2017: LEG, CFT, BM; 3 baseline items out of scope." in focused.stdout
    assert "All 11 items under follow-up (8 at KOR-2011, 3 at KOR-2017):" in second.stdout
    assert "Since the previous follow-up KOR-2017, over the same 5 items: index 50.0 then, 80.0 now." in second.stdout


def test_an_assessment_outside_the_visits_scope_is_refused(history_engine, tmp_path):
    bundle = {"assessments": [assessment_row("B6", "initial_steps", visit_id=P, assessed_on="2017-06-03")]}

    result = import_bundle(history_engine, sources_from_paths([write_bundle(tmp_path / "b", **bundle)]), LOCAL_ADMIN)

    assert [str(error) for error in result.errors] == [
        "assessments.csv:2: visit_id: finding B6 is in area STRAT, outside the scope of visit KOR-2017; "
        "add STRAT to the visit's scope, or assess it at a visit that covered STRAT"
    ]


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (
            "LEG;XYZ",
            "visits.csv:2: scope: XYZ is not a thematic area; list top-level area codes such as LEG;CFT;BM, "
            "or leave it blank for every area",
        ),
        (
            "bm.aviation",
            "visits.csv:2: scope: BM.AVIATION is a sub-area; a scope lists top-level areas, so write BM instead",
        ),
    ],
)
def test_a_scope_names_top_level_areas(engine, tmp_path, scope, message):
    bundle = {"visits": [visit_row(B, start_date="2011-03-01", end_date="2011-03-04", scope=scope)]}

    result = import_bundle(engine, sources_from_paths([write_bundle(tmp_path / "b", **bundle)]), LOCAL_ADMIN)

    assert [str(error) for error in result.errors] == [message]


@pytest.mark.parametrize("form", ["folder", "bundle.xlsx"])
def test_a_scope_survives_export_and_import_byte_for_byte(history_engine, tmp_path, request, form):
    from tests.services.test_bundle import _fresh_database
    from tracker.services.bundle.exporter import export_bundle

    first = tmp_path / "first"
    export_bundle(history_engine, first, LOCAL_ADMIN)
    export_bundle(history_engine, tmp_path / form, LOCAL_ADMIN)
    fresh = _fresh_database(history_engine, request, tmp_path)
    assert import_bundle(fresh, sources_from_paths([tmp_path / form]), LOCAL_ADMIN).ok
    second = tmp_path / "second"
    export_bundle(fresh, second, LOCAL_ADMIN)

    visits = (first / "visits.csv").read_text(encoding="utf-8").splitlines()
    assert visits[0].split(",")[6:8] == ["baseline_visit_id", "scope"]
    # A blank scope is exported blank; a scope, its codes in order.
    assert [line.split(",")[7] for line in visits[1:]] == ["", "BM;CFT;LEG", ""]
    for name in ("visits.csv", "findings.csv", "assessments.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    package = json.loads((first / "datapackage.json").read_text(encoding="utf-8"))
    visit_fields = next(r for r in package["resources"] if r["path"] == "visits.csv")["schema"]["fields"]
    assert "scope" in [f["name"] for f in visit_fields]


def test_the_matrix_of_the_history_reads_back_unchanged_and_onto_the_restatement(history_engine, tmp_path):
    import openpyxl

    from tracker.services.bundle import matrix

    path = tmp_path / "matrix.xlsx"
    matrix.save_matrix(matrix.all_matrices(history_engine, LOCAL_ADMIN), path)
    unchanged = import_bundle(history_engine, sources_from_paths([path]), LOCAL_ADMIN, dry_run=True)
    assert unchanged.ok, [str(e) for e in unchanged.errors]
    assert all(c.created == c.updated == 0 for c in unchanged.counts.values())

    book = openpyxl.load_workbook(path)
    sheet = book["KOR"]
    header = [cell.value for cell in sheet[1]]
    assert header[8] == "Raised at"
    b3 = next(row for row in range(2, sheet.max_row + 1) if sheet.cell(row, 1).value == "B3")
    # B3's cell at KOR-2024 shows the assessment of P1, which restates it: an edit there changes P1's.
    sheet.cell(b3, header.index(f"{F} status") + 1).value = "Largely implemented"
    book.save(path)
    changed = import_bundle(history_engine, sources_from_paths([path]), LOCAL_ADMIN, dry_run=True)

    assert changed.ok, [str(e) for e in changed.errors]
    assert [(c.key, c.field, c.old, c.new) for c in changed.changes] == [
        (f"P1/{F}", "status", "partially_implemented", "largely_implemented")
    ]


def test_narrowing_a_scope_under_its_assessments_is_refused(history_engine, tmp_path):
    bundle = history_bundle()
    focused = bundle["visits"][1] | {"scope": "LEG;CFT"}

    result = import_bundle(
        history_engine, sources_from_paths([write_bundle(tmp_path / "b", visits=[focused])]), LOCAL_ADMIN
    )

    # KOR-2017 assessed B5 (BM.AVIATION): BM may not leave its scope.
    assert [str(error) for error in result.errors] == [
        "visits.csv:2: scope: finding B5 is in area BM.AVIATION (under BM), outside the scope of visit KOR-2017; "
        "add BM to the visit's scope, or assess it at a visit that covered BM"
    ]


def test_a_finding_is_offered_for_assessment_only_at_visits_that_cover_its_area(history_engine):
    from tracker.services.records import editing as records

    _, _, later = records.finding_panel(history_engine, LOCAL_ADMIN, "B6")

    assert later["visit_id"].tolist() == [F]
    assert records.finding_panel(history_engine, LOCAL_ADMIN, "B1")[2]["visit_id"].tolist() == [F, P]
