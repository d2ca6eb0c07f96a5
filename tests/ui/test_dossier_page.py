"""The Dossier page, its link from State progress, and the assessment debt on the Overview."""

import pytest

from tests.services.test_bundle import run_import
from tests.services.test_dossier import HIDDEN, dossier_history
from tests.ui.test_pages import assert_clean, open_page
from tracker.services.reports.dossier import HEADINGS
from tracker.services.reports.model import numbered, section_number

PAGE = "tracker/ui/dossier.py"


@pytest.fixture
def history_engine(engine, tmp_path):
    assert run_import(engine, dossier_history(tmp_path / "history")).ok
    return engine


def _page_text(app) -> str:
    tables = [element.value.to_csv() for element in app.dataframe]
    return "\n".join([*(m.value for m in app.markdown), *tables])


def test_the_dossier_page_shows_the_six_parts_in_order_at_the_level(history_engine):
    app = open_page(PAGE, **{"dossier:state": "KOR", "dossier:level": "committee"})

    assert_clean(app)
    headers = [header.value for header in app.header]
    assert headers == [numbered(section_number(1, n), heading) for n, heading in enumerate(HEADINGS, start=1)]
    text = _page_text(app)
    assert "Train prosecutors in terrorism cases" in text and "KOR-U-2025" in text and "2750 (2024)" in text
    assert [hidden for hidden in HIDDEN if hidden in text] == []
    assert [button.proto.label for button in app.get("download_button")] == [
        "Download the dossier (Word)",
        "Download the dossier (HTML)",
        "Download the dossier (Markdown)",
    ]


def test_state_progress_links_to_the_states_dossier(history_engine):
    app = open_page("tracker/ui/state_progress.py", **{"progress:state": "KOR"})

    assert_clean(app)
    links = [link.proto for link in app.get("page_link")]
    assert [(link.label, link.query_string) for link in links if "dossier" in link.page] == [
        ("Prepare the next visit: open the State's dossier", "state=KOR&level=committee")
    ]


def test_the_overview_lists_the_debt_of_every_state_most_owed_first(history_engine):
    app = open_page("tracker/ui/overview.py")

    assert_clean(app)
    debt = next(frame.value for frame in app.dataframe if "owed" in frame.value.columns)
    assert list(debt["state_name"]) == ["Singapore", "Republic of Korea", "Malaysia"]
    assert list(debt.columns[:4]) == ["state_name", "region", "owed", "areas_in_debt"]

    korea_only = open_page("tracker/ui/overview.py", **{"overview:regions": [debt["region"].iloc[1]]})
    assert_clean(korea_only)
    debt = next(frame.value for frame in korea_only.dataframe if "owed" in frame.value.columns)
    assert list(debt["state_name"]) == ["Republic of Korea"]


def test_the_overview_sorts_the_debt_by_years_since_an_area_was_covered(history_engine):
    app = open_page("tracker/ui/overview.py", **{"overview:debt:sort": "years"})

    assert_clean(app)
    debt = next(frame.value for frame in app.dataframe if "owed" in frame.value.columns)
    assert list(debt["state_name"]) == ["Republic of Korea", "Malaysia", "Singapore"]
    assert list(debt["years_since_covered"]) == sorted(debt["years_since_covered"], reverse=True)


def test_the_admin_page_switches_a_pair_of_the_area_map_off_and_on_again(engine):
    from sqlalchemy import select

    from tracker.models import AreaResolution

    def applies() -> bool:
        with engine.connect() as connection:
            return connection.execute(
                select(AreaResolution.applies).where(AreaResolution.area == "ICT", AreaResolution.resolution == 2396)
            ).scalar_one()

    app = open_page("tracker/ui/admin.py", **{"ref:kind": "area_resolution"})
    assert_clean(app)
    app.selectbox(key="ref:area_resolution:area").set_value("ICT")
    app.selectbox(key="ref:area_resolution:number").set_value(2396)
    app.radio(key="ref:area_resolution:applies").set_value(False)
    app.button(key="FormSubmitter:ref:area_resolution:form-Save").click().run()
    assert_clean(app)
    assert applies() is False

    app.selectbox(key="ref:area_resolution:area").set_value("ICT")
    app.selectbox(key="ref:area_resolution:number").set_value(2396)
    app.radio(key="ref:area_resolution:applies").set_value(True)
    app.button(key="FormSubmitter:ref:area_resolution:form-Save").click().run()
    assert applies() is True


def test_on_screen_each_table_shows_its_short_columns_before_the_long_texts(history_engine):
    app = open_page(PAGE, **{"dossier:state": "KOR", "dossier:level": "committee"})

    open_items = next(frame for frame in app.dataframe if "Given at" in frame.value.columns)
    # At 1280 pixels the status is in view; the item and its area are scrolled to.
    assert list(open_items.proto.column_order) == [
        "Id",
        "Priority",
        "Status",
        "Given at",
        "Since",
        "Years ago",
        "Area",
        "Item",
    ]
