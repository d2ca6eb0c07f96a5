"""Continuity suggestions: which earlier finding a follow-up finding restates, accepted or rejected."""

import json

import pytest
from sqlalchemy import select

from bench.continuity import HELD_OUT, TUNING, tune_and_test
from tests.conftest import finding_row, followup_row, visit_row, write_bundle
from tests.services.test_bundle import _fresh_database, run_import
from tracker.errors import NotFound, PermissionDenied, TrackerError, ValidationFailed
from tracker.models import AuditEvent, Confidentiality, Finding, LinkDecision, Role
from tracker.services.bundle.exporter import export_bundle
from tracker.services.continuity import suggestions as continuity
from tracker.services.continuity.scoring import scores, similarity
from tracker.services.continuity.suggestions import (
    DEFAULT_MIN_SCORE,
    Text,
    Weights,
    assign,
    compatible,
    rank,
    suggest,
    suggest_links,
)
from tracker.services.continuity.threshold import AREA_FACTOR, WORD_WEIGHT
from tracker.services.people import audit
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.progress.comparison import compare
from tracker.services.records import editing as records

DEMO_LINKS = {"KOR-2023-F06": "KOR-2009-F03", "KOR-2023-F07": "KOR-2009-F07", "KOR-2023-F08": "KOR-2009-F14"}


def _clear_links(engine, *finding_ids):
    for finding_id in finding_ids:
        row = records.get_finding(engine, LOCAL_ADMIN, finding_id)
        records.save_finding(engine, LOCAL_ADMIN, row | {"continues": ""})


def _suggested(engine, actor=LOCAL_ADMIN, followup="KOR-2023", **options) -> dict[str, list[str]]:
    return {
        item.finding_id: [s.baseline_id for s in item.suggestions]
        for item in suggest_links(engine, actor, followup, **options)
    }


def _new_gaps(engine, level=None) -> int:
    return compare(engine, LOCAL_ADMIN, "KOR", "KOR-2023", level)["totals"]["new_gaps"]


# ---------------------------------------------------------------- suggesting


def test_every_demo_link_removed_comes_back_as_the_top_suggestion(demo_engine):
    _clear_links(demo_engine, *DEMO_LINKS)
    # F15 (a whole-of-society prevention strategy) is as close to F14 as F08 is, and the pairing of
    # the whole visit gives F14 to one of them only; once an analyst rejects F15 -> F14, F08 gets it.
    continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F15", "KOR-2009-F14")

    suggested = _suggested(demo_engine)

    assert {finding_id: suggested[finding_id][0] for finding_id in DEMO_LINKS} == DEMO_LINKS


def test_findings_that_continue_one_already_are_not_listed_and_the_rest_are_in_id_order(demo_engine):
    suggested = list(_suggested(demo_engine))

    assert not set(DEMO_LINKS) & set(suggested)
    assert suggested == sorted(suggested)
    assert "KOR-2023-F01" in suggested


def test_a_finding_that_looks_new_gets_an_empty_list(demo_engine):
    # Removal of terrorist content online was not an issue at the 2009 visit.
    assert _suggested(demo_engine)["KOR-2023-F01"] == []


def test_scores_lie_between_0_and_1_best_first_and_at_or_above_the_threshold(demo_engine):
    _clear_links(demo_engine, *DEMO_LINKS)

    for item in suggest_links(demo_engine, LOCAL_ADMIN, "KOR-2023", min_score=0.05):
        scores = [s.score for s in item.suggestions]
        assert all(0.05 <= score <= 1 for score in scores)
        assert len(scores) <= continuity.MAX_SUGGESTIONS


def test_a_higher_minimum_score_gives_fewer_suggestions(demo_engine):
    low = _suggested(demo_engine, min_score=0.1)
    high = _suggested(demo_engine, min_score=0.5)

    assert sum(map(len, high.values())) < sum(map(len, low.values()))


@pytest.mark.parametrize("score", [-0.1, 1.5])
def test_a_minimum_score_outside_0_to_1_is_refused(demo_engine, score):
    with pytest.raises(TrackerError, match="is not between 0 and 1"):
        suggest_links(demo_engine, LOCAL_ADMIN, "KOR-2023", min_score=score)


def test_an_unknown_follow_up_is_not_found(demo_engine):
    with pytest.raises(NotFound, match="there is no visit KOR-2099 that you may see"):
        suggest_links(demo_engine, LOCAL_ADMIN, "KOR-2099")


def test_candidates_in_the_same_top_level_area_come_first():
    later = [Text("F2", "BM.AVIATION", "Air cargo screening is weak")]
    earlier = [
        Text("B1", "LE", "Air cargo screening is weak at airports"),
        Text("B2", "BM.BORDER_CONTROL", "Air cargo screening standards"),
    ]

    (item,) = rank(later, earlier, min_score=0.0)

    assert [s.baseline_id for s in item.suggestions] == ["B2", "B1"]
    assert item.suggestions[0].score < item.suggestions[1].score


def test_texts_of_nothing_but_stop_words_score_zero():
    (item,) = rank([Text("F2", "LEG", "The")], [Text("B1", "LEG", "and")], min_score=0.0)

    assert [s.score for s in item.suggestions] == [0.0]


def test_only_earlier_visits_of_the_same_state_give_candidates(engine, tmp_path):
    write_bundle(
        tmp_path,
        visits=[
            visit_row("KOR-2009"),
            followup_row("KOR-2023"),
            visit_row("JPN-2010", state="JPN", start_date="2010-01-10", end_date="2010-01-12"),
            followup_row("KOR-2030", baseline="KOR-2023", start_date="2030-01-10", end_date="2030-01-12"),
        ],
        findings=[
            finding_row("KOR-2009-F01", title="Air cargo is not screened"),
            finding_row("JPN-2010-F01", visit_id="JPN-2010", title="Air cargo is not screened"),
            finding_row("KOR-2030-F01", visit_id="KOR-2030", title="Air cargo is not screened"),
            finding_row("KOR-2023-F01", visit_id="KOR-2023", title="Air cargo is still not screened"),
        ],
    )
    assert run_import(engine, tmp_path).ok

    assert _suggested(engine) == {"KOR-2023-F01": ["KOR-2009-F01"]}
    # Both earlier visits' findings are candidates; the identical title scores highest.
    assert _suggested(engine, followup="KOR-2030") == {"KOR-2030-F01": ["KOR-2009-F01", "KOR-2023-F01"]}


# ---------------------------------------------------------------- accepting and rejecting


def test_accepting_sets_continues_lowers_new_gaps_by_one_and_is_audited(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")
    before = _new_gaps(demo_engine)

    decision = continuity.accept_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F06", "KOR-2009-F03")

    assert decision.accepted_text() == "KOR-2023-F06 now continues KOR-2009-F03."
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06")["continues"] == "KOR-2009-F03"
    assert _new_gaps(demo_engine) == before - 1
    with demo_engine.connect() as connection:
        event = connection.execute(
            select(AuditEvent).where(AuditEvent.key == "KOR-2023-F06").order_by(AuditEvent.id.desc())
        ).first()
    assert (event.action, event.username) == ("update", "local")
    assert json.loads(event.changes) == {"continues": [None, "KOR-2009-F03"]}
    assert "KOR-2023-F06" not in _suggested(demo_engine)


def test_accepting_the_link_a_finding_has_changes_nothing(demo_engine):
    decision = continuity.accept_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F06", "KOR-2009-F03")

    assert decision.accepted_text() == "KOR-2023-F06 already continues KOR-2009-F03; nothing changed."


def test_accepting_a_later_finding_is_refused_through_the_importers_checks(demo_engine):
    with pytest.raises(ValidationFailed) as caught:
        continuity.accept_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F06", "KOR-2023-F07")

    assert str(caught.value) == (
        "nothing was saved: finding KOR-2023-F07 is not from an earlier visit; a finding continues an earlier one."
    )
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06")["continues"] == "KOR-2009-F03"


def test_a_rejected_pair_never_comes_back(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")
    assert _suggested(demo_engine)["KOR-2023-F06"][0] == "KOR-2009-F03"

    decision = continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F06", "KOR-2009-F03", note="other scope")

    assert decision.rejected_text() == (
        "KOR-2023-F06 is recorded as not continuing KOR-2009-F03; the pair will not be suggested again."
    )
    for score in (DEFAULT_MIN_SCORE, 0.0):
        assert "KOR-2009-F03" not in _suggested(demo_engine, min_score=score)["KOR-2023-F06"]
    with demo_engine.connect() as connection:
        stored = connection.execute(select(LinkDecision)).one()
    (audited,) = audit.events(demo_engine, LOCAL_ADMIN, entity="link_decision").itertuples()
    assert (stored.finding_id, stored.baseline_id, stored.decided_by, stored.note) == (
        "KOR-2023-F06",
        "KOR-2009-F03",
        "local",
        "other scope",
    )
    assert (audited.action, audited.key) == ("create", "KOR-2023-F06/KOR-2009-F03")


def test_rejecting_the_link_a_finding_has_removes_it_in_the_same_transaction(demo_engine):
    before = _new_gaps(demo_engine)

    decision = continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F06", "KOR-2009-F03")

    assert decision.rejected_text() == (
        "KOR-2023-F06 no longer continues KOR-2009-F03, and the pair will not be suggested again."
    )
    assert not records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06").get("continues")
    assert _new_gaps(demo_engine) == before + 1
    assert "KOR-2009-F03" not in _suggested(demo_engine, min_score=0.0)["KOR-2023-F06"]


def test_a_failed_reject_writes_nothing(demo_engine):
    with pytest.raises(ValidationFailed, match=r"finding KOR-2009-F99 is neither in findings\.csv nor in the database"):
        continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F06", "KOR-2009-F99")

    with demo_engine.connect() as connection:
        assert connection.execute(select(LinkDecision)).first() is None


# ---------------------------------------------------------------- who may see and decide

COMMITTEE_VIEWER = Actor("reader", Role.viewer, Confidentiality.committee)
COMMITTEE_ANALYST = Actor("analyst", Role.analyst, Confidentiality.committee)


def test_a_reader_gets_suggestions_only_among_rows_they_may_see(demo_engine):
    # KOR-2023-F05 (restricted) restates KOR-2009-F09 (restricted); neither is for a committee reader.
    _clear_links(demo_engine, *DEMO_LINKS)
    everything = suggest_links(demo_engine, LOCAL_ADMIN, "KOR-2023", min_score=0.0)
    seen = suggest_links(demo_engine, COMMITTEE_VIEWER, "KOR-2023", min_score=0.0)

    with demo_engine.connect() as connection:
        hidden = set(
            connection.execute(
                select(Finding.finding_id).where(Finding.confidentiality.in_(["state_and_cted", "restricted"]))
            ).scalars()
        )
    all_ids = {i.finding_id for i in everything} | {s.baseline_id for i in everything for s in i.suggestions}
    seen_ids = {i.finding_id for i in seen} | {s.baseline_id for i in seen for s in i.suggestions}
    assert hidden & all_ids
    assert not hidden & seen_ids
    assert {i.finding_id: i.suggestions[0].baseline_id for i in seen if i.finding_id in DEMO_LINKS} == DEMO_LINKS


def test_a_finding_whose_continued_finding_is_hidden_looks_unlinked_to_the_reader(demo_engine, tmp_path):
    write_bundle(
        tmp_path,
        findings=[
            finding_row(
                "KOR-2023-F40",
                visit_id="KOR-2023",
                area="LE.INTELLIGENCE",
                title="Intelligence sharing between the police and the intelligence service is still ad hoc",
                continues="KOR-2009-F09",
            )
        ],
    )
    assert run_import(demo_engine, tmp_path).ok

    assert "KOR-2023-F40" not in _suggested(demo_engine)
    assert _suggested(demo_engine, COMMITTEE_VIEWER)["KOR-2023-F40"] == []


def test_a_reader_cannot_ask_about_a_visit_above_their_clearance(demo_engine, tmp_path):
    write_bundle(
        tmp_path,
        visits=[followup_row("KOR-2030", start_date="2030-01-10", end_date="2030-01-12", confidentiality="restricted")],
    )
    assert run_import(demo_engine, tmp_path).ok

    with pytest.raises(NotFound, match="there is no visit KOR-2030 that you may see"):
        suggest_links(demo_engine, COMMITTEE_VIEWER, "KOR-2030")


def _continuing_a_hidden_finding(engine, folder) -> None:
    write_bundle(
        folder,
        findings=[finding_row("KOR-2023-F40", visit_id="KOR-2023", area="LE.INTELLIGENCE", continues="KOR-2009-F09")],
    )
    assert run_import(engine, folder).ok


def test_accepting_a_link_does_not_replace_one_to_a_finding_the_analyst_cannot_see(demo_engine, tmp_path):
    _continuing_a_hidden_finding(demo_engine, tmp_path)

    with pytest.raises(ValidationFailed) as refused:
        continuity.accept_link(demo_engine, COMMITTEE_ANALYST, "KOR-2023-F40", "KOR-2009-F03")

    assert str(refused.value) == (
        "nothing was saved: finding KOR-2023-F40 continues a finding you may not see, so you cannot change "
        "that link; ask a user cleared for that finding."
    )
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F40")["continues"] == "KOR-2009-F09"
    assert continuity.accept_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F40", "KOR-2009-F03").accepted_text() == (
        "KOR-2023-F40 now continues KOR-2009-F03 (it continued KOR-2009-F09 before)."
    )


def test_an_import_does_not_replace_a_link_to_a_finding_the_importer_cannot_see(demo_engine, tmp_path):
    _continuing_a_hidden_finding(demo_engine, tmp_path / "first")
    write_bundle(
        tmp_path / "second",
        findings=[finding_row("KOR-2023-F40", visit_id="KOR-2023", area="LE.INTELLIGENCE", continues="KOR-2009-F03")],
    )

    result = run_import(demo_engine, tmp_path / "second", actor=COMMITTEE_ANALYST)

    assert [str(error) for error in result.errors] == [
        "findings.csv:2: continues: finding KOR-2023-F40 continues a finding you may not see, so you cannot "
        "change that link; ask a user cleared for that finding"
    ]
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F40")["continues"] == "KOR-2009-F09"


@pytest.mark.parametrize("decide", [continuity.accept_link, continuity.reject_link])
def test_a_viewer_can_neither_accept_nor_reject(demo_engine, decide):
    _clear_links(demo_engine, "KOR-2023-F06")

    with pytest.raises(PermissionDenied, match="has the viewer role and cannot change data"):
        decide(demo_engine, COMMITTEE_VIEWER, "KOR-2023-F06", "KOR-2009-F03")

    assert not records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06").get("continues")
    with demo_engine.connect() as connection:
        assert connection.execute(select(LinkDecision)).first() is None


def test_an_analyst_cannot_link_to_or_reject_a_finding_above_their_clearance(demo_engine):
    with pytest.raises(ValidationFailed, match=r"KOR-2009-F09 is neither in findings\.csv nor in the database"):
        continuity.accept_link(demo_engine, COMMITTEE_ANALYST, "KOR-2023-F06", "KOR-2009-F09")
    with pytest.raises(NotFound, match="there is no finding KOR-2023-F05 that you may see"):
        continuity.reject_link(demo_engine, COMMITTEE_ANALYST, "KOR-2023-F05", "KOR-2009-F09")


# ---------------------------------------------------------------- the bundle file


def test_rejections_round_trip_byte_for_byte(demo_engine, tmp_path, request):
    continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F22", "KOR-2009-F08", note="=typologies, not cash")
    continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F13", "KOR-2009-F19")
    first = tmp_path / "first"
    export_bundle(demo_engine, first, LOCAL_ADMIN)
    fresh = _fresh_database(demo_engine, request, tmp_path)

    assert run_import(fresh, first).ok
    second = tmp_path / "second"
    export_bundle(fresh, second, LOCAL_ADMIN)

    exported = (first / "link_decisions.csv").read_text()
    assert exported.splitlines()[0] == "finding_id,baseline_id,decided_by,decided_on,note"
    assert exported.splitlines()[1].startswith("KOR-2023-F13,KOR-2009-F19,local,")
    assert exported.splitlines()[2].endswith(',"\'=typologies, not cash"')
    assert (second / "link_decisions.csv").read_bytes() == exported.encode()
    assert "KOR-2009-F08" not in _suggested(fresh, min_score=0.0)["KOR-2023-F22"]
    again = run_import(demo_engine, first)
    assert again.counts["link_decisions.csv"].unchanged == 2


def test_an_export_at_a_level_leaves_out_decisions_about_hidden_findings(demo_engine, tmp_path):
    # KOR-2023-F22 is state_and_cted.
    continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F22", "KOR-2009-F08")
    continuity.reject_link(demo_engine, LOCAL_ADMIN, "KOR-2023-F13", "KOR-2009-F19")

    export_bundle(demo_engine, tmp_path, LOCAL_ADMIN, "committee")

    assert "KOR-2023-F22" not in (tmp_path / "link_decisions.csv").read_text()
    assert "KOR-2023-F13" in (tmp_path / "link_decisions.csv").read_text()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"finding_id": "KOR-2023-F06", "baseline_id": "KOR-2009-F99"},
            "link_decisions.csv:2: baseline_id: finding KOR-2009-F99 is neither in findings.csv nor in the database; "
            "name an existing finding",
        ),
        (
            {"finding_id": "KOR-2009-F03", "baseline_id": "KOR-2023-F06"},
            "link_decisions.csv:2: baseline_id: finding KOR-2023-F06 is not from an earlier visit than KOR-2009-F03; "
            "name the earlier finding as baseline_id",
        ),
        (
            {"finding_id": "KOR-2023-F06", "baseline_id": "KOR-2023-F06"},
            "link_decisions.csv:2: row: a finding cannot be compared with itself; name an earlier finding as baseline_id",
        ),
        (
            {"finding_id": "KOR-2023-F06", "baseline_id": "KOR-2009-F03", "decided_on": "1/2/2024"},
            "link_decisions.csv:2: decided_on: '1/2/2024' is not a date; write it as YYYY-MM-DD",
        ),
    ],
)
def test_a_bad_decision_row_is_named_with_its_line_and_column(demo_engine, tmp_path, row, message):
    write_bundle(tmp_path, link_decisions=[row])

    result = run_import(demo_engine, tmp_path)

    assert [str(e) for e in result.errors] == [message]


def test_a_decision_across_states_is_refused(demo_engine, tmp_path):
    write_bundle(
        tmp_path,
        visits=[visit_row("JPN-2010", state="JPN", start_date="2010-01-10", end_date="2010-01-12")],
        findings=[finding_row("JPN-2010-F01", visit_id="JPN-2010")],
        link_decisions=[{"finding_id": "KOR-2023-F06", "baseline_id": "JPN-2010-F01"}],
    )

    result = run_import(demo_engine, tmp_path)

    assert [str(e) for e in result.errors] == [
        "link_decisions.csv:2: baseline_id: finding JPN-2010-F01 is of another state; "
        "a decision compares findings of the same state"
    ]


# ---------------------------------------------------------------- the evaluation sets


def test_the_default_is_what_cross_validation_on_the_tuning_set_chooses_and_it_meets_the_targets_held_out():
    direction = tune_and_test(TUNING, HELD_OUT)

    assert direction.chosen == Weights(WORD_WEIGHT, AREA_FACTOR, DEFAULT_MIN_SCORE)
    held_out = direction.on_held_out
    assert (held_out.restatements, held_out.new) == (25, 21)
    assert held_out.precision_at_1 >= 0.8
    assert held_out.new_suggested <= 0.3
    assert held_out.other_kinds_suggested == 0


# ---------------------------------------------------------------- kinds and the pairing of the whole visit

_KINDS = ["shortfall", "recommendation", "ta_need", "good_practice", "progress", "concern", "capacity_to_assist"]


@pytest.mark.parametrize("later_kind", _KINDS)
def test_kinds_never_mix(later_kind):
    # The same words under every kind: only a compatible kind may be suggested or offered as possible.
    later = [Text("F1", "CFT", "Cash couriers are not checked at land borders", "", later_kind)]
    earlier = [Text(f"B-{kind}", "CFT", "Cash couriers are not checked at land borders", "", kind) for kind in _KINDS]

    (item,) = suggest(later, earlier, weights=Weights(min_score=0.0))

    offered = [c.baseline_id.removeprefix("B-") for c in item.candidates]
    expected = {"shortfall": ["recommendation", "shortfall"], "recommendation": ["recommendation", "shortfall"]}
    expected["ta_need"] = ["ta_need"]
    assert sorted(offered) == expected.get(later_kind, [])
    assert all(compatible(later_kind, kind) for kind in offered)
    assert item.possible is None


def test_the_pairing_never_gives_one_earlier_finding_to_two_follow_up_findings():
    # Both follow-up findings are closest to B1; the whole-visit pairing gives B1 to the closer one
    # and B2 to the other, instead of B1 twice.
    earlier = [
        Text("B1", "CJ", "Mutual legal assistance is slow", "Requests go through diplomatic channels"),
        Text("B2", "CJ", "Extradition has no central authority", "Files wait at the ministry"),
    ]
    later = [
        Text("F1", "CJ", "Mutual legal assistance is still slow", "Requests still go through diplomatic channels"),
        Text(
            "F2",
            "CJ",
            "Mutual legal assistance and extradition are slow",
            "Requests go through diplomatic channels; files wait at the ministry",
        ),
    ]
    weights = Weights(min_score=0.05)
    score = scores(later, earlier, similarity(later, earlier), weights)
    assert score[0, 0] > score[1, 0] > score[1, 1] >= weights.min_score

    ranked = suggest(later, earlier, weights=weights)

    assert [item.candidates[0].baseline_id for item in ranked] == ["B1", "B2"]
    assert [c.baseline_id for c in ranked[1].candidates] == ["B2"]


def test_the_assignment_uses_each_earlier_finding_at_most_once_and_nothing_below_the_threshold():
    import numpy as np

    score = np.array([[0.9, 0.8, 0.1], [0.85, 0.2, 0.1], [0.7, 0.6, 0.05], [-1.0, -1.0, 0.3]])

    paired = assign(score, min_score=0.25)

    assert len(set(paired.values())) == len(paired)
    assert paired == {0: 1, 1: 0, 3: 2}


def test_the_first_suggestions_of_a_whole_set_name_distinct_earlier_findings():
    from bench.continuity import load

    for name in (TUNING, HELD_OUT):
        evaluation = load(name)
        firsts = [
            item.candidates[0].baseline_id
            for item in suggest(evaluation.later, evaluation.earlier, weights=Weights(min_score=0.0))
            if item.candidates
        ]
        assert len(firsts) == len(set(firsts))


def test_a_restatement_below_the_threshold_is_offered_as_possible_with_its_evidence():
    later = [Text("F1", "BM.AVIATION", "Air cargo not fully screened", "Random checks only")]
    earlier = [
        Text("B1", "BM.AVIATION", "Cargo screening at the airport is incomplete", "Screened by sampling"),
        Text("B2", "LE", "Police lack vehicles"),
    ]
    best = suggest(later, earlier, weights=Weights(min_score=0.0))[0].candidates[0]

    (item,) = suggest(later, earlier, weights=Weights(min_score=best.score + 0.01))

    assert item.candidates == []
    assert item.possible is not None and item.possible.baseline_id == "B1"
    assert "cargo" in item.possible.evidence.shared_words
    assert item.possible.evidence.same_area
    assert item.possible.evidence.in_words().endswith("· same area · shortfall")


def test_json_gives_the_possible_candidate_of_a_finding_with_no_suggestion(demo_engine):
    _clear_links(demo_engine, *DEMO_LINKS)

    listed = [item.as_dict() for item in suggest_links(demo_engine, LOCAL_ADMIN, "KOR-2023", min_score=0.6)]

    assert all(item["suggestions"] == [] for item in listed)
    possible = {item["finding_id"]: item["possible"] for item in listed}
    assert possible["KOR-2023-F06"] == {"baseline_id": "KOR-2009-F03", "score": pytest.approx(0.5, abs=0.4)}
