"""The after-the-visit migration keeps every visit and gives it the consent it had in effect."""

import datetime as dt

from sqlalchemy import MetaData, select, text

from tests.test_migrations import empty_url  # noqa: F401  (the fixture)
from tracker import db
from tracker.models import Visit


def test_visits_recorded_before_consent_keep_partial_and_new_visits_start_at_none(empty_url):  # noqa: F811
    engine = db.get_engine(empty_url)
    db.upgrade(engine, "0002")
    before = MetaData()
    before.reflect(engine)
    with engine.begin() as connection:
        connection.execute(before.tables["member_state"].insert(), [{"iso3": "KOR", "name": "Korea", "region": "Asia"}])
        connection.execute(
            before.tables["visit"].insert(),
            [
                {
                    "visit_id": "KOR-2009",
                    "state": "KOR",
                    "kind": "comprehensive",
                    "modality": "in_person",
                    "start_date": dt.date(2009, 9, 14),
                    "end_date": dt.date(2009, 9, 17),
                    "lead": "",
                    "summary": "",
                    "confidentiality": "committee",
                }
            ],
        )

    db.upgrade(engine)

    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO visit (visit_id, state, kind, modality, start_date, end_date, lead, summary, "
                "confidentiality) VALUES ('KOR-2023', 'KOR', 'follow_up', 'in_person', '2023-05-22', "
                "'2023-05-25', '', '', 'committee')"
            )
        )
        consents = dict(connection.execute(select(Visit.visit_id, Visit.consent)).all())
        dates = set(connection.execute(select(Visit.consent_date)).scalars())
    assert consents == {"KOR-2009": "partial", "KOR-2023": "none"}
    assert dates == {None}
