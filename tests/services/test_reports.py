"""Reports to the Committee: sections, numbers equal to the comparison, levels, periods, escaping.

These run on both databases with the cheap formats; DOCX with its chart images is tested once,
on SQLite, in test_reports_docx.py.
"""

import csv
import datetime as dt
import html
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest

from tests.conftest import assessment_row, finding_row, followup_row, meeting_row, visit_row, write_bundle
from tracker.errors import TrackerError
from tracker.models import Confidentiality, Role
from tracker.services.bundle.demo import demo_bundle_path
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.progress import comparison
from tracker.services.reports import documents as reports
from tracker.services.reports.builder import AREA_TABLES, GROUPS
from tracker.services.reports.model import Document, Section, Table

STATE_SECTIONS = [
    "Since the last report",
    "Scope",
    "Executive summary",
    "Progress per thematic area",
    "New issues since the baseline",
    "Good practices recorded",
    "Technical assistance needs",
    "Meetings held",
    "Technical assistance pipeline",
    "Annex: all items",
]
# What a period report shows after its summary and before one section per follow-up.
AFTER_THE_VISIT = ["Technical assistance by provider", "Overdue responses", "Written updates from States"]


def add_second_state(engine, folder: Path, title: str = "Terrorist financing offence is too narrow") -> None:
    """France: baseline 2012, follow-up October 2022, a few findings, assessments and a meeting."""
    bundle = write_bundle(
        folder,
        visits=[
            visit_row("FRA-2012", state="FRA", start_date="2012-03-05", end_date="2012-03-08"),
            followup_row("FRA-2022", baseline="FRA-2012", state="FRA", start_date="2022-10-10", end_date="2022-10-13"),
        ],
        findings=[
            finding_row("FRA-2012-F01", "FRA-2012", kind="shortfall", area="CFT.FIU", title=title, severity="major"),
            finding_row("FRA-2012-F02", "FRA-2012", kind="recommendation", area="LEG", priority="true"),
            finding_row("FRA-2012-F03", "FRA-2012", kind="good_practice", area="BM"),
            finding_row("FRA-2022-F01", "FRA-2022", kind="shortfall", area="ICT.ONLINE_CONTENT"),
        ],
        assessments=[
            assessment_row("FRA-2012-F01", "partially_implemented", "FRA-2022", assessed_on="2022-10-13"),
            assessment_row("FRA-2012-F02", "fully_implemented", "FRA-2022", assessed_on="2022-10-13"),
        ],
        meetings=[meeting_row("FRA-2022-M01", "FRA-2022", date="2022-10-10", notes="Opening with the ministries")],
    )
    result = import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN)
    assert result.ok, result.errors


def above(level: str) -> list[str]:
    """Finding ids and titles, assessment evidence and meeting notes of the demo above `level`."""
    allowed = Confidentiality(level).visible_levels()
    folder = Path(str(demo_bundle_path()))
    texts = []
    for name, columns in (
        ("findings", ["finding_id", "title"]),
        ("assessments", ["evidence"]),
        ("meetings", ["notes"]),
    ):
        with (folder / f"{name}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["confidentiality"] not in allowed:
                    texts += [row[c] for c in columns if row[c]]
    return texts


def docx_text(content: bytes) -> str:
    """Every word of a .docx: body paragraphs, table cells, headers and footers."""
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(parts)


def rendered_text(document: Document, fmt: str) -> str:
    content = reports.render(document, fmt, charts=fmt != "docx")
    if fmt == "docx":
        return docx_text(content)
    return html.unescape(content.decode()) if fmt == "html" else content.decode()


def section(document: Document, heading: str) -> Section:
    return next(s for s, _, _ in document.walk() if s.heading == heading)


def table(part: Section, title: str) -> Table:
    return next(t for t in part.tables if t.title == title)


# ---------------------------------------------------------------- a state's report


def test_state_report_has_the_sections_of_design_7(demo_engine):
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")

    assert [s.heading for s in document.sections] == STATE_SECTIONS
    assert document.title == "Republic of Korea: progress since the 2009 visit"
    assert document.level == Confidentiality.committee
    assert document.generated_at.tzinfo == dt.UTC
    scope = section(document, "Scope")
    assert [row[0] for row in scope.tables[0].rows] == ["KOR-2009", "KOR-2023"]
    assert scope.tables[0].rows[1][4:] == [
        "Natalia Gherman",
        "ICAO; IMO; UNODC",
        "1373 (2001); 2178 (2014); 2396 (2017)",
    ]
    assert any("Illustrative demo data" in p for p in scope.paragraphs)


@pytest.mark.parametrize("level", ["restricted", "committee", "public"])
def test_area_tables_hold_the_numbers_of_compare_at_the_same_level(demo_engine, level):
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level=level)
    expected = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level=level)
    names = comparison.areas_frame(expected)["area_name"].tolist()

    progress = section(document, "Progress per thematic area")
    for title, columns in AREA_TABLES:
        rows = table(progress, title).rows
        assert [row[0] for row in rows] == [*names, "All areas"]
        for row, counts in zip(rows, [*expected["areas"], expected["totals"]]):
            assert row[1:] == [counts[field] for _, field in columns]


def test_executive_summary_counts_status_groups_priorities_and_remaining_shortfalls(demo_engine):
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    totals = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")["totals"]

    summary = section(document, "Executive summary")
    groups = table(summary, "Baseline items by status at the follow-up visit").rows
    assert [row[1:] for row in groups[:4]] == [
        [totals[f"gaps_{g}"], totals[f"recs_{g}"], totals[f"gaps_{g}"] + totals[f"recs_{g}"]] for g in GROUPS
    ]
    assert groups[4][1:] == [totals["baseline_gaps"], totals["baseline_recommendations"], 25]
    assert summary.paragraphs[0] == (
        f"At the follow-up visit the implementation index stands at {totals['implementation_index']:.1f} out of "
        f"100, over {totals['scored_items']} scored baseline items (100 would mean every one fully implemented)."
    )
    assert summary.paragraphs[1] == (
        "Of the 25 shortfalls and recommendations recorded in 2009, 8 are closed, 13 progressing and 2 open; "
        "2 are not scored (no longer relevant, not assessed or insufficient information)."
    )
    assert summary.paragraphs[2].startswith("Priority recommendations of the baseline visit, 1 of 4 closed and 3 ")
    assert summary.paragraphs[3] == (
        "Most progress: Law enforcement (implementation index 100.0). Least progress: Countering violent "
        "extremism conducive to terrorism and Human rights (implementation index 0.0)."
    )
    items = comparison.item_table(demo_engine, LOCAL_ADMIN, "KOR-2023", level="committee").set_index("finding_id")
    remaining = table(summary, "Top remaining shortfalls").rows
    # Major ones first, then by how little has been done; named, with the area in words.
    expected = ["KOR-2009-F02", "KOR-2009-F06", "KOR-2009-F07", "KOR-2009-F03", "KOR-2009-F12"]
    assert [row[1] for row in remaining] == [items.loc[f, "title"] for f in expected]
    assert [row[0] for row in remaining] == [items.loc[f, "area_name"] for f in expected]
    assert all(items.loc[f, "title"] in summary.paragraphs[4] for f in expected)


def test_new_issues_are_the_follow_up_findings_that_continue_nothing(demo_engine):
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="restricted")
    items = comparison.item_table(demo_engine, LOCAL_ADMIN, "KOR-2023", level="restricted")

    new = section(document, "New issues since the baseline").tables[0].rows
    expected = items[(items["role"] == "new") & items["kind"].isin(["shortfall", "recommendation", "concern"])]
    assert [row[0] for row in new] == expected["finding_id"].tolist()
    assert (
        sum(row[2] == "Shortfall" for row in new)
        == comparison.compare(demo_engine, LOCAL_ADMIN, "KOR")["totals"]["new_gaps"]
    )
    # The executive summary counts the same list, not only its shortfalls.
    summary = section(document, "Executive summary").paragraphs
    assert f"The follow-up visit raised {len(new)} new issues that the baseline visit did not cover" in summary[-1]


def test_good_practices_ta_needs_and_meetings_are_listed_as_counted(demo_engine):
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    totals = comparison.compare(demo_engine, LOCAL_ADMIN, "KOR", level="committee")["totals"]

    for heading, field in (("Good practices recorded", "good_practices"), ("Technical assistance needs", "ta_needs")):
        rows = section(document, heading).tables[0].rows
        assert sum(row[0] == "KOR-2009" for row in rows) == totals[f"{field}_baseline"]
        assert sum(row[0] == "KOR-2023" for row in rows) == totals[f"{field}_followup"]
    meetings = section(document, "Meetings held")
    assert len(meetings.tables[0].rows) == 19
    assert (
        meetings.paragraphs[0] == "Meetings visible at this level: 15 at the follow-up visit, 4 at the baseline visit."
    )


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_nothing_above_the_level_appears_in_any_format(demo_engine, fmt):
    committee = rendered_text(reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee"), fmt)
    restricted = rendered_text(reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="restricted"), fmt)

    hidden = above("committee")
    assert {"KOR-2009-F09", "KOR-2023-F05", "KOR-2009-F10", "KOR-2023-F03", "KOR-2023-F22"} <= set(hidden)
    assert [text for text in hidden if text in committee] == []
    assert "KOR-2009-F09" in restricted and "KOR-2023-F05" in restricted
    assert "KOR-2009-F01" in committee and "Confidentiality level: Committee" in committee


def test_a_reader_gets_no_report_above_their_clearance(demo_engine):
    reader = Actor("reader", Role.viewer, Confidentiality.member_states)

    document = reports.build_state_report(demo_engine, reader, "KOR", level="restricted")

    assert document.level == Confidentiality.member_states
    assert [t for t in above("member_states") if t in reports.render(document, "md").decode()] == []


def test_a_state_without_follow_up_is_a_one_sentence_error(demo_engine):
    with pytest.raises(TrackerError, match="has no follow-up visit"):
        reports.build_state_report(demo_engine, LOCAL_ADMIN, "FRA")


# ---------------------------------------------------------------- a period


def test_period_report_has_a_summary_then_one_section_per_follow_up(demo_engine, tmp_path):
    add_second_state(demo_engine, tmp_path / "fra")
    steps = []

    document = reports.build_period_report(
        demo_engine,
        LOCAL_ADMIN,
        dt.date(2022, 1, 1),
        dt.date(2023, 12, 31),
        level="committee",
        progress=lambda *step: steps.append(step),
    )

    assert document.title == "Follow-up visits, 1 January 2022 – 31 December 2023"
    assert [s.heading for s in document.sections] == [
        "Since the last report",
        "Summary across States",
        *AFTER_THE_VISIT,
        "France: digest",
        "Republic of Korea: digest",
        "France: follow-up visit FRA-2022",
        "Republic of Korea: follow-up visit KOR-2023",
    ]
    detail = [name for name in STATE_SECTIONS if name not in ("Since the last report", "Executive summary")]
    assert [[s.heading for s in part.subsections] for part in document.sections[7:]] == [detail] * 2
    assert all(part.new_page for part in document.sections[5:])
    assert steps == [(1, 2, "France"), (2, 2, "Republic of Korea")]
    summary = document.sections[1]
    for row, iso3 in zip(summary.tables[0].rows, ["FRA", "KOR"]):
        totals = comparison.compare(demo_engine, LOCAL_ADMIN, iso3, level="committee")["totals"]
        assert row[4:] == [
            totals["implementation_index"],
            totals["scored_items"],
            *(totals[f"gaps_{g}"] + totals[f"recs_{g}"] for g in GROUPS),
            len(comparison.new_issues(comparison.item_table(demo_engine, LOCAL_ADMIN, row[1], level="committee"))),
        ]
    heatmap = summary.charts[0].figure.data[0]
    assert [column.replace("<br>", " ") for column in heatmap.x] == ["France FRA-2022", "Republic of Korea KOR-2023"]
    assert heatmap.y[0] == "All areas"
    assert list(heatmap.z[0]) == [row[4] for row in summary.tables[0].rows]


def test_period_report_leaves_out_follow_ups_that_started_outside_it(demo_engine, tmp_path):
    add_second_state(demo_engine, tmp_path / "fra")

    document = reports.build_period_report(demo_engine, LOCAL_ADMIN, dt.date(2023, 1, 1), dt.date(2023, 5, 22))
    empty = reports.build_period_report(demo_engine, LOCAL_ADMIN, dt.date(2024, 1, 1), dt.date(2024, 12, 31))

    assert [s.heading for s in document.sections] == [
        "Since the last report",
        "Summary across States",
        *AFTER_THE_VISIT,
        "Republic of Korea: digest",
        "Republic of Korea: follow-up visit KOR-2023",
    ]
    assert document.title == "Follow-up visits, 1 January – 22 May 2023"
    assert [s.heading for s in empty.sections] == ["Since the last report", "Summary across States", *AFTER_THE_VISIT]
    assert "No follow-up visit visible at the Restricted level started in this period." in empty.sections[1].paragraphs


def test_period_report_renders_in_every_format_without_hidden_material(demo_engine, tmp_path):
    add_second_state(demo_engine, tmp_path / "fra")
    document = reports.build_period_report(
        demo_engine, LOCAL_ADMIN, dt.date(2012, 1, 1), dt.date(2023, 12, 31), level="committee"
    )

    for fmt in ("md", "html", "docx"):
        text = rendered_text(document, fmt)
        assert "France: follow-up visit FRA-2022" in text and "Terrorist financing offence is too narrow" in text
        assert [t for t in above("committee") if t in text] == []


def test_period_report_shows_no_trace_of_hidden_visits_findings_or_meetings(demo_engine, tmp_path):
    hidden = "ZZHIDDEN"
    bundle = write_bundle(
        tmp_path / "hidden",
        visits=[
            followup_row(
                "KOR-2031-ZZHIDDEN", start_date="2031-03-01", end_date="2031-03-04", confidentiality="restricted"
            ),
            visit_row(
                "FRA-2015-ZZHIDDEN",
                state="FRA",
                start_date="2015-06-01",
                end_date="2015-06-03",
                lead=f"{hidden} lead",
                confidentiality="state_and_cted",
            ),
            followup_row("FRA-2022", "FRA-2015-ZZHIDDEN", state="FRA", start_date="2022-06-01", end_date="2022-06-03"),
        ],
        findings=[
            finding_row("KOR-2009-F-ZZHIDDEN", title=f"{hidden} restricted baseline gap", confidentiality="restricted"),
            finding_row("KOR-2023-F-CONTINUING", "KOR-2023", title="A gap still open", continues="KOR-2009-F-ZZHIDDEN"),
            finding_row(
                "KOR-2023-F-ZZHIDDEN",
                "KOR-2023",
                kind="good_practice",
                title=f"{hidden} practice",
                confidentiality="state_and_cted",
            ),
            finding_row("FRA-2022-F1", "FRA-2022", title="French follow-up gap"),
        ],
        assessments=[
            assessment_row(
                "KOR-2009-F01",
                "contrary_action",
                "KOR-2031-ZZHIDDEN",
                evidence=f"{hidden} evidence",
                assessed_on="2031-03-04",
            ),
            assessment_row(
                "KOR-2009-F02", "fully_implemented", evidence=f"{hidden} evidence", confidentiality="restricted"
            ),
        ],
        meetings=[
            meeting_row("KOR-2023-M-ZZHIDDEN", "KOR-2023", notes=f"{hidden} notes", confidentiality="state_and_cted")
        ],
    )
    assert import_bundle(demo_engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok

    document = reports.build_period_report(
        demo_engine, LOCAL_ADMIN, dt.date(2000, 1, 1), dt.date(2040, 12, 31), level="committee"
    )

    assert [s.heading for s in document.sections] == [
        "Since the last report",
        "Summary across States",
        *AFTER_THE_VISIT,
        "Republic of Korea: digest",
        "Republic of Korea: follow-up visit KOR-2023",
    ]
    for fmt in ("md", "html", "docx"):
        text = rendered_text(document, fmt)
        assert "KOR-2023-F-CONTINUING" in text
        assert hidden not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2023", "'2023' is not a period"),
        ("2023-01-01-2023-12-31", "is not a period"),
        ("2023-02-30..2023-12-31", "is not a period"),
        ("2023-12-31..2023-01-01", "ends before it starts"),
    ],
)
def test_a_bad_period_is_a_one_sentence_error(text, message):
    with pytest.raises(TrackerError, match=message):
        reports.parse_period(text)


def test_a_period_includes_both_days():
    assert reports.parse_period(" 2023-01-01..2023-12-31 ") == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))


# ---------------------------------------------------------------- rendering


def hostile_document() -> Document:
    title = "<script>alert('x')</script> a | b"
    return Document(
        title=title,
        level=Confidentiality.committee,
        generated_at=dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC),
        sections=[
            Section(title, paragraphs=[title], tables=[Table(["A|B", "n"], [[title, 3], ["x", None]], title=title)])
        ],
    )


def test_html_escapes_every_text():
    page = reports.render(hostile_document(), "html").decode()

    assert "<script>alert" not in page
    assert (
        page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; a | b") == 7
    )  # title, h1, contents entry, heading, paragraph, caption, cell
    assert '<td class="num">3</td>' in page and '<td class="num">—</td>' in page


def test_markdown_escapes_pipes_and_html():
    text = reports.render(hostile_document(), "md").decode()

    assert "<script>" not in text
    assert "| \\<script\\>alert('x')\\</script\\> a \\| b | 3 |" in text
    assert "| A\\|B | n |" in text


class Addresses(HTMLParser):
    """Every address a page would fetch: script sources, stylesheets, images, frames."""

    def __init__(self, page: str):
        super().__init__()
        self.found: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("src", "href") and tag != "a"]


def test_html_report_opens_offline_prints_and_embeds_plotly_once(demo_engine):
    page = reports.render(reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR"), "html").decode()

    assert page.count("plotly.js v") == 1
    assert Addresses(page).found == []
    assert page.count('class="plotly-graph-div"') == 1
    assert "@media print" in page and "counter(page)" in page and "Confidentiality level: Restricted" in page


def test_write_report_replaces_the_file_whole_or_not_at_all(tmp_path, monkeypatch):
    out = tmp_path / "report.md"
    out.write_text("previous report")

    def broken(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(reports, "render", broken)
    with pytest.raises(RuntimeError):
        reports.write_report(hostile_document(), "md", out)
    assert out.read_text() == "previous report"
    monkeypatch.undo()

    reports.write_report(hostile_document(), "md", out)

    assert out.read_text().startswith("# \\<script\\>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


@pytest.mark.parametrize(
    ("out", "message"),
    [("missing/report.md", "does not exist"), (".", "is a folder")],
)
def test_write_report_refuses_a_destination_it_cannot_write(tmp_path, out, message):
    with pytest.raises(TrackerError, match=message):
        reports.write_report(hostile_document(), "md", tmp_path / out)


@pytest.mark.parametrize(
    ("name", "out", "expected"),
    [(None, "r.DOCX", "docx"), (None, "r.htm", "html"), ("MD", "r.txt", "md"), ("html", "r.docx", "html")],
)
def test_report_format_comes_from_the_option_or_the_suffix(name, out, expected):
    assert reports.report_format(name, Path(out)) == expected


def test_an_unknown_format_is_a_one_sentence_error():
    with pytest.raises(TrackerError, match="'pdf' is not a report format; use docx, html or md"):
        reports.report_format("pdf", Path("r.pdf"))
    with pytest.raises(TrackerError, match=r"cannot tell the report format from 'r\.txt'"):
        reports.report_format(None, Path("r.txt"))


def test_a_period_report_estimate_grows_with_its_visits_and_flags_a_very_large_one():
    small = reports.estimate_period_report(2, "html")
    every_state = reports.estimate_period_report(193, "docx")

    assert (small.visits, small.pages, small.large) == (2, 21, False)
    assert small.visits_text == "2 follow-up visits" and small.duration == "about 5 seconds"
    assert every_state.large and every_state.pages > 1000
    assert every_state.duration == "about 3 minutes"


def test_html_has_a_contents_list_linking_every_section(demo_engine):
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")
    page = reports.render(document, "html", charts=False).decode()

    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', page)
    assert [text for _, text in links][:3] == ["I. Since the last report", "II. Scope", "III. Executive summary"]
    assert len(links) == len(STATE_SECTIONS)
    for anchor, _ in links:
        assert f'id="{anchor}"' in page
    assert '<p class="illustrative">' in page and '<meta name="author" content="CTED">' in page


def test_an_empty_section_says_none_recorded_in_every_format(demo_engine):
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="public")

    empty = [s.heading for s, _, _ in document.walk() if s.paragraphs == ["None recorded."]]
    assert "New issues since the baseline" in empty
    for fmt in ("md", "html", "docx"):
        assert "None recorded." in rendered_text(document, fmt)


def test_a_signed_in_user_is_the_author_of_the_report(demo_engine):
    reader = Actor("alice", Role.analyst, Confidentiality.committee)

    document = reports.build_state_report(demo_engine, reader, "KOR")

    assert document.author == "alice"
    assert docx.Document(io.BytesIO(reports.render(document, "docx", charts=False))).core_properties.author == "alice"


def test_a_docx_naming_every_member_state_keeps_its_keywords_within_word_limit():
    from tracker import taxonomy

    states = [name for _, name, _ in taxonomy.member_states()]
    document = Document(
        title="Follow-up visits",
        level=Confidentiality.committee,
        generated_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        sections=[Section("Summary", paragraphs=["Every State."])],
        keywords=["Counter-Terrorism Committee", "CTED", "follow-up visit", *states, "Committee"],
    )

    keywords = docx.Document(io.BytesIO(reports.render(document, "docx", charts=False))).core_properties.keywords

    assert len(keywords) <= 255
    assert keywords.split("; ")[:4] == ["Counter-Terrorism Committee", "CTED", "follow-up visit", states[0]]
    assert keywords.split("; ")[-1] == "Committee"


def test_markdown_never_draws_a_chart(demo_engine, monkeypatch):
    from tracker.services.reports import charts

    def refuse(*args):
        raise AssertionError("a Markdown report drew a chart")

    monkeypatch.setattr(charts, "_area_progress_figure", refuse)
    document = reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR", level="committee")

    assert "*Chart: Progress per thematic area.*" in reports.render(document, "md").decode()


@pytest.mark.parametrize("level", ["committee", "restricted"])
def test_a_period_report_details_each_state_as_its_own_report_does(demo_engine, tmp_path, level):
    add_second_state(demo_engine, tmp_path / "fra")
    period = reports.build_period_report(demo_engine, LOCAL_ADMIN, dt.date(2012, 1, 1), dt.date(2023, 12, 31), level)

    for part, iso3 in zip(period.sections[-2:], ["FRA", "KOR"]):
        state = reports.build_state_report(demo_engine, LOCAL_ADMIN, iso3, level=level)
        detail = {s.heading: s for s in state.sections if s.heading != "Executive summary"}
        for section in part.subsections:
            expected = detail[section.heading]
            assert [t.rows for t in section.tables] == [t.rows for t in expected.tables], (iso3, section.heading)
            assert section.paragraphs == expected.paragraphs, (iso3, section.heading)


def test_docx_table_cells_read_back_as_python_docx_would_write_them():
    rows = [["Tab\there", 3, "Two\nlines"], ["x", 12.5, None]]
    document = Document(
        title="Cells",
        level=Confidentiality.committee,
        generated_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        sections=[Section("Cells", tables=[Table(["Text", "Number", "Note"], rows, title="Cells")])],
    )

    table = docx.Document(io.BytesIO(reports.render(document, "docx", charts=False))).tables[0]

    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Text", "Number", "Note"],
        ["Tab\there", "3", "Two\nlines"],
        ["x", "12.5", "—"],
    ]
    body = table.rows[1].cells
    assert {cell.paragraphs[0].style.name for cell in body} == {"Table Text"}
    assert [cell.paragraphs[0].alignment for cell in body] == [None, 2, None]
    assert all(cell.width == header.width for cell, header in zip(body, table.rows[0].cells))
    assert all(cell.paragraphs[0].paragraph_format.keep_with_next for cell in body)
    assert not any(cell.paragraphs[0].paragraph_format.keep_with_next for cell in table.rows[2].cells)
