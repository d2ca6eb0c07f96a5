"""A State's dossier for its next visit, on a history of its own.

KOR: a comprehensive visit in 2010 covering every area but GEN, a follow-up in 2018 focused on
LEG, CFT and BM, and one in 2023 on LEG, CFT and ICT, with two written updates between them.
  K1 (LEG) closed in 2018 and carried since: not open.      K2 (CFT) partially in 2018, carried: open.
  K3 (CJ, priority) never assessed: open, listed first.    K4 (LEG) claimed fully in 2019, partially in 2023: lower.
  K5 (CFT) claimed initial steps in 2019, largely in 2023: higher.   K6 (ICT) claimed and verified largely: confirmed.
  K4 claimed largely again in 2025: a claim to verify.      T1 delivered TA for K2 in 2020, not assessed since.
  T2 delivered TA for K5 in 2019, assessed in 2023: verified.   N1 a new recommendation of 2023.
MYS's ICT finding is tagged with 2750 (adopted 2024, after KOR's last ICT visit: debt) and 2617
(adopted 2021, before it: no debt). GEN was never covered. SGP's one visit, in 2025, covered GEN only. Above committee: R1, a restricted
KOR-2024R visit covering GEN, a restricted claim on K6, and MYS's CVE finding tagged with 2800.
"""

import dataclasses
import datetime as dt

import pytest

from tests.conftest import assessment_row, finding_row, followup_row, meeting_row, visit_row, write_bundle
from tests.services.test_between_visits import item_row, update_row
from tests.services.test_bundle import run_import
from tracker.errors import NotFound
from tracker.models import Confidentiality, Role
from tracker.services.dossier.build import compute_dossier
from tracker.services.dossier.debt import debt_by_state
from tracker.services.dossier.model import CONFIRMED, HIGHER, LOWER
from tracker.services.people.access import LOCAL_ADMIN, Actor

TODAY = dt.date(2026, 1, 15)
HIDDEN = ("R1", "Hidden restricted gap", "KOR-2024R", "2800", "KOR-U-2025R")


def ta_row(finding_id, status, **overrides) -> dict:
    row = {
        "finding_id": finding_id,
        "status": status,
        "providers": "",
        "addresses": "",
        "updated_on": "",
        "note": "",
        "confidentiality": "committee",
    }
    return row | overrides


def dossier_history(folder):
    """The bundle of the module docstring."""
    every_area_but_gen = "STRAT;LEG;CJ;CFT;LE;BM;ICT;CVE;HR"
    return write_bundle(
        folder,
        resolutions=[
            {"number": "2750", "year": "2024", "title": "New technologies and terrorism", "adopted_on": "2024-09-30"},
            {"number": "2800", "year": "2025", "title": "A restricted requirement", "adopted_on": "2025-03-01"},
        ],
        visits=[
            visit_row("KOR-2010", start_date="2010-03-01", end_date="2010-03-04", scope=every_area_but_gen),
            followup_row(
                "KOR-2018",
                baseline="KOR-2010",
                start_date="2018-05-01",
                end_date="2018-05-04",
                scope="LEG;CFT;BM",
                partners="UNODC",
            ),
            followup_row("KOR-2023", baseline="KOR-2010", scope="LEG;CFT;ICT"),
            visit_row(
                "KOR-2024R",
                kind="focused",
                start_date="2024-02-01",
                end_date="2024-02-02",
                scope="GEN",
                confidentiality="restricted",
            ),
            visit_row("MYS-2022", state="MYS", start_date="2022-01-10", end_date="2022-01-12"),
            visit_row(
                "SGP-2025", state="SGP", kind="focused", start_date="2025-03-03", end_date="2025-03-04", scope="GEN"
            ),
        ],
        findings=[
            finding_row("K1", visit_id="KOR-2010", area="LEG", title="Terrorist acts not defined in law"),
            finding_row("K2", visit_id="KOR-2010", area="CFT.NPO", title="No oversight of non-profit organizations"),
            finding_row(
                "K3",
                visit_id="KOR-2010",
                kind="recommendation",
                area="CJ",
                priority="true",
                title="Train prosecutors in terrorism cases",
            ),
            finding_row("K4", visit_id="KOR-2010", kind="recommendation", area="LEG", title="Criminalize incitement"),
            finding_row(
                "K5", visit_id="KOR-2010", kind="recommendation", area="CFT", title="Freeze assets without delay"
            ),
            finding_row("K6", visit_id="KOR-2010", area="ICT", title="No procedure to remove terrorist content"),
            finding_row(
                "R1", visit_id="KOR-2010", area="LEG", title="Hidden restricted gap", confidentiality="restricted"
            ),
            finding_row("T1", visit_id="KOR-2018", kind="ta_need", area="CFT", title="Training on NPO supervision"),
            finding_row("T2", visit_id="KOR-2018", kind="ta_need", area="CFT", title="Asset-freezing workshop"),
            finding_row(
                "N1", visit_id="KOR-2023", kind="recommendation", area="ICT", title="Adopt a content removal procedure"
            ),
            finding_row("M1", visit_id="MYS-2022", area="ICT", title="Electronic evidence", resolutions="2750;2617"),
            finding_row(
                "M2",
                visit_id="MYS-2022",
                area="CVE",
                title="Hidden tag",
                resolutions="2800",
                confidentiality="restricted",
            ),
        ],
        assessments=[
            assessment_row("K1", "fully_implemented", visit_id="KOR-2018", assessed_on="2018-05-04"),
            assessment_row("K2", "partially_implemented", visit_id="KOR-2018", assessed_on="2018-05-04"),
            assessment_row("K4", "partially_implemented"),
            assessment_row("K5", "largely_implemented"),
            assessment_row("K6", "largely_implemented"),
        ],
        updates=[
            update_row("KOR-U-2019", "2019-06-30"),
            update_row("KOR-U-2025", "2025-01-15"),
            update_row("KOR-U-2025R", "2025-02-01", confidentiality="restricted"),
        ],
        update_items=[
            item_row("K4", "fully_implemented", "KOR-U-2019"),
            item_row("K5", "initial_steps", "KOR-U-2019"),
            item_row("K6", "largely_implemented", "KOR-U-2019"),
            item_row("K4", "largely_implemented", "KOR-U-2025"),
            item_row("K6", "fully_implemented", "KOR-U-2025R", confidentiality="restricted"),
        ],
        meetings=[
            # Partners met on the State's financing of NPOs at the last follow-up; one meeting is restricted,
            # one is on no area in particular.
            meeting_row("M1", area="CFT.NPO", partners="OSCE;INTERPOL"),
            meeting_row("M2", area="CFT", partners="WCO", confidentiality="restricted"),
            meeting_row("M3", partners="UNDP"),
        ],
        ta=[
            ta_row("T1", "delivered", providers="UNODC", addresses="K2", updated_on="2020-03-01"),
            ta_row("T2", "delivered", providers="FATF", addresses="K5", updated_on="2019-01-01"),
        ],
    )


@pytest.fixture
def history_engine(engine, tmp_path):
    result = run_import(engine, dossier_history(tmp_path / "history"))
    assert result.ok, [str(error) for error in result.errors]
    return engine


def _at(engine, level="committee"):
    return compute_dossier(engine, LOCAL_ADMIN, "kor", level, today=TODAY)


def test_open_items_leave_out_an_item_closed_earlier_and_carried_and_put_priority_first(history_engine):
    dossier = _at(history_engine)

    listed = [(i.finding_id, i.area_name, i.title, i.status, i.status_visit) for i in dossier.open_items]
    assert listed == [
        ("K3", "Criminal justice and international cooperation in criminal matters", "Train prosecutors in terrorism cases", "not_assessed", None),
        ("K4", "Counter-terrorism legislation", "Criminalize incitement", "partially_implemented", "KOR-2023"),
        ("K2", "Countering the financing of terrorism", "No oversight of non-profit organizations", "partially_implemented", "KOR-2018"),
        ("K5", "Countering the financing of terrorism", "Freeze assets without delay", "largely_implemented", "KOR-2023"),
        ("K6", "Information and communications technologies and new technologies", "No procedure to remove terrorist content", "largely_implemented", "KOR-2023"),
        ("N1", "Information and communications technologies and new technologies", "Adopt a content removal procedure", "not_assessed", None),
    ]  # fmt: skip
    assert dossier.item_count == 7
    carried = next(item for item in dossier.open_items if item.finding_id == "K2")
    assert (carried.since, carried.years) == (dt.date(2018, 5, 4), 7.7)
    never = dossier.open_items[0]
    assert (never.since, never.years, never.raised_at) == (dt.date(2010, 3, 1), 15.9, "KOR-2010")


def test_claims_to_verify_are_newer_than_the_verification_and_delivered_ta_not_assessed_since(history_engine):
    dossier = _at(history_engine)

    assert [
        (c.finding_id, c.claimed_status, c.update_id, c.verified_status, c.verified_on) for c in dossier.claims
    ] == [("K4", "largely_implemented", "KOR-U-2025", "partially_implemented", dt.date(2023, 5, 25))]
    assert [(d.ta_need, d.addresses, d.delivered_on, d.providers, d.verified_status) for d in dossier.delivered] == [
        ("T1", "K2", dt.date(2020, 3, 1), "UNODC", "partially_implemented")
    ]


def test_the_track_record_counts_claims_confirmed_verified_lower_and_verified_higher(history_engine):
    record = _at(history_engine).track_record

    assert (record.confirmed, record.lower, record.higher) == (1, 1, 1)
    assert sorted(
        (c.finding_id, c.claimed_status, c.verified_status, c.verified_at, c.outcome) for c in record.claims
    ) == [
        ("K4", "fully_implemented", "partially_implemented", "KOR-2023", LOWER),
        ("K5", "initial_steps", "largely_implemented", "KOR-2023", HIGHER),
        ("K6", "largely_implemented", "largely_implemented", "KOR-2023", CONFIRMED),
    ]


def test_debt_counts_resolutions_adopted_after_the_last_visit_covering_the_area_and_areas_never_covered(
    history_engine,
):
    debt = {area.area: area for area in _at(history_engine).debt}

    ict = debt["ICT"]
    assert (ict.last_visit, ict.last_covered, ict.years_since) == ("KOR-2023", dt.date(2023, 5, 22), 2.7)
    # 2750 concerns ICT only because another State's ICT finding is tagged with it; 2617 came before the visit.
    assert [r.number for r in ict.owed] == [2750]
    assert [r.number for r in debt["CJ"].owed] == [2178, 2322, 2396, 2482]
    assert (debt["CJ"].last_visit, debt["LEG"].last_visit) == ("KOR-2010", "KOR-2023")
    assert debt["LEG"].owed == []
    assert debt["GEN"].never_covered and [r.number for r in debt["GEN"].owed] == [2178, 2242, 2396]
    assert [area.area for area in _at(history_engine).debt if area.never_covered] == ["GEN"]


def test_new_recommendations_and_suggested_partners(history_engine):
    dossier = _at(history_engine)

    assert dossier.latest_followup == "KOR-2023"
    assert [(r.finding_id, r.area_name, r.title) for r in dossier.new_recommendations] == [
        ("N1", "Information and communications technologies and new technologies", "Adopt a content removal procedure")
    ]
    partners = {area.area: {p.code: p.reasons for p in area.partners} for area in dossier.partners}
    assert list(partners) == ["LEG", "CJ", "CFT", "ICT"]
    assert partners["CFT"]["UNODC"] == [
        "took part in visit KOR-2018",
        "provides TA on T1",
        "specialises in Countering the financing of terrorism",
    ]
    assert partners["CFT"]["FATF"] == ["provides TA on T2", "specialises in Countering the financing of terrorism"]
    assert partners["CFT"]["OSCE"] == partners["CFT"]["INTERPOL"] == ["met the delegation on the area at KOR-2023"]
    # A restricted meeting's partner only at its level; a meeting on no area suggests no one.
    assert "WCO" not in partners["CFT"] and "UNDP" not in repr(partners)
    restricted = {
        area.area: {p.code: p.reasons for p in area.partners} for area in _at(history_engine, "restricted").partners
    }
    assert restricted["CFT"]["WCO"] == ["met the delegation on the area at KOR-2023"]
    assert partners["CJ"] == {
        "UNODC": ["specialises in Criminal justice and international cooperation in criminal matters"]
    }


def test_nothing_above_the_readers_level_is_in_any_part(history_engine):
    committee = _at(history_engine)
    reader = Actor("reader", Role.viewer, Confidentiality.committee)
    as_reader = compute_dossier(history_engine, reader, "KOR", "restricted", today=TODAY)

    for dossier in (committee, as_reader):
        assert dossier.level == Confidentiality.committee
        text = repr(dataclasses.asdict(dossier))
        assert not [hidden for hidden in HIDDEN if hidden in text]
    restricted = _at(history_engine, "restricted")
    text = repr(dataclasses.asdict(restricted))
    assert all(hidden in text for hidden in HIDDEN)
    debt = {area.area: area for area in restricted.debt}
    assert debt["GEN"].last_visit == "KOR-2024R" and 2800 in [r.number for r in debt["CVE"].owed]
    assert ("K6", "fully_implemented", "KOR-U-2025R") in [
        (c.finding_id, c.claimed_status, c.update_id) for c in restricted.claims
    ]


def test_an_unknown_state_is_one_sentence(history_engine):
    with pytest.raises(NotFound) as refused:
        compute_dossier(history_engine, LOCAL_ADMIN, "XXX")
    assert str(refused.value) == "'XXX' is not a Member State code; use an ISO 3166 alpha-3 code such as KOR."


def test_a_state_never_visited_owes_every_area_and_has_nothing_else(history_engine):
    dossier = compute_dossier(history_engine, LOCAL_ADMIN, "FRA", today=TODAY)

    assert (dossier.visits, dossier.item_count, dossier.open_items, dossier.latest_followup) == ([], 0, [], None)
    assert all(area.never_covered for area in dossier.debt) and dossier.partners == []


def test_the_debt_of_every_state_for_the_overview(history_engine):
    table = debt_by_state(history_engine, LOCAL_ADMIN, "committee", today=TODAY)

    # SGP's one visit covered GEN only: every other area is owed in full.
    assert list(table["state"]) == ["SGP", "KOR", "MYS"]
    kor = table.set_index("state").loc["KOR"]
    # ICT 2750; CJ 2178, 2322, 2396, 2482; GEN never covered: 2178, 2242, 2396; STRAT, LE, CVE, HR, BM since 2010 or 2018.
    assert kor["never_covered"] == 1
    assert kor["owed"] == sum(len(area.owed) for area in _at(history_engine).debt)
    assert kor["years_since_covered"] == 15.9
    assert (kor["last_visit"], kor["last_visit_on"]) == ("KOR-2023", dt.date(2023, 5, 22))
    restricted = debt_by_state(history_engine, LOCAL_ADMIN, "restricted", today=TODAY).set_index("state")
    assert restricted.loc["KOR", "last_visit"] == "KOR-2024R"
    assert restricted.loc["KOR", "never_covered"] == 0


def test_the_area_map_travels_in_the_bundle_as_a_file_of_its_own(history_engine, tmp_path, request):
    from tests.services.test_bundle import _fresh_database
    from tracker.services.bundle.exporter import export_bundle
    from tracker.services.dossier.area_map import set_concern

    set_concern(history_engine, LOCAL_ADMIN, "ict", "2396", applies=False)
    set_concern(history_engine, LOCAL_ADMIN, "CVE", "S/RES/2750 (2024)")
    export_bundle(history_engine, tmp_path / "first", LOCAL_ADMIN)
    exported = (tmp_path / "first" / "area_resolutions.csv").read_text(encoding="utf-8")

    assert exported.startswith("area,resolution,applies\nBM,1373,true\n")
    assert "ICT,2396,false\n" in exported and "CVE,2750,true\n" in exported
    # A resolution tagged on a finding concerns its area without being in the map.
    assert "ICT,2750" not in exported
    fresh = _fresh_database(history_engine, request, tmp_path)
    result = run_import(fresh, tmp_path / "first")
    assert result.ok, [str(error) for error in result.errors]
    assert result.counts["area_resolutions.csv"].updated == 1
    export_bundle(fresh, tmp_path / "second", LOCAL_ADMIN)
    assert (tmp_path / "second" / "area_resolutions.csv").read_text(encoding="utf-8") == exported
    ict = {area.area: area for area in compute_dossier(fresh, LOCAL_ADMIN, "KOR", today=TODAY).debt}["ICT"]
    assert [r.number for r in ict.owed] == [2750]


def test_a_state_whose_visit_covered_every_area_owes_only_what_came_after_it(history_engine):
    committee = {
        area.area: area for area in compute_dossier(history_engine, LOCAL_ADMIN, "MYS", "committee", today=TODAY).debt
    }
    restricted = {area.area: area for area in compute_dossier(history_engine, LOCAL_ADMIN, "MYS", today=TODAY).debt}

    assert not any(area.never_covered for area in committee.values())
    assert {code: [r.number for r in area.owed] for code, area in committee.items() if area.owed} == {"ICT": [2750]}
    assert [r.number for r in restricted["CVE"].owed] == [2800]
