"""State progress shows the State's self-reported statuses beside the verified ones, never in a figure,
and counts a roundtable of several sectors once under each of them. The imports are made beside the
dashboard, so its cached reads are cleared as a save from a page would clear them."""

import streamlit as st

from tests.conftest import meeting_row, write_bundle
from tests.services.test_between_visits import item_row, update_row
from tests.services.test_bundle import run_import
from tests.ui.test_pages import assert_clean, metrics, open_page, table

PRIORITY = "KOR-2009-F15"


def test_the_self_reported_status_stands_beside_the_verified_one_and_changes_no_figure(demo_engine, tmp_path):
    before = metrics(open_page("tracker/ui/state_progress.py"))
    bundle = write_bundle(
        tmp_path / "update",
        updates=[update_row("KOR-U-2024", received_on="2024-06-28")],
        update_items=[item_row(PRIORITY, "fully_implemented", update_id="KOR-U-2024")],
    )
    assert run_import(demo_engine, bundle).ok
    st.cache_data.clear()

    app = open_page("tracker/ui/state_progress.py")

    assert_clean(app)
    assert metrics(app) == before
    claim = "Fully implemented (self-reported, 2024-06-28, KOR-U-2024)"
    priority = table(app, "evidence").set_index("finding_id")
    assert priority.at[PRIORITY, "self_reported"] == claim
    assert priority.drop(PRIORITY)["self_reported"].eq("").all()
    reported = table(app, "verified")
    assert reported["finding_id"].tolist() == [PRIORITY]
    assert reported["self_reported"].tolist() == [claim]
    assert reported["verified"].tolist() == [priority.at[PRIORITY, "status"]]
    assert "What the State reported in writing" in [header.value for header in app.subheader]


def test_a_roundtable_counts_once_under_each_of_its_sectors(demo_engine, tmp_path):
    before = table(open_page("tracker/ui/state_progress.py"), "sector").set_index("sector")["meetings"]
    roundtable = meeting_row(
        "KOR-2023-M99", kind="roundtable", sector="civil_society;academia;private_sector", partners="UNODC;IOM"
    )
    assert run_import(demo_engine, write_bundle(tmp_path / "meeting", meetings=[roundtable])).ok
    st.cache_data.clear()

    app = open_page("tracker/ui/state_progress.py")

    assert_clean(app)
    after = table(app, "sector").set_index("sector")["meetings"]
    added = after.sub(before, fill_value=0)
    assert added[added > 0].to_dict() == {"Private sector": 1, "Civil society": 1, "Academia": 1}
    assert any(
        "a meeting of several sectors, such as a roundtable, counts once under each" in c.value for c in app.caption
    )
