"""Fixtures for the security tests: quick password hashing and users of each kind."""

import pytest
from argon2 import PasswordHasher

from tracker.models import Confidentiality, Role
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN, Actor

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch):
    """Cheap argon2 parameters: the tests check behaviour, not the cost of guessing."""
    monkeypatch.setattr(users, "hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


def add_user(
    engine, username: str, role: Role = Role.viewer, clearance: Confidentiality = Confidentiality.committee
) -> Actor:
    return users.add_user(engine, LOCAL_ADMIN, users.validated_user(username, PASSWORD, role, clearance))


# Every row a committee reader must not see carries this mark in its key or text.
HIDDEN = "ZZHIDDEN"
VISIBLE = "VISIBLEMARK"


def _hidden_bundle(folder):
    from tests.conftest import assessment_row, finding_row, followup_row, meeting_row, visit_row, write_bundle

    return write_bundle(
        folder,
        visits=[
            # A restricted follow-up of a visible baseline: it and all it holds are hidden.
            followup_row(
                "KOR-2031-ZZHIDDEN",
                "KOR-2009",
                start_date="2031-03-01",
                end_date="2031-03-04",
                lead=f"{HIDDEN} lead",
                summary=f"{HIDDEN} summary",
                confidentiality="restricted",
            ),
            # A visible follow-up whose baseline is hidden: no comparison may reveal the baseline.
            visit_row(
                "FRA-2015-ZZHIDDEN",
                state="FRA",
                start_date="2015-06-01",
                end_date="2015-06-03",
                lead=f"{HIDDEN} lead",
                confidentiality="state_and_cted",
            ),
            followup_row("FRA-2022", "FRA-2015-ZZHIDDEN", state="FRA", start_date="2022-06-01", end_date="2022-06-03"),
        ],
        findings=[
            finding_row("KOR-2031-F1-ZZHIDDEN", "KOR-2031-ZZHIDDEN", title=f"{HIDDEN} finding of a hidden visit"),
            finding_row(
                "KOR-2023-F-ZZHIDDEN",
                "KOR-2023",
                kind="good_practice",
                title=f"{HIDDEN} state_and_cted practice",
                confidentiality="state_and_cted",
            ),
            finding_row(
                "KOR-2009-F-ZZHIDDEN",
                "KOR-2009",
                title=f"{HIDDEN} restricted baseline gap",
                confidentiality="restricted",
            ),
            finding_row(
                "KOR-2009-F-VISIBLE",
                "KOR-2009",
                kind="recommendation",
                area="ICT",
                priority="true",
                title=f"{VISIBLE} committee recommendation",
            ),
            finding_row("FRA-2015-F1-ZZHIDDEN", "FRA-2015-ZZHIDDEN", title=f"{HIDDEN} finding of a hidden baseline"),
            finding_row("FRA-2022-F1", "FRA-2022", title=f"{VISIBLE} French follow-up gap"),
            # A visible follow-up gap restating a hidden baseline gap: the reference must not show.
            finding_row("KOR-2023-F-CONTINUING", "KOR-2023", title="A gap still open", continues="KOR-2009-F-ZZHIDDEN"),
        ],
        assessments=[
            assessment_row(
                "KOR-2009-F-ZZHIDDEN", "fully_implemented", evidence=f"{HIDDEN} evidence of a hidden finding"
            ),
            assessment_row(
                "KOR-2009-F-VISIBLE",
                "fully_implemented",
                evidence=f"{HIDDEN} restricted evidence",
                confidentiality="restricted",
            ),
            assessment_row(
                "KOR-2009-F01",
                "contrary_action",
                "KOR-2031-ZZHIDDEN",
                evidence=f"{HIDDEN} evidence at a hidden visit",
                assessed_on="2031-03-04",
            ),
            assessment_row(
                "FRA-2015-F1-ZZHIDDEN",
                "initial_steps",
                "FRA-2022",
                evidence=f"{HIDDEN} evidence",
                assessed_on="2022-06-03",
            ),
        ],
        meetings=[
            meeting_row(
                "KOR-2023-M-ZZHIDDEN",
                "KOR-2023",
                notes=f"{HIDDEN} notes",
                counterpart=f"{HIDDEN} ministry",
                confidentiality="state_and_cted",
            ),
            meeting_row("KOR-2031-M1-ZZHIDDEN", "KOR-2031-ZZHIDDEN", date="2031-03-02", notes=f"{HIDDEN} notes"),
        ],
    )


@pytest.fixture
def guarded_engine(demo_engine, tmp_path):
    """The demo plus rows above `committee` (marked ZZHIDDEN) and committee rows marked VISIBLEMARK."""
    from tracker.services.bundle.importer import import_bundle
    from tracker.services.bundle.sources import sources_from_paths

    result = import_bundle(demo_engine, sources_from_paths([_hidden_bundle(tmp_path / "hidden")]), LOCAL_ADMIN)
    assert result.ok, result.errors
    return demo_engine


COMMITTEE_READER = Actor("reader", Role.viewer, Confidentiality.committee)


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: equal dumps mean equal databases."""
    from sqlalchemy import select
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in SQLModel.metadata.sorted_tables
        }
