"""Nothing leaks and nothing is silently lost: round trips at every level, short rows, missing
levels, updates that other rows depend on, grants above one's clearance, hidden keys."""

import time

import pandas as pd
import pytest

from tests.conftest import assessment_row, finding_row, followup_row, visit_row, write_bundle
from tracker.errors import PermissionDenied, ValidationFailed
from tracker.models import Confidentiality, Role
from tracker.services.bundle import exporter
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths, sources_from_uploads
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN, Actor
from tracker.services.progress import comparison
from tracker.services.records import editing as records

from .conftest import PASSWORD, add_user, dump


def _upload(engine, actor, name: str, text: str):
    return import_bundle(engine, sources_from_uploads([(name, text.encode())]), actor)


@pytest.mark.parametrize("level", list(Confidentiality))
def test_re_importing_ones_own_export_changes_nothing_at_every_level(guarded_engine, tmp_path, level):
    reader = Actor(f"reader-{level.value}", Role.analyst, level)
    before = dump(guarded_engine)
    exporter.export_bundle(guarded_engine, tmp_path / "export", reader)

    result = import_bundle(guarded_engine, sources_from_paths([tmp_path / "export"]), reader)

    assert result.ok, result.errors
    assert {name: c.updated + c.created for name, c in result.counts.items()} == dict.fromkeys(result.counts, 0)
    after = dump(guarded_engine)
    # Only the import's own audit event is new.
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }


def test_a_short_row_is_an_error_and_wipes_nothing(demo_engine):
    before = dump(demo_engine)

    result = _upload(
        demo_engine, LOCAL_ADMIN, "findings.csv", "finding_id,visit_id,area,kind,title\nKOR-2009-F01,KOR-2009\n"
    )

    assert [str(e) for e in result.errors] == [
        "findings.csv:2: row: has 2 cells but the header has 5; give every column a cell, empty if need be"
    ]
    assert dump(demo_engine) == before


def test_a_missing_level_keeps_the_stored_one_and_a_new_row_takes_the_lower_of_default_and_clearance(guarded_engine):
    low = Actor("low", Role.analyst, Confidentiality.member_states)
    # A public finding of a public visit, which a member_states analyst may see and change.
    assert _upload(
        guarded_engine,
        LOCAL_ADMIN,
        "visits.csv",
        "visit_id,state,kind,start_date,end_date,confidentiality\nJPN-2019,JPN,comprehensive,2019-01-07,2019-01-09,public\n",
    ).ok
    text = "finding_id,visit_id,area,kind,title\nJPN-2019-F1,JPN-2019,LEG,shortfall,Gap\n"
    assert _upload(guarded_engine, low, "findings.csv", text).ok
    assert records.get_finding(guarded_engine, LOCAL_ADMIN, "JPN-2019-F1")["confidentiality"] == "member_states"
    records.save_finding(
        guarded_engine,
        LOCAL_ADMIN,
        records.get_finding(guarded_engine, LOCAL_ADMIN, "JPN-2019-F1") | {"confidentiality": "public"},
    )

    result = _upload(guarded_engine, low, "findings.csv", text.replace(",Gap", ",Gap renamed"))

    assert result.ok, result.errors
    stored = records.get_finding(guarded_engine, LOCAL_ADMIN, "JPN-2019-F1")
    assert (stored["title"], stored["confidentiality"]) == ("Gap renamed", "public")
    # A restricted finding re-imported without the column stays restricted.
    result = _upload(
        guarded_engine,
        LOCAL_ADMIN,
        "findings.csv",
        "finding_id,visit_id,area,kind,title\nKOR-2009-F-ZZHIDDEN,KOR-2009,LEG,shortfall,Renamed\n",
    )
    assert result.ok, result.errors
    assert records.get_finding(guarded_engine, LOCAL_ADMIN, "KOR-2009-F-ZZHIDDEN")["confidentiality"] == "restricted"


def test_a_new_assessment_without_a_level_takes_its_findings(demo_engine):
    low = Actor("low", Role.analyst, Confidentiality.member_states)
    records.save_finding(
        demo_engine,
        LOCAL_ADMIN,
        records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2009-F01") | {"confidentiality": "public"},
    )
    records.save_visit(
        demo_engine,
        LOCAL_ADMIN,
        records.get_visit(demo_engine, LOCAL_ADMIN, "KOR-2009") | {"confidentiality": "public"},
    )
    records.save_visit(
        demo_engine,
        LOCAL_ADMIN,
        records.get_visit(demo_engine, LOCAL_ADMIN, "KOR-2023") | {"confidentiality": "public"},
    )
    with demo_engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM assessment WHERE finding_id = 'KOR-2009-F01'")

    records.save_assessments(demo_engine, low, "KOR-2023", [{"finding_id": "KOR-2009-F01", "status": "initial_steps"}])

    with demo_engine.connect() as connection:
        level = connection.exec_driver_sql(
            "SELECT confidentiality FROM assessment WHERE finding_id = 'KOR-2009-F01'"
        ).scalar_one()
    assert level == "public"


def _assessed_bundle(engine, tmp_path):
    bundle = write_bundle(
        tmp_path / "base",
        visits=[visit_row(), followup_row()],
        findings=[finding_row("KOR-2009-F1"), finding_row("KOR-2023-F1", "KOR-2023", continues="KOR-2009-F1")],
        assessments=[assessment_row("KOR-2009-F1", "initial_steps")],
    )
    assert import_bundle(engine, sources_from_paths([bundle]), LOCAL_ADMIN).ok


def _full(folder, **files):
    return sources_from_paths([write_bundle(folder, **files)])


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"findings": [finding_row("KOR-2009-F1", kind="good_practice")]},
            "findings.csv:2: kind: finding KOR-2009-F1 is assessed at KOR-2023, and only shortfalls and "
            "recommendations are assessed; keep its kind",
        ),
        (
            {"visits": [visit_row(start_date="2024-01-08", end_date="2024-01-09")]},
            "visits.csv:2: start_date: visit KOR-2023 follows up on this visit and would no longer be a later "
            "visit to the same state; keep its state and dates, or change KOR-2023 first",
        ),
        (
            {"visits": [followup_row(state="JPN", baseline_visit_id="")]},
            "visits.csv:2: start_date: finding KOR-2023-F1 continues KOR-2009-F1, which would no longer be "
            "from an earlier visit to the same state; keep the visits in order, or change KOR-2023-F1 first",
        ),
        (
            {
                "areas": [
                    {"code": "LEG", "name": "Legislation", "parent": "CJ", "cross_cutting": "false", "sort_order": "2"}
                ]
            },
            "areas.csv:2: parent: LEG.CRIMINALIZATION is a sub-area of LEG, which cannot become a sub-area "
            "itself; give LEG.CRIMINALIZATION another parent first",
        ),
    ],
)
def test_an_update_that_breaks_a_row_depending_on_it_is_refused(engine, tmp_path, files, message):
    _assessed_bundle(engine, tmp_path)
    before = dump(engine)

    result = import_bundle(engine, _full(tmp_path / "change", **files), LOCAL_ADMIN)

    assert message in [str(e) for e in result.errors]
    assert dump(engine) == before


def test_moving_a_continued_finding_later_is_refused(engine, tmp_path):
    _assessed_bundle(engine, tmp_path)
    text = "visit_id,state,kind,start_date,end_date,baseline_visit_id\nKOR-2030,KOR,follow_up,2030-01-07,2030-01-08,KOR-2009\n"
    assert _upload(engine, LOCAL_ADMIN, "visits.csv", text).ok

    result = import_bundle(
        engine, _full(tmp_path / "move", findings=[finding_row("KOR-2009-F1", "KOR-2030")]), LOCAL_ADMIN
    )

    assert (
        "findings.csv:2: visit_id: finding KOR-2023-F1 continues KOR-2009-F1, which would no longer be from an earlier visit to the same state; keep the visits in order, or change KOR-2023-F1 first"
        in [str(e) for e in result.errors]
    )


def test_nobody_grants_a_clearance_above_their_own(engine):
    chief = add_user(engine, "chief", Role.admin, Confidentiality.committee)
    add_user(engine, "secret", Role.analyst, Confidentiality.restricted)
    add_user(engine, "plain", Role.analyst, Confidentiality.committee)

    with pytest.raises(PermissionDenied, match=r"^chief may not create an account cleared above their own clearance;"):
        users.add_user(engine, chief, users.validated_user("newbie", PASSWORD, "analyst", "restricted"))
    with pytest.raises(PermissionDenied, match=r"^chief may not make an account cleared above their own clearance;"):
        users.set_clearance(engine, chief, "plain", "state_and_cted")
    with pytest.raises(PermissionDenied, match=r"^chief may not make an account cleared above"):
        users.set_clearance(engine, chief, "chief", "restricted")
    with pytest.raises(PermissionDenied, match=r"^chief may not change an account cleared above"):
        users.set_password(engine, chief, "secret", "another long passphrase")
    users.set_clearance(engine, chief, "plain", "member_states")
    users.set_password(engine, chief, "plain", "another long passphrase")


def test_an_administrator_changes_no_role_or_sign_in_of_an_account_cleared_above_their_own(engine):
    chief = add_user(engine, "chief", Role.admin, Confidentiality.public)
    add_user(engine, "secret", Role.admin, Confidentiality.restricted)
    add_user(engine, "plain", Role.analyst, Confidentiality.public)

    with pytest.raises(PermissionDenied, match=r"^chief may not change an account cleared above their own clearance;"):
        users.set_role(engine, chief, "secret", "viewer")
    with pytest.raises(PermissionDenied, match=r"^chief may not change an account cleared above their own clearance;"):
        users.set_disabled(engine, chief, "secret")
    with pytest.raises(PermissionDenied, match=r"^chief may not change an account cleared above their own clearance;"):
        users.set_disabled(engine, chief, "secret", False)
    assert users.active_actor(engine, "secret") == Actor("secret", Role.admin, Confidentiality.restricted)
    users.set_role(engine, chief, "plain", "viewer")
    users.set_disabled(engine, chief, "plain")
    assert users.active_actor(engine, "plain") is None


def test_a_download_built_later_reads_the_account_again(engine):
    reader = add_user(engine, "reader", Role.analyst, Confidentiality.restricted)
    users.set_clearance(engine, LOCAL_ADMIN, "reader", "public")
    assert users.still_permitted(engine, reader).clearance == Confidentiality.public

    with pytest.raises(PermissionDenied, match=r"^the session has ended;"):
        users.still_permitted(engine, reader, expires_at=time.monotonic() - 1)
    users.set_disabled(engine, LOCAL_ADMIN, "reader")
    with pytest.raises(PermissionDenied, match=r"^the account reader is disabled;"):
        users.still_permitted(engine, reader)


def test_a_hidden_key_is_refused_in_words_that_name_no_level(guarded_engine):
    analyst = Actor("analyst", Role.analyst, Confidentiality.committee)
    hidden = "finding_id,visit_id,area,kind,title\nKOR-2009-F-ZZHIDDEN,KOR-2009,LEG,shortfall,Mine\n"

    result = _upload(guarded_engine, analyst, "findings.csv", hidden)

    assert [str(e) for e in result.errors] == [
        "findings.csv:2: finding_id: KOR-2009-F-ZZHIDDEN cannot be used; choose another id"
    ]
    with pytest.raises(ValidationFailed) as refused:
        records.save_finding(
            guarded_engine,
            analyst,
            {"finding_id": "KOR-2009-F-ZZHIDDEN", "visit_id": "KOR-2009", "area": "LEG", "kind": "shortfall"},
            new=True,
        )
    assert refused.value.errors[0]["message"] == "KOR-2009-F-ZZHIDDEN cannot be used; choose another id"
    with pytest.raises(ValidationFailed) as missing:
        records.save_finding(
            guarded_engine,
            analyst,
            {
                "finding_id": "KOR-2031-F1-ZZHIDDEN",
                "visit_id": "KOR-2023",
                "area": "LEG",
                "kind": "shortfall",
                "title": "x",
            },
        )
    assert str(missing.value).startswith("nothing was saved: there is no finding KOR-2031-F1-ZZHIDDEN that you may see")


def test_a_gap_continuing_a_hidden_finding_is_new(guarded_engine):
    committee = Actor("c", Role.viewer, Confidentiality.committee)

    items = comparison.item_table(guarded_engine, committee, "KOR-2023").set_index("finding_id")
    assert items.loc["KOR-2023-F-CONTINUING", "role"] == "new"
    assert items.loc["KOR-2023-F-CONTINUING", "continues"] == ""
    full = comparison.item_table(guarded_engine, LOCAL_ADMIN, "KOR-2023").set_index("finding_id")
    assert full.loc["KOR-2023-F-CONTINUING", "role"] == "continuing"
    new_shortfalls = items[(items["role"] == "new") & (items["kind"] == "shortfall")]
    assert "KOR-2023-F-CONTINUING" in new_shortfalls.index
    assert comparison.compare(guarded_engine, committee, "KOR", "KOR-2023")["totals"]["new_gaps"] == len(new_shortfalls)


def test_tables_are_drawn_formula_safe():
    from tracker.ui.common import formula_safe

    frame = pd.DataFrame({"title": ["=HYPERLINK(1)", "plain", "@cmd", None], "n": [1, 2, 3, 4]})

    safe = formula_safe(frame)

    assert safe["title"].tolist()[:3] == ["'=HYPERLINK(1)", "plain", "'@cmd"]
    assert safe["n"].tolist() == [1, 2, 3, 4]
