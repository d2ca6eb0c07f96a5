"""`tracker report`: a state's or a period's report in each format, and one-sentence errors."""

import io

import docx
import pytest
from typer.testing import CliRunner

from tests.services.test_reports import AFTER_THE_VISIT, STATE_SECTIONS, above, add_second_state
from tracker.cli import app

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_state_report_as_markdown(demo_engine, tmp_path):
    out = tmp_path / "korea.md"

    result = tracker("report", "--state", "kor", "--format", "md", "--out", out, "--level", "committee")

    assert result.exit_code == 0, result.output
    assert result.stderr == f"Report written to {out} (confidentiality level committee).\n"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Republic of Korea: progress since the 2009 visit\n")
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == STATE_SECTIONS
    assert [hidden for hidden in above("committee") if hidden in text] == []


def test_state_report_format_follows_the_out_suffix(demo_engine, tmp_path):
    out = tmp_path / "korea.html"

    result = tracker("report", "--state", "KOR", "--followup", "KOR-2023", "--out", out)

    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Confidentiality level: restricted" in page


def test_state_report_as_word_document(demo_engine, tmp_path):
    out = tmp_path / "korea.docx"

    result = tracker("report", "--state", "KOR", "--out", out, "--level", "public")

    assert result.exit_code == 0, result.output
    document = docx.Document(io.BytesIO(out.read_bytes()))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == STATE_SECTIONS
    assert document.sections[0].header.paragraphs[0].text == "Confidentiality level: public"
    assert len(document.inline_shapes) == 1


def test_period_report_shows_its_progress_on_stderr(demo_engine, tmp_path):
    add_second_state(demo_engine, tmp_path / "fra")
    out = tmp_path / "period.md"

    result = tracker("report", "--period", "2022-01-01..2023-12-31", "--format", "md", "--out", out)

    assert result.exit_code == 0, result.output
    assert "Reading follow-up visits: Republic of Korea" in result.stderr
    assert result.stdout == ""
    headings = [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("## ")]
    assert headings == [
        "## Summary across States",
        *(f"## {heading}" for heading in AFTER_THE_VISIT),
        "## France: follow-up visit FRA-2022",
        "## Republic of Korea: follow-up visit KOR-2023",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "KOR", "--period", "2023-01-01..2023-12-31"], "give either --state or --period"),
        ([], "give either --state or --period"),
        (["--period", "2023"], "'2023' is not a period; write it as FROM..TO"),
        (["--period", "2023-01-01..2023-12-31", "--followup", "KOR-2023"], "--followup goes with --state"),
        (["--state", "KOR", "--format", "pdf"], "'pdf' is not a report format; use docx, html or md"),
        (["--state", "KOR", "--level", "secret"], "'secret' is not a confidentiality level"),
        (["--state", "FRA"], "has no follow-up visit"),
    ],
)
def test_errors_are_one_sentence_and_write_nothing(demo_engine, tmp_path, args, message):
    folder = tmp_path / "reports"
    folder.mkdir()

    result = tracker("report", *args, "--out", folder / "report.md")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(folder.iterdir()) == []


def test_an_out_file_in_a_missing_folder_is_a_one_sentence_error(demo_engine, tmp_path):
    result = tracker("report", "--state", "KOR", "--out", tmp_path / "missing" / "report.html")

    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: the folder {tmp_path / 'missing'} does not exist; create it or write the report elsewhere.\n"
    )


def test_an_out_suffix_that_names_no_format_is_a_one_sentence_error(demo_engine, tmp_path):
    result = tracker("report", "--state", "KOR", "--out", tmp_path / "report.pdf")

    assert result.exit_code == 1
    assert result.stderr == "Error: cannot tell the report format from 'report.pdf'; add --format docx, html or md.\n"
