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
from tracker import db
from tracker.services import comparison, reports
from tracker.services.access import LOCAL_ADMIN
from tracker.services.demo import load_demo
from tracker.services.reports import charts
from tracker.services.reports.builder import AREA_TABLES
from tracker.services.reports.model import cell_text

LEVEL = "committee"


@dataclass
class Rendered:
    state: bytes
    period: bytes
    comparison: dict
    folder: Path


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
    with charts.image_server():
        result = Rendered(
            state=reports.render(state, "docx"),
            period=reports.render(period, "docx"),
            comparison=comparison.compare(engine, LOCAL_ADMIN, "KOR", level=LEVEL),
            folder=folder,
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


def test_title_page_states_the_level_and_the_utc_generation_date(rendered):
    paragraphs = [p for p in opened(rendered.state).paragraphs if p.text][:4]

    assert paragraphs[0].style.name == "Title"
    assert paragraphs[0].text == "Republic of Korea: progress since the 2009 visit"
    assert paragraphs[2].text == "Confidentiality level: committee"
    assert paragraphs[3].text.startswith("Generated ") and paragraphs[3].text.endswith(" UTC")


def test_headings_are_the_report_sections(rendered):
    state, period = opened(rendered.state), opened(rendered.period)

    assert headings(state, 1) == STATE_SECTIONS
    assert headings(period, 1) == [
        "Summary across States",
        *AFTER_THE_VISIT,
        "France: follow-up visit FRA-2022",
        "Republic of Korea: follow-up visit KOR-2023",
    ]
    assert headings(period, 2) == STATE_SECTIONS * 2


def test_area_tables_are_word_tables_holding_the_numbers_of_compare(rendered):
    tables = captioned_tables(opened(rendered.state))
    expected = rendered.comparison
    names = comparison.areas_frame(expected)["area_name"].tolist()

    for title, columns in AREA_TABLES:
        header, *rows = tables[title]
        assert header == ["Area", *(h for h, _ in columns)]
        assert [row[0] for row in rows] == [*names, "All areas"]
        for row, counts in zip(rows, [*expected["areas"], expected["totals"]]):
            assert row[1:] == [cell_text(counts[field]) for _, field in columns]


def test_charts_are_embedded_as_png_images(rendered):
    for content, charts_drawn in ((rendered.state, 1), (rendered.period, 3)):
        document = opened(content)
        images = [rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/image")]

        assert len(document.inline_shapes) == charts_drawn
        assert len(images) == charts_drawn
        assert all(image.content_type == "image/png" and image.blob.startswith(b"\x89PNG") for image in images)


def test_every_page_carries_the_level_in_its_header_and_a_page_number_in_its_footer(rendered):
    for content in (rendered.state, rendered.period):
        sections = opened(content).sections

        assert len(sections) > 1  # the annex is on landscape pages, in sections of their own
        assert WD_ORIENT.LANDSCAPE in {section.orientation for section in sections}
        for section in sections:
            assert [p.text for p in section.header.paragraphs] == ["Confidentiality level: committee"]
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
        assert source.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
