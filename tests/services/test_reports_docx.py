"""The Word reports, charts and all, opened with python-docx and converted to PDF by LibreOffice.

Drawing the charts starts a headless Chromium, so the state and period reports are rendered once
for the module, on a SQLite demo database of its own; the cheaper formats run on both databases
in test_reports.py.
"""

import datetime as dt
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT

from tests.services.test_reports import AFTER_THE_VISIT, STATE_SECTIONS, above, add_second_state, docx_text
from tests.test_cli_report import numbered_sections
from tracker import db
from tracker.services.bundle.demo import load_demo
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress import comparison
from tracker.services.reports import chart_browser
from tracker.services.reports import documents as reports
from tracker.services.reports.builder import AREA_TABLES
from tracker.services.reports.model import cell_text, numbered, section_number

LEVEL = "committee"
MARKING = "Confidentiality level: Committee"


@dataclass
class Rendered:
    state: bytes
    period: bytes
    comparison: dict
    folder: Path
    priority_titles: list[str]


@pytest.fixture(scope="module")
def rendered(sqlite_template, tmp_path_factory) -> Rendered:
    folder = tmp_path_factory.mktemp("docx_reports")
    shutil.copy(sqlite_template, folder / "tracker.db")
    engine = db.get_engine(f"sqlite:///{folder / 'tracker.db'}")
    load_demo(engine, LOCAL_ADMIN)
    add_second_state(engine, folder / "fra")
    state = reports.build_state_report(engine, LOCAL_ADMIN, "KOR", level=LEVEL)
    period = reports.build_period_report(engine, LOCAL_ADMIN, dt.date(2012, 1, 1), dt.date(2023, 12, 31), level=LEVEL)
    # One browser draws the charts of both reports.
    with chart_browser.image_server():
        result = Rendered(
            state=reports.render(state, "docx"),
            period=reports.render(period, "docx"),
            comparison=comparison.compare(engine, LOCAL_ADMIN, "KOR", level=LEVEL),
            folder=folder,
            priority_titles=[
                item.title
                for item in comparison.priority_items(comparison.item_table(engine, LOCAL_ADMIN, "KOR-2023", LEVEL))
                if item.kind == "recommendation"
            ],
        )
    engine.dispose()
    return result


def opened(content: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(content))


def captioned_tables(document) -> dict[str, list[list[str]]]:
    """Each table under its caption, as rows of cell text."""
    tables, caption = {}, None
    for block in document.iter_inner_content():
        if isinstance(block, docx.text.paragraph.Paragraph):
            caption = block.text if block.style.name == "Caption" else None
        elif caption:
            tables[caption] = [[cell.text for cell in row.cells] for row in block.rows]
    return tables


def headings(document, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def test_title_page_states_the_title_state_date_marking_and_the_demo_banner(rendered):
    paragraphs = [p for p in opened(rendered.state).paragraphs if p.text][:7]

    assert paragraphs[0].style.name == "Title"
    assert [p.text for p in paragraphs[:3]] == [
        "Republic of Korea: progress since the 2009 visit",
        "Report to the Counter-Terrorism Committee",
        "Republic of Korea: follow-up visit KOR-2023, 22–25 May 2023",
    ]
    assert paragraphs[4].text == MARKING
    assert paragraphs[5].text == "Illustrative data: invented for demonstration, not CTED's findings"
    assert paragraphs[6].text.startswith("Generated ") and paragraphs[6].text.endswith(" UTC")


def test_a_contents_field_lists_the_numbered_headings(rendered):
    for content in (rendered.state, rendered.period):
        document = opened(content)
        body = document.element.body.xml

        assert 'TOC \\o "1-2" \\h \\z \\u' in body
        assert '<w:updateFields w:val="true"/>' in document.settings.element.xml
        contents = [p.text for p in document.paragraphs]
        start = contents.index("Contents") + 1
        assert contents[start : start + 3] == ["I. Since the last report", "II. Scope", "III. Executive summary"] or (
            contents[start : start + 2] == ["I. Since the last report", "II. Summary across States"]
        )


def test_headings_are_the_numbered_report_sections(rendered):
    state, period = opened(rendered.state), opened(rendered.period)

    assert headings(state, 1) == numbered_sections(STATE_SECTIONS)
    assert headings(period, 1) == [
        *numbered_sections(
            [
                "Since the last report",
                "Summary across States",
                *AFTER_THE_VISIT,
                "France: digest",
                "Republic of Korea: digest",
                "France: follow-up visit FRA-2022",
                "Republic of Korea: follow-up visit KOR-2023",
            ]
        ),
    ]
    detail = [name for name in STATE_SECTIONS if name not in ("Since the last report", "Executive summary")]
    assert headings(period, 2) == [numbered(section_number(2, n), h) for n, h in enumerate(detail, start=1)] * 2


def test_area_tables_name_the_areas_and_hold_the_numbers_of_compare(rendered):
    tables = captioned_tables(opened(rendered.state))
    expected = rendered.comparison
    names = comparison.areas_frame(expected)["area_name"].tolist()

    for title, columns in AREA_TABLES:
        header, *rows = tables[title]
        assert header == ["Thematic area", *(h for h, _ in columns)]
        assert [row[0] for row in rows] == [*names, "All areas"]
        assert "Border management" in names and not any("." in name or name.isupper() for name in names)
        for row, counts in zip(rows, [*expected["areas"], expected["totals"]]):
            assert row[1:] == [cell_text(counts[field]) for _, field in columns]


def test_the_executive_summary_names_each_priority_recommendation_and_its_status(rendered):
    document = opened(rendered.state)
    texts = [(p.style.name, p.text) for p in document.paragraphs]
    start, end = (
        texts.index(("Heading 1", "III. Executive summary")),
        texts.index(("Heading 1", "IV. Progress per thematic area")),
    )
    summary = "\n".join(text for _, text in texts[start:end])
    table = captioned_tables(document)["Priority recommendations of the baseline visit"]

    assert len(rendered.priority_titles) == 4
    for title in rendered.priority_titles:
        assert title in summary
    assert [row[1] for row in table[1:]] == rendered.priority_titles
    assert "Contrary action" in [row[2] for row in table[1:]]


def test_every_chart_has_alt_text_that_gives_its_numbers(rendered):
    for content in (rendered.state, rendered.period):
        shapes = opened(content).inline_shapes

        described = [shape._inline.docPr.get("descr") for shape in shapes]
        assert len(described) >= 1 and all(described)
    state_chart = opened(rendered.state).inline_shapes[0]._inline.docPr.get("descr")
    assert state_chart.startswith("Bar chart of the baseline shortfalls and recommendations")
    assert "Border management: 3 closed, 2 progressing, 0 open, 0 excluded; 1 new shortfalls" in state_chart


def test_core_properties_carry_title_marking_and_author(rendered):
    for content, title in (
        (rendered.state, "Republic of Korea: progress since the 2009 visit"),
        (rendered.period, "Follow-up visits, 1 January 2012 – 31 December 2023"),
    ):
        properties = opened(content).core_properties

        assert properties.title == title
        assert properties.author == "CTED" and properties.last_modified_by == "CTED"
        assert MARKING in properties.subject and properties.category == MARKING
        assert "Committee" in properties.keywords.split("; ")


def test_charts_are_embedded_as_png_images(rendered):
    # The period report draws its summary's heatmap; each State's areas are its tables (see the builder).
    for content, charts_drawn in ((rendered.state, 1), (rendered.period, 1)):
        document = opened(content)
        images = [rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/image")]

        assert len(document.inline_shapes) == charts_drawn
        assert len(images) == charts_drawn
        assert all(image.content_type == "image/png" and image.blob.startswith(b"\x89PNG") for image in images)


def test_every_section_carries_the_marking_in_its_header_and_footer_and_a_page_number(rendered):
    for content in (rendered.state, rendered.period):
        sections = opened(content).sections

        assert len(sections) > 1  # the annex is on landscape pages, in sections of their own
        assert WD_ORIENT.LANDSCAPE in {section.orientation for section in sections}
        for section in sections:
            assert [p.text for p in section.header.paragraphs] == [MARKING]
            assert [p.text for p in section.footer.paragraphs] == [f"{MARKING}    Page  of "]
            assert 'w:instr="PAGE"' in section.footer._element.xml


def test_nothing_above_the_level_appears_in_the_word_reports(rendered):
    for content in (rendered.state, rendered.period):
        text = docx_text(content)

        assert "KOR-2009-F01" in text
        assert [hidden for hidden in above(LEVEL) if hidden in text] == []


@pytest.mark.skipif(
    shutil.which("libreoffice") is None, reason="LibreOffice is not installed; .ci/run installs libreoffice-writer"
)
def test_word_reports_convert_to_pdf_with_libreoffice(rendered):
    folder = rendered.folder / "pdf"
    folder.mkdir()
    sources = [folder / "state.docx", folder / "period.docx"]
    sources[0].write_bytes(rendered.state)
    sources[1].write_bytes(rendered.period)

    # A profile of its own, so a LibreOffice already running elsewhere does not take the job.
    converted = subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert converted.returncode == 0, converted.stderr
    for source in sources:
        pdf = source.with_suffix(".pdf")
        assert pdf.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            assert pages_without_body_text(pdf) == []


def pages_without_body_text(pdf: Path) -> list[int]:
    """Pages holding nothing but the running header and footer: a blank page in print."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    empty = []
    for number, page in enumerate(text.split("\f")[:-1], start=1):
        body = [
            line.strip()
            for line in page.splitlines()
            if line.strip() and not line.strip().startswith(MARKING) and not line.strip().startswith("Page ")
        ]
        if not body:
            empty.append(number)
    return empty
