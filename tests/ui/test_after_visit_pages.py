"""The Due and overdue panel and the TA pipeline page, through Streamlit's AppTest."""

import datetime as dt

import pytest
import streamlit as st

from tests.conftest import visit_row, write_bundle
from tests.ui.test_pages import assert_clean, charts, numbers, open_page
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN


@pytest.fixture(autouse=True)
def local_mode(monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _import(engine, folder, **files):
    result = import_bundle(engine, sources_from_paths([write_bundle(folder, **files)]), LOCAL_ADMIN)
    assert result.ok, result.errors


def milestone(visit_id, kind, day: dt.date, **overrides) -> dict:
    return {
        "visit_id": visit_id,
        "milestone": kind,
        "date": day.isoformat(),
        "note": "",
        "confidentiality": "committee",
    } | overrides


def _dues_table(app) -> list[dict]:
    """The rows of the Due and overdue panel's table, or none when the panel has no table."""
    frames = [frame.value for frame in app.dataframe if "due_date" in frame.value.columns]
    return frames[0].to_dict("records") if frames else []


def test_overview_shows_an_overdue_draft_and_recording_the_observations_clears_it(engine, tmp_path):
    sent = dt.date.today() - dt.timedelta(days=40)
    _import(
        engine,
        tmp_path / "one",
        visits=[
            visit_row(
                "KOR-2025",
                start_date=(sent - dt.timedelta(days=60)).isoformat(),
                end_date=(sent - dt.timedelta(days=57)).isoformat(),
            )
        ],
        milestones=[milestone("KOR-2025", "draft_sent", sent)],
    )

    app = open_page("tracker/ui/overview.py")
    assert_clean(app)
    rows = _dues_table(app)
    assert [(r["visit"], r["status"]) for r in rows] == [("KOR-2025", "10 days overdue")]
    assert [w.value for w in app.warning] == ["1 of 1 open deadlines overdue."]

    _import(engine, tmp_path / "two", milestones=[milestone("KOR-2025", "observations_received", dt.date.today())])
    st.cache_data.clear()
    app = open_page("tracker/ui/overview.py")
    assert_clean(app)
    assert _dues_table(app) == []
    assert [s.value for s in app.success] == ["No open deadlines."]


def test_state_progress_shows_the_demo_states_overdue_response(demo_engine):
    app = open_page("tracker/ui/state_progress.py")
    assert_clean(app)
    rows = _dues_table(app)
    assert [r["visit"] for r in rows] == ["KOR-2023"]
    assert rows[0]["status"].endswith("days overdue")
    download = [b for b in app.get("download_button") if "calendar" in str(b.proto.label)]
    assert download


def test_ta_pipeline_page_charts_every_status_and_filters_by_provider(demo_engine):
    app = open_page("tracker/ui/ta_pipeline.py")
    assert_clean(app)
    figures = charts(app)
    status = figures["TA needs by status"]["data"][0]
    # The demo at committee: one shared with providers, one matched, one in delivery, two delivered.
    assert numbers(status["x"]) == [0, 0, 1, 1, 1, 2, 0]
    assert "TA needs by provider and status" in figures
    assert [m.value for m in app.metric] == ["5", "3", "2"]

    app.multiselect(key="ta:providers").select("UNODC").run()
    assert_clean(app)
    table = app.dataframe[0].value
    assert sorted(table["finding_id"]) == ["KOR-2009-F33", "KOR-2023-F25"]


def test_ta_pipeline_page_at_un_platform_follows_the_states_consent(demo_engine):
    app = open_page("tracker/ui/ta_pipeline.py")
    app.selectbox(key="ta:level").select("un_platform").run()
    assert_clean(app)
    # KOR-2023 consented to share its TA needs only: its two un_platform needs and nothing else.
    assert sorted(app.dataframe[0].value["finding_id"]) == ["KOR-2023-F24", "KOR-2023-F25"]
    assert app.query_params["level"] == "un_platform"


def test_ta_pipeline_page_says_what_to_do_on_an_empty_database(engine):
    app = open_page("tracker/ui/ta_pipeline.py")
    assert_clean(app)
    assert "No technical-assistance need is recorded" in app.info[0].value


def test_recording_observations_on_the_visits_page_clears_the_overdue_deadline(engine, tmp_path):
    from sqlalchemy import select

    from tracker.models import Milestone
    from tracker.services.people import audit

    sent = dt.date.today() - dt.timedelta(days=40)
    start = sent - dt.timedelta(days=60)
    _import(
        engine,
        tmp_path / "one",
        visits=[
            visit_row("KOR-2025", start_date=start.isoformat(), end_date=(start + dt.timedelta(days=3)).isoformat())
        ],
        milestones=[milestone("KOR-2025", "draft_sent", sent)],
    )
    app = open_page("tracker/ui/visits.py", **{"visits:edit": "KOR-2025"})
    assert_clean(app)
    milestones = next(f.value for f in app.dataframe if "milestone" in f.value.columns)
    assert milestones["milestone"].tolist() == ["Draft sent"]
    assert app.selectbox(key="visit:KOR-2025:consent").value == "none"

    app.button(key="FormSubmitter:milestone:KOR-2025-Record milestone").click().run()
    assert [e.value for e in app.error] == [
        "nothing was saved: 1 problem(s) with the milestone; correct the fields marked and save again.",
        "is empty; use one of draft_sent, observations_received, adopted, transmitted, response_received",
    ]

    app.selectbox(key="milestone:KOR-2025:milestone").select("observations_received")
    app.button(key="FormSubmitter:milestone:KOR-2025-Record milestone").click().run()
    assert_clean(app)
    with engine.connect() as connection:
        assert connection.execute(select(Milestone.milestone).order_by(Milestone.milestone)).scalars().all() == [
            "draft_sent",
            "observations_received",
        ]
    (creator,) = audit.events(engine, LOCAL_ADMIN, entity="milestone", key="KOR-2025/observations_received")["username"]
    assert creator == "local"
    overview = open_page("tracker/ui/overview.py")
    assert [s.value for s in overview.success] == ["No open deadlines."]
