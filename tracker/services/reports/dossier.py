"""A State's dossier for its next visit (docs/dossier.md) as a document: six numbered sections that
render as DOCX, HTML and Markdown with the finish of the reports to the Committee."""

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from tracker.models import Confidentiality
from tracker.services.dossier.build import compute_dossier
from tracker.services.dossier.model import OUTCOMES, Dossier
from tracker.services.people.access import Actor
from tracker.services.presentation.wording import day, label, level_words
from tracker.services.progress.self_reported import SELF_REPORTED
from tracker.services.reports.model import Document, Section, Table

HEADINGS: tuple[str, ...] = (
    "Open items",
    "Claims to verify",
    "Track record of the State's claims",
    "Assessment debt",
    "New recommendations to follow",
    "Suggested partners",
)


def _yes(flag: bool) -> str:
    return "Yes" if flag else ""


def _self_reported(status: str) -> str:
    return f"{label(status)} ({SELF_REPORTED})"


def _open_items(dossier: Dossier) -> Section:
    items = dossier.open_items
    if not dossier.item_count:
        return Section(HEADINGS[0], paragraphs=["The State has no shortfall or recommendation under follow-up."])
    if not items:
        return Section(
            HEADINGS[0],
            paragraphs=[f"None of the {dossier.item_count} items under follow-up is open: each was verified closed."],
        )
    priority = sum(1 for item in items if item.priority)
    rows: list[list[Any]] = [
        [
            item.finding_id,
            item.area_name,
            item.title,
            _yes(item.priority),
            label(item.status),
            item.status_visit or f"never assessed (raised at {item.raised_at})",
            day(item.since),
            item.years,
        ]
        for item in items
    ]
    return Section(
        HEADINGS[0],
        paragraphs=[
            f"{len(items)} of the {dossier.item_count} items under follow-up are not verified closed, {priority} of "
            f"them {'a priority item' if priority == 1 else 'priority items'}, listed first. Each shows its latest "
            "verified status, the visit that gave it and how many years ago."
        ],
        tables=[Table(["Id", "Area", "Item", "Priority", "Status", "Given at", "Since", "Years ago"], rows)],
    )


def _claims(dossier: Dossier) -> Section:
    parts = []
    if dossier.claims:
        parts.append(
            Section(
                "Self-reported statuses newer than the latest verification",
                paragraphs=["What the State reported in writing since a visit last verified the item."],
                tables=[
                    Table(
                        ["Id", "Area", "Item", "Status as reported", "Update", "Received", "Verified status", "On"],
                        [
                            [
                                c.finding_id,
                                c.area_name,
                                c.title,
                                _self_reported(c.claimed_status),
                                c.update_id,
                                day(c.received_on),
                                label(c.verified_status),
                                day(c.verified_on),
                            ]
                            for c in dossier.claims
                        ],
                    )
                ],
            )
        )
    else:
        parts.append(
            Section(
                "Self-reported statuses newer than the latest verification",
                paragraphs=["None: no written update is newer than the item's latest verification."],
            )
        )
    if dossier.delivered:
        parts.append(
            Section(
                "Delivered technical assistance not assessed since",
                paragraphs=["Assistance delivered for an item that no visit has assessed since the delivery."],
                tables=[
                    Table(
                        [
                            "TA need",
                            "Area",
                            "Assistance",
                            "For item",
                            "Item",
                            "Delivered",
                            "Providers",
                            "Verified status",
                        ],
                        [
                            [
                                d.ta_need,
                                d.area_name,
                                d.title,
                                d.addresses,
                                d.addresses_title,
                                day(d.delivered_on),
                                d.providers or None,
                                label(d.verified_status),
                            ]
                            for d in dossier.delivered
                        ],
                    )
                ],
            )
        )
    else:
        parts.append(
            Section(
                "Delivered technical assistance not assessed since",
                paragraphs=["None: every delivered assistance was assessed since, or none was delivered."],
            )
        )
    return Section(HEADINGS[1], subsections=parts)


def _track_record(dossier: Dossier) -> Section:
    record = dossier.track_record
    if not record.claims:
        return Section(
            HEADINGS[2], paragraphs=["No self-reported status of the State has been verified at a visit yet."]
        )
    summary = (
        f"Of the State's {len(record.claims)} self-reported statuses that a later visit verified, "
        f"{record.confirmed} {_was(record.confirmed)} confirmed, {record.lower} {_was(record.lower)} verified lower "
        f"and {record.higher} verified higher."
    )
    ordered = sorted(record.claims, key=lambda c: (OUTCOMES.index(c.outcome), c.finding_id, c.received_on))
    rows: list[list[Any]] = [
        [
            c.finding_id,
            label(c.outcome),
            c.area_name,
            c.title,
            _self_reported(c.claimed_status),
            f"{c.update_id}, {day(c.received_on)}",
            label(c.verified_status),
            c.verified_at,
        ]
        for c in ordered
    ]
    return Section(
        HEADINGS[2],
        paragraphs=[summary],
        tables=[Table(["Id", "Outcome", "Area", "Item", "Claimed", "Update", "Verified", "At visit"], rows)],
    )


def _debt(dossier: Dossier) -> Section:
    never = [area.area_name for area in dossier.debt if area.never_covered]
    in_debt = [area for area in dossier.debt if area.owed]
    paragraphs = [
        "Per thematic area, the resolutions the area concerns that were adopted after the start of the State's "
        f"last visit that covered it, or all of them for an area never covered: {dossier.owed} owed in "
        f"{len(in_debt)} areas."
    ]
    paragraphs.append(
        f"Areas no visit of the State ever covered: {', '.join(never)}."
        if never
        else "Every area was covered by a visit."
    )
    rows: list[list[Any]] = [
        [
            area.area,
            area.area_name,
            len(area.owed),
            "; ".join(f"{r.number} ({r.year})" for r in area.owed) or None,
            area.last_visit or "never covered",
            day(area.last_covered) if area.last_covered else None,
            area.years_since,
        ]
        for area in dossier.debt
    ]
    return Section(
        HEADINGS[3],
        paragraphs=paragraphs,
        tables=[
            Table(["Code", "Area", "Owed", "Resolutions adopted since", "Last covered by", "On", "Years since"], rows)
        ],
    )


def _new_recommendations(dossier: Dossier) -> Section:
    if dossier.latest_followup is None:
        return Section(HEADINGS[4], paragraphs=["The State has had no follow-up visit yet."])
    if not dossier.new_recommendations:
        return Section(HEADINGS[4], paragraphs=[f"{dossier.latest_followup} raised no new recommendation."])
    return Section(
        HEADINGS[4],
        paragraphs=[
            f"Recommendations raised at {dossier.latest_followup} that continue no earlier finding: "
            "to be assessed at the next visit."
        ],
        tables=[
            Table(
                ["Id", "Area", "Recommendation", "Priority"],
                [[r.finding_id, r.area_name, r.title, _yes(r.priority)] for r in dossier.new_recommendations],
            )
        ],
    )


def _partners(dossier: Dossier) -> Section:
    if not dossier.partners:
        return Section(HEADINGS[5], paragraphs=["No area has an open item, so no partner is suggested."])
    rows: list[list[Any]] = [
        [area.area_name, partner.code, partner.name, "; ".join(partner.reasons)]
        for area in dossier.partners
        for partner in area.partners
    ]
    return Section(
        HEADINGS[5],
        paragraphs=[
            "Per area with open items, the partner organisations that took part in the State's visits or "
            "technical assistance there, then those that specialise in it."
        ],
        tables=[Table(["Area", "Partner", "Name", "Why"], rows)],
    )


def dossier_document(dossier: Dossier, author: str = "CTED") -> Document:
    visits = ", ".join(f"{visit_id} ({start.year})" for visit_id, _, start in dossier.visits) or "none"
    return Document(
        title=f"{dossier.state_name}: preparing the next visit",
        subtitle="Dossier for the delegation",
        scope=f"{dossier.state_name} ({dossier.state}); visits: {visits}; as of {day(dossier.today)}",
        level=dossier.level,
        generated_at=dt.datetime.now(dt.UTC),
        author=author,
        keywords=["CTED", "dossier", "next visit", dossier.state_name, level_words(dossier.level.value)],
        sections=[
            _open_items(dossier),
            _claims(dossier),
            _track_record(dossier),
            _debt(dossier),
            _new_recommendations(dossier),
            _partners(dossier),
        ],
    )


def build_dossier(
    engine: Engine, actor: Actor, iso3: str, level: str | Confidentiality | None = None, *, today: dt.date | None = None
) -> Document:
    author = "CTED" if actor.username == "local" or actor.username.startswith("cli:") else actor.username
    return dossier_document(compute_dossier(engine, actor, iso3, level, today=today), author)


def _was(count: int) -> str:
    return "was" if count == 1 else "were"
