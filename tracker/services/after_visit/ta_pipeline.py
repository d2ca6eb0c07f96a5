"""The technical-assistance pipeline: each TA need a visit found, where it stands, and who helps.

A TA need without a TA record is in the pipeline as `identified`, which is where every need
starts. Every read is narrowed by access.py, consent to share included.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, func, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.models import (
    Confidentiality,
    Finding,
    FindingKind,
    MemberState,
    PartnerOrg,
    TAProvider,
    TARecord,
    TAStatus,
    Visit,
    listed_state_name,
)
from tracker.services.people.access import (
    Actor,
    addressed_shown,
    effective_level,
    finding_visible,
    ta_visible,
    visible_addresses,
)

STATUS_ORDER: tuple[str, ...] = tuple(status.value for status in TAStatus)
# Past these the State has its assistance or has said no; the others are still to be brought about.
SETTLED = (TAStatus.delivered.value, TAStatus.declined.value)
NO_PROVIDER = "(none yet)"


@dataclass(frozen=True)
class PipelineFilter:
    """What the pipeline page and the reports narrow the pipeline to; an empty choice means all,
    except `visits`: None means every visit, and an empty tuple none (a report covering no visit)."""

    states: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    visits: tuple[str, ...] | None = None


def _needs(level: Confidentiality, where: PipelineFilter) -> tuple[Select[*tuple[Any, ...]], object]:
    """Every visible TA need with its record (if one is visible), filtered; and the status column."""
    record, addressed = aliased(TARecord), aliased(Finding)
    status = func.coalesce(col(record.status), literal(TAStatus.identified.value))
    query = (
        select(
            col(Finding.finding_id),
            col(Visit.state),
            listed_state_name().label("state_name"),
            col(MemberState.region),
            col(Finding.visit_id),
            col(Finding.area),
            col(Finding.title),
            status.label("status"),
            visible_addresses(level, record).label("addresses"),
            case(
                (
                    addressed_shown(level, record),
                    select(col(addressed.title))
                    .where(col(addressed.finding_id) == col(record.addresses))
                    .scalar_subquery(),
                ),
                else_=literal(""),
            ).label("addresses_title"),
            col(record.updated_on),
            func.coalesce(col(record.note), literal("")).label("note"),
            func.coalesce(col(record.confidentiality), col(Finding.confidentiality)).label("confidentiality"),
            col(record.finding_id).label("record_id"),
        )
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .join(MemberState, col(MemberState.iso3) == col(Visit.state))
        .outerjoin(record, and_(col(record.finding_id) == col(Finding.finding_id), ta_visible(level, record)))
        .where(col(Finding.kind) == FindingKind.ta_need.value, finding_visible(level))
    )
    if where.states:
        query = query.where(col(Visit.state).in_(where.states))
    if where.regions:
        query = query.where(col(MemberState.region).in_(where.regions))
    if where.visits is not None:
        query = query.where(col(Finding.visit_id).in_(where.visits))
    if where.statuses:
        query = query.where(status.in_(where.statuses))
    if where.providers:
        named = select(col(TAProvider.finding_id)).where(
            col(TAProvider.finding_id) == col(record.finding_id), col(TAProvider.partner).in_(where.providers)
        )
        query = query.where(named.exists())
    return query, status


def _providers(connection: Connection, finding_ids: Iterable[str]) -> dict[str, list[str]]:
    ids = list(finding_ids)
    found: dict[str, list[str]] = {}
    for start in range(0, len(ids), 1000):
        for finding_id, partner in connection.execute(
            select(col(TAProvider.finding_id), col(TAProvider.partner))
            .where(col(TAProvider.finding_id).in_(ids[start : start + 1000]))
            .order_by(col(TAProvider.finding_id), col(TAProvider.partner))
        ):
            found.setdefault(finding_id, []).append(partner)
    return found


def pipeline(
    engine: Engine, actor: Actor, level: str | Confidentiality | None = None, where: PipelineFilter | None = None
) -> pd.DataFrame:
    """One row per visible TA need: State, visit, area, title, status, providers, what it answers."""
    require_schema(engine)
    level = effective_level(actor, level)
    query, _ = _needs(level, where or PipelineFilter())
    with reading(engine) as connection:
        result = connection.execute(query.order_by(col(Visit.state), col(Finding.visit_id), col(Finding.finding_id)))
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        # Providers belong to the TA record, so they are shown only where the record is.
        providers = _providers(connection, frame["record_id"].dropna().tolist())
    return frame.drop(columns="record_id").assign(
        providers=[", ".join(providers.get(f, [])) for f in frame["finding_id"]]
    )


def by_status(
    engine: Engine, actor: Actor, level: str | Confidentiality | None = None, where: PipelineFilter | None = None
) -> pd.DataFrame:
    """How many TA needs stand at each status, every status listed in pipeline order."""
    return status_table(by_visit_and_status(engine, actor, level, where))


def by_visit_and_status(
    engine: Engine, actor: Actor, level: str | Confidentiality | None = None, where: PipelineFilter | None = None
) -> dict[tuple[str, str], int]:
    """How many TA needs of each visit stand at each status, as {(visit id, status): needs}."""
    require_schema(engine)
    level = effective_level(actor, level)
    query, _ = _needs(level, where or PipelineFilter())
    needs = query.subquery()
    counted = select(needs.c.visit_id, needs.c.status, func.count().label("needs")).group_by(
        needs.c.visit_id, needs.c.status
    )
    with reading(engine) as connection:
        return {(visit_id, status): int(n) for visit_id, status, n in connection.execute(counted)}


def status_table(counts: dict[tuple[str, str], int], visit_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The counts of `by_visit_and_status` (of the named visits only, if given) per status, in pipeline order."""
    per_status = dict.fromkeys(STATUS_ORDER, 0)
    if visit_ids is None:
        for (_, status), n in counts.items():
            if status in per_status:
                per_status[status] += n
    else:
        for visit_id in set(visit_ids):
            for status in STATUS_ORDER:
                per_status[status] += counts.get((visit_id, status), 0)
    return pd.DataFrame({"status": STATUS_ORDER, "needs": list(per_status.values())})


def by_provider(
    engine: Engine, actor: Actor, level: str | Confidentiality | None = None, where: PipelineFilter | None = None
) -> pd.DataFrame:
    """TA needs per provider and status (a need with two providers counts for each)."""
    require_schema(engine)
    level = effective_level(actor, level)
    query, _ = _needs(level, where or PipelineFilter())
    needs = query.subquery()
    provider = func.coalesce(col(TAProvider.partner), literal(NO_PROVIDER))
    counted = (
        select(provider.label("provider"), needs.c.status, func.count().label("needs"))
        .select_from(needs)
        .outerjoin(TAProvider, col(TAProvider.finding_id) == needs.c.record_id)
        .group_by(provider, needs.c.status)
    )
    with reading(engine) as connection:
        result = connection.execute(counted)
        frame = pd.DataFrame(result.all(), columns=list(result.keys()))
        names = dict(connection.execute(select(col(PartnerOrg.code), col(PartnerOrg.name))).all())
    if frame.empty:
        return pd.DataFrame(columns=["provider", "provider_name", *STATUS_ORDER, "total"])
    table = frame.pivot_table(index="provider", columns="status", values="needs", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(STATUS_ORDER), fill_value=0).astype(int)
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    table = table.reset_index()
    table.insert(1, "provider_name", table["provider"].map(lambda code: names.get(code, code)))
    # Providers first, busiest first; needs nobody is helping with yet at the end.
    table = table.assign(_last=table["provider"] == NO_PROVIDER).sort_values(
        ["_last", "total", "provider"], ascending=[True, False, True]
    )
    return table.drop(columns="_last").reset_index(drop=True)
