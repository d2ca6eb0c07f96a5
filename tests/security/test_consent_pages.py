"""A reader cleared for un_platform sees on no page what the State did not consent to share."""

import pytest
import streamlit as st

from tests.conftest import finding_row, followup_row, meeting_row, write_bundle
from tracker.models import Confidentiality, Role
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN

from .conftest import HIDDEN, VISIBLE, add_user
from .test_dashboard import READER_PAGES, every_tab, everything_shown, sign_in


@pytest.fixture(autouse=True)
def logins_on(monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def consent_engine(demo_engine, tmp_path):
    """The demo plus a follow-up whose State shared its TA needs only (other un_platform rows marked hidden)."""
    folder = write_bundle(
        tmp_path / "consent",
        visits=[
            followup_row(
                "KOR-2026",
                start_date="2026-03-02",
                end_date="2026-03-05",
                confidentiality="public",
                consent="ta_needs_only",
            )
        ],
        findings=[
            finding_row(
                "KOR-2026-T1", "KOR-2026", kind="ta_need", title=f"{VISIBLE} need", confidentiality="un_platform"
            ),
            finding_row("KOR-2026-S1", "KOR-2026", title=f"{HIDDEN} gap", confidentiality="un_platform"),
            finding_row(
                "KOR-2026-P1", "KOR-2026", kind="good_practice", title="Public practice", confidentiality="public"
            ),
        ],
        meetings=[
            meeting_row("KOR-2026-M1", "KOR-2026", counterpart=f"{HIDDEN} meeting", confidentiality="un_platform")
        ],
        milestones=[
            {
                "visit_id": "KOR-2026",
                "milestone": "draft_sent",
                "date": "2026-04-01",
                "note": f"{HIDDEN} milestone",
                "confidentiality": "un_platform",
            }
        ],
        ta=[
            {
                "finding_id": "KOR-2026-T1",
                "status": "matched",
                "providers": "UNOCT",
                "addresses": "KOR-2026-S1",
                "updated_on": "2026-05-01",
                "note": f"{VISIBLE} note",
                "confidentiality": "un_platform",
            }
        ],
    )
    result = import_bundle(demo_engine, sources_from_paths([folder]), LOCAL_ADMIN)
    assert result.ok, result.errors
    return demo_engine


@pytest.mark.parametrize("page", READER_PAGES)
def test_a_platform_reader_sees_only_the_consented_rows_on_every_page(consent_engine, page):
    add_user(consent_engine, "platform", Role.viewer, Confidentiality.un_platform)
    app = sign_in("platform")
    for shown in every_tab(app.switch_page(page).run()):
        assert not shown.exception, shown.exception
        text = everything_shown(shown)
        assert HIDDEN not in text
        assert "KOR-2026-S1" not in text


def test_the_ta_pipeline_page_shows_the_consented_need_to_a_platform_reader(consent_engine):
    add_user(consent_engine, "platform", Role.viewer, Confidentiality.un_platform)
    app = sign_in("platform").switch_page("tracker/ui/ta_pipeline.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert table.loc[table["finding_id"] == "KOR-2026-T1", "note"].tolist() == [f"{VISIBLE} note"]
    # The gap it addresses is not shared, so the page does not name it.
    assert table.loc[table["finding_id"] == "KOR-2026-T1", "addresses_title"].tolist() == [""]
