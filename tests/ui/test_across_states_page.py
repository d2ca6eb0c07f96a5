"""The matrix across States on screen: every State's items, the filters analysts ask for, and a click
that opens the item, through Streamlit's AppTest."""

from sqlalchemy import update

from tests.services.test_matrix_across_states import with_finland
from tests.ui.test_pages import assert_clean, local_mode, open_page, table
from tracker.models import Finding
from tracker.services.bundle import across_states, matrix
from tracker.services.people.access import LOCAL_ADMIN

__all__ = ["local_mode"]
PAGE = "tracker/ui/across_states.py"


def test_every_state_item_is_listed_with_its_latest_status_at_committee_level(demo_engine, tmp_path):
    with_finland(demo_engine, tmp_path / "fin")

    app = open_page(PAGE)

    assert_clean(app)
    shown = table(app, "Evidence")
    expected = across_states.combined_items(matrix.all_matrices(demo_engine, LOCAL_ADMIN, "committee"))
    assert shown["Id"].tolist() == expected["Id"].tolist()
    assert set(shown["State"]) == {"FIN", "KOR"}
    assert "FIN-2010-F03" not in set(shown["Id"])
    assert app.caption[0].value.startswith(f"{len(expected)} of {len(expected)} items under follow-up in 2 of 2 States")


def test_every_open_cft_recommendation_in_every_state(demo_engine, tmp_path):
    with_finland(demo_engine, tmp_path / "fin")
    with demo_engine.begin() as connection:
        connection.execute(update(Finding).where(Finding.finding_id == "FIN-2010-F01").values(area="CFT"))
    app = open_page(PAGE)
    every = table(app, "Evidence")

    app.multiselect(key="across:areas").set_value(["CFT"]).run()
    app.multiselect(key="across:kinds").set_value(["recommendation"]).run()
    app.multiselect(key="across:groups").set_value(["progressing"]).run()

    assert_clean(app)
    shown = table(app, "Evidence")
    expected = every[
        every["Area"].str.startswith("CFT")
        & (every["Kind"] == "Recommendation")
        & every["Status"].isin({"Largely implemented", "Partially implemented", "Initial steps"})
    ]
    assert shown["Id"].tolist() == expected["Id"].tolist()
    assert "FIN-2010-F01" in set(shown["Id"])
    assert (app.query_params["area"], app.query_params["group"]) == ("CFT", "progressing")


def test_a_region_a_state_priority_and_items_not_assessed_narrow_the_list(demo_engine, tmp_path):
    with_finland(demo_engine, tmp_path / "fin")
    app = open_page(PAGE)
    every = table(app, "Evidence")
    finland = every[every["State"] == "FIN"]

    app.multiselect(key="across:regions").set_value([finland["Region"].iloc[0]]).run()
    assert set(table(app, "Evidence")["State"]) == {"FIN"}

    app.multiselect(key="across:regions").set_value([]).run()
    app.multiselect(key="across:states").set_value(["KOR"]).run()
    app.checkbox(key="across:priority").check().run()
    shown = table(app, "Evidence")
    assert set(shown["State"]) == {"KOR"} and set(shown["Priority"]) == {"Yes"}

    app.multiselect(key="across:states").set_value([]).run()
    app.checkbox(key="across:priority").uncheck().run()
    app.multiselect(key="across:groups").set_value(["none"]).run()
    assert table(app, "Evidence")["Id"].tolist() == ["FIN-2010-F02"]

    app.multiselect(key="across:groups").set_value(["open"]).run()
    app.multiselect(key="across:states").set_value(["FIN"]).run()
    assert_clean(app)
    assert [i.value for i in app.info] == ["No item matches these filters."]


def test_with_no_follow_up_the_page_says_how_to_get_one(engine):
    app = open_page(PAGE)

    assert_clean(app)
    assert "No State has a follow-up visit" in app.info[0].value
