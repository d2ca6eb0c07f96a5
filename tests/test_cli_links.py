"""`tracker links`: suggest (table, csv, json), accept, reject, and one-sentence errors."""

import json

import pytest
from typer.testing import CliRunner

from tests.services.test_continuity import DEMO_LINKS, _clear_links
from tracker.cli import app
from tracker.services.continuity import DEFAULT_MIN_SCORE

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_suggest_json_is_one_object_per_unlinked_finding_in_id_order(demo_engine):
    _clear_links(demo_engine, *DEMO_LINKS)

    result = tracker("links", "suggest", "--followup", "KOR-2023", "--format", "json")

    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [item["finding_id"] for item in listed] == sorted(item["finding_id"] for item in listed)
    assert all(set(item) == {"finding_id", "suggestions"} for item in listed)
    assert all(set(s) == {"baseline_id", "score"} for item in listed for s in item["suggestions"])
    by_id = {item["finding_id"]: item["suggestions"] for item in listed}
    assert {f: by_id[f][0]["baseline_id"] for f in DEMO_LINKS} == DEMO_LINKS
    assert by_id["KOR-2023-F01"] == []
    assert result.stdout == json.dumps(listed, indent=2) + "\n"


def test_suggest_table_shows_both_titles_and_lists_what_looks_new(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F07")

    result = tracker("links", "suggest", "--followup", "KOR-2023", "--min-score", "0.5")

    assert result.exit_code == 0
    assert result.stdout.startswith(
        "KOR-2023-F07  CFT.NPO  Oversight of non-profit organizations is still not risk-based\n"
        "    0.58  KOR-2009-F07  CFT.NPO  No risk-based oversight of non-profit organizations for terrorist "
        "financing abuse\n\n"
        "KOR-2023-F33  BM.AVIATION  Aviation security training and screening expertise offered to other States\n"
        "    0.57  KOR-2009-F36  BM.AVIATION  Aviation security training offered to other States in the region\n\n"
        "No earlier finding scores 0.5 or more, so these look new: KOR-2023-F01, KOR-2023-F02, KOR-2023-F03,\n"
    )
    assert result.stdout.endswith("KOR-2023-F32, KOR-2023-F34\n")
    assert result.stderr == (
        "Accept one with 'tracker links accept FINDING_ID BASELINE_ID', or reject it with 'tracker links reject'.\n"
    )


def test_suggest_csv_has_a_row_per_suggestion_and_one_per_new_finding(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F07")

    result = tracker("links", "suggest", "--followup", "KOR-2023", "--format", "csv", "--min-score", "0.5")

    lines = result.stdout.splitlines()
    assert lines[0] == "finding_id,rank,baseline_id,score,title,baseline_title"
    assert lines[1] == "KOR-2023-F01,0,,,No clear legal procedure for the removal of terrorist content online,"
    assert (
        "KOR-2023-F07,1,KOR-2009-F07,0.579,Oversight of non-profit organizations is still not risk-based,"
        "No risk-based oversight of non-profit organizations for terrorist financing abuse"
    ) in lines


def test_suggest_help_shows_the_default_threshold(engine):
    result = tracker("links", "suggest", "--help")

    assert result.exit_code == 0
    assert f"default {DEFAULT_MIN_SCORE}" in " ".join(result.stdout.split())


def test_accept_then_reject_print_what_they_did(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")

    accepted = tracker("links", "accept", "KOR-2023-F06", "KOR-2009-F03")
    again = tracker("links", "accept", "KOR-2023-F06", "KOR-2009-F03")
    rejected = tracker("links", "reject", "KOR-2023-F06", "KOR-2009-F03", "--note", "different offence")
    after = tracker("links", "suggest", "--followup", "KOR-2023", "--format", "json", "--min-score", "0")

    assert (accepted.exit_code, accepted.output) == (0, "KOR-2023-F06 now continues KOR-2009-F03.\n")
    assert (again.exit_code, again.output) == (0, "KOR-2023-F06 already continues KOR-2009-F03; nothing changed.\n")
    assert (rejected.exit_code, rejected.output) == (
        0,
        "KOR-2023-F06 no longer continues KOR-2009-F03, and the pair will not be suggested again.\n",
    )
    suggestions = {item["finding_id"]: item["suggestions"] for item in json.loads(after.stdout)}
    assert "KOR-2009-F03" not in [s["baseline_id"] for s in suggestions["KOR-2023-F06"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["accept", "KOR-2023-F99", "KOR-2009-F03"],
            "Error: there is no finding KOR-2023-F99 that you may see; check the finding id.\n",
        ),
        (
            ["accept", "KOR-2023-F06", "KOR-2023-F07"],
            "Error: nothing was saved: finding KOR-2023-F07 is not from an earlier visit; "
            "a finding continues an earlier one.\n",
        ),
        (
            ["accept", "KOR-2009-F03", "KOR-2023-F06"],
            "Error: KOR-2023-F06 is from a later visit than KOR-2009-F03; give the follow-up finding first, "
            "then the earlier finding it restates.\n",
        ),
        (
            ["reject", "KOR-2023-F06", "KOR-2009-F99"],
            "Error: nothing was saved: finding KOR-2009-F99 is neither in findings.csv nor in the database; "
            "name an existing finding.\n",
        ),
        (
            ["suggest", "--followup", "KOR-2099"],
            "Error: there is no visit KOR-2099 that you may see; check the visit id with 'tracker compare'.\n",
        ),
        (
            ["suggest", "--followup", "KOR-2023", "--min-score", "30"],
            "Error: the minimum score 30 is not between 0 and 1; give a number such as 0.3.\n",
        ),
    ],
)
def test_mistakes_are_one_sentence_and_exit_1(demo_engine, args, message):
    result = tracker("links", *args)

    assert (result.exit_code, result.output) == (1, message)
