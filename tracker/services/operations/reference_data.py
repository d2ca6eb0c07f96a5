"""Reference data the team maintains (docs/data-formats.md): States outside the 193, resolutions, partner
organisations. Additions go through the bundle importer (checked and audited like `states.csv`,
`resolutions.csv`, `partners.csv`); a rename of any row, seeded or added, is one audited update.
Nothing here deletes a row: a reference row that a visit, finding or update uses stays."""

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Table, select, update

from tracker.db import reading, require_schema, writing
from tracker.errors import NotFound, TrackerError, ValidationFailed
from tracker.models import MemberState, PartnerOrg, Resolution, parse_resolution, table_of
from tracker.services.people import audit
from tracker.services.people.access import Actor, require_writer
from tracker.services.records.editing import Saved, save_files


@dataclass(frozen=True)
class Kind:
    """One kind of reference row: its bundle file, table, key and the column a rename changes."""

    file: str
    table: Table
    key: str
    label: str
    named_by: str


KINDS = {
    "state": Kind("states.csv", table_of(MemberState), "iso3", "State", "name"),
    "resolution": Kind("resolutions.csv", table_of(Resolution), "number", "resolution", "title"),
    "partner": Kind("partners.csv", table_of(PartnerOrg), "code", "partner organisation", "name"),
}


def _saved(engine: Engine, actor: Actor, kind: Kind, row: dict[str, Any]) -> Saved:
    try:
        return save_files(engine, actor, {kind.file: [row]})
    except ValidationFailed as failed:
        first = failed.errors[0]
        raise TrackerError(f"{first['field']}: {first['message']}") from None


def add_state(engine: Engine, actor: Actor, iso3: str, name: str, region: str = "") -> Saved:
    """Add an entity outside the 193 Member States (an observer State, a territory, ...), or rename one added."""
    return _saved(engine, actor, KINDS["state"], {"iso3": iso3, "name": name, "region": region})


def add_resolution(engine: Engine, actor: Actor, number: str, year: str, title: str, adopted_on: str = "") -> Saved:
    return _saved(
        engine,
        actor,
        KINDS["resolution"],
        {"number": number, "year": year, "title": title, "adopted_on": adopted_on},
    )


def add_partner(engine: Engine, actor: Actor, code: str, name: str) -> Saved:
    return _saved(engine, actor, KINDS["partner"], {"code": code, "name": name})


def _key_of(kind_name: str, key: str) -> str | int:
    if kind_name == "resolution":
        try:
            return parse_resolution(key)
        except ValueError as error:
            raise TrackerError(str(error)) from None
    return key.strip().upper()


def rename(engine: Engine, actor: Actor, kind_name: str, key: str, name: str) -> tuple[str, str]:
    """Give a reference row (seeded or added) a new name or title; returns (old, new). Audited."""
    require_writer(actor)
    require_schema(engine)
    kind = KINDS[kind_name]
    new = " ".join(name.split())
    if not new:
        raise TrackerError(f"no new {kind.named_by} was given", f"write the {kind.label}'s {kind.named_by}")
    value = _key_of(kind_name, key)
    column = kind.table.c[kind.named_by]
    with writing(engine) as connection:
        old = connection.execute(select(column).where(kind.table.c[kind.key] == value)).scalar_one_or_none()
        if old is None:
            raise NotFound(
                f"there is no {kind.label} {key.strip()}", f"add it with 'tracker reference add-{kind_name}'"
            )
        if old != new:
            connection.execute(update(kind.table).where(kind.table.c[kind.key] == value).values({kind.named_by: new}))
            audit.record(connection, actor, "update", kind.table.name, str(value), {kind.named_by: [old, new]})
    return old, new


def reference_frame(engine: Engine, kind_name: str) -> pd.DataFrame:
    """Every row of one kind of reference data, in key order; States say whether each is a UN Member State."""
    require_schema(engine)
    kind = KINDS[kind_name]
    columns = [c for c in kind.table.c if c.name != "created_in"]
    with reading(engine) as connection:
        result = connection.execute(select(*columns).order_by(kind.table.c[kind.key]))
        return pd.DataFrame(list(map(tuple, result.all())), columns=list(result.keys()))
