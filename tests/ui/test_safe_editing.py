"""The Findings list, the panel of one finding, review before save and Undo, through AppTest."""

from sqlalchemy import select

from tests.conftest import APP_TIMEOUT
from tests.ui.test_pages import assert_clean, count, open_page, table
from tracker.models import Assessment, Finding
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import editing as records
from tracker.services.records import withdrawal

ITEM = "KOR-2009-F15"


def open_panel(finding_id: str):
    from streamlit.testing.v1 import AppTest

    from tests.ui.test_pages import DASHBOARD

    app = AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT)
    app.query_params["finding"] = finding_id
    app.run()
    app.switch_page("tracker/ui/findings.py")
    app.query_params["finding"] = finding_id
    return app.run()


def test_the_list_sorts_ids_naturally_names_areas_and_shows_priority_as_text(demo_engine):
    app = open_page("tracker/ui/findings.py", **{"findings:page_size": 50})

    listed = app.dataframe(key="findings:table").value
    assert len(listed) == 50
    ids = list(listed["finding_id"])
    assert ids.index("KOR-2009-F09") < ids.index("KOR-2009-F10")
    assert set(listed["priority"]) == {"Priority", ""}
    assert "Counter-terrorism legislation" in set(listed["area_name"])
    assert app.caption[0].value.startswith("Findings 1–50 of ")

    app.number_input(key="findings:page").set_value(2).run()

    second = app.dataframe(key="findings:table").value
    assert not set(second["finding_id"]) & set(ids)
    assert len(ids) + len(second) == count(demo_engine, Finding)


def test_the_panel_shows_the_whole_finding_its_later_status_and_its_history(demo_engine):
    stored = records.get_finding(demo_engine, LOCAL_ADMIN, ITEM)

    app = open_panel(ITEM)

    assert_clean(app)
    assert app.subheader[0].value == f"{ITEM} · {stored['title']}"
    assert any(stored["detail"][:40] in m.value.replace("\\", "") for m in app.markdown)
    assessed = table(app, "evidence")
    assert assessed[["visit_id", "status"]].values.tolist() == [["KOR-2023", "Largely implemented"]]
    history = table(app, "action")
    # One row per save: the finding's creation and its assessment's, not one per field.
    assert sorted(history[["action", "key"]].values.tolist()) == [["created", ITEM], ["created", f"{ITEM}/KOR-2023"]]


def test_assessing_in_the_panel_reviews_saves_and_undoes(demo_engine):
    app = open_panel(ITEM)
    form = f"assess:{ITEM}:KOR-2023"
    app.selectbox(key=f"{form}:status").set_value("fully_implemented")
    app.text_area(key=f"{form}:evidence").set_value("The strategy is adopted and public.")
    app.button(key=f"FormSubmitter:{form}-Review assessment").click().run()

    review = table(app, "Before")
    assert review.values.tolist()[:2] == [
        [f"{ITEM}/KOR-2023", "Status", "Largely implemented", "Fully implemented"],
        [
            f"{ITEM}/KOR-2023",
            "Evidence",
            records.finding_panel(demo_engine, LOCAL_ADMIN, ITEM)[1]["evidence"][0],
            "The strategy is adopted and public.",
        ],
    ]
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert app.success[0].value == f"Assessment of {ITEM} at KOR-2023 saved."
    assert _status(demo_engine) == "fully_implemented"

    app.button(key=f"review:{form}:undo").click().run()

    assert_clean(app)
    assert _status(demo_engine) == "largely_implemented"
    assert app.success[0].value.startswith("Undone")
    app.run()
    assert table(app, "action")["action"].tolist()[:2] == ["undone", "changed"]


def test_after_undo_the_form_shows_the_values_put_back_and_a_click_saves_nothing(demo_engine):
    stored = records.finding_panel(demo_engine, LOCAL_ADMIN, ITEM)[1]["evidence"][0]
    app = open_panel(ITEM)
    form = f"assess:{ITEM}:KOR-2023"
    app.selectbox(key=f"{form}:status").set_value("fully_implemented")
    app.text_area(key=f"{form}:evidence").set_value("The strategy is adopted and public.")
    app.button(key=f"FormSubmitter:{form}-Review assessment").click().run()
    app.button(key=f"review:{form}:confirm").click().run()
    app.button(key=f"review:{form}:undo").click().run()

    assert_clean(app)
    assert app.selectbox(key=f"{form}:status").value == "largely_implemented"
    assert app.text_area(key=f"{form}:evidence").value == stored

    app.button(key=f"FormSubmitter:{form}-Review assessment").click().run()

    assert_clean(app)
    assert [i.value for i in app.info] == ["Nothing has changed since the last save."]
    assert _status(demo_engine) == "largely_implemented"


def test_withdrawing_in_the_panel_hides_the_finding_from_the_list_and_restore_brings_it_back(demo_engine):
    app = open_panel(ITEM)
    app.text_input(key=f"withdraw:finding:{ITEM}:reason").set_value("entered twice")
    app.button(key=f"withdraw:finding:{ITEM}:go").click().run()

    assert_clean(app)
    assert "Withdrawn: entered twice" in app.warning[0].value
    assert ITEM not in set(records.list_findings(demo_engine, LOCAL_ADMIN)[0]["finding_id"])

    assert app.success[0].value == f"Finding {ITEM} withdrawn."
    app.button(key=f"restore:{ITEM}").click().run()

    assert_clean(app)
    assert not app.warning
    assert ITEM in set(records.list_findings(demo_engine, LOCAL_ADMIN)[0]["finding_id"])


def test_a_withdrawn_finding_is_on_no_page(demo_engine):
    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "finding", ITEM, "entered twice")

    for page in ("tracker/ui/state_progress.py", "tracker/ui/findings.py", "tracker/ui/reports.py"):
        app = open_page(page, **({"findings:page_size": 1000} if "findings" in page else {}))
        assert_clean(app)
        # The list of withdrawn rows (with Restore) is the one place that names it.
        listed = [m.value for e in app.expander if e.label.startswith("Withdrawn rows") for m in e.markdown]
        shown = [str(frame.value.to_dict()) for frame in app.dataframe] + [
            m.value for m in app.markdown if m.value not in listed
        ]
        assert not any(ITEM in text for text in shown), page
        assert page != "tracker/ui/findings.py" or listed == [f"**Finding {ITEM}**: entered twice"]


def test_the_import_page_shows_each_changed_field_before_confirming(demo_engine):
    app = open_page("tracker/ui/import_export.py")
    data = f"finding_id,visit_id,status\n{ITEM},KOR-2023,fully_implemented\n".encode()
    app.file_uploader[0].set_value(("assessments.csv", data, "text/csv")).run()

    assert_clean(app)
    assert table(app, "Before").values.tolist() == [
        [f"{ITEM}/KOR-2023", "Status", "Largely implemented", "Fully implemented"]
    ]
    assert _status(demo_engine) == "largely_implemented"


def _status(engine) -> str:
    with engine.connect() as connection:
        return connection.execute(
            select(Assessment.status).where(Assessment.finding_id == ITEM, Assessment.visit_id == "KOR-2023")
        ).scalar_one()


def test_a_visit_shows_its_history_and_can_be_withdrawn_and_restored_from_the_list(demo_engine):
    app = open_page("tracker/ui/visits.py", **{"visits:edit": "KOR-2023"})
    assert table(app, "action")["action"].tolist() == ["created"]

    app.text_input(key="withdraw:visit:KOR-2023:reason").set_value("recorded twice")
    app.button(key="withdraw:visit:KOR-2023:go").click().run()

    assert_clean(app)
    assert "KOR-2023" not in set(records.list_visits(demo_engine, LOCAL_ADMIN)["visit_id"])
    app.button(key="restore:visit:KOR-2023").click().run()

    assert_clean(app)
    assert "KOR-2023" in set(records.list_visits(demo_engine, LOCAL_ADMIN)["visit_id"])
