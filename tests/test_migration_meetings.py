"""The migration to meetings of several sectors keeps every meeting's sector, and a downgrade gives one back."""

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.test_migrations import empty_url  # noqa: F401  (the fixture)
from tracker import db

SECTORS = {"KOR-2023-M01": "government", "KOR-2023-M02": "civil_society", "KOR-2023-M03": "private_sector"}


def _meetings_before(engine) -> None:
    db.upgrade(engine, "0015")
    before = MetaData()
    before.reflect(engine)
    with engine.begin() as connection:
        connection.execute(before.tables["member_state"].insert(), [{"iso3": "KOR", "name": "Korea", "region": "Asia"}])
        connection.execute(before.tables["partner_org"].insert(), [{"code": "UNODC", "name": "UNODC"}])
        connection.execute(
            before.tables["visit"].insert(),
            [
                {
                    "visit_id": "KOR-2023",
                    "state": "KOR",
                    "kind": "comprehensive",
                    "modality": "in_person",
                    "start_date": dt.date(2023, 5, 22),
                    "end_date": dt.date(2023, 5, 25),
                    "lead": "",
                    "summary": "",
                    "confidentiality": "committee",
                }
            ],
        )
        connection.execute(
            before.tables["meeting"].insert(),
            [
                {
                    "meeting_id": meeting_id,
                    "visit_id": "KOR-2023",
                    "date": dt.date(2023, 5, 23),
                    "kind": "roundtable",
                    "counterpart": "Counterparts",
                    "sector": sector,
                    "notes": "",
                    "confidentiality": "committee",
                }
                for meeting_id, sector in SECTORS.items()
            ],
        )


def _downgrade(engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(db.alembic_config(connection), revision)


def test_every_meeting_keeps_its_sector_in_the_new_table(empty_url):  # noqa: F811
    engine = db.get_engine(empty_url)
    _meetings_before(engine)

    db.upgrade(engine, "0016")

    with engine.begin() as connection:
        stored = dict(connection.execute(text("SELECT meeting_id, sector FROM meeting_sector")).all())
        connection.execute(
            text(
                "INSERT INTO meeting_sector (meeting_id, sector) VALUES "
                "('KOR-2023-M01', 'academia'), ('KOR-2023-M01', 'judiciary')"
            )
        )
        connection.execute(text("INSERT INTO meeting_partner (meeting_id, partner) VALUES ('KOR-2023-M01', 'UNODC')"))
        meeting_columns = {column["name"] for column in inspect(connection).get_columns("meeting")}
    assert stored == SECTORS
    assert "sector" not in meeting_columns
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("INSERT INTO meeting_sector (meeting_id, sector) VALUES ('KOR-2023-M02', 'press')"))


def test_a_downgrade_keeps_one_sector_per_meeting_and_its_check(empty_url):  # noqa: F811
    engine = db.get_engine(empty_url)
    _meetings_before(engine)
    db.upgrade(engine, "0016")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO meeting_sector (meeting_id, sector) VALUES "
                "('KOR-2023-M02', 'academia'), ('KOR-2023-M02', 'parliament')"
            )
        )
        connection.execute(text("INSERT INTO meeting_partner (meeting_id, partner) VALUES ('KOR-2023-M02', 'UNODC')"))

    _downgrade(engine, "0015")

    with engine.begin() as connection:
        sectors = dict(connection.execute(text("SELECT meeting_id, sector FROM meeting")).all())
        tables = set(inspect(connection).get_table_names())
    # The first sector in alphabetical order stays; the others and the partners go with their tables.
    assert sectors == SECTORS | {"KOR-2023-M02": "academia"}
    assert not tables & {"meeting_sector", "meeting_partner"}
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("UPDATE meeting SET sector = 'press' WHERE meeting_id = 'KOR-2023-M01'"))

    db.upgrade(engine)
    with engine.connect() as connection:
        again = dict(connection.execute(text("SELECT meeting_id, sector FROM meeting_sector")).all())
    assert again == SECTORS | {"KOR-2023-M02": "academia"}
