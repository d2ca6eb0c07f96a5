"""The cross-State index's scores, kept per level and State, worked out again for the States written since.

The index counts every follow-up's register: every visible finding and assessment is read and
each chain's latest assessment ranked, about 400 ms at 193 States. Kept in `register_score` by
follow-up and top-level area, a reading works out only the States with a write newer than what
was kept. The database's own triggers leave a `register_change` row for every write of a visit,
finding, assessment, meeting or milestone, and forget every kept score when the areas change
(migration 0017), so no write path can leave a kept score out of date; see docs/developers.md
("The kept cross-State index").

Two readings may work out the same State at once, and a write may land while one reads. Each
kept score says from when it counts every write (`horizon`: on SQLite the next change id, the
writers taking turns; on PostgreSQL the oldest transaction running, since a later transaction may
commit first); a change stamped at or after it makes the State stale again. Keeping scores takes
a short turn and gives up rather than wait: the reading is answered either way.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import col

from tracker.config import get_settings
from tracker.db import is_sqlite, reading
from tracker.models import (
    Assessment,
    Confidentiality,
    Finding,
    RegisterChange,
    RegisterFloor,
    RegisterKept,
    RegisterScore,
    ThematicArea,
    Visit,
    table_of,
)
from tracker.services.people.access import assessment_visible_joined, finding_visible, visit_visible
from tracker.services.progress.register import SCORE_OF, TRACKABLE, in_scope

_log = logging.getLogger(__name__)
_CHANGE, _KEPT, _FLOOR, _SCORES = (
    table_of(RegisterChange),
    table_of(RegisterKept),
    table_of(RegisterFloor),
    table_of(RegisterScore),
)
# From how many rows a transaction on SQLite notes every State once instead of each row's State:
# a table with a trigger loses SQLite's quick appending, a fifth of a 100,000-finding import's time.
MANY_ROWS = 10_000
# How long keeping scores waits for another writer before it gives up, in milliseconds.
_TURN_MS = 200


class AreaScores(NamedTuple):
    """The items under follow-up of one top-level area at a follow-up, and the sum of their scores."""

    followup: str
    area: str
    items: int
    scored_items: int
    score_sum: int


class _Recorded(NamedTuple):
    """The same, with the follow-up's State, as kept."""

    followup: str
    state: str
    area: str
    items: int
    scored_items: int
    score_sum: int


@contextmanager
def many_writes(connection: Connection, rows: int) -> Iterator[None]:
    """Around the writes of a transaction of `rows` rows: on SQLite, from MANY_ROWS, the triggers are
    taken out and every State is noted as written at the end, then the triggers are put back, all
    in the transaction, so that no other connection ever writes without them."""
    if rows < MANY_ROWS or not is_sqlite(connection.engine):
        yield
        return
    triggers = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'register%'"
    ).all()
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    connection.execute(insert(_CHANGE).from_select(["state"], _states()))
    for _, created in triggers:
        connection.exec_driver_sql(created)


def area_scores(engine: Engine, level: Confidentiality) -> list[AreaScores]:
    """Per visible follow-up (with a visible baseline) and top-level area in its scope, its register's items.

    The same rules as `register.register` and `register.status_at`: the register's findings (the
    baseline's and those of the State's visits between it and the follow-up), their `continues`
    chains, and each chain's latest assessment up to the follow-up, by visit start date.
    """
    with reading(engine) as connection:
        horizon = _horizon(connection)
        stale = _stale_states(connection, level)
        worked_out = _worked_out(connection, level, stale) if stale else []
        kept = [AreaScores(*row) for row in connection.execute(_kept_query(), {"level": level.value, "stale": stale})]
        scopes = dict(connection.execute(select(col(Visit.visit_id), col(Visit.scope))).all())
    if stale:
        _keep(engine, level, stale, worked_out, horizon)
    found = kept + [
        AreaScores(row.followup, row.area, row.items, row.scored_items, row.score_sum) for row in worked_out
    ]
    return [scores for scores in found if in_scope(scopes.get(scores.followup), scores.area)]


def _stamp(connection: Connection) -> Any:
    return _CHANGE.c.id if is_sqlite(connection.engine) else _CHANGE.c.stamp


def _horizon(connection: Connection) -> int:
    """The stamp from which a write may not be counted by what this connection reads next."""
    if is_sqlite(connection.engine):
        # The table's AUTOINCREMENT counter: the highest id ever given, also once its row is dropped.
        last: int = connection.exec_driver_sql(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'register_change'), 0)"
        ).scalar_one()
        return last + 1
    oldest: int = connection.exec_driver_sql(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
    ).scalar_one()
    return oldest


def _stale_states(connection: Connection, level: Confidentiality) -> list[str]:
    """The States whose scores at this level are not kept or have a write newer than them."""
    stamp = _stamp(connection)
    current = select(_KEPT.c.state).where(
        _KEPT.c.level == level.value,
        ~exists().where(_CHANGE.c.state == _KEPT.c.state, stamp >= _KEPT.c.horizon),
    )
    states = _states().subquery()
    return list(
        connection.execute(
            select(states.c.state).where(states.c.state.not_in(current)).order_by(states.c.state)
        ).scalars()
    )


def _states() -> Any:
    """Every State with a visit or with kept scores (of a visit since deleted)."""
    return union(select(col(Visit.state).label("state")), select(_KEPT.c.state))


@functools.cache
def _kept_query() -> Select[Any]:
    """The kept scores at the level `level` of every State but those in `stale`."""
    return select(
        _SCORES.c.followup, _SCORES.c.area, _SCORES.c["items"], _SCORES.c.scored_items, _SCORES.c.score_sum
    ).where(_SCORES.c.level == bindparam("level"), _SCORES.c.state.not_in(bindparam("stale", expanding=True)))


def _worked_out(connection: Connection, level: Confidentiality, states: list[str]) -> list[_Recorded]:
    rows: list[_Recorded] = []
    for start in range(0, len(states), 500):
        rows.extend(
            _Recorded(followup, state, area, int(items), int(scored), int(score_sum))
            for followup, state, area, items, scored, score_sum in connection.execute(
                _scores_query(level), {"states": states[start : start + 500]}
            )
        )
    return rows


def _keep(engine: Engine, level: Confidentiality, states: list[str], rows: list[_Recorded], horizon: int) -> None:
    """Keep the scores worked out for these States, unless another reading kept newer ones or the
    writes they would rest on are forgotten; give up, keeping nothing, when the turn does not come."""
    sqlite = is_sqlite(engine)
    with engine.connect() as connection:
        if sqlite:
            _busy_timeout(connection, _TURN_MS)
        connection.info["write"] = True
        try:
            with connection.begin():
                if not sqlite:
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{_TURN_MS}ms'")
                _keep_in(connection, level, states, rows, horizon)
        except DBAPIError as error:
            _log.info("kept index scores not updated this time (%s)", str(error).splitlines()[0])
        finally:
            connection.info.pop("write", None)
            if sqlite:
                _busy_timeout(connection, get_settings().sqlite_busy_timeout_ms)


def _busy_timeout(connection: Connection, milliseconds: int) -> None:
    # On the driver's connection: a statement through SQLAlchemy would begin a transaction first.
    cursor = connection.connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={milliseconds}")
    cursor.close()


def _keep_in(
    connection: Connection, level: Confidentiality, states: list[str], rows: list[_Recorded], horizon: int
) -> None:
    for start in range(0, len(states), 500):
        chunk = states[start : start + 500]
        # Each State's floor row is the turn two readings of it take: taken in one order, never crossed.
        present = set(connection.execute(select(_FLOOR.c.state).where(_FLOOR.c.state.in_(chunk))).scalars())
        if missing := [state for state in chunk if state not in present]:
            connection.execute(insert(_FLOOR), [{"state": state, "floor": 0} for state in missing])
        floors = dict(
            connection.execute(
                select(_FLOOR.c.state, _FLOOR.c.floor)
                .where(_FLOOR.c.state.in_(chunk))
                .order_by(_FLOOR.c.state)
                .with_for_update()
            ).all()
        )
        kept = dict(
            connection.execute(
                select(_KEPT.c.state, _KEPT.c.horizon).where(_KEPT.c.level == level.value, _KEPT.c.state.in_(chunk))
            ).all()
        )
        fresher = [state for state in chunk if horizon >= floors[state] and horizon >= kept.get(state, horizon)]
        if not fresher:
            continue
        connection.execute(delete(_SCORES).where(_SCORES.c.level == level.value, _SCORES.c.state.in_(fresher)))
        connection.execute(delete(_KEPT).where(_KEPT.c.level == level.value, _KEPT.c.state.in_(fresher)))
        chosen = set(fresher)
        if scores := [row._asdict() | {"level": level.value} for row in rows if row.state in chosen]:
            connection.execute(insert(_SCORES), scores)
        connection.execute(
            insert(_KEPT), [{"level": level.value, "state": state, "horizon": horizon} for state in fresher]
        )
        _forget_counted(connection, fresher)


def _forget_counted(connection: Connection, states: list[str]) -> None:
    """Drop the changes older than every level's kept scores of these States, and raise their floor to
    match: a reading that began before them could no longer tell what it missed."""

    def oldest_kept(of: Any) -> Any:
        return select(func.min(_KEPT.c.horizon)).where(_KEPT.c.state == of).scalar_subquery()

    connection.execute(
        delete(_CHANGE).where(_CHANGE.c.state.in_(states), _stamp(connection) < oldest_kept(_CHANGE.c.state))
    )
    floor = oldest_kept(_FLOOR.c.state)
    connection.execute(update(_FLOOR).where(_FLOOR.c.state.in_(states), _FLOOR.c.floor < floor).values(floor=floor))


@functools.cache
def _scores_query(level: Confidentiality) -> Select[Any]:
    """The statement of `_worked_out` at a level, built once; the States are its parameter `states`."""
    states: BindParameter[list[str]] = bindparam("states", expanding=True)
    followup, baseline, raised_at, assessed_at = aliased(Visit), aliased(Visit), aliased(Visit), aliased(Visit)
    pairs = (
        select(
            col(followup.visit_id).label("followup"),
            col(followup.scope).label("scope"),
            col(raised_at.visit_id).label("visit_id"),
            col(raised_at.state).label("state"),
            col(raised_at.start_date).label("start_date"),
            col(followup.start_date).label("until"),
        )
        .join(baseline, col(baseline.visit_id) == col(followup.baseline_visit_id))
        .join(
            raised_at,
            and_(
                col(raised_at.state) == col(followup.state),
                or_(
                    col(raised_at.visit_id) == col(baseline.visit_id),
                    and_(
                        col(raised_at.start_date) > col(baseline.start_date),
                        col(raised_at.start_date) < col(followup.start_date),
                    ),
                ),
            ),
        )
        .where(
            col(followup.state).in_(states),
            visit_visible(level, followup),
            visit_visible(level, baseline),
            visit_visible(level, raised_at),
        )
        .cte("register_visits")
    )
    # Each finding is read once, not once per register it belongs to: the register's findings are
    # counted per visit and area, and only its links and assessed findings are met one by one.
    tallied, tallied_at = aliased(Finding), aliased(Visit)
    per_visit = (
        select(
            col(tallied.visit_id).label("visit_id"),
            col(tallied.area).label("area"),
            func.count().label("found"),
        )
        .join(tallied_at, col(tallied_at.visit_id) == col(tallied.visit_id))
        .where(
            col(tallied.visit_id).in_(select(pairs.c.visit_id)),
            col(tallied.kind).in_(TRACKABLE),
            finding_visible(level, tallied, tallied_at),
        )
        .group_by(col(tallied.visit_id), col(tallied.area))
        .cte("per_visit")
    )
    linking, linking_at, continued, continued_at = aliased(Finding), aliased(Visit), aliased(Finding), aliased(Visit)
    # The few visible findings with a link, found by it, before they are matched to the registers.
    linked = (
        select(
            col(linking.finding_id),
            col(linking.visit_id),
            col(linking.area),
            col(linking.continues),
        )
        .join(linking_at, col(linking_at.visit_id) == col(linking.visit_id))
        .where(
            col(linking_at.state).in_(states),
            col(linking.continues).is_not(None),
            col(linking.kind).in_(TRACKABLE),
            finding_visible(level, linking, linking_at),
        )
        .cte("linked")
        .prefix_with("MATERIALIZED")
    )
    linking_pair, continued_pair = pairs.alias("linking_pair"), pairs.alias("continued_pair")
    # A finding joins the chain of the one it continues when that one is in the register and comes first:
    # the continued finding is looked up by its key, in the register's visits.
    links = (
        select(
            linking_pair.c.followup,
            linked.c.finding_id,
            linked.c.area,
            col(continued.finding_id).label("continued"),
            col(continued.area).label("continued_area"),
        )
        .select_from(linked)
        .join(linking_pair, linking_pair.c.visit_id == linked.c.visit_id)
        .join(continued, col(continued.finding_id) == linked.c.continues)
        .join(continued_at, col(continued_at.visit_id) == col(continued.visit_id))
        .join(
            continued_pair,
            and_(
                continued_pair.c.followup == linking_pair.c.followup,
                continued_pair.c.visit_id == col(continued.visit_id),
            ),
        )
        .where(
            col(continued.kind).in_(TRACKABLE),
            finding_visible(level, continued, continued_at),
            or_(
                continued_pair.c.start_date < linking_pair.c.start_date,
                and_(
                    continued_pair.c.start_date == linking_pair.c.start_date,
                    col(continued.finding_id) < linked.c.finding_id,
                ),
            ),
        )
        .cte("links")
    )
    inner = links.alias("inner_link")
    chained = (
        select(
            links.c.followup,
            links.c.finding_id,
            links.c.continued.label("root"),
            links.c.continued_area.label("root_area"),
        )
        .where(
            ~select(inner.c.finding_id)
            .where(inner.c.followup == links.c.followup, inner.c.finding_id == links.c.continued)
            .exists()
        )
        .cte("chained", recursive=True)
    )
    chained = chained.union_all(
        select(links.c.followup, links.c.finding_id, chained.c.root, chained.c.root_area).join(
            chained, and_(chained.c.followup == links.c.followup, chained.c.finding_id == links.c.continued)
        )
    )
    # Every visible assessment of a trackable finding, with the start of the visit that made it and the
    # visit that raised the finding: read once for all follow-ups, each assessment met once.
    assessed, assessed_raised_at = aliased(Finding), aliased(Visit)
    judged = (
        select(
            col(Assessment.finding_id),
            col(Assessment.visit_id),
            col(Assessment.status),
            col(assessed_at.state),
            col(assessed_at.start_date),
            col(assessed.visit_id).label("raised_at"),
            col(assessed.area),
        )
        .join(assessed_at, col(assessed_at.visit_id) == col(Assessment.visit_id))
        .join(assessed, col(assessed.finding_id) == col(Assessment.finding_id))
        .join(assessed_raised_at, col(assessed_raised_at.visit_id) == col(assessed.visit_id))
        .where(
            col(assessed_at.state).in_(states),
            assessment_visible_joined(level, Assessment, assessed_at),
            col(assessed.kind).in_(TRACKABLE),
            finding_visible(level, assessed, assessed_raised_at),
        )
        .cte("judged")
        # Read first, then matched to the registers: looking each register finding's assessments up
        # instead reads every finding of every register.
        .prefix_with("MATERIALIZED")
    )
    assessed_pair = pairs.alias("assessed_pair")
    root = func.coalesce(chained.c.root, judged.c.finding_id)
    latest = (
        select(
            assessed_pair.c.followup,
            func.coalesce(chained.c.root_area, judged.c.area).label("root_area"),
            judged.c.status,
            func.row_number()
            .over(
                partition_by=(assessed_pair.c.followup, root),
                order_by=(
                    judged.c.start_date.desc(),
                    case((judged.c.visit_id == assessed_pair.c.followup, 1), else_=0).desc(),
                    judged.c.visit_id.desc(),
                    assessed_pair.c.start_date.desc(),
                    judged.c.finding_id.desc(),
                ),
            )
            .label("rank"),
        )
        .select_from(judged)
        .join(assessed_pair, assessed_pair.c.visit_id == judged.c.raised_at)
        .outerjoin(
            chained,
            and_(chained.c.followup == assessed_pair.c.followup, chained.c.finding_id == judged.c.finding_id),
        )
        .where(judged.c.state == assessed_pair.c.state, judged.c.start_date <= assessed_pair.c.until)
        .subquery("latest")
    )
    score = case(
        *((latest.c.status == status, value) for status, value in SCORE_OF.items() if value is not None),
        else_=None,
    )
    # The items of each area, and the scores of those with a status, in one statement over the same rows.
    # An item is a finding of the register that links to none earlier in it: every finding of the
    # register counts, and each link takes one away, without following the chains.
    counted = union_all(
        select(
            pairs.c.followup,
            per_visit.c.area,
            func.sum(per_visit.c.found).label("found"),
            literal(0).label("scored"),
            literal(0).label("score_sum"),
        )
        .join(per_visit, per_visit.c.visit_id == pairs.c.visit_id)
        .group_by(pairs.c.followup, per_visit.c.area),
        select(links.c.followup, links.c.area, -func.count(), literal(0), literal(0)).group_by(
            links.c.followup, links.c.area
        ),
        select(latest.c.followup, latest.c.root_area, literal(0), func.count(score), func.coalesce(func.sum(score), 0))
        .where(latest.c.rank == 1)
        .group_by(latest.c.followup, latest.c.root_area),
    )
    summed = counted.subquery("counted")
    followup_of, area = aliased(Visit), aliased(ThematicArea)
    top = func.coalesce(col(area.parent), col(area.code))
    return (
        select(
            summed.c.followup,
            col(followup_of.state),
            top,
            func.sum(summed.c.found),
            func.sum(summed.c.scored),
            func.sum(summed.c.score_sum),
        )
        .join(area, col(area.code) == summed.c.area)
        .join(followup_of, col(followup_of.visit_id) == summed.c.followup)
        .group_by(summed.c.followup, col(followup_of.state), top)
    )
