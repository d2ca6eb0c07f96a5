"""The dashboard's Reports page: choose, generate, preview and download, within the reader's clearance."""

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_TIMEOUT
from tests.services.test_reports import STATE_SECTIONS, above
from tracker.models import Confidentiality, Role
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.reports import estimate
from tracker.services.reports.model import numbered, section_number

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
PAGE = "tracker/ui/reports.py"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


def reports_page() -> AppTest:
    app = AppTest.from_file(DASHBOARD, default_timeout=APP_TIMEOUT).run()
    return app.switch_page(PAGE).run()


def generate(app: AppTest) -> AppTest:
    return next(b for b in app.button if b.label == "Generate report").click().run()


def last_report(app: AppTest) -> dict:
    return app.session_state["reports:last"]


def test_the_page_generates_a_state_report_previews_it_and_offers_the_file(demo_engine):
    app = reports_page()
    app.radio(key="reports:format").set_value("md").run()

    app = generate(app)

    assert not app.exception and not app.error
    report = last_report(app)
    assert report["name"] == "report-KOR-2023-committee.md" and report["mime"] == "text/markdown"
    text = report["data"].decode()
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == [
        numbered(section_number(1, n), heading) for n, heading in enumerate(STATE_SECTIONS, start=1)
    ]
    assert [hidden for hidden in above("committee") if hidden in text + report["preview"]] == []
    assert report["preview"].startswith("<!DOCTYPE html>")
    assert [d.proto.label for d in app.get("download_button")] == ["Download report-KOR-2023-committee.md"]


def test_the_period_defaults_to_the_year_of_the_latest_follow_up(demo_engine):
    app = reports_page()
    app.radio(key="reports:scope").set_value("Every follow-up visit that started in a period").run()

    # The demo's latest follow-up visit, KOR-2023, started in 2023: the period has data.
    assert app.date_input(key="reports:period").value == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    assert app.radio(key="reports:sort").value == "state"
    assert not any(c.value.startswith("No follow-up visit started") for c in app.caption)


def test_a_changed_form_clears_the_preview_of_the_report_written_before(demo_engine):
    app = generate(reports_page())
    assert last_report(app) and len(app.get("iframe")) == 1

    app.selectbox(key="reports:level").set_value("public").run()

    assert not app.exception and not app.error
    assert "reports:last" not in app.session_state
    assert app.get("iframe") == [] and app.get("download_button") == []


def test_the_preview_stays_while_the_form_is_unchanged(demo_engine):
    app = generate(reports_page())

    app.run()

    assert last_report(app) and len(app.get("iframe")) == 1


def test_the_page_generates_a_period_report(demo_engine):
    app = reports_page()
    app.radio(key="reports:scope").set_value("Every follow-up visit that started in a period").run()
    app.date_input(key="reports:period").set_value((dt.date(2023, 1, 1), dt.date(2023, 12, 31))).run()
    app.radio(key="reports:format").set_value("html").run()

    assert [c.value for c in app.caption if "follow-up visit:" in c.value] == [
        "1 follow-up visit: about 12 pages, written in about 5 seconds."
    ]
    app = generate(app)

    assert not app.exception and not app.error
    report = last_report(app)
    assert report["name"] == "report-2023-01-01-to-2023-12-31-committee.html"
    page = report["data"].decode()
    assert "<title>Follow-up visits, 1 January – 31 December 2023</title>" in page
    assert "Republic of Korea: follow-up visit KOR-2023" in page


def test_a_very_large_period_report_asks_first(demo_engine, monkeypatch):
    monkeypatch.setattr(estimate, "LARGE_PAGES", 10)
    app = reports_page()
    app.radio(key="reports:scope").set_value("Every follow-up visit that started in a period").run()
    app.date_input(key="reports:period").set_value((dt.date(2000, 1, 1), dt.date(2030, 12, 31))).run()

    assert [w.value for w in app.warning] == [
        "This report covers 1 follow-up visit: about 12 pages, written in about 5 seconds. "
        "A shorter period gives a shorter report."
    ]
    button = next(b for b in app.button if b.label == "Generate report")
    assert button.disabled
    app.checkbox(key="reports:confirm-large").check().run()
    assert not next(b for b in app.button if b.label == "Generate report").disabled


def test_a_period_with_no_follow_up_says_so(demo_engine):
    app = reports_page()
    app.radio(key="reports:scope").set_value("Every follow-up visit that started in a period").run()
    app.date_input(key="reports:period").set_value((dt.date(2024, 1, 1), dt.date(2024, 12, 31))).run()

    assert "No follow-up visit started in 1 January – 31 December 2024: choose another period." in [
        c.value for c in app.caption
    ]


def test_the_page_offers_no_level_above_the_readers_clearance(demo_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    users.add_user(
        demo_engine, LOCAL_ADMIN, users.validated_user("reader", PASSWORD, Role.viewer, Confidentiality.member_states)
    )
    app = AppTest.from_file(DASHBOARD, default_timeout=APP_TIMEOUT).run()
    app.text_input[0].input("reader")
    app.text_input[1].input(PASSWORD)
    app = app.button[0].click().run().switch_page(PAGE).run()
    app.radio(key="reports:format").set_value("md").run()

    levels = app.selectbox(key="reports:level")
    app = generate(app)

    assert levels.options == ["Public", "UN Platform", "Member States"]
    assert levels.value == "member_states"
    text = last_report(app)["data"].decode()
    assert "**Confidentiality level: Member States**" in text
    assert [hidden for hidden in above("member_states") if hidden in text] == []


def test_the_page_offers_only_the_follow_ups_the_chosen_level_shows(demo_engine, tmp_path):
    from tests.conftest import followup_row, write_bundle
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths

    later = followup_row("KOR-2030", "KOR-2009", start_date="2030-03-01", end_date="2030-03-04")
    bundle = write_bundle(tmp_path / "later", visits=[later | {"confidentiality": "restricted"}])
    assert import_bundle(demo_engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok
    app = reports_page()
    app.radio(key="reports:format").set_value("md").run()

    assert app.selectbox(key="reports:followup").options == ["KOR-2023 · Republic of Korea, 22–25 May 2023"]
    app = generate(app)
    assert not app.exception and not app.error
    assert last_report(app)["name"] == "report-KOR-2023-committee.md"

    app.selectbox(key="reports:level").set_value("restricted").run()
    assert app.selectbox(key="reports:followup").options[0].startswith("KOR-2030 · Republic of Korea")
