"""Cached reads are shared by every reader of one clearance level, and a save clears only the reads
of what it changed."""

import pytest
import streamlit as st

from tracker.models import Confidentiality, Role
from tracker.services.people.access import Actor
from tracker.services.records import editing as records
from tracker.ui import common

ALICE = Actor("alice", Role.analyst, Confidentiality.committee)
BOB = Actor("bob", Role.viewer, Confidentiality.committee)
CAROL = Actor("carol", Role.viewer, Confidentiality.restricted)


@pytest.fixture
def reads(demo_engine, database_url, monkeypatch):
    """Who each service read ran as, by service name."""
    st.cache_data.clear()
    seen: dict[str, list[Actor]] = {"list_findings": [], "list_meetings": []}
    for name in seen:
        original = getattr(records, name)

        def counting(engine, actor, *args, _original=original, _name=name, **kwargs):
            seen[_name].append(actor)
            return _original(engine, actor, *args, **kwargs)

        monkeypatch.setattr(records, name, counting)
    yield seen
    st.cache_data.clear()


def test_two_readers_of_one_level_share_one_read(reads, database_url):
    first = common.findings(database_url, ALICE, level="committee")
    second = common.findings(database_url, BOB, level="committee")

    assert len(reads["list_findings"]) == 1
    assert first[0].equals(second[0])
    # The read ran as the level, not as either user.
    assert reads["list_findings"][0] == Actor("(committee reader)", Role.viewer, Confidentiality.committee)


def test_readers_of_two_levels_do_not_share_a_read(reads, database_url):
    committee = common.findings(database_url, ALICE, level="committee")
    restricted = common.findings(database_url, CAROL, level="restricted")

    assert [actor.clearance for actor in reads["list_findings"]] == [
        Confidentiality.committee,
        Confidentiality.restricted,
    ]
    assert committee[1] < restricted[1]


def test_a_save_clears_the_reads_of_what_it_changed_and_keeps_the_others(reads, database_url):
    common.findings(database_url, ALICE)
    common.meetings(database_url, ALICE)

    common.clear_caches({"meeting"})
    common.findings(database_url, BOB)
    common.meetings(database_url, BOB)

    assert len(reads["list_findings"]) == 1 and len(reads["list_meetings"]) == 2

    common.clear_caches({"finding"})
    common.findings(database_url, BOB)
    common.meetings(database_url, BOB)

    assert len(reads["list_findings"]) == 2 and len(reads["list_meetings"]) == 2


def test_clearing_without_naming_what_changed_clears_every_read(reads, database_url):
    common.findings(database_url, ALICE)
    common.meetings(database_url, ALICE)

    common.clear_caches()
    common.findings(database_url, ALICE)
    common.meetings(database_url, ALICE)

    assert len(reads["list_findings"]) == 2 and len(reads["list_meetings"]) == 2


def test_the_entities_of_a_saves_changes_name_what_it_touched():
    from tracker.services.bundle.importer import Change

    changes = [Change("findings.csv", "F1", "title", "a", "b"), Change("meetings.csv", "M1", "*", None, None)]

    assert common.changed_entities(changes) == {"finding", "meeting"}
    assert common.changed_entities([Change("elsewhere.csv", "X", "*", None, None)]) is None
