"""A State's whole history on State progress, the Overview and the tracking matrix.

The history is that of tests/services/test_history.py, whose figures are worked out there by hand.
"""

import pytest

from tests.conftest import HISTORY_VISITS
from tests.ui.test_pages import assert_clean, charts, grid_cells, index_cells, metrics, open_page, table

B, P, F = HISTORY_VISITS


@pytest.fixture(autouse=True)
def local_mode(monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)


def test_state_progress_heads_with_every_item_beside_the_baselines_figure(history_engine):
    app = open_page("tracker/ui/state_progress.py")

    assert_clean(app)
    shown = metrics(app)
    # 24/36 over all eleven items (nine scored); 17/28 over KOR-2011's items; like for like 10/20 → 16/20.
    assert shown["Index, all 11 items"] == "66.7"
    assert shown[f"Index, {B} items"] == "60.7"
    assert shown[f"Like for like since {P}, over the same 5 items"] == "50.0 → 80.0"
    register = table(app, "visit_id").set_index("finding_id")
    assert register.loc["B1", "status"] == f"Fully implemented (carried from {P})"
    assert register.loc["B4", "status"] == f"Largely implemented (carried from {P})"
    assert register.loc["B2", "status"] == "Largely implemented"
    assert register.loc[["P2", "P3", "P4"], "visit_id"].tolist() == [P, P, P]
    areas = table(app, "implementation_index").set_index("area")
    assert areas.loc["LEG", ["implementation_index", "carried", "followup_recs"]].tolist() == [91.7, 1, 1]


def test_state_progress_of_the_focused_visit_names_what_is_out_of_scope(history_engine):
    app = open_page("tracker/ui/state_progress.py")
    app.selectbox(key="progress:followup").set_value(P).run()

    assert_clean(app)
    assert any(
        f"{P} was focused on" in info.value and "Out of scope" in info.value and "(3 baseline items)" in info.value
        for info in app.info
    )
    assert metrics(app)["Index (0–100)"] == "50.0"
    assert table(app, "implementation_index")["area"].tolist() == ["LEG", "CFT", "BM"]


def test_the_overview_shows_each_follow_ups_index_over_every_item_in_scope(history_engine):
    app = open_page("tracker/ui/overview.py")

    assert_clean(app)
    shown = index_cells(app)
    assert (round(shown[(F, "All areas")], 1), round(shown[(P, "All areas")], 1)) == (66.7, 50.0)
    assert table(app, "All areas").set_index("visit_id")["scored"].to_dict() == {F: 9, P: 5}
    app.toggle(key="overview:charts").set_value(True).run()
    cells = grid_cells(next(iter(charts(app).values())))
    assert cells[(F, "All areas")] == (66.7, 9)
    assert cells[(P, "All areas")] == (50.0, 5)
    assert not any(followup == P and area == "Information and communications technologies" for followup, area in cells)


def test_the_matrix_page_lists_every_item_with_the_visit_that_raised_it(history_engine):
    app = open_page("tracker/ui/matrix.py")

    assert_clean(app)
    # Taxonomy order: by area, then sub-area, then id, whichever visit raised the item.
    shown = table(app, "Raised at").set_index("Id")
    assert shown.index.tolist() == ["B6", "B1", "P3", "B2", "B3", "P4", "B4", "B5", "P2", "B7", "B8"]
    assert shown.loc[["P2", "P3", "P4"], "Raised at"].tolist() == [P, P, P]
    # B3's cell at KOR-2024 is the assessment of P1, which restates it.
    assert shown.loc["B3", f"{F} status"] == "Partially implemented"
    assert shown.loc["B1", f"{P} status"] == "Fully implemented" and shown.loc["B1", f"{F} status"] == ""
