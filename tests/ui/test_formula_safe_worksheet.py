"""The assessment worksheet is drawn formula-safe, so its toolbar's "Download as CSV" runs no
formula in a spreadsheet, and saving it writes no stray quote mark."""

import pandas as pd
import pytest
import streamlit
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.ui.test_pages import assert_clean, open_page
from tracker.models import Assessment
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import editing as records
from tracker.ui.common import as_entered, formula_safe

FORMULA = '=HYPERLINK("http://example.org/x","open")'


@pytest.fixture(autouse=True)
def local_mode(monkeypatch):
    monkeypatch.delenv("TRACKER_AUTH", raising=False)
    streamlit.cache_data.clear()
    streamlit.cache_resource.clear()


@settings(deadline=None)
@given(st.lists(st.text(alphabet="'=+-@\t\r ab1", max_size=6), min_size=1, max_size=5))
def test_a_formula_safe_frame_reads_back_as_entered(cells):
    frame = pd.DataFrame({"finding_id": [f"F{i}" for i in range(len(cells))], "evidence": cells})

    assert as_entered(formula_safe(frame)).equals(frame)


def test_an_unchanged_formula_safe_worksheet_holds_no_change():
    source = pd.DataFrame(
        {"finding_id": ["F1", "F2", "F3"], "status": ["not_assessed"] * 3, "evidence": [FORMULA, "'@x", "plain"]}
    )
    shown = formula_safe(source)
    assert shown["evidence"].tolist() == ["'" + FORMULA, "''@x", "plain"]

    assert records.assessment_changes(source, as_entered(shown)) == []
    typed = shown.assign(evidence=["=1+1", "''@x", "plain"])
    assert records.assessment_changes(source, as_entered(typed)) == [
        {"finding_id": "F1", "status": "not_assessed", "evidence": "=1+1"}
    ]


def _evidence(engine, finding_id: str) -> str:
    with engine.connect() as connection:
        return connection.execute(
            select(Assessment.evidence).where(Assessment.finding_id == finding_id, Assessment.visit_id == "KOR-2023")
        ).scalar_one()


def test_the_worksheet_shows_formulas_behind_a_quote_and_saves_them_as_stored(demo_engine):
    records.save_assessments(
        demo_engine,
        LOCAL_ADMIN,
        "KOR-2023",
        [{"finding_id": "KOR-2009-F01", "status": "initial_steps", "evidence": FORMULA}],
    )
    app = open_page("tracker/ui/findings.py", **{"findings:tab": "Assess at a follow-up"})
    sheet = app.data_editor(key="worksheet:KOR-2023").value
    row = sheet.index[sheet["finding_id"] == "KOR-2009-F01"][0]
    assert sheet.loc[row, "evidence"] == "'" + FORMULA

    # A status changed on the same row: its evidence goes back to the database unchanged.
    app.session_state["worksheet:KOR-2023"] = {
        "edited_rows": {int(row): {"status": "partially_implemented"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.button(key="worksheet:save").click().run()
    app.button(key="review:worksheet:KOR-2023:confirm").click().run()

    assert_clean(app)
    assert app.success[0].value == "Saved the assessments of KOR-2023."
    assert _evidence(demo_engine, "KOR-2009-F01") == FORMULA
