"""A period reads many follow-ups at once; each must read exactly as the single-visit services do.

Three States besides the demo's: France with rows at every level and consent, a chain in Germany
(a follow-up that is the baseline of the next) and a withdrawn finding; checked at every level.
"""

import pandas as pd
import pytest

from tests.conftest import assessment_row, finding_row, followup_row, meeting_row, visit_row, write_bundle
from tests.services.test_after_visit import ta_row
from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.presentation.frames import records as rows_of_frame
from tracker.services.progress import comparison, trends
from tracker.services.records import editing as records
from tracker.services.records import withdrawal
from tracker.services.reports import after_visit
from tracker.services.reports.builder import parse_period
from tracker.services.reports.documents import build_period_report, build_state_report
from tracker.services.reports.model import Section, cell_text

LEVELS = [level.value for level in Confidentiality]


@pytest.fixture
def states(demo_engine, tmp_path):
    """The demo's Korea, France (rows at every level, full consent at the follow-up) and a German chain."""
    fra, deu = "FRA-2012", "DEU-2016"
    bundle = write_bundle(
        tmp_path / "states",
        visits=[
            visit_row(fra, state="FRA", start_date="2012-03-05", end_date="2012-03-08", confidentiality="public"),
            followup_row(
                "FRA-2022",
                baseline=fra,
                state="FRA",
                start_date="2022-10-10",
                end_date="2022-10-13",
                confidentiality="un_platform",
                consent="full",
                partners="UNODC;ICAO",
                resolutions="1373;2178",
            ),
            visit_row("DEU-2010", state="DEU", start_date="2010-01-11", end_date="2010-01-14"),
            followup_row(deu, baseline="DEU-2010", state="DEU", start_date="2016-02-01", end_date="2016-02-04"),
            followup_row(
                "DEU-2022",
                baseline=deu,
                state="DEU",
                start_date="2022-06-13",
                end_date="2022-06-16",
                confidentiality="restricted",
            ),
        ],
        findings=[
            *(
                finding_row(
                    f"{fra}-F0{n}", fra, kind=kind, area=area, confidentiality=level, priority=priority, severity=sev
                )
                for n, (kind, area, level, priority, sev) in enumerate(
                    [
                        ("shortfall", "CFT.FIU", "public", "true", "major"),
                        ("shortfall", "LEG", "un_platform", "false", "minor"),
                        ("recommendation", "LEG", "committee", "true", ""),
                        ("recommendation", "BM", "restricted", "false", ""),
                        ("good_practice", "BM", "public", "false", ""),
                        ("ta_need", "ICT.ONLINE_CONTENT", "un_platform", "false", ""),
                    ],
                    start=1,
                )
            ),
            finding_row("FRA-2022-F01", "FRA-2022", kind="shortfall", area="LEG", confidentiality="public"),
            finding_row("FRA-2022-F02", "FRA-2022", continues=f"{fra}-F04", area="BM", confidentiality="member_states"),
            finding_row("FRA-2022-F03", "FRA-2022", kind="concern", confidentiality="state_and_cted"),
            finding_row("FRA-2022-T1", "FRA-2022", kind="ta_need", area="CFT.FIU", confidentiality="un_platform"),
            finding_row("FRA-2022-T2", "FRA-2022", kind="ta_need", area="LEG", confidentiality="committee"),
            finding_row("DEU-2010-F01", "DEU-2010", kind="shortfall", area="LEG"),
            finding_row("DEU-2010-F02", "DEU-2010", kind="recommendation", area="BM", priority="true"),
            finding_row("DEU-2016-F01", deu, kind="shortfall", area="BM", continues="DEU-2010-F01"),
            finding_row("DEU-2016-F02", deu, kind="recommendation", area="LEG"),
            finding_row("DEU-2022-F01", "DEU-2022", kind="shortfall", area="LEG", confidentiality="restricted"),
        ],
        assessments=[
            assessment_row(f"{fra}-F01", "partially_implemented", "FRA-2022", confidentiality="public"),
            assessment_row(f"{fra}-F02", "fully_implemented", "FRA-2022", confidentiality="committee"),
            assessment_row(f"{fra}-F03", "no_longer_relevant", "FRA-2022", confidentiality="un_platform"),
            assessment_row(f"{fra}-F04", "not_implemented", "FRA-2022", confidentiality="restricted"),
            assessment_row("DEU-2010-F01", "partially_implemented", deu, assessed_on="2016-02-04"),
            assessment_row("DEU-2010-F02", "fully_implemented", deu, assessed_on="2016-02-04"),
            assessment_row("DEU-2016-F01", "fully_implemented", "DEU-2022", assessed_on="2022-06-16"),
        ],
        meetings=[
            meeting_row("FRA-2022-M01", "FRA-2022", date="2022-10-10", confidentiality="public"),
            meeting_row("FRA-2022-M02", "FRA-2022", date="2022-10-11", confidentiality="committee"),
            meeting_row("DEU-2016-M01", deu, date="2016-02-01"),
        ],
        ta=[
            ta_row("FRA-2022-T1", "matched", providers="UNODC", addresses=f"{fra}-F01", confidentiality="public"),
            ta_row(f"{fra}-F06", "delivered", providers="ICAO", updated_on="2015-01-01", confidentiality="restricted"),
        ],
    )
    result = import_bundle(demo_engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    assert result.ok, result.errors
    withdrawal.withdraw(demo_engine, LOCAL_ADMIN, "finding", "DEU-2016-F02", "entered twice")
    return demo_engine


def followups(engine, level) -> pd.DataFrame:
    visits = comparison.followup_visits(engine, LOCAL_ADMIN, level=level)
    # More than one State, and more than one follow-up of a State, so that a mix-up would show.
    assert visits["state"].nunique() >= 2 or level == "public"
    return visits


@pytest.mark.parametrize("level", LEVELS)
def test_compare_many_equals_compare_for_every_follow_up(states, level):
    visits = followups(states, level)
    many = comparison.compare_many(states, LOCAL_ADMIN, visits["visit_id"], level)

    assert list(many) == list(visits["visit_id"])
    for state, visit_id in zip(visits["state"], visits["visit_id"], strict=True):
        assert many[visit_id] == comparison.compare(states, LOCAL_ADMIN, state, visit_id, level)


@pytest.mark.parametrize("level", LEVELS)
def test_comparisons_and_item_rows_read_together_equal_their_own_reads(states, level):
    visits = followups(states, level)
    results, items = comparison.compare_with_items(states, LOCAL_ADMIN, visits["visit_id"], level)

    assert results == comparison.compare_many(states, LOCAL_ADMIN, visits["visit_id"], level)
    assert list(results) == list(visits["visit_id"])
    assert items == comparison.item_rows(states, LOCAL_ADMIN, visits["visit_id"], level)
    # One comparison's JSON, read by field, is that of the mapping it also is.
    for result in results.values():
        assert result.to_json() == {key: comparison.compared._json(result[key]) for key in result}


@pytest.mark.parametrize("level", LEVELS)
def test_item_rows_equal_item_table_for_every_follow_up(states, level):
    visits = followups(states, level)
    many = comparison.item_rows(states, LOCAL_ADMIN, visits["visit_id"], level)

    for visit_id in visits["visit_id"]:
        table = comparison.item_table(states, LOCAL_ADMIN, visit_id, level)
        single = [row | {"score": None if row["score"] is pd.NA else row["score"]} for row in rows_of_frame(table)]
        assert many[visit_id] == single
        assert comparison.new_issues(many[visit_id]) == comparison.new_issues(table)
        assert comparison.priority_items(many[visit_id]) == comparison.priority_items(table)
        assert comparison.followup_priorities(many[visit_id]) == comparison.followup_priorities(table)


def test_the_follow_ups_of_a_chain_are_each_compared_with_their_own_baseline(states):
    many = comparison.compare_many(states, LOCAL_ADMIN, ["DEU-2022", "DEU-2016"], "restricted")

    assert many["DEU-2016"]["baseline_visit"] == "DEU-2010"
    assert many["DEU-2022"]["baseline_visit"] == "DEU-2016"
    # The withdrawn recommendation of DEU-2016 is in neither comparison.
    assert many["DEU-2022"]["totals"]["baseline_recommendations"] == 0
    assert many["DEU-2016"]["totals"]["followup_gaps"] == 1


@pytest.mark.parametrize("hidden", ["DEU-2022", "NOPE-1", "DEU-2010"])
def test_a_follow_up_that_cannot_be_compared_is_refused_as_compare_refuses_it(states, hidden):
    with pytest.raises(TrackerError) as single:
        comparison.compare(states, LOCAL_ADMIN, "DEU", hidden, "committee")
    for batched in (comparison.compare_many, comparison.item_rows):
        with pytest.raises(TrackerError) as refused:
            batched(states, LOCAL_ADMIN, ["FRA-2022", hidden], "committee")
        assert refused.value.message == single.value.message


@pytest.mark.parametrize("level", LEVELS)
def test_visits_trends_and_pipelines_read_together_equal_their_single_reads(states, level):
    visible = records.list_visits(states, LOCAL_ADMIN, level=level)["visit_id"].tolist()
    every = records.get_visits(states, LOCAL_ADMIN, [*visible, "NOPE-1"], level)

    assert list(every) == visible
    assert all(every[v] == records.get_visit(states, LOCAL_ADMIN, v, level) for v in visible)

    codes = ["KOR", "FRA", "DEU", "USA"]
    together = trends.indexes_per_visit(states, LOCAL_ADMIN, codes, level)
    for code in codes:
        pd.testing.assert_frame_equal(together[code], trends.index_per_visit(states, LOCAL_ADMIN, code, level))

    groups = [["KOR-2009", "KOR-2023"], ["FRA-2012", "FRA-2022"], ["DEU-2016", "DEU-2022"], ["DEU-2010", "DEU-2016"]]
    sections = after_visit.ta_pipeline_sections(states, LOCAL_ADMIN, Confidentiality(level), groups)
    alone = [after_visit.ta_pipeline_section(states, LOCAL_ADMIN, Confidentiality(level), g) for g in groups]
    # By their text: a cell with no value is NaN, which equals nothing, not even itself.
    assert [content(s) for s in sections] == [content(s) for s in alone]


def content(section: Section) -> tuple:
    """What a section shows, charts by their text (a chart draws its figure only when asked)."""
    return (
        section.heading,
        section.paragraphs,
        [(table.header, [[cell_text(c) for c in row] for row in table.rows], table.title) for table in section.tables],
        [(chart.title, chart.alt_text) for chart in section.charts],
        [content(subsection) for subsection in section.subsections],
    )


@pytest.mark.parametrize("level", ["restricted", "committee", "un_platform", "public"])
def test_each_state_of_a_period_reads_as_its_own_state_report(states, level):
    """The period reads every follow-up at once, the State report one: both show the same."""
    start, end = parse_period("2000-01-01..2030-12-31")
    period = build_period_report(states, LOCAL_ADMIN, start, end, level)
    details = {
        section.heading: section for section in period.sections if section.heading.split(": ")[-1].startswith("follow")
    }
    visits = followups(states, level)
    assert len(details) == len(visits)

    for state, visit_id, name in zip(visits["state"], visits["visit_id"], visits["state_name"], strict=True):
        alone = build_state_report(states, LOCAL_ADMIN, state, visit_id, level)
        own = [s for s in alone.sections if s.heading not in ("Since the last report", "Executive summary")]
        detail = details[f"{name}: follow-up visit {visit_id}"]
        # The areas' counts are in the same tables; only the State's own report draws them again as a chart.
        expected = [content(s) for s in own]
        assert [len(c[3]) for c in expected if c[0] == "Progress per thematic area"] == [1]
        assert [content(s) for s in detail.subsections] == [
            (*c[:3], [], *c[4:]) if c[0] == "Progress per thematic area" else c for c in expected
        ]
