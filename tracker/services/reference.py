"""Schema set-up and the seeded reference data."""

from dataclasses import dataclass

from sqlalchemy import Engine, insert, select

from tracker import taxonomy
from tracker.db import upgrade, writing
from tracker.models import MemberState, PartnerOrg, Resolution, ThematicArea, table_of


@dataclass
class SeedResult:
    states: int
    areas: int
    resolutions: int
    partners: int

    @property
    def total(self) -> int:
        return self.states + self.areas + self.resolutions + self.partners


def _insert_missing(connection, table, key: str, rows: list[dict]) -> int:
    existing = set(connection.execute(select(table.c[key])).scalars())
    missing = [row for row in rows if row[key] not in existing]
    if missing:
        connection.execute(insert(table), missing)
    return len(missing)


def seed_reference_data(engine: Engine) -> SeedResult:
    """Add whatever reference rows are missing; rows already there, even edited, are kept."""
    areas = [area.__dict__ for area in taxonomy.areas()]
    with writing(engine) as connection:
        return SeedResult(
            states=_insert_missing(
                connection,
                table_of(MemberState),
                "iso3",
                [{"iso3": i, "name": n, "region": r} for i, n, r in taxonomy.member_states()],
            ),
            # Parents come first in taxonomy order, so foreign keys resolve row by row.
            areas=_insert_missing(connection, table_of(ThematicArea), "code", areas),
            resolutions=_insert_missing(
                connection,
                table_of(Resolution),
                "number",
                [{"number": n, "year": y, "title": t} for n, y, t in taxonomy.RESOLUTIONS],
            ),
            partners=_insert_missing(
                connection, table_of(PartnerOrg), "code", [{"code": c, "name": n} for c, n in taxonomy.PARTNERS]
            ),
        )


def init_database(engine: Engine) -> SeedResult:
    """Create or upgrade the schema, then seed; safe to run again."""
    upgrade(engine)
    return seed_reference_data(engine)
