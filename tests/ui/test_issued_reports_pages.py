"""Issuing on the Reports page, its archive, and the Changes page, within the reader's clearance."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_TIMEOUT
from tests.services.test_snapshots import ADDED, change_by_import, issue_state_report
from tracker.models import Confidentiality, Role
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.reports import snapshots

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


def page(path: str) -> AppTest:
    app = AppTest.from_file(DASHBOARD, default_timeout=APP_TIMEOUT).run()
    return app.switch_page(path).run()


def signed_in(demo_engine, monkeypatch, clearance: Confidentiality, path: str) -> AppTest:
    monkeypatch.setenv("TRACKER_AUTH", "on")
    users.add_user(demo_engine, LOCAL_ADMIN, users.validated_user("reader", PASSWORD, Role.analyst, clearance))
    app = AppTest.from_file(DASHBOARD, default_timeout=APP_TIMEOUT).run()
    app.text_input[0].input("reader")
    app.text_input[1].input(PASSWORD)
    return app.button[0].click().run().switch_page(path).run()


def shown_text(app: AppTest) -> str:
    frames = [frame.value.to_csv() for frame in app.dataframe]
    return "\n".join([*(m.value for m in app.markdown), *(c.value for c in app.caption), *frames])


def test_the_reports_page_issues_the_file_it_wrote_and_lists_it_for_download(demo_engine):
    app = page("tracker/ui/reports.py")
    app.radio(key="reports:format").set_value("md").run()
    app = next(b for b in app.button if b.label == "Generate report").click().run()
    written = app.session_state["reports:last"]["data"]

    [title] = [t for t in app.text_input if t.label == "Title of the issued report"]
    title.input("Republic of Korea, spring 2024")
    app = next(b for b in app.button if b.label == "Issue to the Committee").click().run()

    assert not app.exception and not app.error
    [issued] = snapshots.listing(demo_engine, LOCAL_ADMIN).itertuples()
    assert (issued.title, issued.scope, issued.level) == (
        "Republic of Korea, spring 2024",
        "state:KOR:KOR-2023",
        "committee",
    )
    assert snapshots.get(demo_engine, LOCAL_ADMIN, issued.id).content == written
    assert [s.value for s in app.success] == [
        f"Issued to the Committee as report {issued.id}: it is in the archive below."
    ]
    assert "Download report-1.md as issued" in [d.proto.label for d in app.get("download_button")]
    assert "Republic of Korea, spring 2024" in shown_text(app)


def test_the_changes_page_shows_the_changes_since_an_issued_report(demo_engine, tmp_path):
    issue_state_report(demo_engine, title="Korea, first report")
    change_by_import(demo_engine, tmp_path / "changes")

    app = page("tracker/ui/changes.py")

    assert not app.exception and not app.error
    assert [(m.label, m.value) for m in app.metric] == [
        ("Status changes", "2"),
        ("Items added", "1"),
        ("Items withdrawn", "0"),
        ("Follow-up visits added", "0"),
    ]
    text = shown_text(app)
    for expected in ("KOR-2009-F02", "KOR-2009-F03", "Largely implemented", "Not implemented", ADDED["finding_id"]):
        assert expected in text
    assert ADDED["title"] in text
    assert len(app.get("plotly_chart")) == 1
    for expected in ("All offences now covered.", "The provision was repealed.", "25 May 2023"):
        assert expected in text
    [areas] = [frame.value for frame in app.dataframe if "Change" in frame.value.columns]
    assert list(areas["Thematic area"]) == ["Counter-terrorism legislation"]
    # A number shown with its sign (format %+.1f), not text a formula guard would prefix.
    assert list(areas["Change"]) == [-8.3]


def test_the_changes_page_names_a_withdrawn_item_and_why(demo_engine):
    from tracker.services.records import withdrawal

    issue_state_report(demo_engine, title="Korea, first report")
    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "finding", "KOR-2009-F03", "recorded twice")

    app = page("tracker/ui/changes.py")

    assert not app.exception and not app.error
    [withdrawn] = [frame.value for frame in app.dataframe if "Why it is no longer counted" in frame.value.columns]
    assert list(withdrawn["Id"]) == ["KOR-2009-F03"]
    assert list(withdrawn["Why it is no longer counted"]) == ["recorded twice"]
    assert withdrawn["Item"].iloc[0]


def test_the_changes_page_by_date_takes_the_last_report_issued_by_then(demo_engine, tmp_path):
    issue_state_report(demo_engine, title="Korea, first report")
    change_by_import(demo_engine, tmp_path / "changes")
    app = page("tracker/ui/changes.py")

    app = app.radio(key="changes:by").set_value("A date").run()

    assert not app.exception and not app.error
    assert "The last report on this scope issued by" in shown_text(app)
    assert app.metric[0].value == "2"


def test_a_reader_cleared_below_a_reports_level_sees_neither_it_nor_its_changes(demo_engine, tmp_path, monkeypatch):
    snapshot_id, _ = issue_state_report(demo_engine, title="Committee edition")
    change_by_import(demo_engine, tmp_path / "changes")

    changes = signed_in(demo_engine, monkeypatch, Confidentiality.member_states, "tracker/ui/changes.py")

    assert not changes.exception
    assert [i.value for i in changes.info] == [
        "No report has been issued to the Committee at or below the Member States level yet. Issue one on "
        "the Reports page, or with `tracker report ... --issue TITLE`."
    ]
    # The same session, on the Reports page (AppTest changes page in place).
    archive = changes.switch_page("tracker/ui/reports.py").run()
    assert "Committee edition" not in shown_text(archive)
    assert "No report has been issued to the Committee yet." in shown_text(archive)
    assert snapshots.listing(demo_engine, LOCAL_ADMIN)["id"].tolist() == [snapshot_id]
