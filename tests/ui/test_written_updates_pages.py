"""A State's written update recorded from the Visits page and an item's self-reported status from
the finding's panel; both shown marked self-reported, never as a visit."""

from sqlalchemy import select

from tests.ui.test_pages import assert_clean, open_page, table
from tests.ui.test_safe_editing import open_panel
from tracker.models import Update, UpdateItem
from tracker.services.bundle import matrix
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress.comparison import compare

ITEM = "KOR-2009-F15"


def test_an_update_recorded_on_the_visits_page_then_an_item_on_the_panel(demo_engine):
    before = compare(demo_engine, LOCAL_ADMIN, "KOR")
    app = open_page("tracker/ui/visits.py", **{"visits:tab": "Written updates", "updates:state": "KOR"})
    form = "update:new:KOR"
    app.text_input(key=f"{form}:update_id").set_value("KOR-U-2024")
    app.text_input(key=f"{form}:reference").set_value("Note verbale 12/2024")
    app.button(key=f"FormSubmitter:{form}-Review and add").click().run()
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert app.success[0].value == "Update KOR-U-2024 added."
    assert table(app, "update_id")[["update_id", "reference", "items"]].values.tolist() == [
        ["KOR-U-2024", "Note verbale 12/2024", 0]
    ]

    panel = open_panel(ITEM)
    form = f"update_item:{ITEM}"
    panel.selectbox(key=f"{form}:update_id").set_value("KOR-U-2024")
    panel.selectbox(key=f"{form}:status").set_value("fully_implemented")
    panel.text_area(key=f"{form}:evidence").set_value("The law was adopted in 2024.")
    panel.button(key=f"FormSubmitter:{form}-Review the self-reported status").click().run()
    panel.button(key=f"review:{form}:confirm").click().run()

    assert_clean(panel)
    said = table(panel, "received_on")
    assert said[["update_id", "status"]].values.tolist() == [["KOR-U-2024", "Fully implemented (self-reported)"]]
    with demo_engine.connect() as connection:
        assert connection.execute(select(UpdateItem.status).where(UpdateItem.finding_id == ITEM)).scalar_one() == (
            "fully_implemented"
        )
    shown = matrix.state_matrix(demo_engine, LOCAL_ADMIN, "KOR").in_words().set_index("Id")
    assert shown.loc[ITEM, "Latest State update"].startswith("Fully implemented (self-reported, ")
    assert shown.loc[ITEM, "Latest State update"].endswith(", KOR-U-2024)")
    assert compare(demo_engine, LOCAL_ADMIN, "KOR") == before


def test_an_update_added_under_a_taken_id_is_refused_beside_the_field_and_the_first_kept(demo_engine):
    def add(reference: str):
        app = open_page("tracker/ui/visits.py", **{"visits:tab": "Written updates", "updates:state": "KOR"})
        app.text_input(key=f"{form}:update_id").set_value("KOR-U-2024")
        app.text_input(key=f"{form}:reference").set_value(reference)
        return app.button(key=f"FormSubmitter:{form}-Review and add").click().run()

    form = "update:new:KOR"
    add("Note verbale 12/2024").button(key=f"review:{form}:confirm").click().run()

    app = add("Note verbale 13/2024")

    assert not app.exception
    # The page's message, and the same beside the id.
    assert [e.value for e in app.error] == [
        "nothing was saved: KOR-U-2024 already exists; choose another id.",
        "KOR-U-2024 already exists; choose another id or edit that state update",
    ]
    with demo_engine.connect() as connection:
        assert connection.execute(select(Update.reference)).scalars().all() == ["Note verbale 12/2024"]


def test_the_admin_page_adds_a_partner_and_renames_a_seeded_resolution(engine):
    from tracker.models import PartnerOrg, Resolution

    app = open_page("tracker/ui/admin.py", **{"ref:kind": "partner"})
    app.text_input(key="ref:add:partner:code").set_value("GCTF")
    app.text_input(key="ref:add:partner:name").set_value("Global Counterterrorism Forum")
    app.button(key="FormSubmitter:ref:add:partner-Add").click().run()
    assert_clean(app)

    app.session_state["ref:kind"] = "resolution"
    app.run()
    app.selectbox(key="ref:rename:resolution:key").set_value("2178")
    app.text_input(key="ref:rename:resolution:name").set_value("Foreign terrorist fighters (threats)")
    app.button(key="FormSubmitter:ref:rename:resolution-Rename").click().run()
    assert_clean(app)

    with engine.connect() as connection:
        assert connection.execute(select(PartnerOrg.name).where(PartnerOrg.code == "GCTF")).scalar_one() == (
            "Global Counterterrorism Forum"
        )
        assert connection.execute(select(Resolution.title).where(Resolution.number == 2178)).scalar_one() == (
            "Foreign terrorist fighters (threats)"
        )
