"""`tracker reference`: add a State, a resolution, a partner; rename seeded rows; refusals in one sentence."""

import json

from sqlalchemy import select
from typer.testing import CliRunner

from tracker.cli import app
from tracker.models import AuditEvent, MemberState, Resolution

runner = CliRunner()


def tracker(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_add_a_state_a_resolution_and_a_partner(engine):
    added = [
        tracker("reference", "add-state", "vat", "Holy See", "--region", "Western European and Others"),
        tracker("reference", "add-resolution", "2331", "2016", "Trafficking in persons", "--adopted-on", "2016-12-20"),
        tracker("reference", "add-partner", "gctf", "Global Counterterrorism Forum"),
    ]

    assert [(r.exit_code, r.stdout, r.stderr) for r in added] == [
        (0, "", "Added VAT Holy See (not a UN Member State).\n"),
        (0, "", "Added resolution 2331 (2016).\n"),
        (0, "", "Added partner organisation GCTF.\n"),
    ]
    with engine.connect() as connection:
        assert connection.execute(
            select(MemberState.name, MemberState.member_state).where(MemberState.iso3 == "VAT")
        ).one() == ("Holy See", False)
        assert connection.execute(select(Resolution.year).where(Resolution.number == 2331)).scalar_one() == 2016
        imports = connection.execute(select(AuditEvent.entity).where(AuditEvent.action == "import")).scalars().all()
    assert len(imports) == 3


def test_a_seeded_state_is_renamed_not_added(engine):
    refused = tracker("reference", "add-state", "KOR", "Korea")
    renamed = tracker("reference", "rename-state", "kor", "Republic of Korea (ROK)")

    assert (refused.exit_code, refused.stdout, refused.stderr) == (
        1,
        "",
        "Error: iso3: KOR is the code of the UN Member State Republic of Korea; give the entity a code of its own "
        "(rename a Member State with 'tracker reference rename-state').\n",
    )
    assert (renamed.exit_code, renamed.stderr) == (
        0,
        "Renamed state KOR: Republic of Korea → Republic of Korea (ROK).\n",
    )
    with engine.connect() as connection:
        event = connection.execute(
            select(AuditEvent.action, AuditEvent.entity, AuditEvent.key, AuditEvent.changes).where(
                AuditEvent.entity == "member_state"
            )
        ).one()
    assert event[:3] == ("update", "member_state", "KOR")
    assert json.loads(event[3]) == {"name": ["Republic of Korea", "Republic of Korea (ROK)"]}


def test_a_seeded_resolution_with_another_year_is_refused(engine):
    result = tracker("reference", "add-resolution", "2178", "2015", "Foreign terrorist fighters")

    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        "Error: year: resolution 2178 was adopted in 2014, not 2015; write 2014, or correct the number.\n",
    )


def test_renaming_what_does_not_exist_says_how_to_add_it(engine):
    result = tracker("reference", "rename-partner", "ACME", "Acme")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: there is no partner organisation ACME; add it with 'tracker reference add-partner'.\n",
    )
