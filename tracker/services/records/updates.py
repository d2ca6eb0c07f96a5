"""Recording a State's written updates and what each says of an item (docs/data-formats.md).

Saves go through the bundle importer, so an update typed on a page is checked, audited and
refused exactly as a row of `updates.csv` or `update_items.csv` would be."""

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.models import Confidentiality, Finding, Update, Visit
from tracker.services.people.access import Actor, effective_level, finding_visible, update_visible
from tracker.services.progress import self_reported
from tracker.services.records.editing import Saved, save_files
from tracker.services.records.saving import save_row

UPDATE_COLUMNS = ["update_id", "received_on", "reference", "summary", "items", "confidentiality"]
CLAIM_COLUMNS = ["update_id", "received_on", "status", "evidence"]
LATEST_COLUMNS = ["finding_id", "self_reported", "status", "received_on", "update_id"]


def state_updates(engine: Engine, actor: Actor, iso3: str, level: str | Confidentiality | None = None) -> pd.DataFrame:
    """A State's visible written updates, oldest first, with how many items each speaks of."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        received = self_reported.updates_received(connection, level, state=iso3.strip().upper())
        levels = dict(
            connection.execute(
                select(col(Update.update_id), col(Update.confidentiality)).where(
                    col(Update.state) == iso3.strip().upper(), update_visible(level)
                )
            ).all()
        )
    rows = [
        [u.update_id, u.received_on, u.reference, u.summary, len(u.items), levels.get(u.update_id, "")]
        for u in received
    ]
    return pd.DataFrame(rows, columns=UPDATE_COLUMNS)


def latest_claims(engine: Engine, actor: Actor, iso3: str, level: str | Confidentiality | None = None) -> pd.DataFrame:
    """The latest self-reported status of each item of a State its visible updates speak of: its
    words (`Fully implemented (self-reported, 2016-06-30, KOR-U-2016)`), status, date and update."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        latest = self_reported.latest_claims_of_state(connection, level, iso3.strip().upper())
    rows = [[c.finding_id, c.in_words(), c.status, c.received_on, c.update_id] for c in latest.values()]
    return pd.DataFrame(rows, columns=LATEST_COLUMNS)


def finding_claims(
    engine: Engine, actor: Actor, finding_id: str, level: str | Confidentiality | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the State's updates say of a finding (self-reported, oldest first), and the updates of
    its State received since the finding was raised, to record another."""
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        claims = self_reported.claims(connection, level, [finding_id]).get(finding_id, [])
        raised = connection.execute(
            select(col(Visit.state), col(Visit.start_date))
            .join(Finding, col(Finding.visit_id) == col(Visit.visit_id))
            .where(col(Finding.finding_id) == finding_id, finding_visible(level))
        ).first()
        updates = self_reported.updates_received(connection, level, state=raised[0], start=raised[1]) if raised else []
    said = pd.DataFrame([[c.update_id, c.received_on, c.status, c.evidence] for c in claims], columns=CLAIM_COLUMNS)
    choices = pd.DataFrame(
        [[u.update_id, u.received_on, u.reference] for u in updates], columns=["update_id", "received_on", "reference"]
    )
    return said, choices


def save_update(
    engine: Engine, actor: Actor, values: dict[str, Any], *, new: bool | None = None, dry_run: bool = False
) -> Saved:
    """Add or change a written update (a row of updates.csv); `new`: an added one, whose id must be
    free, so that an update another analyst added under it is refused, never overwritten."""
    return save_row(engine, actor, "updates.csv", values, new=new, dry_run=dry_run)


def save_update_item(engine: Engine, actor: Actor, values: dict[str, Any], *, dry_run: bool = False) -> Saved:
    """Record what an update says of one item (a row of update_items.csv): self-reported, never counted."""
    return save_files(engine, actor, {"update_items.csv": [values]}, dry_run=dry_run)
