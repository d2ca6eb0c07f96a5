"""The Continuity page: suggestions side by side, accept and reject, evidence for unassessed items."""

import json

from sqlalchemy import select

from tests.conftest import finding_row, write_bundle
from tests.services.test_bundle import run_import
from tests.services.test_continuity import _clear_links
from tests.ui.test_pages import assert_clean, local_mode, open_page  # noqa: F401  (fixture)
from tracker.models import AuditEvent, LinkDecision
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import editing as records

PAGE = "tracker/ui/continuity.py"


def _button(app, action: str, finding_id: str, baseline_id: str):
    return app.button(key=f"continuity:{action}:{finding_id}:{baseline_id}")


def _markdown(app) -> str:
    """The page's Markdown with the escapes of user text taken out again."""
    return "\n".join(m.value for m in app.markdown).replace("\\", "")


def test_the_page_shows_each_unlinked_finding_beside_its_candidates(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")

    app = open_page(PAGE)

    assert_clean(app)
    shown = _markdown(app)
    assert "##### KOR-2023-F06" in shown
    assert "##### KOR-2009-F03 · score 0.48" in shown
    captions = "\n".join(c.value for c in app.caption).replace("\\", "")
    assert "Why: commit, offence, incitement, acts, terrorist · same area · shortfall" in captions
    assert "**Incitement to commit terrorist acts is still not a specific offence**" in shown
    assert "**Incitement to commit terrorist acts is not criminalized as such**" in shown
    metrics = {m.label: m.value for m in app.metric}
    assert (metrics["Findings with no link"], metrics["Look new"]) == ("32", "19")
    assert _button(app, "accept", "KOR-2023-F06", "KOR-2009-F03").label == "Accept"


def test_accepting_on_the_page_is_reviewed_with_the_new_gaps_then_saved_and_undone(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")
    app = open_page(PAGE)

    _button(app, "accept", "KOR-2023-F06", "KOR-2009-F03").click().run()

    assert_clean(app)
    assert "**If confirmed:** New gaps at KOR-2023: 6 → 5." in _markdown(app)
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06")["continues"] is None
    app.button(key="review:continuity:confirm").click().run()

    assert_clean(app)
    assert [s.value for s in app.success] == ["KOR-2023-F06 now continues KOR-2009-F03."]
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06")["continues"] == "KOR-2009-F03"
    assert "##### KOR-2023-F06" not in _markdown(app)
    with demo_engine.connect() as connection:
        event = connection.execute(
            select(AuditEvent).where(AuditEvent.entity == "finding").order_by(AuditEvent.id.desc())
        ).first()
    assert (event.entity, event.key, json.loads(event.changes)) == (
        "finding",
        "KOR-2023-F06",
        {"continues": [None, "KOR-2009-F03"]},
    )

    app.button(key="review:continuity:undo").click().run()

    assert_clean(app)
    assert [s.value for s in app.success] == ["Undone: the link is as it was before."]
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06")["continues"] is None
    assert "##### KOR-2023-F06" in _markdown(app)


def test_back_from_the_review_saves_nothing(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")
    app = open_page(PAGE)
    _button(app, "accept", "KOR-2023-F06", "KOR-2009-F03").click().run()

    app.button(key="review:continuity:back").click().run()

    assert_clean(app)
    assert "**If confirmed:**" not in _markdown(app)
    assert records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06")["continues"] is None


def test_rejecting_on_the_page_stores_the_pair_it_disappears_and_undo_brings_it_back(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")
    app = open_page(PAGE)

    _button(app, "reject", "KOR-2023-F06", "KOR-2009-F03").click().run()
    assert "**If confirmed:** New gaps at KOR-2023: 6 (unchanged)." in _markdown(app)
    app.button(key="review:continuity:confirm").click().run()

    assert_clean(app)
    assert [s.value for s in app.success] == [
        "KOR-2023-F06 is recorded as not continuing KOR-2009-F03; the pair will not be suggested again."
    ]
    assert "##### KOR-2009-F03 · score" not in _markdown(app)
    with demo_engine.connect() as connection:
        assert connection.execute(select(LinkDecision.finding_id, LinkDecision.baseline_id)).all() == [
            ("KOR-2023-F06", "KOR-2009-F03")
        ]

    app.button(key="review:continuity:undo").click().run()

    assert_clean(app)
    assert "##### KOR-2009-F03 · score 0.48" in _markdown(app)
    with demo_engine.connect() as connection:
        assert connection.execute(select(LinkDecision.finding_id)).all() == []
        event = connection.execute(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.entity, event.key) == ("delete", "link_decision", "KOR-2023-F06/KOR-2009-F03")


def test_a_failed_accept_is_one_sentence_on_the_page(demo_engine):
    _clear_links(demo_engine, "KOR-2023-F06")
    app = open_page(PAGE)
    button = _button(app, "accept", "KOR-2023-F06", "KOR-2009-F03")
    # Someone else removes the earlier finding's visibility meanwhile: the importer refuses the link.
    records.save_finding(
        demo_engine,
        LOCAL_ADMIN,
        records.get_finding(demo_engine, LOCAL_ADMIN, "KOR-2023-F06") | {"visit_id": "KOR-2009"},
    )

    button.click().run()

    assert not app.exception
    if not app.error:
        app.button(key="review:continuity:confirm").click().run()
    assert [e.value for e in app.error] == [
        "nothing was saved: finding KOR-2009-F03 is not from an earlier visit; a finding continues an earlier one."
    ]


def test_the_evidence_tab_lists_unassessed_baseline_items_beside_similar_follow_up_findings(demo_engine, tmp_path):
    write_bundle(
        tmp_path,
        findings=[
            finding_row(
                "KOR-2009-F40",
                area="BM.MARITIME",
                title="Container scanning at the port of Busan covers a small share of boxes",
            ),
            finding_row(
                "KOR-2023-F40",
                visit_id="KOR-2023",
                kind="progress",
                area="BM.MARITIME",
                title="Container scanning at the port of Busan now covers every box bound for export",
            ),
        ],
    )
    assert run_import(demo_engine, tmp_path).ok

    app = open_page(PAGE)

    assert_clean(app)
    evidence = app.dataframe[-1].value
    pairs = list(zip(evidence["baseline_id"], evidence["finding_id"]))
    assert ("KOR-2009-F40", "KOR-2023-F40") in pairs
    assert set(evidence["baseline_id"]) == {"KOR-2009-F40"}
