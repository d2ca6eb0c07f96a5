"""Who is acting, what they may do, and which rows they may see.

Every read path narrows rows with `visible_*` here, at the lower of the reader's clearance and
the level asked for, and leaves withdrawn rows out unless it asks for them (`include_withdrawn`:
the History, the list of withdrawn rows, the bundle); every write path calls `require_writer` first.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, null, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import col

from tracker.errors import PermissionDenied, TrackerError
from tracker.models import (
    Assessment,
    Confidentiality,
    Consent,
    Finding,
    FindingKind,
    Meeting,
    Milestone,
    ReportSnapshot,
    Role,
    TARecord,
    Update,
    UpdateItem,
    Visit,
)


@dataclass(frozen=True)
class Actor:
    username: str
    role: Role = Role.viewer
    clearance: Confidentiality = Confidentiality.restricted

    @property
    def can_write(self) -> bool:
        return self.role in (Role.analyst, Role.admin)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


# The laptop deployment has no logins: its one user acts as an administrator with full clearance.
LOCAL_ADMIN = Actor("local", Role.admin, Confidentiality.restricted)


def cli_actor() -> Actor:
    """Whoever runs the command line has the database itself in hand, so full rights."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor(f"cli:{name}", Role.admin, Confidentiality.restricted)


def parse_level(value: str | Confidentiality | None) -> Confidentiality | None:
    if value is None or isinstance(value, Confidentiality):
        return value
    try:
        return Confidentiality(value.strip().lower())
    except ValueError:
        levels = ", ".join(c.value for c in Confidentiality)
        raise TrackerError(f"'{value}' is not a confidentiality level", f"use one of {levels}") from None


def effective_level(actor: Actor, requested: str | Confidentiality | None = None) -> Confidentiality:
    """The lower of the reader's clearance and the level asked for."""
    level = parse_level(requested)
    if level is None or level.rank > actor.clearance.rank:
        return actor.clearance
    return level


def require_writer(actor: Actor) -> None:
    if not actor.can_write:
        raise PermissionDenied(
            f"user {actor.username} has the {actor.role.value} role and cannot change data",
            "ask an administrator for the analyst role",
        )


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"user {actor.username} is not an administrator", "ask an administrator to do this")


def has_full_clearance(actor: Actor) -> bool:
    """Cleared for every level: what reading the audit trail or taking a backup needs."""
    return actor.clearance == Confidentiality.restricted


def require_full_clearance(actor: Actor, why: str) -> None:
    """For what holds rows of every level at once: the audit trail, a backup."""
    if not has_full_clearance(actor):
        raise PermissionDenied(
            f"{why}, and {actor.username} is cleared only for {actor.clearance.value}",
            "ask an administrator cleared for restricted",
        )


def _allowed(column: Any, level: Confidentiality) -> ColumnElement[bool]:
    allowed: ColumnElement[bool] = column.in_(level.visible_levels())
    return allowed


# ---------------------------------------------------------------- consent to share (docs/administrator-guide.md)
# A reader whose effective level is exactly un_platform sees a visit's rows as the State agreed:
# its un_platform rows with partial or full consent (only its TA needs with ta_needs_only), and
# with full consent every row up to committee. Public rows and every other level are unaffected.

_PUBLIC = Confidentiality.public.value
_PLATFORM = Confidentiality.un_platform.value
_RELEASED_IN_FULL = [Confidentiality.member_states.value, Confidentiality.committee.value]
_SHARED = [Consent.partial.value, Consent.full.value]


def _consent_applies(level: Confidentiality) -> bool:
    return level == Confidentiality.un_platform


def _consented(column: Any, visit: Any, *, ta_need: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
    """A row of the visit at its own level, as the State's consent lets the platform see it."""
    platform_rows = visit.consent.in_(_SHARED)
    if ta_need is not None:
        platform_rows = or_(platform_rows, and_(visit.consent == Consent.ta_needs_only.value, ta_need))
    return or_(
        column == _PUBLIC,
        and_(column == _PLATFORM, platform_rows),
        and_(column.in_(_RELEASED_IN_FULL), visit.consent == Consent.full.value),
    )


def _holds_rows(visit: Any) -> ColumnElement[bool]:
    """The visit, as the holder of its rows, is at the platform's level or was released in full."""
    return or_(
        visit.confidentiality.in_([_PUBLIC, _PLATFORM]),
        and_(visit.confidentiality.in_(_RELEASED_IN_FULL), visit.consent == Consent.full.value),
    )


def _platform_finding(finding: Any, visit: Any) -> ColumnElement[bool]:
    return and_(
        _holds_rows(visit),
        _consented(finding.confidentiality, visit, ta_need=finding.kind == FindingKind.ta_need.value),
    )


def _platform_visit(visit: Any) -> ColumnElement[bool]:
    """The visit row is seen when it is consented itself or when any of its rows is."""
    finding, meeting, milestone, assessment = (
        aliased(Finding),
        aliased(Meeting),
        aliased(Milestone),
        aliased(Assessment),
    )
    judged, judged_visit = aliased(Finding), aliased(Visit)
    any_row = or_(
        select(col(finding.finding_id))
        .where(col(finding.visit_id) == visit.visit_id, active(finding), _platform_finding(finding, visit))
        .exists(),
        select(col(meeting.meeting_id))
        .where(col(meeting.visit_id) == visit.visit_id, active(meeting), _consented(meeting.confidentiality, visit))
        .exists(),
        select(col(milestone.milestone))
        .where(col(milestone.visit_id) == visit.visit_id, _consented(milestone.confidentiality, visit))
        .exists(),
        select(col(assessment.finding_id))
        .join(judged, col(judged.finding_id) == col(assessment.finding_id))
        .join(judged_visit, col(judged_visit.visit_id) == col(judged.visit_id))
        .where(
            col(assessment.visit_id) == visit.visit_id,
            active(assessment),
            _consented(assessment.confidentiality, visit),
            _platform_finding(judged, judged_visit),
        )
        .exists(),
    )
    return and_(_holds_rows(visit), or_(_consented(visit.confidentiality, visit), any_row))


# ---------------------------------------------------------------- visibility of each kind of row
# Each predicate also leaves withdrawn rows out, unless `include_withdrawn` (the History, the list of
# withdrawn rows, the bundle export) asks for them.


def active(row: Any) -> ColumnElement[bool]:
    """The row (a visit, finding, assessment or meeting) is not withdrawn."""
    kept: ColumnElement[bool] = row.withdrawn.is_(None)
    return kept


def _unless_withdrawn(seen: ColumnElement[bool], include_withdrawn: bool, *rows: Any) -> ColumnElement[bool]:
    return seen if include_withdrawn else and_(seen, *(active(row) for row in rows))


def visit_visible(
    level: Confidentiality, visit: Any = Visit, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    seen = _platform_visit(visit) if _consent_applies(level) else _allowed(visit.confidentiality, level)
    return _unless_withdrawn(seen, include_withdrawn, visit)


def finding_visible(
    level: Confidentiality, finding: Any = Finding, visit: Any = Visit, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """For a query that joins the finding to its visit."""
    if _consent_applies(level):
        seen = _platform_finding(finding, visit)
    else:
        seen = and_(_allowed(finding.confidentiality, level), _allowed(visit.confidentiality, level))
    return _unless_withdrawn(seen, include_withdrawn, finding, visit)


def assessment_visible(
    level: Confidentiality, assessment: Any = Assessment, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """The assessment, the finding it judges and both visits are all visible.

    The subqueries correlate only to the assessment, so the condition stays right inside a query
    that itself joins findings and visits (for instance in the ON clause of an outer join).
    """
    assessed_finding = (
        select(col(Finding.finding_id))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .where(
            col(Finding.finding_id) == assessment.finding_id,
            finding_visible(level, include_withdrawn=include_withdrawn),
        )
        .correlate(assessment)
    )
    assessing_visit = select(col(Visit.visit_id)).where(
        col(Visit.visit_id) == assessment.visit_id, visit_visible(level, include_withdrawn=include_withdrawn)
    )
    if _consent_applies(level):
        # An assessment is a row of the visit that made it, so that visit's consent decides.
        assessing_visit = assessing_visit.where(_consented(assessment.confidentiality, Visit))
        own: ColumnElement[bool] = assessed_finding.exists()
    else:
        own = and_(_allowed(assessment.confidentiality, level), assessed_finding.exists())
    seen = and_(own, assessing_visit.correlate(assessment).exists())
    return _unless_withdrawn(seen, include_withdrawn, assessment)


def assessment_visible_joined(
    level: Confidentiality,
    assessment: Any = Assessment,
    assessing_visit: Any = Visit,
    *,
    include_withdrawn: bool = False,
) -> ColumnElement[bool]:
    """`assessment_visible` for a query that joins the assessing visit, and joins the assessed finding
    to its own visit under `finding_visible`: no correlated subquery, for reads of many assessments."""
    if _consent_applies(level):
        own = _consented(assessment.confidentiality, assessing_visit)
    else:
        own = _allowed(assessment.confidentiality, level)
    seen = and_(own, visit_visible(level, assessing_visit, include_withdrawn=include_withdrawn))
    return _unless_withdrawn(seen, include_withdrawn, assessment)


def meeting_visible(
    level: Confidentiality, meeting: Any = Meeting, visit: Any = Visit, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    if _consent_applies(level):
        seen = and_(_holds_rows(visit), _consented(meeting.confidentiality, visit))
    else:
        seen = and_(_allowed(meeting.confidentiality, level), _allowed(visit.confidentiality, level))
    return _unless_withdrawn(seen, include_withdrawn, meeting, visit)


def milestone_visible(
    level: Confidentiality, milestone: Any = Milestone, visit: Any = Visit, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """For a query that joins the milestone to its visit."""
    if _consent_applies(level):
        seen = and_(_holds_rows(visit), _consented(milestone.confidentiality, visit))
    else:
        seen = and_(_allowed(milestone.confidentiality, level), _allowed(visit.confidentiality, level))
    return _unless_withdrawn(seen, include_withdrawn, visit)


def ta_visible(
    level: Confidentiality,
    record: Any = TARecord,
    finding: Any = Finding,
    visit: Any = Visit,
    *,
    include_withdrawn: bool = False,
) -> ColumnElement[bool]:
    """For a query that joins the TA record to its finding and the finding's visit."""
    if _consent_applies(level):
        # A TA record travels with its TA need, ta_needs_only consent included.
        ta_need = finding.kind == FindingKind.ta_need.value
        seen = and_(_platform_finding(finding, visit), _consented(record.confidentiality, visit, ta_need=ta_need))
    else:
        seen = and_(
            _allowed(record.confidentiality, level), finding_visible(level, finding, visit, include_withdrawn=True)
        )
    return _unless_withdrawn(seen, include_withdrawn, finding, visit)


def update_visible(
    level: Confidentiality, update: Any = Update, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """A State's written update: its own level decides (it belongs to no visit)."""
    return _unless_withdrawn(_allowed(update.confidentiality, level), include_withdrawn, update)


def update_item_visible(
    level: Confidentiality, item: Any = UpdateItem, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """The item, its update, and the finding it speaks of (with the finding's visit) are all visible.

    The subqueries correlate only to the item, so the condition holds inside any query."""
    said_in = select(col(Update.update_id)).where(
        col(Update.update_id) == item.update_id, update_visible(level, include_withdrawn=include_withdrawn)
    )
    about = (
        select(col(Finding.finding_id))
        .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
        .where(col(Finding.finding_id) == item.finding_id, finding_visible(level, include_withdrawn=include_withdrawn))
    )
    seen = and_(
        _allowed(item.confidentiality, level),
        said_in.correlate(item).exists(),
        about.correlate(item).exists(),
    )
    return _unless_withdrawn(seen, include_withdrawn, item)


def visible_visits(level: Confidentiality) -> Select[*tuple[Any, ...]]:
    return select(Visit).where(visit_visible(level))


def visible_findings(level: Confidentiality) -> Select[*tuple[Any, ...]]:
    return select(Finding).join(Visit, col(Visit.visit_id) == col(Finding.visit_id)).where(finding_visible(level))


def baseline_shown(
    level: Confidentiality, visit: Any = Visit, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """The visit's baseline is one the reader may see."""
    baseline = aliased(Visit)
    return (
        select(col(baseline.visit_id))
        .where(
            col(baseline.visit_id) == visit.baseline_visit_id,
            visit_visible(level, baseline, include_withdrawn=include_withdrawn),
        )
        .exists()
    )


def continued_shown(
    level: Confidentiality, finding: Any = Finding, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """The finding that this one continues is one the reader may see."""
    earlier, earlier_visit = aliased(Finding), aliased(Visit)
    return (
        select(col(earlier.finding_id))
        .join(earlier_visit, col(earlier_visit.visit_id) == col(earlier.visit_id))
        .where(
            col(earlier.finding_id) == finding.continues,
            finding_visible(level, earlier, earlier_visit, include_withdrawn=include_withdrawn),
        )
        .exists()
    )


def visible_baseline(
    level: Confidentiality, visit: Any = Visit, *, include_withdrawn: bool = False
) -> ColumnElement[Any]:
    """A visit's baseline_visit_id, or NULL when the baseline is above the level: no hidden key leaks."""
    return case(
        (baseline_shown(level, visit, include_withdrawn=include_withdrawn), visit.baseline_visit_id), else_=null()
    )


def visible_continues(
    level: Confidentiality, finding: Any = Finding, *, include_withdrawn: bool = False
) -> ColumnElement[Any]:
    """A finding's `continues`, or NULL when the earlier finding is above the level."""
    return case((continued_shown(level, finding, include_withdrawn=include_withdrawn), finding.continues), else_=null())


def unavailable_key(key: str) -> str:
    """What a row that is hidden from the reader is called when a write names its key.

    The same words whether the row is above the reader's level or in a visit they may not see,
    and without any level, so that a refusal tells nothing about what is stored.
    """
    return f"{key} cannot be used; choose another id"


def no_such(entity: str, key: str) -> str:
    """A key that names no row the reader may see, whether it is missing or hidden."""
    return f"there is no {entity} {key} that you may see"


def addressed_shown(
    level: Confidentiality, record: Any = TARecord, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """The shortfall or recommendation a TA record answers is one the reader may see."""
    addressed, addressed_visit = aliased(Finding), aliased(Visit)
    return (
        select(col(addressed.finding_id))
        .join(addressed_visit, col(addressed_visit.visit_id) == col(addressed.visit_id))
        .where(
            col(addressed.finding_id) == record.addresses,
            finding_visible(level, addressed, addressed_visit, include_withdrawn=include_withdrawn),
        )
        .exists()
    )


def visible_addresses(
    level: Confidentiality, record: Any = TARecord, *, include_withdrawn: bool = False
) -> ColumnElement[Any]:
    """A TA record's `addresses`, or NULL when that finding is above the level."""
    return case((addressed_shown(level, record, include_withdrawn=include_withdrawn), record.addresses), else_=null())


def snapshot_visible(level: Confidentiality, snapshot: Any = ReportSnapshot) -> ColumnElement[bool]:
    """An issued report is seen only by a reader cleared for the level it was issued at."""
    return _allowed(snapshot.__table__.c.level, level)
