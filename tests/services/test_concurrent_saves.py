"""Two analysts, one record: a save states what its review showed, and is sent back, nothing
written, when the stored row has moved since; Undo is exact for added rows and for dates."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from tests.services.test_between_visits import update_row
from tracker.errors import TrackerError, ValidationFailed
from tracker.models import Assessment, Confidentiality, Finding, Role, Update
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.review_guard import ChangedSince
from tracker.services.bundle.sources import sources_from_uploads
from tracker.services.continuity import suggestions as continuity
from tracker.services.people.access import Actor
from tracker.services.records import editing as records
from tracker.services.records import history, updates

ANA = Actor("ana", Role.analyst, Confidentiality.restricted)
BOB = Actor("bob", Role.analyst, Confidentiality.restricted)
FINDING = "KOR-2009-F01"


def stored_finding(engine, finding_id: str = FINDING) -> dict:
    with engine.connect() as connection:
        return dict(
            connection.execute(select(Finding.__table__).where(Finding.finding_id == finding_id)).mappings().one()
        )


def stored_assessment(engine, finding_id: str, visit_id: str = "KOR-2023") -> dict | None:
    with engine.connect() as connection:
        row = (
            connection.execute(
                select(Assessment.__table__).where(Assessment.finding_id == finding_id, Assessment.visit_id == visit_id)
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def edited(record: dict, **changes) -> dict:
    """The form as an analyst submits it: every field it was drawn with, some changed."""
    return dict(record) | changes


# ---------------------------------------------------------------- 1: forms


def test_a_form_confirmed_after_another_save_puts_nothing_back_and_names_who_changed_what(demo_engine):
    drawn = records.get_finding(demo_engine, ANA, FINDING)
    form = edited(drawn, detail="Ana's new detail")
    review = records.save_finding(demo_engine, ANA, form, before=drawn, dry_run=True)
    assert [(c.field, c.new) for c in review.changes] == [("detail", "Ana's new detail")]

    bob_form = records.get_finding(demo_engine, BOB, FINDING)
    records.save_finding(demo_engine, BOB, edited(bob_form, title="Bob's title"), before=bob_form)

    with pytest.raises(ChangedSince) as refused:
        records.save_finding(demo_engine, ANA, form, before=drawn)

    stored = stored_finding(demo_engine)
    assert (stored["title"], stored["detail"]) == ("Bob's title", drawn["detail"])
    assert [(m.key, m.field, m.reviewed, m.now, m.username) for m in refused.value.moved] == [
        (FINDING, "title", drawn["title"], "Bob's title", "bob")
    ]
    assert str(refused.value).startswith(f"nothing was saved: since your review, {FINDING}: Title changed by bob at ")
    # The fresh review, against the row as it is now, keeps Bob's title and saves Ana's detail.
    fresh = records.get_finding(demo_engine, ANA, FINDING)
    form = edited(fresh, detail="Ana's new detail")
    assert [c.field for c in records.save_finding(demo_engine, ANA, form, before=fresh).changes] == ["detail"]
    assert (stored_finding(demo_engine)["title"], stored_finding(demo_engine)["detail"]) == (
        "Bob's title",
        "Ana's new detail",
    )


def test_a_form_writes_only_the_fields_the_analyst_changed(demo_engine):
    # A form that does not show the source: the save neither checks nor writes it.
    drawn = {k: v for k, v in records.get_finding(demo_engine, ANA, FINDING).items() if k != "source_ref"}
    form = edited(drawn, severity="minor")
    with demo_engine.begin() as connection:
        connection.execute(
            Finding.__table__.update().where(Finding.finding_id == FINDING).values(source_ref="para. 13")
        )

    saved = records.save_finding(demo_engine, ANA, form, before=drawn)

    assert [c.field for c in saved.changes] == ["severity"]
    assert stored_finding(demo_engine)["source_ref"] == "para. 13"


def test_two_analysts_adding_the_same_id_cannot_both_succeed(demo_engine):
    row = {
        "finding_id": "KOR-2023-F99",
        "visit_id": "KOR-2023",
        "area": "LEG",
        "kind": "shortfall",
        "title": "Ana's",
    }
    records.save_finding(demo_engine, ANA, row, new=True, dry_run=True)
    records.save_finding(demo_engine, BOB, row | {"title": "Bob's"}, new=True)

    with pytest.raises(TrackerError, match="KOR-2023-F99 already exists"):
        records.save_finding(demo_engine, ANA, row, new=True)
    assert stored_finding(demo_engine, "KOR-2023-F99")["title"] == "Bob's"


def test_visit_and_meeting_forms_are_sent_back_when_the_row_moved(demo_engine):
    visit = records.get_visit(demo_engine, ANA, "KOR-2023")
    bob_visit = records.get_visit(demo_engine, BOB, "KOR-2023")
    records.save_visit(demo_engine, BOB, edited(bob_visit, lead="Bob"), before=bob_visit)
    with pytest.raises(ChangedSince, match=r"KOR-2023: Lead changed by bob"):
        records.save_visit(demo_engine, ANA, edited(visit, summary="Ana's summary"), before=visit)
    assert records.get_visit(demo_engine, ANA, "KOR-2023")["summary"] == visit["summary"]

    meeting_id = records.list_meetings(demo_engine, ANA, visit_id="KOR-2023")["meeting_id"].iloc[0]
    meeting = records.get_meeting(demo_engine, ANA, meeting_id)
    records.save_meeting(demo_engine, BOB, edited(meeting, notes="Bob's notes"), before=meeting)
    with pytest.raises(ChangedSince, match=rf"{meeting_id}: Notes changed by bob"):
        records.save_meeting(demo_engine, ANA, edited(meeting, notes="Ana's notes"), before=meeting)
    assert records.get_meeting(demo_engine, ANA, meeting_id)["notes"] == "Bob's notes"


# ---------------------------------------------------------------- 2: assessments


def _assessed_item(engine) -> str:
    sheet = records.assessment_worksheet(engine, ANA, "KOR-2023")
    return str(sheet[sheet["status"] != "not_assessed"]["finding_id"].iloc[0])


def test_an_assessment_confirmed_after_another_status_was_saved_is_sent_back(demo_engine):
    sheet = records.assessment_worksheet(demo_engine, ANA, "KOR-2023").set_index("finding_id")
    item = _assessed_item(demo_engine)
    shown = {"status": sheet.loc[item, "status"], "evidence": sheet.loc[item, "evidence"]}
    ana = [{"finding_id": item, "status": shown["status"], "evidence": "Ana's evidence"}]
    review = records.save_assessments(demo_engine, ANA, "KOR-2023", ana, before={item: shown}, dry_run=True)
    assert [c.field for c in review.changes] == ["evidence"]

    bob = [{"finding_id": item, "status": "not_implemented", "evidence": shown["evidence"]}]
    records.save_assessments(demo_engine, BOB, "KOR-2023", bob, before={item: shown})

    with pytest.raises(ChangedSince, match=rf"{item}/KOR-2023: Status changed by bob"):
        records.save_assessments(demo_engine, ANA, "KOR-2023", ana, before={item: shown})
    assert stored_assessment(demo_engine, item)["status"] == "not_implemented"
    assert stored_assessment(demo_engine, item)["evidence"] == shown["evidence"]


def test_a_first_assessment_made_by_two_analysts_is_saved_once(demo_engine):
    sheet = records.assessment_worksheet(demo_engine, ANA, "KOR-2023")
    item = str(sheet[sheet["status"] == "not_assessed"]["finding_id"].iloc[0])
    shown = {"status": "not_assessed", "evidence": ""}
    records.save_assessments(
        demo_engine, BOB, "KOR-2023", [{"finding_id": item, "status": "fully_implemented", "evidence": ""}]
    )

    # From the worksheet, which showed it not assessed; and from the finding's panel, which had no row.
    with pytest.raises(ChangedSince, match=rf"{item}/KOR-2023: Status changed"):
        records.save_assessments(
            demo_engine, ANA, "KOR-2023", [{"finding_id": item, "status": "not_implemented"}], before={item: shown}
        )
    with pytest.raises(ChangedSince, match=rf"{item}/KOR-2023: added by bob"):
        records.save_assessments(
            demo_engine, ANA, "KOR-2023", [{"finding_id": item, "status": "not_implemented"}], before={item: None}
        )
    assert stored_assessment(demo_engine, item)["status"] == "fully_implemented"


# ---------------------------------------------------------------- continuity decisions and imports


def test_accepting_a_link_another_analyst_has_set_meanwhile_is_sent_back(demo_engine):
    finding = records.list_findings(demo_engine, ANA, visit_id="KOR-2023", kind="shortfall")[0]["finding_id"].iloc[0]
    records.save_finding(
        demo_engine, BOB, {"finding_id": finding, "continues": "KOR-2009-F02"} | _required(demo_engine, finding)
    )

    with pytest.raises(ChangedSince, match=rf"{finding}: Continues changed by bob"):
        continuity.accept_link(demo_engine, ANA, finding, "KOR-2009-F01", reviewed={"continues": None})
    assert stored_finding(demo_engine, finding)["continues"] == "KOR-2009-F02"


def _required(engine, finding_id: str) -> dict:
    stored = stored_finding(engine, finding_id)
    return {k: stored[k] for k in ("visit_id", "area", "kind", "title")}


def test_an_import_confirmed_after_the_data_moved_is_sent_back_with_what_moved(demo_engine):
    csv = f"finding_id,visit_id,area,kind,title\n{FINDING},KOR-2009,LEG,shortfall,Imported title\n"
    sources = sources_from_uploads([("findings.csv", csv.encode())])
    check = import_bundle(demo_engine, sources, ANA, dry_run=True)
    drawn = records.get_finding(demo_engine, BOB, FINDING)
    records.save_finding(demo_engine, BOB, edited(drawn, area="BM"), before=drawn)

    final = import_bundle(demo_engine, sources, ANA, reviewed=check)

    assert not final.committed
    assert [(m.key, m.field, m.reviewed, m.now, m.username) for m in final.moved] == [
        (FINDING, "area", drawn["area"], "BM", "bob")
    ]
    assert stored_finding(demo_engine)["area"] == "BM" and stored_finding(demo_engine)["title"] == drawn["title"]
    again = import_bundle(demo_engine, sources, ANA, dry_run=True)
    assert import_bundle(demo_engine, sources, ANA, reviewed=again).committed


# ---------------------------------------------------------------- 3 and 4: undo


def test_undo_of_an_added_row_refuses_when_another_analyst_edited_it_since(demo_engine):
    row = {"finding_id": "KOR-2023-F99", "visit_id": "KOR-2023", "area": "LEG", "kind": "shortfall", "title": "New"}
    added = records.save_finding(demo_engine, ANA, row, new=True)
    drawn = records.get_finding(demo_engine, BOB, "KOR-2023-F99")
    records.save_finding(demo_engine, BOB, edited(drawn, detail="Bob's detail"), before=drawn)

    with pytest.raises(
        TrackerError, match=r"^finding KOR-2023-F99 has changed again since this save \(Detail changed by bob"
    ):
        history.undo(demo_engine, ANA, added.changes)
    assert stored_finding(demo_engine, "KOR-2023-F99")["withdrawn"] is None


def test_undo_of_an_added_row_nobody_touched_withdraws_it(demo_engine):
    row = {"finding_id": "KOR-2023-F99", "visit_id": "KOR-2023", "area": "LEG", "kind": "shortfall", "title": "New"}
    added = records.save_finding(demo_engine, ANA, row, new=True)

    history.undo(demo_engine, ANA, added.changes)

    assert stored_finding(demo_engine, "KOR-2023-F99")["withdrawn"] == "undone: added by mistake"


def dated(engine, item: str, *day: int) -> dict:
    return {"finding_id": item, "status": stored_assessment(engine, item)["status"], "assessed_on": dt.date(*day)}


def test_undo_of_a_date_change_puts_the_date_back(demo_engine):
    item = _assessed_item(demo_engine)
    was = stored_assessment(demo_engine, item)["assessed_on"]
    saved = records.save_assessments(demo_engine, ANA, "KOR-2023", [dated(demo_engine, item, 2024, 2, 29)])
    visit = records.get_visit(demo_engine, ANA, "KOR-2023")
    moved = records.save_visit(demo_engine, ANA, edited(visit, end_date=dt.date(2023, 5, 26)), before=visit)

    history.undo(demo_engine, ANA, saved.changes)
    history.undo(demo_engine, ANA, moved.changes)

    assert stored_assessment(demo_engine, item)["assessed_on"] == was
    assert records.get_visit(demo_engine, ANA, "KOR-2023")["end_date"] == visit["end_date"]


def test_undo_of_a_date_changed_again_since_refuses(demo_engine):
    item = _assessed_item(demo_engine)
    saved = records.save_assessments(demo_engine, ANA, "KOR-2023", [dated(demo_engine, item, 2024, 2, 29)])
    records.save_assessments(demo_engine, BOB, "KOR-2023", [dated(demo_engine, item, 2024, 3, 1)])

    with pytest.raises(TrackerError, match=r"has changed again since this save \(Assessed on changed by bob"):
        history.undo(demo_engine, ANA, saved.changes)
    assert stored_assessment(demo_engine, item)["assessed_on"] == dt.date(2024, 3, 1)


# ---------------------------------------------------------------- two writers, interleaved


def test_two_writers_saving_different_fields_never_lose_one(demo_engine):
    """Each round both analysts draw the form, then save in turn: every save lands whole or is sent back."""
    rounds = 150
    original = stored_finding(demo_engine)
    landed = {"title": [], "detail": []}
    sent_back = {"title": 0, "detail": 0}
    barrier = threading.Barrier(2, timeout=60)
    failures: list[BaseException] = []

    def writer(actor: Actor, field: str) -> None:
        try:
            for number in range(rounds):
                drawn = records.get_finding(demo_engine, actor, FINDING)
                barrier.wait()
                value = f"{field} {number} by {actor.username}"
                try:
                    records.save_finding(demo_engine, actor, edited(drawn, **{field: value}), before=drawn)
                    landed[field].append(value)
                except ChangedSince:
                    sent_back[field] += 1
                barrier.wait()
        except BaseException as error:  # the test reports it, and the other thread stops at the barrier
            failures.append(error)
            barrier.abort()

    threads = [
        threading.Thread(target=writer, args=(ANA, "title")),
        threading.Thread(target=writer, args=(BOB, "detail")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    assert not failures, failures
    stored = stored_finding(demo_engine)
    # The last save of each field that landed is the stored value: none was put back by the other.
    assert stored["title"] == (landed["title"] or [original["title"]])[-1]
    assert stored["detail"] == (landed["detail"] or [original["detail"]])[-1]
    assert len(landed["title"]) + sent_back["title"] == rounds
    assert len(landed["detail"]) + sent_back["detail"] == rounds
    # Within a round one save lands and the other, drawn before it, is sent back: both kinds happened.
    assert sent_back["title"] + sent_back["detail"] == rounds


def test_saving_and_undoing_different_fields_of_two_rows_leaves_each_rows_other_field(demo_engine):
    sheet = records.assessment_worksheet(demo_engine, ANA, "KOR-2023")
    sheet = sheet[sheet["status"] != "not_assessed"].reset_index(drop=True)
    first, second = sheet["finding_id"][0], sheet["finding_id"][1]
    shown = {
        f: {"status": s, "evidence": e} for f, s, e in zip(sheet["finding_id"], sheet["status"], sheet["evidence"])
    }
    changes = [
        {"finding_id": first, "status": "contrary_action", "evidence": shown[first]["evidence"]},
        {"finding_id": second, "status": shown[second]["status"], "evidence": "Checked again"},
    ]

    saved = records.save_assessments(
        demo_engine, ANA, "KOR-2023", changes, before={f: shown[f] for f in (first, second)}
    )
    assert [(c.key.split("/")[0], c.field) for c in saved.changes] == [(first, "status"), (second, "evidence")]
    assert stored_assessment(demo_engine, first)["evidence"] == shown[first]["evidence"]

    history.undo(demo_engine, ANA, saved.changes)
    for item in (first, second):
        assert (stored_assessment(demo_engine, item)["status"], stored_assessment(demo_engine, item)["evidence"]) == (
            shown[item]["status"],
            shown[item]["evidence"],
        )


def test_two_analysts_adding_a_written_update_under_one_id_keep_the_first(engine):
    ana, bob = update_row(summary="Ana's summary"), update_row(summary="Bob's summary")
    # Both reviewed while the id was free; Ana confirms first.
    updates.save_update(engine, ANA, ana, new=True, dry_run=True)
    updates.save_update(engine, BOB, bob, new=True, dry_run=True)
    updates.save_update(engine, ANA, ana, new=True)

    with pytest.raises(ValidationFailed) as refused:
        updates.save_update(engine, BOB, bob, new=True)

    assert refused.value.errors == [
        {
            "key": "KOR-U-2016",
            "field": "update_id",
            "message": "KOR-U-2016 already exists; choose another id or edit that state update",
        }
    ]
    with engine.connect() as connection:
        assert connection.execute(select(Update.summary)).scalars().all() == ["Ana's summary"]
