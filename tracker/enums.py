"""The project's vocabulary: every enumeration and its defaults, in plain Python.

Kept apart from the tables so that the command line can name them in its help without loading
SQLAlchemy; tracker.models re-exports every name.
"""

from enum import StrEnum


class VisitKind(StrEnum):
    comprehensive = "comprehensive"
    focused = "focused"
    follow_up = "follow_up"
    regional = "regional"
    advocacy = "advocacy"
    desk_review = "desk_review"


class Modality(StrEnum):
    in_person = "in_person"
    hybrid = "hybrid"
    virtual = "virtual"


class FindingKind(StrEnum):
    shortfall = "shortfall"
    recommendation = "recommendation"
    good_practice = "good_practice"
    ta_need = "ta_need"
    progress = "progress"
    concern = "concern"
    capacity_to_assist = "capacity_to_assist"


TRACKABLE_KINDS = (FindingKind.shortfall, FindingKind.recommendation)


class Severity(StrEnum):
    major = "major"
    moderate = "moderate"
    minor = "minor"


class Status(StrEnum):
    fully_implemented = "fully_implemented"
    addressed_otherwise = "addressed_otherwise"
    largely_implemented = "largely_implemented"
    partially_implemented = "partially_implemented"
    initial_steps = "initial_steps"
    not_implemented = "not_implemented"
    contrary_action = "contrary_action"
    no_longer_relevant = "no_longer_relevant"
    not_assessed = "not_assessed"
    insufficient_information = "insufficient_information"


class StatusGroup(StrEnum):
    closed = "closed"
    progressing = "progressing"
    open = "open"
    excluded = "excluded"


# Score out of 4 and group of each status (docs/committee-figures.md); None means the item is not scored.
STATUS_SCORE: dict[Status, int | None] = {
    Status.fully_implemented: 4,
    Status.addressed_otherwise: 4,
    Status.largely_implemented: 3,
    Status.partially_implemented: 2,
    Status.initial_steps: 1,
    Status.not_implemented: 0,
    Status.contrary_action: 0,
    Status.no_longer_relevant: None,
    Status.not_assessed: None,
    Status.insufficient_information: None,
}
STATUS_GROUP: dict[Status, StatusGroup] = {
    Status.fully_implemented: StatusGroup.closed,
    Status.addressed_otherwise: StatusGroup.closed,
    Status.largely_implemented: StatusGroup.progressing,
    Status.partially_implemented: StatusGroup.progressing,
    Status.initial_steps: StatusGroup.progressing,
    Status.not_implemented: StatusGroup.open,
    Status.contrary_action: StatusGroup.open,
    Status.no_longer_relevant: StatusGroup.excluded,
    Status.not_assessed: StatusGroup.excluded,
    Status.insufficient_information: StatusGroup.excluded,
}


class MeetingKind(StrEnum):
    opening_session = "opening_session"
    bilateral_high_level = "bilateral_high_level"
    technical = "technical"
    site_visit = "site_visit"
    roundtable = "roundtable"
    closing = "closing"


class Sector(StrEnum):
    government = "government"
    law_enforcement = "law_enforcement"
    judiciary = "judiciary"
    parliament = "parliament"
    private_sector = "private_sector"
    civil_society = "civil_society"
    academia = "academia"
    international_org = "international_org"
    other = "other"


class Role(StrEnum):
    viewer = "viewer"
    analyst = "analyst"
    admin = "admin"


class Confidentiality(StrEnum):
    """Levels from least to most restricted; the order of definition is the order of rank."""

    public = "public"
    un_platform = "un_platform"
    member_states = "member_states"
    committee = "committee"
    state_and_cted = "state_and_cted"
    restricted = "restricted"

    @property
    def rank(self) -> int:
        return list(Confidentiality).index(self)

    def visible_levels(self) -> list[str]:
        """Every level a reader cleared for this one may see."""
        return [c.value for c in Confidentiality if c.rank <= self.rank]


DEFAULT_CONFIDENTIALITY = Confidentiality.committee
# What a visit's modality and a meeting's sector are when a row or a form leaves them blank.
DEFAULT_MODALITY = Modality.in_person
DEFAULT_SECTOR = Sector.government


class Consent(StrEnum):
    """What the State lets CTED share with the UN Global Counter-Terrorism Coordination Platform."""

    none = "none"
    ta_needs_only = "ta_needs_only"
    partial = "partial"
    full = "full"


class MilestoneKind(StrEnum):
    """The steps of a visit report after the visit, in the order they happen."""

    draft_sent = "draft_sent"
    observations_received = "observations_received"
    adopted = "adopted"
    transmitted = "transmitted"
    response_received = "response_received"


class TAStatus(StrEnum):
    """Where a technical-assistance need stands, from identified to delivered (or declined)."""

    identified = "identified"
    agreed_by_state = "agreed_by_state"
    shared_with_providers = "shared_with_providers"
    matched = "matched"
    in_delivery = "in_delivery"
    delivered = "delivered"
    declined = "declined"


# The rows that can be withdrawn (and restored); a test holds it to the tables with a withdrawn column.
WITHDRAWABLE: tuple[str, ...] = ("visit", "finding", "assessment", "meeting", "state_update", "update_item")
# The rows a bundle file holds, which an import creates; each names the import event that made it.
CREATED_BY_IMPORT: tuple[str, ...] = (
    "thematic_area",
    "visit",
    "finding",
    "assessment",
    "meeting",
    "milestone",
    "ta_record",
    "link_decision",
    "member_state",
    "resolution",
    "partner_org",
    "state_update",
    "update_item",
    "area_resolution",
)
# The kinds of row the audit trail names: every bundle file's, the users and the issued reports.
AUDITED_ENTITIES: tuple[str, ...] = (*CREATED_BY_IMPORT, "report_snapshot", "user")
