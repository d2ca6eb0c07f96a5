"""`tracker dossier` in each format, read back section by section, its one-sentence errors, and the
area → resolution map under `tracker reference`."""

import io

import docx
import pytest
from docx.oxml.ns import qn
from sqlalchemy import select
from typer.testing import CliRunner

from tests.services.test_bundle import run_import
from tests.services.test_dossier import HIDDEN, dossier_history
from tracker.cli import app
from tracker.models import AreaResolution
from tracker.services.people import audit
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.reports.dossier import HEADINGS
from tracker.services.reports.model import numbered, section_number

runner = CliRunner()
SECTIONS = [numbered(section_number(1, n), heading) for n, heading in enumerate(HEADINGS, start=1)]


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def history_engine(engine, tmp_path):
    result = run_import(engine, dossier_history(tmp_path / "history"))
    assert result.ok, [str(error) for error in result.errors]
    return engine


def docx_sections(content: bytes) -> dict[str, str]:
    """The text of each top-level section of a Word document (its paragraphs and table cells), by heading."""
    document = docx.Document(io.BytesIO(content))
    sections: dict[str, list[str]] = {}
    current = None
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            style = element.find(qn("w:pPr"))
            style_id = (
                style.find(qn("w:pStyle")).get(qn("w:val"))
                if style is not None and style.find(qn("w:pStyle")) is not None
                else ""
            )
            text = "".join(node.text or "" for node in element.iter(qn("w:t")))
            if style_id == "Heading1":
                current = text
                sections[current] = []
            elif current:
                sections[current].append(text)
        elif element.tag == qn("w:tbl") and current:
            sections[current] += [
                "".join(node.text or "" for node in cell.iter(qn("w:t"))) for cell in element.iter(qn("w:tc"))
            ]
    return {heading: "\n".join(lines) for heading, lines in sections.items()}


def test_the_dossier_as_word_reads_back_with_each_item_in_its_section(history_engine, tmp_path):
    out = tmp_path / "korea.docx"

    result = tracker("dossier", "kor", "--out", out, "--level", "committee")

    assert result.exit_code == 0, result.output
    assert result.stderr == f"Dossier written to {out} (confidentiality level committee).\n"
    sections = docx_sections(out.read_bytes())
    assert list(sections) == SECTIONS
    opened, claims, record, debt, new, partners = sections.values()
    assert "K3" in opened and "Train prosecutors in terrorism cases" in opened and "K2" in opened
    assert "K1" not in opened
    assert "KOR-U-2025" in claims and "Largely implemented (self-reported)" in claims
    assert "T1" in claims and "Training on NPO supervision" in claims and "T2" not in claims
    assert "1 was confirmed, 1 was verified lower and 1 verified higher" in record
    assert "Verified lower" in record and "Verified higher" in record and "Confirmed" in record
    assert "2750 (2024)" in debt and "2617" not in debt and "Gender and the role of women" in debt
    assert "never covered" in debt
    assert "N1" in new and "Adopt a content removal procedure" in new
    assert "UNODC" in partners and "provides TA on T1" in partners
    text = "\n".join(sections.values())
    assert [hidden for hidden in HIDDEN if hidden in text] == []
    # The finish of the reports to the Committee: a contents field, the marking, page numbers.
    document = docx.Document(io.BytesIO(out.read_bytes()))
    assert document.sections[0].header.paragraphs[0].text == "Confidentiality level: Committee"
    footer = document.sections[0].footer._element.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer
    assert "TOC \\o" in document.element.xml
    assert document.core_properties.category == "Confidentiality level: Committee"


def test_the_dossier_as_markdown_and_html(history_engine, tmp_path):
    markdown, html = tmp_path / "korea.md", tmp_path / "korea.html"

    assert tracker("dossier", "KOR", "--out", markdown, "--level", "committee").exit_code == 0
    assert tracker("dossier", "KOR", "--out", html, "--format", "html").exit_code == 0

    text = markdown.read_text(encoding="utf-8")
    assert text.startswith("# Republic of Korea: preparing the next visit\n")
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == SECTIONS
    assert [hidden for hidden in HIDDEN if hidden in text] == []
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Confidentiality level: Restricted" in page
    assert "Hidden restricted gap" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["XYZ", "--out", "{tmp}/x.md"],
            "Error: 'XYZ' is not a Member State code; use an ISO 3166 alpha-3 code such as KOR.\n",
        ),
        (
            ["KOR", "--out", "{tmp}/x.pdf"],
            "Error: cannot tell the report format from 'x.pdf'; add --format docx, html or md.\n",
        ),
        (
            ["KOR", "--out", "{tmp}/x.md", "--format", "pdf"],
            "Error: 'pdf' is not a report format; use docx, html or md.\n",
        ),
        (
            ["KOR", "--out", "{tmp}/missing/x.md"],
            "Error: the folder {tmp}/missing does not exist; create it or write the report elsewhere.\n",
        ),
        (
            ["KOR", "--out", "{tmp}", "--format", "md"],
            "Error: {tmp} is a folder; give --out a file name such as report.docx.\n",
        ),
        (
            ["KOR", "--out", "{tmp}/x.md", "--level", "secret"],
            "Error: 'secret' is not a confidentiality level; use one of public, un_platform, member_states, "
            "committee, state_and_cted, restricted.\n",
        ),
    ],
)
def test_dossier_errors_are_one_sentence_and_write_nothing(history_engine, tmp_path, args, message):
    result = tracker("dossier", *[arg.format(tmp=tmp_path) for arg in args])

    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message.format(tmp=tmp_path))
    assert not (tmp_path / "x.md").exists()


def test_the_area_map_is_edited_from_the_command_line_and_audited(history_engine):
    added = tracker("reference", "map-resolution", "cvE", "2750")
    again = tracker("reference", "map-resolution", "CVE", "2750")
    off = tracker("reference", "unmap-resolution", "ICT", "2396")
    sub_area = tracker("reference", "map-resolution", "BM.AVIATION", "2309")
    unknown = tracker("reference", "map-resolution", "LEG", "9999")

    assert (added.exit_code, added.stderr) == (0, "Mapped CVE → 2750.\n")
    assert (again.exit_code, again.stderr) == (0, "Unchanged: CVE → 2750.\n")
    assert (off.exit_code, off.stderr) == (0, "Unmapped ICT → 2396.\n")
    assert (sub_area.exit_code, sub_area.stderr) == (
        1,
        "Error: area: BM.AVIATION is a sub-area; the map names top-level areas, so write BM.\n",
    )
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        "Error: resolution: resolution 9999 is not in the reference list; correct the number, or add it to "
        "resolutions.csv (number,year,title,adopted_on) or with 'tracker reference add-resolution'.\n",
    )
    with history_engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(AreaResolution.area, AreaResolution.applies).where(AreaResolution.resolution.in_([2750, 2396]))
            ).all()
        )
        assert stored["CVE"] is True and stored["ICT"] is False
    trail = audit.events(history_engine, LOCAL_ADMIN, entity="area_resolution")
    assert {"CVE/2750", "ICT/2396"} <= set(trail["key"])
