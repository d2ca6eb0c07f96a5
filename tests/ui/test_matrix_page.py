"""The Tracking matrix page and the workbook side of Import / Export, through Streamlit's AppTest."""

import io

import openpyxl
from sqlalchemy import select, update

from tests.ui.test_pages import assert_clean, local_mode, open_page, table
from tracker.models import Assessment, Finding
from tracker.services.bundle import matrix
from tracker.services.people.access import LOCAL_ADMIN

__all__ = ["local_mode"]
PAGE = "tracker/ui/matrix.py"


def test_the_matrix_shows_every_item_with_its_status_in_words_at_committee_level(demo_engine):
    app = open_page(PAGE)

    assert_clean(app)
    shown = table(app, "KOR-2023 status")
    expected = matrix.state_matrix(demo_engine, LOCAL_ADMIN, "KOR", level="committee").in_words()
    assert list(shown.columns) == list(expected.columns)
    assert shown["Id"].tolist() == expected["Id"].tolist()
    assert "Partially implemented" in set(shown["KOR-2023 status"])
    assert app.selectbox(key="matrix:level").value == "committee"


def test_filters_narrow_the_matrix_by_area_kind_status_group_and_priority(demo_engine):
    app = open_page(PAGE)
    everything = table(app, "KOR-2023 status")

    app.multiselect(key="matrix:areas").set_value(["LEG"]).run()
    assert_clean(app)
    assert set(table(app, "KOR-2023 status")["Area"].str.split(".").str[0]) == {"LEG"}

    app.multiselect(key="matrix:areas").set_value([]).run()
    app.multiselect(key="matrix:groups").set_value(["closed"]).run()
    closed = table(app, "KOR-2023 status")
    assert set(closed["KOR-2023 status"]) <= {"Fully implemented", "Addressed otherwise"}
    assert 0 < len(closed) < len(everything)

    app.multiselect(key="matrix:groups").set_value([]).run()
    app.checkbox(key="matrix:priority").check().run()
    assert table(app, "KOR-2023 status")["Priority"].all()
    app.multiselect(key="matrix:kinds").set_value(["Recommendation"]).run()
    assert set(table(app, "KOR-2023 status")["Kind"]) == {"Recommendation"}


def test_the_matrix_leaves_out_what_is_above_the_viewing_level(demo_engine):
    with demo_engine.begin() as connection:
        connection.execute(
            update(Finding).where(Finding.finding_id == "KOR-2009-F05").values(confidentiality="restricted")
        )
        connection.execute(
            update(Assessment).where(Assessment.finding_id == "KOR-2009-F06").values(confidentiality="state_and_cted")
        )
    app = open_page(PAGE)

    shown = table(app, "KOR-2023 status").set_index("Id")
    assert "KOR-2009-F05" not in shown.index
    assert shown.loc["KOR-2009-F06", "KOR-2023 status"] == ""

    app.selectbox(key="matrix:level").set_value("restricted").run()
    wider = table(app, "KOR-2023 status").set_index("Id")
    assert "KOR-2009-F05" in wider.index and wider.loc["KOR-2009-F06", "KOR-2023 status"] != ""


def test_the_matrix_page_offers_the_workbooks(demo_engine):
    app = open_page(PAGE)

    labels = [button.proto.label for button in app.get("download_button")]
    assert labels == ["Download the matrix of KOR (.xlsx)", "Download the matrix of every State (.xlsx)"]


def test_an_edited_matrix_uploaded_on_the_import_page_shows_its_errors_by_cell_then_imports(demo_engine):
    data = matrix.matrix_bytes([matrix.state_matrix(demo_engine, LOCAL_ADMIN, "KOR", level="committee")])
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["KOR"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "KOR-2009-F03")
    sheet.cell(row, 9).value = "Fully implementd"
    broken = io.BytesIO()
    book.save(broken)
    app = open_page("tracker/ui/import_export.py")

    app.file_uploader[0].set_value(("kor.xlsx", broken.getvalue(), "application/octet-stream")).run()

    assert not app.exception
    errors = table(app, "message")
    assert errors.to_dict("records") == [
        {
            "cell": f"KOR!I{row}",
            "column": "status",
            "message": '"Fully implementd" is not a status; did you mean "Fully implemented"?',
        }
    ]

    sheet.cell(row, 9).value = "Fully implemented"
    fixed = io.BytesIO()
    book.save(fixed)
    app = open_page("tracker/ui/import_export.py")
    app.file_uploader[0].set_value(("kor2.xlsx", fixed.getvalue(), "application/octet-stream")).run()
    assert table(app, "unchanged").to_dict("records") == [
        {"file": "assessments.csv", "created": 0, "updated": 1, "unchanged": 24}
    ]
    app.button(key="import:confirm").click().run()
    assert_clean(app)
    with demo_engine.connect() as connection:
        status = connection.execute(
            select(Assessment.status).where(Assessment.finding_id == "KOR-2009-F03", Assessment.visit_id == "KOR-2023")
        ).scalar()
    assert status == "fully_implemented"
