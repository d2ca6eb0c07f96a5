"""A State's dossier computed in one read at one level (docs/dossier.md)."""

import datetime as dt

from sqlalchemy import Engine

from tracker.db import reading, require_schema
from tracker.models import NOT_A_MEMBER_STATE, Confidentiality
from tracker.services.after_visit import ta_pipeline
from tracker.services.dossier import debt, items, partners
from tracker.services.dossier.model import Dossier
from tracker.services.people.access import Actor, effective_level
from tracker.services.progress import register
from tracker.services.progress.visits import state_of


def compute_dossier(
    engine: Engine, actor: Actor, iso3: str, level: str | Confidentiality | None = None, *, today: dt.date | None = None
) -> Dossier:
    """The six parts of the preparation of a State's next visit, each at the reader's level."""
    require_schema(engine)
    level = effective_level(actor, level)
    today = today or dt.date.today()
    with reading(engine) as connection:
        state = state_of(connection, iso3)
        code = state.iso3
        history = register.read_histories(connection, [code], level)[code]
        covering = debt.covering_visits(connection, level, [code]).get(code, [])
        basis = debt.state_basis(connection, level, covering)
        order = items.area_order(basis.areas)
        chains = items.read_chains(connection, history)
        opened = items.open_items(history, chains, today, order)
        claims, record = items.claims_and_record(connection, level, chains)
        latest = items.latest_followup(history)
        recommendations = items.new_recommendations(connection, level, latest.visit_id) if latest else []
    # The pipeline checks the reader's clearance itself, at the same level.
    pipeline = ta_pipeline.pipeline(engine, actor, level, ta_pipeline.PipelineFilter(states=(code,)))
    with reading(engine) as connection:
        suggested = partners.suggested_partners(connection, level, history, opened, pipeline, basis.areas)
    return Dossier(
        state=code,
        state_name=state.name + ("" if state.member_state else NOT_A_MEMBER_STATE),
        level=level,
        today=today,
        visits=[(v.visit_id, v.kind, v.start_date) for v in history.ordered_visits()],
        latest_followup=latest.visit_id if latest else None,
        item_count=len(chains),
        open_items=opened,
        claims=claims,
        delivered=items.delivered_not_verified(history, chains, pipeline),
        track_record=record,
        debt=debt.area_debts(basis, covering, today),
        new_recommendations=recommendations,
        partners=suggested,
    )
