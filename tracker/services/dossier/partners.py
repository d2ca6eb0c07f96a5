"""Suggested partners (docs/dossier.md): per area with open items, the partner organisations that took
part in the State's visits covering the area, in its meetings on the area or in its technical
assistance on the area, and those that specialise in the area or in the sub-areas of its open items."""

import pandas as pd
from sqlalchemy import Connection, select
from sqlmodel import col

from tracker import taxonomy
from tracker.models import Confidentiality, Meeting, MeetingPartner, PartnerOrg, ThematicArea, Visit, VisitPartner
from tracker.services.dossier.model import AreaPartners, OpenItem, SuggestedPartner
from tracker.services.people.access import meeting_visible, visit_visible
from tracker.services.presentation.frames import rows_of
from tracker.services.progress.register import History

_DECLINED = "declined"


def suggested_partners(
    connection: Connection,
    level: Confidentiality,
    history: History,
    items: list[OpenItem],
    pipeline: pd.DataFrame,
    areas: list[tuple[str, str]],
) -> list[AreaPartners]:
    open_areas = {item.area for item in items}
    if not open_areas:
        return []
    names = dict(connection.execute(select(col(PartnerOrg.code), col(PartnerOrg.name))).all())
    tops = dict(connection.execute(select(col(ThematicArea.code), col(ThematicArea.parent))).all())
    sub_names = dict(connection.execute(select(col(ThematicArea.code), col(ThematicArea.name))).all())
    in_visits: dict[str, list[str]] = {}
    for visit_id, partner in connection.execute(
        select(col(VisitPartner.visit_id), col(VisitPartner.partner))
        .join(Visit, col(Visit.visit_id) == col(VisitPartner.visit_id))
        .where(col(Visit.state) == history.state, visit_visible(level))
        .order_by(col(Visit.start_date), col(VisitPartner.partner))
    ):
        in_visits.setdefault(visit_id, []).append(partner)
    # Partners met on an area, by its top-level area: each with the visits of those meetings.
    in_meetings: dict[str, dict[str, list[str]]] = {}
    for visit_id, area, partner in connection.execute(
        select(col(Meeting.visit_id), col(Meeting.area), col(MeetingPartner.partner))
        .join(Meeting, col(Meeting.meeting_id) == col(MeetingPartner.meeting_id))
        .join(Visit, col(Visit.visit_id) == col(Meeting.visit_id))
        .where(col(Visit.state) == history.state, col(Meeting.area).is_not(None), meeting_visible(level))
        .order_by(col(Visit.start_date), col(Meeting.date), col(MeetingPartner.partner))
    ):
        visits_met = in_meetings.setdefault(tops.get(str(area)) or str(area), {}).setdefault(partner, [])
        if visit_id not in visits_met:
            visits_met.append(visit_id)
    needs = list(rows_of(pipeline, index=False))
    result = []
    for area, area_name in areas:
        if area not in open_areas:
            continue
        subs = sorted({item.sub_area for item in items if item.area == area and item.sub_area != area})
        specialists: dict[str, list[str]] = {}
        for code in [area, *subs]:
            for partner in taxonomy.SPECIALISED_PARTNERS.get(code, ()):
                specialists.setdefault(partner, []).append(sub_names.get(code, code))
        # Every specialist of the area or of any of its sub-areas, for visits that covered every area.
        of_area = {
            partner
            for code, listed in taxonomy.SPECIALISED_PARTNERS.items()
            if (tops.get(code) or code) == area
            for partner in listed
        }
        visits: dict[str, list[str]] = {}
        for visit in history.ordered_visits():
            if not visit.covers(area):
                continue
            for partner in in_visits.get(visit.visit_id, ()):
                # A visit of every area names its partners for all; they count where they specialise.
                if visit.scope is not None or partner in of_area:
                    visits.setdefault(partner, []).append(visit.visit_id)
        assisted: dict[str, list[str]] = {}
        for row in needs:
            if (tops.get(row.area) or row.area) != area or row.status == _DECLINED or not row.providers:
                continue
            for partner in row.providers.split(", "):
                assisted.setdefault(partner, []).append(row.finding_id)
        partners = []
        met = in_meetings.get(area, {})
        for code in dict.fromkeys([*visits, *met, *assisted, *specialists]):
            reasons = []
            if code in visits:
                reasons.append(f"took part in visit{'s' if len(visits[code]) > 1 else ''} {', '.join(visits[code])}")
            if code in met:
                reasons.append(f"met the delegation on the area at {', '.join(met[code])}")
            if code in assisted:
                reasons.append(f"provides TA on {', '.join(assisted[code])}")
            if code in specialists:
                reasons.append(f"specialises in {', '.join(specialists[code])}")
            partners.append(SuggestedPartner(code, names.get(code, code), reasons))
        # Those that already worked with the State first, then the specialists.
        partners.sort(key=lambda p: (p.code not in visits and p.code not in met and p.code not in assisted, p.code))
        result.append(AreaPartners(area, area_name, partners))
    return result
