"""What a State's dossier holds, part by part (docs/dossier.md): typed rows that the page, the command
line and the Word, HTML and Markdown documents all show as they are."""

import datetime as dt
from dataclasses import dataclass, field

from tracker.models import Confidentiality

# The outcomes of a claim that a later visit verified, in the order they are listed.
CONFIRMED, LOWER, HIGHER = "confirmed", "verified lower", "verified higher"
OUTCOMES: tuple[str, ...] = (CONFIRMED, LOWER, HIGHER)


def years_between(earlier: dt.date, later: dt.date) -> float:
    """Whole years and tenths between two days, as the dossier says "how many years ago"."""
    return round((later - earlier).days / 365.25, 1)


@dataclass(frozen=True)
class OpenItem:
    """An item under follow-up whose latest verified status is not closed."""

    finding_id: str
    area: str
    area_name: str
    sub_area: str
    kind: str
    priority: bool
    title: str
    status: str
    # The visit whose assessment gave the status, or None when the item was never assessed.
    status_visit: str | None
    # The day the status refers to (the assessment's date, else its visit's start), or the day raised.
    since: dt.date
    years: float
    raised_at: str


@dataclass(frozen=True)
class ClaimToVerify:
    """A self-reported status newer than the item's latest verified assessment."""

    finding_id: str
    area: str
    area_name: str
    title: str
    claimed_status: str
    update_id: str
    received_on: dt.date
    verified_status: str
    verified_on: dt.date | None


@dataclass(frozen=True)
class DeliveredAssistance:
    """Technical assistance delivered for an item that no visit has assessed since."""

    ta_need: str
    area: str
    area_name: str
    title: str
    addresses: str
    addresses_title: str
    delivered_on: dt.date | None
    providers: str
    verified_status: str
    verified_on: dt.date | None


@dataclass(frozen=True)
class VerifiedClaim:
    """A self-reported status and the first assessment made after it."""

    finding_id: str
    area: str
    area_name: str
    title: str
    claimed_status: str
    update_id: str
    received_on: dt.date
    verified_status: str
    verified_at: str
    outcome: str


@dataclass(frozen=True)
class TrackRecord:
    claims: list[VerifiedClaim] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for claim in self.claims if claim.outcome == outcome)

    @property
    def confirmed(self) -> int:
        return self.count(CONFIRMED)

    @property
    def lower(self) -> int:
        return self.count(LOWER)

    @property
    def higher(self) -> int:
        return self.count(HIGHER)


@dataclass(frozen=True)
class OwedResolution:
    number: int
    title: str
    adopted_on: dt.date | None
    year: int


@dataclass(frozen=True)
class AreaDebt:
    """A top-level area: when a visit of the State last covered it and what was adopted since."""

    area: str
    area_name: str
    # The State's last visit that covered the area; None when none ever did.
    last_visit: str | None
    last_covered: dt.date | None
    years_since: float | None
    # The resolutions the area concerns adopted after that visit (all of them when never covered).
    owed: list[OwedResolution]

    @property
    def never_covered(self) -> bool:
        return self.last_visit is None


@dataclass(frozen=True)
class NewRecommendation:
    finding_id: str
    area: str
    area_name: str
    sub_area: str
    priority: bool
    title: str
    visit_id: str


@dataclass(frozen=True)
class SuggestedPartner:
    code: str
    name: str
    # Why: the visits and TA records it took part in on the area, or that it specialises in it.
    reasons: list[str]


@dataclass(frozen=True)
class AreaPartners:
    area: str
    area_name: str
    partners: list[SuggestedPartner]


@dataclass(frozen=True)
class Dossier:
    """The preparation of a State's next visit, at one confidentiality level, on one day."""

    state: str
    state_name: str
    level: Confidentiality
    today: dt.date
    # The State's visible visits, oldest first, as (visit id, kind, start date).
    visits: list[tuple[str, str, dt.date]]
    latest_followup: str | None
    # How many items are under follow-up, open or not.
    item_count: int
    open_items: list[OpenItem]
    claims: list[ClaimToVerify]
    delivered: list[DeliveredAssistance]
    track_record: TrackRecord
    debt: list[AreaDebt]
    new_recommendations: list[NewRecommendation]
    partners: list[AreaPartners]

    @property
    def owed(self) -> int:
        """How many resolutions the State owes an assessment of, counted once per area."""
        return sum(len(area.owed) for area in self.debt)
