"""A State's whole history in the State and period reports, read back from the DOCX.

The history is tests/conftest.py's `history_bundle`; tests/services/test_history.py works out its
figures by hand.
"""

import datetime as dt
import io

import docx

from tests.conftest import HISTORY_VISITS
from tests.services.test_reports import docx_text
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.reports import documents as reports

B, P, F = HISTORY_VISITS


def tables_by_title(content: bytes) -> dict[str, list[list[str]]]:
    """Each table of the DOCX by the paragraph just above it (its title), as rows of cell text."""
    document = docx.Document(io.BytesIO(content))
    found: dict[str, list[list[str]]] = {}
    title = ""
    for block in document.element.body.iterchildren():
        if block.tag.endswith("}p"):
            text = "".join(node.text or "" for node in block.iter() if node.tag.endswith("}t")).strip()
            if text:
                title = text
        elif block.tag.endswith("}tbl"):
            table = next(t for t in document.tables if t._tbl is block)
            found.setdefault(title, [[cell.text for cell in row.cells] for row in table.rows])
    return found


def test_the_state_report_heads_with_every_item_and_names_carried_statuses(history_engine):
    document = reports.build_state_report(history_engine, LOCAL_ADMIN, "KOR", level="committee")
    content = reports.render(document, "docx", charts=False)

    text = docx_text(content)
    # 24/36 over all eleven items, 17/28 over KOR-2011's eight (seven scored); two statuses carried.
    assert (
        "Over all 11 items under follow-up (8 raised at KOR-2011 and 3 at KOR-2017), the implementation index "
        "stands at 66.7 out of 100 over 9 scored items; over the 8 items of the baseline visit KOR-2011 alone it "
        "stands at 60.7 over 7. 2 statuses are carried from an earlier visit that last assessed the item."
    ) in text
    assert (
        "Like for like, over the same 5 items scored at both visits, the implementation index moved from 50.0 at "
        "the previous follow-up visit KOR-2017 to 80.0 at KOR-2024."
    ) in text
    tables = tables_by_title(content)
    statuses = tables["Items under follow-up by status at the follow-up visit"]
    # Closed B1 B5 P3; progressing B3 B6 | B2 B4 P2; open B7; excluded B8 P4.
    assert statuses[1:] == [
        ["Closed", "3", "0", "3"],
        ["Progressing", "2", "3", "5"],
        ["Open", "0", "1", "1"],
        ["Excluded", "0", "2", "2"],
        ["All items under follow-up", "5", "6", "11"],
    ]
    priorities = tables["Priority recommendations under follow-up"]
    assert [row[1:] for row in priorities[1:]] == [
        ["Finding B2", "Largely implemented"],
        ["Finding P2", "Largely implemented"],
    ]
    baseline_gaps = {row[0]: row[4] for row in tables[f"Shortfalls of the baseline visit {B}"][1:]}
    assert baseline_gaps == {
        "B6": "Initial steps",
        "B1": f"Fully implemented (carried from {P})",
        "B3": "Partially implemented",
        "B5": "Fully implemented",
    }
    raised = tables[f"Recommendations first raised at {P}"]
    assert [(row[0], row[4]) for row in raised[1:]] == [("P4", "Not assessed"), ("P2", "Largely implemented")]
    assert [row[0] for row in tables[f"Recommendations of {F}, to follow at the next visit"][1:]] == ["F1"]


def test_the_period_report_counts_every_item_and_the_trend_like_for_like(history_engine):
    document = reports.build_period_report(
        history_engine, LOCAL_ADMIN, dt.date(2017, 1, 1), dt.date(2024, 12, 31), level="committee"
    )
    content = reports.render(document, "docx", charts=False)

    tables = tables_by_title(content)
    summary = next(rows for title, rows in tables.items() if rows[0][:2] == ["State", "Follow-up visit"])
    # KOR-2017 over its five in-scope items (50.0); KOR-2024 over all eleven (66.7, nine scored).
    assert [row[1] + " " + row[4] + " " + row[5] for row in summary[1:]] == [
        f"{P} 50.0 5",
        f"{F} 66.7 9",
    ]
    successive = tables["Implementation index over successive follow-up visits"]
    # Like for like: the five items of KOR-2017 moved from 50.0 to 80.0.
    assert successive[1] == ["Republic of Korea", "2", f"{P} (2017): 50.0 → {F} (2024): 66.7", "30.0"]
    text = docx_text(content)
    assert f"The follow-up visit {P} was focused on: " in text and "(3 baseline items)" in text


def test_since_the_last_report_a_carried_status_re_assessed_is_a_status_change(history_engine, tmp_path):
    from tests.conftest import assessment_row, write_bundle
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths
    from tracker.services.reports import snapshots

    document = reports.build_state_report(history_engine, LOCAL_ADMIN, "KOR", level="committee")
    snapshot_id = reports.issue(
        history_engine, LOCAL_ADMIN, document, "md", reports.render(document, "md", charts=False), "History"
    )
    reported = {item["finding_id"] for item in snapshots.get(history_engine, LOCAL_ADMIN, snapshot_id).reported.items}
    assert {"B1", "P2", "P3", "P4"} <= reported
    # B1 carried "fully implemented" from KOR-2017; KOR-2024 now judges it partially implemented.
    bundle = write_bundle(tmp_path / "b", assessments=[assessment_row("B1", "partially_implemented", visit_id=F)])
    assert import_bundle(history_engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok

    result = snapshots.diff(history_engine, LOCAL_ADMIN, snapshot_id)

    assert result["status_changes"] == [
        {
            "finding_id": "B1",
            "followup": F,
            "old_status": "fully_implemented",
            "new_status": "partially_implemented",
            "old_group": "closed",
            "new_group": "progressing",
        }
    ]
    # LEG over all its items: B1 4 + B2 3 + P3 4 = 11/12 = 91.7, then B1 2: 9/12 = 75.0.
    assert next(area for area in result["areas"] if area["area"] == "LEG") == {
        "area": "LEG",
        "index_from": 91.7,
        "index_to": 75.0,
    }
