"""`tracker report`: a state's or a period's report in each format, and one-sentence errors."""

import io

import docx
import pytest
from typer.testing import CliRunner

from tests.services.test_reports import STATE_SECTIONS, above, add_second_state
from tracker.cli import app
from tracker.services.reports.model import numbered, section_number

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def numbered_sections(headings: list[str]) -> list[str]:
    return [numbered(section_number(1, n), heading) for n, heading in enumerate(headings, start=1)]


def test_state_report_as_markdown(demo_engine, tmp_path):
    out = tmp_path / "korea.md"

    result = tracker("report", "--state", "kor", "--format", "md", "--out", out, "--level", "committee")

    assert result.exit_code == 0, result.output
    assert result.stderr == f"Report written to {out} (confidentiality level committee).\n"
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Republic of Korea: progress since the 2009 visit\n")
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == numbered_sections(STATE_SECTIONS)
    assert [hidden for hidden in above("committee") if hidden in text] == []


def test_state_report_format_follows_the_out_suffix(demo_engine, tmp_path):
    out = tmp_path / "korea.html"

    result = tracker("report", "--state", "KOR", "--followup", "KOR-2023", "--out", out)

    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Confidentiality level: Restricted" in page


def test_state_report_as_word_document(demo_engine, tmp_path):
    out = tmp_path / "korea.docx"

    result = tracker("report", "--state", "KOR", "--out", out, "--level", "public")

    assert result.exit_code == 0, result.output
    document = docx.Document(io.BytesIO(out.read_bytes()))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == numbered_sections(STATE_SECTIONS)
    assert document.sections[0].header.paragraphs[0].text == "Confidentiality level: Public"
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
        "## I. Since the last report",
        "## II. Summary across States",
        "## III. Technical assistance by provider",
        "## IV. Overdue responses",
        "## V. Written updates from States",
        "## VI. France: digest",
        "## VII. Republic of Korea: digest",
        "## VIII. France: follow-up visit FRA-2022",
        "## IX. Republic of Korea: follow-up visit KOR-2023",
    ]


def test_period_summary_sorted_by_index_on_request(demo_engine, tmp_path):
    add_second_state(demo_engine, tmp_path / "fra")
    out = tmp_path / "period.md"

    result = tracker("report", "--period", "2022-01-01..2023-12-31", "--sort", "index", "--out", out)

    assert result.exit_code == 0, result.output
    rows = [line.split(" | ")[0] for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    # France (index 75.0) comes before the Republic of Korea (66.3) in the summary's table.
    assert rows[:3] == ["| State", "| France", "| Republic of Korea"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "KOR", "--period", "2023-01-01..2023-12-31"], "give either --state or --period"),
        ([], "give either --state or --period"),
        (["--period", "2023"], "'2023' is not a period; write it as FROM..TO"),
        (["--period", "2023-01-01..2023-12-31", "--followup", "KOR-2023"], "--followup goes with --state"),
        (["--state", "KOR", "--sort", "index"], "--sort goes with --period, not with --state; leave out --sort"),
        (
            ["--period", "2023-01-01..2023-12-31", "--sort", "size"],
            "'size' is not a sort order of the summary; use state or index",
        ),
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
