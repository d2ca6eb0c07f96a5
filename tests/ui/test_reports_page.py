"""The dashboard's Reports page: choose, generate, preview and download, within the reader's clearance."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.services.test_reports import STATE_SECTIONS, above
from tracker.models import Confidentiality, Role
from tracker.services import users
from tracker.services.access import LOCAL_ADMIN

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
PAGE = "tracker/ui/reports.py"
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


def reports_page() -> AppTest:
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
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
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == STATE_SECTIONS
    assert [hidden for hidden in above("committee") if hidden in text + report["preview"]] == []
    assert report["preview"].startswith("<!DOCTYPE html>")
    assert [d.proto.label for d in app.get("download_button")] == ["Download report-KOR-2023-committee.md"]


def test_the_page_generates_a_period_report(demo_engine):
    app = reports_page()
    app.radio(key="reports:scope").set_value("Every follow-up visit that started in a period").run()
    app.radio(key="reports:format").set_value("html").run()

    app = generate(app)

    assert not app.exception and not app.error
    report = last_report(app)
    assert report["name"] == "report-2023-01-01-to-2023-12-31-committee.html"
    assert "Republic of Korea: follow-up visit KOR-2023" in report["data"].decode()


def test_the_page_offers_no_level_above_the_readers_clearance(demo_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    users.add_user(
        demo_engine, LOCAL_ADMIN, users.validated_user("reader", PASSWORD, Role.viewer, Confidentiality.member_states)
    )
    app = AppTest.from_file(DASHBOARD, default_timeout=60).run()
    app.text_input[0].input("reader")
    app.text_input[1].input(PASSWORD)
    app = app.button[0].click().run().switch_page(PAGE).run()
    app.radio(key="reports:format").set_value("md").run()

    levels = app.selectbox(key="reports:level")
    app = generate(app)

    assert levels.options == ["Public", "Un platform", "Member states"]
    assert levels.value == "member_states"
    text = last_report(app)["data"].decode()
    assert "**Confidentiality level: member_states**" in text
    assert [hidden for hidden in above("member_states") if hidden in text] == []
