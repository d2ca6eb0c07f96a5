"""Since the last report: the written updates recorded since then with the date each was received,
and the items re-assessed since then with the date each re-assessment refers to."""

from tests.conftest import assessment_row, write_bundle
from tests.services.test_between_visits import history, item_row, update_row
from tests.services.test_bundle import run_import
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.reports import documents as reports


def _since_the_last_report(engine) -> str:
    document = reports.build_state_report(engine, LOCAL_ADMIN, "KOR", level="committee")
    text = reports.render(document, "md", charts=False).decode()
    return text[text.index("Since the last report") : text.index("Scope")]


def test_the_next_report_dates_the_updates_received_and_the_re_assessments_made_since(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    first = reports.build_state_report(engine, LOCAL_ADMIN, "KOR", level="committee")
    reports.issue(engine, LOCAL_ADMIN, first, "md", reports.render(first, "md", charts=False), "Korea, first report")
    since = write_bundle(
        tmp_path / "since",
        updates=[update_row("KOR-U-2026", received_on="2026-11-30", reference="Letter of 30 November 2026")],
        update_items=[item_row("F2", "fully_implemented", update_id="KOR-U-2026")],
        assessments=[
            # Re-assessed between visits: the same status on newer evidence, dated as the analyst says.
            assessment_row("F2", "largely_implemented", evidence="Regulations adopted", assessed_on="2024-09-30"),
            assessment_row("F1", "initial_steps", assessed_on="2024-10-15"),
        ],
    )
    assert run_import(engine, since).ok

    section = _since_the_last_report(engine)

    assert "Since then, 1 baseline item changed status; no item added and no item withdrawn" in section
    assert "| F1 | KOR-2023 | Finding F1 | Partially implemented | Initial steps |  | 15 October 2024 |" in section
    assert "Items re-assessed since then, their status unchanged" in section
    assert "| F2 | KOR-2023 | Finding F2 | Largely implemented | Regulations adopted | 30 September 2024 |" in section
    assert (
        "1 written update of a State recorded since then, each with the date it was received; what a State "
        "reports is self-reported and counts in no figure of this report."
    ) in section
    assert "| Update | State | Received on | Reference | What it says (self-reported) |" in section
    assert "| KOR-U-2026 | KOR | 30 November 2026 | Letter of 30 November 2026 | F2: Fully implemented |" in section
    # The update recorded before the last report was issued is not news.
    assert "KOR-U-2016" not in section


def test_nothing_recorded_since_adds_no_dated_table(engine, tmp_path):
    assert run_import(engine, history(tmp_path / "in")).ok
    first = reports.build_state_report(engine, LOCAL_ADMIN, "KOR", level="committee")
    reports.issue(engine, LOCAL_ADMIN, first, "md", reports.render(first, "md", charts=False), "Korea, first report")

    section = _since_the_last_report(engine)

    assert "Nothing reported has changed since then at this level." in section
    assert "re-assessed" not in section and "written update" not in section


def test_a_period_report_dates_the_updates_received_in_its_period_and_recorded_since(engine, tmp_path):
    import datetime as dt

    assert run_import(engine, history(tmp_path / "in")).ok
    start, end = dt.date(2016, 1, 1), dt.date(2023, 12, 31)
    first = reports.build_period_report(engine, LOCAL_ADMIN, start, end, level="committee")
    reports.issue(engine, LOCAL_ADMIN, first, "md", reports.render(first, "md", charts=False), "2016 to 2023")
    since = write_bundle(
        tmp_path / "since",
        updates=[
            update_row("KOR-U-2019", received_on="2019-03-01", reference="Letter of 1 March 2019"),
            update_row("KOR-U-2025", received_on="2025-01-10", reference="Outside the period"),
        ],
        update_items=[item_row("F1", "largely_implemented", update_id="KOR-U-2019")],
    )
    assert run_import(engine, since).ok

    document = reports.build_period_report(engine, LOCAL_ADMIN, start, end, level="committee")
    text = reports.render(document, "md", charts=False).decode()
    section = text[text.index("Since the last report") : text.index("Summary across States")]

    assert "| KOR-U-2019 | KOR | 1 March 2019 | Letter of 1 March 2019 | F1: Largely implemented |" in section
    assert "KOR-U-2025" not in section and "KOR-U-2016" not in section
