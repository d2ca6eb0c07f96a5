"""`tracker links`: suggest (table, csv, json), accept, reject, and one-sentence errors."""

import json

import pytest
from typer.testing import CliRunner

from tests.services.test_continuity import DEMO_LINKS, _clear_links
from tracker.cli import app
from tracker.services.continuity.suggestions import DEFAULT_MIN_SCORE

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_suggest_json_is_one_object_per_unlinked_finding_in_id_order(demo_engine):
    _clear_links(demo_engine, *DEMO_LINKS)
    tracker("links", "reject", "KOR-2023-F15", "KOR-2009-F14")

    result = tracker("links", "suggest", "--followup", "KOR-2023", "--format", "json")

    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [item["finding_id"] for item in listed] == sorted(item["finding_id"] for item in listed)
    assert all(set(item) == {"finding_id", "suggestions", "possible"} for item in listed)
    assert all(set(s) == {"baseline_id", "score"} for item in listed for s in item["suggestions"])
    by_id = {item["finding_id"]: item["suggestions"] for item in listed}
    assert {f: by_id[f][0]["baseline_id"] for f in DEMO_LINKS} == DEMO_LINKS
    assert by_id["KOR-2023-F01"] == []
    possible = {item["finding_id"]: item["possible"] for item in listed}
    assert all(possible[f] is None for f, found in by_id.items() if found)
    assert result.stdout == json.dumps(listed, indent=2) + "\n"


def test_suggest_table_shows_both_titles_the_evidence_what_to_check_and_what_looks_new(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F07")

    result = tracker("links", "suggest", "--followup", "KOR-2023", "--min-score", "0.5")

    assert result.exit_code == 0
    assert result.stdout.startswith(
        "KOR-2023-F07  CFT.NPO  Oversight of non-profit organizations is still not risk-based\n"
        "    0.58  KOR-2009-F07  CFT.NPO  No risk-based oversight of non-profit organizations for terrorist "
        "financing abuse\n"
        "        why: abuse, oversight, non, profit, based, organizations · same area · shortfall\n\n"
        "KOR-2023-F13  CFT.NPO  Apply targeted, risk-based supervision to the non-profit organizations most at risk\n"
        "    possible, check: 0.38  KOR-2009-F19  CFT.NPO  Conduct outreach to the non-profit sector on terrorist "
        "financing risks\n"
        "        why: charitable, designed, disrupted, legitimate, targeted, proportionate · same area · "
        "recommendation\n\n"
    )
    assert "No earlier finding scores 0.5 or more, so these look new: KOR-2023-F01, KOR-2023-F02," in result.stdout
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


def test_accept_prints_the_change_the_new_gaps_and_how_to_undo_it(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")

    accepted = tracker("links", "accept", "KOR-2023-F06", "KOR-2009-F03")
    undone = tracker("links", "clear", "KOR-2023-F06")

    assert (accepted.exit_code, accepted.output) == (
        0,
        "KOR-2023-F06 now continues KOR-2009-F03.\n"
        "  KOR-2023-F06  continues: (empty) → KOR-2009-F03\n"
        "New gaps at KOR-2023: 6 → 5.\n"
        "To undo: tracker links clear KOR-2023-F06\n",
    )
    assert (undone.exit_code, undone.output) == (
        0,
        "KOR-2023-F06 no longer continues KOR-2009-F03.\n"
        "  KOR-2023-F06  continues: KOR-2009-F03 → (empty)\n"
        "New gaps at KOR-2023: 5 → 6.\n"
        "To undo: tracker links accept KOR-2023-F06 KOR-2009-F03\n",
    )


def test_accept_over_another_link_says_how_to_put_the_old_one_back(demo_engine):
    result = tracker("links", "accept", "KOR-2023-F06", "KOR-2009-F04")

    assert (result.exit_code, result.output) == (
        0,
        "KOR-2023-F06 now continues KOR-2009-F04 (it continued KOR-2009-F03 before).\n"
        "  KOR-2023-F06  continues: KOR-2009-F03 → KOR-2009-F04\n"
        "New gaps at KOR-2023: 5 (unchanged).\n"
        "To undo: tracker links accept KOR-2023-F06 KOR-2009-F03\n",
    )


def test_clearing_a_finding_with_no_link_changes_nothing(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")

    result = tracker("links", "clear", "KOR-2023-F06")

    assert (result.exit_code, result.output) == (0, "KOR-2023-F06 continues no earlier finding; nothing changed.\n")


def test_accept_then_reject_print_what_they_did(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")

    tracker("links", "accept", "KOR-2023-F06", "KOR-2009-F03")
    again = tracker("links", "accept", "KOR-2023-F06", "KOR-2009-F03")
    rejected = tracker("links", "reject", "KOR-2023-F06", "KOR-2009-F03", "--note", "different offence")
    after = tracker("links", "suggest", "--followup", "KOR-2023", "--format", "json", "--min-score", "0")

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
            ["clear", "KOR-2023-F99"],
            "Error: there is no finding KOR-2023-F99 that you may see; check the finding id.\n",
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
