"""Who is acting, what they may do, and which rows they may see.

Every read path narrows rows with `visible_*` here, at the lower of the reader's clearance and
the level asked for; every write path calls `require_writer` first.
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


def visit_visible(level: Confidentiality, visit=Visit) -> ColumnElement[bool]:
    return _allowed(visit.confidentiality, level)


def finding_visible(level: Confidentiality, finding=Finding, visit=Visit) -> ColumnElement[bool]:
    """For a query that joins the finding to its visit."""
    return and_(_allowed(finding.confidentiality, level), _allowed(visit.confidentiality, level))


def assessment_visible(level: Confidentiality, assessment=Assessment) -> ColumnElement[bool]:
    """The assessment, the finding it judges and both visits are all visible.

    The subqueries correlate only to the assessment, so the condition stays right inside a query
    that itself joins findings and visits (for instance in the ON clause of an outer join).
    """
    assessed_finding = (
        select(Finding.finding_id)
        .join(Visit, Visit.visit_id == Finding.visit_id)
        .where(Finding.finding_id == assessment.finding_id, finding_visible(level))
        .correlate(assessment)
    )
    assessing_visit = (
        select(Visit.visit_id).where(Visit.visit_id == assessment.visit_id, visit_visible(level)).correlate(assessment)
    )
    return and_(
        _allowed(assessment.confidentiality, level),
        assessed_finding.exists(),
        assessing_visit.exists(),
    )


def meeting_visible(level: Confidentiality, meeting=Meeting, visit=Visit) -> ColumnElement[bool]:
    return and_(_allowed(meeting.confidentiality, level), _allowed(visit.confidentiality, level))


def visible_visits(level: Confidentiality) -> Select:
    return select(Visit).where(visit_visible(level))


def visible_findings(level: Confidentiality) -> Select:
    return select(Finding).join(Visit, Visit.visit_id == Finding.visit_id).where(finding_visible(level))


def baseline_shown(level: Confidentiality, visit=Visit) -> ColumnElement[bool]:
    """The visit's baseline is one the reader may see."""
    baseline = aliased(Visit)
    return (
        select(baseline.visit_id)
        .where(baseline.visit_id == visit.baseline_visit_id, visit_visible(level, baseline))
        .exists()
    )


def continued_shown(level: Confidentiality, finding=Finding) -> ColumnElement[bool]:
    """The finding that this one continues is one the reader may see."""
    earlier, earlier_visit = aliased(Finding), aliased(Visit)
    return (
        select(earlier.finding_id)
        .join(earlier_visit, earlier_visit.visit_id == earlier.visit_id)
        .where(earlier.finding_id == finding.continues, finding_visible(level, earlier, earlier_visit))
        .exists()
    )


def visible_baseline(level: Confidentiality, visit=Visit) -> ColumnElement:
    """A visit's baseline_visit_id, or NULL when the baseline is above the level: no hidden key leaks."""
    return case((baseline_shown(level, visit), visit.baseline_visit_id), else_=null())


def visible_continues(level: Confidentiality, finding=Finding) -> ColumnElement:
    """A finding's `continues`, or NULL when the earlier finding is above the level."""
    return case((continued_shown(level, finding), finding.continues), else_=null())


def unavailable_key(key: str) -> str:
    """What a row that is hidden from the reader is called when a write names its key.

    The same words whether the row is above the reader's level or in a visit they may not see,
    and without any level, so that a refusal tells nothing about what is stored.
    """
    return f"{key} cannot be used; choose another id"


def no_such(entity: str, key: str) -> str:
    """A key that names no row the reader may see, whether it is missing or hidden."""
    return f"there is no {entity} {key} that you may see"
