"""Two analysts, one record, on the pages: a confirmation made after another analyst's save puts
nothing back; the page shows a fresh review naming what moved, who moved it and when."""

from sqlalchemy import select

from tests.services.test_continuity import _clear_links
from tests.ui.test_pages import assert_clean, local_mode, open_page, table  # noqa: F401  (fixture)
from tests.ui.test_safe_editing import ITEM, open_panel
from tracker.models import Assessment, Confidentiality, Finding, Role
from tracker.services.people.access import Actor
from tracker.services.records import editing as records

BOB = Actor("bob", Role.analyst, Confidentiality.restricted)
FINDING = "KOR-2009-F01"


def stored(engine, column, *where):
    with engine.connect() as connection:
        return connection.execute(select(column).where(*where)).scalar_one()


def moved(app) -> list[list[str]]:
    return table(app, "Changed by")[["Row", "Field", "Changed by"]].values.tolist()


def test_a_finding_form_confirmed_after_another_save_shows_a_fresh_review(demo_engine):
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Add or edit", "findings:edit": FINDING})
    form = f"finding:{FINDING}"
    app.text_area(key=f"{form}:detail").set_value("Ana's detail")
    app.button(key=f"FormSubmitter:{form}-Review changes").click().run()
    drawn = records.get_finding(demo_engine, BOB, FINDING)
    records.save_finding(demo_engine, BOB, drawn | {"title": "Bob's title"}, before=drawn)

    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert stored(demo_engine, Finding.title, Finding.finding_id == FINDING) == "Bob's title"
    assert stored(demo_engine, Finding.detail, Finding.finding_id == FINDING) == drawn["detail"]
    assert moved(app) == [[FINDING, "Title", "bob"]]
    assert app.warning[0].value.startswith(f"Nothing was saved: since your review, {FINDING}: Title changed by bob at ")
    assert table(app, "Before").values.tolist() == [[FINDING, "Detail", drawn["detail"], "Ana's detail"]]
    # The form now shows Bob's title; confirming the fresh review keeps it.
    assert app.text_input(key=f"{form}:title").value == "Bob's title"
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert stored(demo_engine, Finding.title, Finding.finding_id == FINDING) == "Bob's title"
    assert stored(demo_engine, Finding.detail, Finding.finding_id == FINDING) == "Ana's detail"


def test_an_assessment_in_the_panel_confirmed_after_another_status_shows_a_fresh_review(demo_engine):
    app = open_panel(ITEM)
    form = f"assess:{ITEM}:KOR-2023"
    app.text_area(key=f"{form}:evidence").set_value("Ana's evidence")
    app.button(key=f"FormSubmitter:{form}-Review assessment").click().run()
    records.save_assessments(
        demo_engine,
        BOB,
        "KOR-2023",
        [{"finding_id": ITEM, "status": "not_implemented"}],
        before={ITEM: {"status": "largely_implemented"}},
    )

    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    where = (Assessment.finding_id == ITEM, Assessment.visit_id == "KOR-2023")
    assert stored(demo_engine, Assessment.status, *where) == "not_implemented"
    assert moved(app) == [[f"{ITEM}/KOR-2023", "Status", "bob"]]
    assert [row[:2] for row in table(app, "Before").values.tolist()] == [[f"{ITEM}/KOR-2023", "Evidence"]]
    app.button(key=f"review:{form}:confirm").click().run()

    assert_clean(app)
    assert stored(demo_engine, Assessment.status, *where) == "not_implemented"
    assert stored(demo_engine, Assessment.evidence, *where) == "Ana's evidence"


def test_the_worksheet_confirmed_after_another_status_shows_a_fresh_review(demo_engine):
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Assess at a follow-up"})
    sheet = app.data_editor(key="worksheet:KOR-2023").value
    first = sheet["finding_id"][0]
    app.session_state["worksheet:KOR-2023"] = {
        "edited_rows": {0: {"evidence": "Ana's evidence"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.button(key="worksheet:save").click().run()
    records.save_assessments(
        demo_engine,
        BOB,
        "KOR-2023",
        [{"finding_id": first, "status": "contrary_action"}],
        before={first: {"status": sheet["status"][0]}},
    )

    app.button(key="review:worksheet:KOR-2023:confirm").click().run()

    assert_clean(app)
    where = (Assessment.finding_id == first, Assessment.visit_id == "KOR-2023")
    assert stored(demo_engine, Assessment.status, *where) == "contrary_action"
    assert moved(app) == [[f"{first}/KOR-2023", "Status", "bob"]]
    assert [row[:2] for row in table(app, "Before").values.tolist()] == [[f"{first}/KOR-2023", "Evidence"]]
    app.button(key="review:worksheet:KOR-2023:confirm").click().run()

    assert_clean(app)
    assert stored(demo_engine, Assessment.status, *where) == "contrary_action"
    assert stored(demo_engine, Assessment.evidence, *where) == "Ana's evidence"


def test_an_import_confirmed_after_the_data_moved_is_checked_again(demo_engine):
    app = open_page("tracker/ui/import_export.py")
    data = f"finding_id,visit_id,status\n{ITEM},KOR-2023,fully_implemented\n".encode()
    app.file_uploader[0].set_value(("assessments.csv", data, "text/csv")).run()
    records.save_assessments(
        demo_engine,
        BOB,
        "KOR-2023",
        [{"finding_id": ITEM, "status": "not_implemented"}],
        before={ITEM: {"status": "largely_implemented"}},
    )

    app.button(key="import:confirm").click().run()

    assert_clean(app)
    where = (Assessment.finding_id == ITEM, Assessment.visit_id == "KOR-2023")
    assert stored(demo_engine, Assessment.status, *where) == "not_implemented"
    assert app.warning[0].value.startswith(
        f"Nothing was imported: since your check, {ITEM}/KOR-2023: Status changed by bob at "
    )
    assert table(app, "Before").values.tolist() == [
        [f"{ITEM}/KOR-2023", "Status", "Not implemented", "Fully implemented"]
    ]
    app.button(key="import:confirm").click().run()

    assert_clean(app)
    assert stored(demo_engine, Assessment.status, *where) == "fully_implemented"


def test_a_continuity_decision_confirmed_after_another_link_was_set_puts_nothing_back(demo_engine):
    from tracker.services.continuity import suggestions as continuity

    _clear_links(demo_engine, "KOR-2023-F06")
    app = open_page("tracker/ui/continuity.py")
    app.button(key="continuity:accept:KOR-2023-F06:KOR-2009-F03").click().run()
    continuity.accept_link(demo_engine, BOB, "KOR-2023-F06", "KOR-2009-F02", reviewed={"continues": None})

    app.button(key="review:continuity:confirm").click().run()

    assert not app.exception
    assert stored(demo_engine, Finding.continues, Finding.finding_id == "KOR-2023-F06") == "KOR-2009-F02"
    assert len(app.error) == 1
    assert app.error[0].value.startswith(
        "Nothing was saved: since your review, KOR-2023-F06: Continues changed by bob at "
    )
    assert app.error[0].value.endswith(" UTC. The suggestions below are read again.")
