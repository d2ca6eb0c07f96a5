"""The import checks of what happens between visits (docs/data-formats.md): a State's written updates and
what each says of an item, and the reference data the team adds (States, resolutions, partners)."""

from typing import Any

from tracker import taxonomy
from tracker.models import TRACKABLE_KINDS

# Entities whose keys later rows and files of the same import may name.
REMEMBERED = ("state_update", "member_state", "resolution", "partner_org")
_SEEDED_STATES = {iso3: name for iso3, name, _ in taxonomy.member_states()}
_SEEDED_YEARS = {number: year for number, year, _ in taxonomy.RESOLUTIONS}


def unknown_state(code: str) -> str:
    return (
        f"{code} is not a UN Member State ISO3 code nor an entity in the reference list; "
        "use e.g. KOR, or add the entity to states.csv (or with 'tracker reference add-state')"
    )


def unknown_partner(code: str, context: Any) -> str:
    return (
        f"{code} is not a known partner organisation; use one of {', '.join(sorted(context.partners))}, "
        "or add it to partners.csv (or with 'tracker reference add-partner')"
    )


def unknown_resolution(number: int) -> str:
    return (
        f"resolution {number} is not in the reference list; correct the number, or add it to resolutions.csv "
        "(number,year,title,adopted_on) or with 'tracker reference add-resolution'"
    )


def remember(entity: str, values: dict[str, Any], context: Any) -> None:
    """Make the row's key known to later rows and files before their references are checked."""
    match entity:
        case "state_update":
            context.updates[values["update_id"]] = (
                values["state"],
                values["received_on"],
                values["confidentiality"],
            )
        case "member_state":
            context.states.add(values["iso3"])
        case "resolution":
            context.resolutions.add(values["number"])
        case "partner_org":
            context.partners.add(values["code"])


def problems(entity: str, values: dict[str, Any], context: Any) -> list[tuple[str, str]]:
    match entity:
        case "state_update":
            if values["state"] not in context.states:
                return [("state", unknown_state(values["state"]))]
        case "update_item":
            return _item_problems(values, context)
        case "member_state":
            seeded = _SEEDED_STATES.get(values["iso3"])
            if seeded is not None:
                return [
                    (
                        "iso3",
                        f"{values['iso3']} is the code of the UN Member State {seeded}; "
                        "give the entity a code of its own (rename a Member State with 'tracker reference rename-state')",
                    )
                ]
        case "area_resolution":
            return area_resolution_problems(values, context)
        case "resolution":
            seeded_year = _SEEDED_YEARS.get(values["number"])
            if seeded_year is not None and seeded_year != values["year"]:
                return [
                    (
                        "year",
                        f"resolution {values['number']} was adopted in {seeded_year}, not {values['year']}; "
                        f"write {seeded_year}, or correct the number",
                    )
                ]
    return []


def area_resolution_problems(values: dict[str, Any], context: Any) -> list[tuple[str, str]]:
    """A pair of the area → resolution map names a stored top-level area and a known resolution."""
    found: list[tuple[str, str]] = []
    area = values["area"]
    if area not in context.areas:
        found.append(("area", f"{area} is not a thematic area; use a top-level code from areas.csv such as LEG or BM"))
    elif context.areas[area]:
        found.append(("area", f"{area} is a sub-area; the map names top-level areas, so write {context.areas[area]}"))
    if values["resolution"] not in context.resolutions:
        found.append(("resolution", unknown_resolution(values["resolution"])))
    return found


def _item_problems(values: dict[str, Any], context: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    update = context.updates.get(values["update_id"])
    if update is None:
        found.append(
            (
                "update_id",
                f"update {values['update_id']} is neither in updates.csv nor in the database; add it to updates.csv",
            )
        )
    finding = context.finding(values["finding_id"])
    if finding is None:
        found.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is neither in findings.csv nor in the database; add it to findings.csv",
            )
        )
        return found
    visit_id, kind = finding[0], finding[1]
    if kind not in TRACKABLE_KINDS:
        found.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is a {kind}; a State reports on shortfalls and recommendations only",
            )
        )
    visit = context.visits.get(visit_id)
    if update is not None and visit is not None:
        state, received_on, _ = update
        if visit.state != state:
            found.append(
                (
                    "finding_id",
                    f"finding {values['finding_id']} is of {visit.state} but update {values['update_id']} is from "
                    f"{state}; record the status in an update from {visit.state}",
                )
            )
        elif received_on < visit.start_date:
            found.append(
                (
                    "update_id",
                    f"update {values['update_id']} was received on {received_on.isoformat()}, before visit {visit_id} "
                    f"raised finding {values['finding_id']}; name a later update",
                )
            )
    return found


def meeting_problems(values: dict[str, Any], context: Any) -> list[tuple[str, str]]:
    """Each partner organisation that took part in a meeting is a known one."""
    return [
        ("partners", unknown_partner(partner, context))
        for partner in values["partners"]
        if partner not in context.partners
    ]


def milestone_problems(values: dict[str, Any], context: Any) -> list[tuple[str, str]]:
    """A `response_received` milestone may name the State's update it records."""
    if not values.get("update_id"):
        return []
    update = context.updates.get(values["update_id"])
    if update is None:
        return [
            (
                "update_id",
                f"update {values['update_id']} is neither in updates.csv nor in the database; add it to updates.csv",
            )
        ]
    visit = context.visits.get(values["visit_id"])
    if visit is not None and visit.state != update[0]:
        return [
            (
                "update_id",
                f"update {values['update_id']} is from {update[0]}, not {visit.state}; name an update of the visit's State",
            )
        ]
    return []
