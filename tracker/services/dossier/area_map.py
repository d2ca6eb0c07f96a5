"""The area → resolution map behind the assessment debt (docs/dossier.md): which resolutions each
top-level area concerns. A pair is added or switched off as a row of `area_resolutions.csv`, so it is
checked and audited like any import; nothing is deleted, so seeding never brings a pair back."""

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Result, select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.errors import TrackerError, ValidationFailed
from tracker.models import AreaResolution, Resolution, ThematicArea
from tracker.services.people.access import Actor
from tracker.services.records.editing import Saved, save_files

FILE = "area_resolutions.csv"


def set_concern(engine: Engine, actor: Actor, area: str, resolution: str, applies: bool = True) -> Saved:
    """Say that a top-level area concerns a resolution, or (`applies` false) that it does not."""
    row = {"area": area, "resolution": resolution, "applies": "true" if applies else "false"}
    try:
        return save_files(engine, actor, {FILE: [row]})
    except ValidationFailed as failed:
        first = failed.errors[0]
        raise TrackerError(f"{first['field']}: {first['message']}") from None


def area_map(engine: Engine) -> pd.DataFrame:
    """Every pair of the map, by area in taxonomy order, with the area's name and the resolution's title."""
    require_schema(engine)
    with reading(engine) as connection:
        result: Result[*tuple[Any, ...]] = connection.execute(
            select(
                col(AreaResolution.area),
                col(ThematicArea.name).label("area_name"),
                col(AreaResolution.resolution),
                col(Resolution.title).label("resolution_title"),
                col(Resolution.adopted_on),
                col(AreaResolution.applies),
            )
            .join(ThematicArea, col(ThematicArea.code) == col(AreaResolution.area))
            .join(Resolution, col(Resolution.number) == col(AreaResolution.resolution))
            .order_by(col(ThematicArea.sort_order), col(AreaResolution.resolution))
        )
        return pd.DataFrame(list(map(tuple, result.all())), columns=list(result.keys()))
