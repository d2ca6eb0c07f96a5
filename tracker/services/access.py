"""Who is acting, what they may do, and which rows they may see.

Every read path narrows rows with `visible_*` here, at the lower of the reader's clearance and
the level asked for, and leaves withdrawn rows out unless it asks for them (`include_withdrawn`:
the History, the list of withdrawn rows, the bundle); every write path calls `require_writer` first.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, null, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from tracker.errors import PermissionDenied, TrackerError
from tracker.models import Assessment, Confidentiality, Finding, Meeting, Role, Visit


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


def require_full_clearance(actor: Actor, why: str) -> None:
    """For what holds rows of every level at once: the audit trail, a backup."""
    if actor.clearance != Confidentiality.restricted:
        raise PermissionDenied(
            f"{why}, and {actor.username} is cleared only for {actor.clearance.value}",
            "ask an administrator cleared for restricted",
        )


def _allowed(column, level: Confidentiality) -> ColumnElement[bool]:
    return column.in_(level.visible_levels())


def active(row) -> ColumnElement[bool]:
    """The row (a visit, finding, assessment or meeting) is not withdrawn."""
    return row.withdrawn.is_(None)


def _shown(row, level: Confidentiality, include_withdrawn: bool) -> ColumnElement[bool]:
    allowed = _allowed(row.confidentiality, level)
    return allowed if include_withdrawn else and_(allowed, active(row))


def visit_visible(level: Confidentiality, visit=Visit, *, include_withdrawn: bool = False) -> ColumnElement[bool]:
    """The visit is at most at the level and, unless `include_withdrawn` (the History, the bundle), active."""
    return _shown(visit, level, include_withdrawn)


def finding_visible(
    level: Confidentiality, finding=Finding, visit=Visit, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """For a query that joins the finding to its visit."""
    return and_(_shown(finding, level, include_withdrawn), _shown(visit, level, include_withdrawn))


def assessment_visible(
    level: Confidentiality, assessment=Assessment, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    """The assessment, the finding it judges and both visits are all visible.

    The subqueries correlate only to the assessment, so the condition stays right inside a query
    that itself joins findings and visits (for instance in the ON clause of an outer join).
    """
    assessed_finding = (
        select(Finding.finding_id)
        .join(Visit, Visit.visit_id == Finding.visit_id)
        .where(Finding.finding_id == assessment.finding_id, finding_visible(level, include_withdrawn=include_withdrawn))
        .correlate(assessment)
    )
    assessing_visit = (
        select(Visit.visit_id)
        .where(Visit.visit_id == assessment.visit_id, visit_visible(level, include_withdrawn=include_withdrawn))
        .correlate(assessment)
    )
    return and_(
        _shown(assessment, level, include_withdrawn),
        assessed_finding.exists(),
        assessing_visit.exists(),
    )


def meeting_visible(
    level: Confidentiality, meeting=Meeting, visit=Visit, *, include_withdrawn: bool = False
) -> ColumnElement[bool]:
    return and_(_shown(meeting, level, include_withdrawn), _shown(visit, level, include_withdrawn))


def visible_visits(level: Confidentiality) -> Select:
    return select(Visit).where(visit_visible(level))


def visible_findings(level: Confidentiality) -> Select:
    return select(Finding).join(Visit, Visit.visit_id == Finding.visit_id).where(finding_visible(level))


def baseline_shown(level: Confidentiality, visit=Visit, *, include_withdrawn: bool = False) -> ColumnElement[bool]:
    """The visit's baseline is one the reader may see."""
    baseline = aliased(Visit)
    return (
        select(baseline.visit_id)
        .where(
            baseline.visit_id == visit.baseline_visit_id,
            visit_visible(level, baseline, include_withdrawn=include_withdrawn),
        )
        .exists()
    )


def continued_shown(level: Confidentiality, finding=Finding, *, include_withdrawn: bool = False) -> ColumnElement[bool]:
    """The finding that this one continues is one the reader may see."""
    earlier, earlier_visit = aliased(Finding), aliased(Visit)
    return (
        select(earlier.finding_id)
        .join(earlier_visit, earlier_visit.visit_id == earlier.visit_id)
        .where(
            earlier.finding_id == finding.continues,
            finding_visible(level, earlier, earlier_visit, include_withdrawn=include_withdrawn),
        )
        .exists()
    )


def visible_baseline(level: Confidentiality, visit=Visit, *, include_withdrawn: bool = False) -> ColumnElement:
    """A visit's baseline_visit_id, or NULL when the baseline is above the level: no hidden key leaks."""
    return case(
        (baseline_shown(level, visit, include_withdrawn=include_withdrawn), visit.baseline_visit_id), else_=null()
    )


def visible_continues(level: Confidentiality, finding=Finding, *, include_withdrawn: bool = False) -> ColumnElement:
    """A finding's `continues`, or NULL when the earlier finding is above the level."""
    return case((continued_shown(level, finding, include_withdrawn=include_withdrawn), finding.continues), else_=null())
