"""Schema set-up and the seeded reference data."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from tracker import taxonomy
from tracker.db import upgrade, writing
from tracker.models import AreaResolution, MemberState, PartnerOrg, Resolution, ThematicArea, table_of


@dataclass
class SeedResult:
    states: int
    areas: int
    resolutions: int
    partners: int
    area_resolutions: int = 0

    @property
    def total(self) -> int:
        return self.states + self.areas + self.resolutions + self.partners + self.area_resolutions


def _insert_missing(connection: Connection, table: Any, key: str | tuple[str, ...], rows: list[dict[str, Any]]) -> int:
    keys = (key,) if isinstance(key, str) else key
    existing = {tuple(row) for row in connection.execute(select(*(table.c[k] for k in keys)))}
    missing = [row for row in rows if tuple(row[k] for k in keys) not in existing]
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
                [{"iso3": i, "name": n, "region": r, "member_state": True} for i, n, r in taxonomy.member_states()],
            ),
            # Parents come first in taxonomy order, so foreign keys resolve row by row.
            areas=_insert_missing(connection, table_of(ThematicArea), "code", areas),
            resolutions=_insert_missing(
                connection,
                table_of(Resolution),
                "number",
                [
                    {"number": n, "year": y, "title": t, "adopted_on": taxonomy.ADOPTED_ON.get(n)}
                    for n, y, t in taxonomy.RESOLUTIONS
                ],
            ),
            partners=_insert_missing(
                connection, table_of(PartnerOrg), "code", [{"code": c, "name": n} for c, n in taxonomy.PARTNERS]
            ),
            # A pair the team switched off stays stored, so seeding never brings it back.
            area_resolutions=_insert_missing(
                connection,
                table_of(AreaResolution),
                ("area", "resolution"),
                [
                    {"area": area, "resolution": number, "applies": True}
                    for area, numbers in taxonomy.AREA_RESOLUTIONS.items()
                    for number in numbers
                ],
            ),
        )


def init_database(engine: Engine) -> SeedResult:
    """Create or upgrade the schema, then seed, and make the key that seals issued reports; safe to run again."""
    import tracker.services.reports.seal as seal

    upgrade(engine)
    seeded = seed_reference_data(engine)
    key = seal.ensure_key(engine)
    with writing(engine) as connection:
        seal.reseal_unkeyed(connection, key)
    return seeded
