"""The rules a row must keep beyond its own cells: the rows it names exist, are visible to the
importer and fit together (a baseline before its follow-up, an assessment in its finding's scope)."""

from typing import Any

from sqlalchemy import Connection

from tracker.models import TRACKABLE_KINDS, scope_codes
from tracker.services.bundle import between_visits
from tracker.services.bundle.files import FileSpec
from tracker.services.bundle.importer.result import RowError
from tracker.services.bundle.importer.state import RANK, Context, ImportRun, VisitInfo
from tracker.services.progress.register import out_of_scope_message

# What the checks made once a file is read need of a row, so that a large file's pending rows stay small.
_LATE_FIELDS = {
    "thematic_area": ("parent",),
    "visit": ("baseline_visit_id", "state", "start_date"),
    "finding": ("continues", "visit_id"),
}


REMEMBERED = ("visit", "finding", "thematic_area", *between_visits.REMEMBERED)


def remember(spec: FileSpec, values: dict[str, Any], context: Context) -> None:
    """Make the row's key known to later rows and files before its references are checked."""
    if spec.entity == "visit":
        context.visits[values["visit_id"]] = VisitInfo(
            values["state"], values["start_date"], values["confidentiality"], frozenset(scope_codes(values["scope"]))
        )
    elif spec.entity == "finding":
        context.remember_finding(
            values["finding_id"], values["visit_id"], values["kind"], values["confidentiality"], values["area"]
        )
    elif spec.entity == "thematic_area":
        context.areas[values["code"]] = values["parent"]
    else:
        between_visits.remember(spec.entity, values, context)


def reference_problems(
    run: ImportRun, spec: FileSpec, values: dict[str, Any], pending: list[tuple[int, dict[str, Any]]], line: int
) -> list[tuple[str, str]]:
    """(column, message) for each rule the row breaks; references that may come later in the file wait in `pending`."""
    connection, context, actor = run.connection, run.context, run.actor
    problems: list[tuple[str, str]] = []
    level = values.get("confidentiality")
    if level is not None and RANK[level] > RANK[actor.clearance]:
        problems.append(
            (
                "confidentiality",
                f"{level} is above your clearance ({actor.clearance.value}); ask a user cleared for it to import this row",
            )
        )
    match spec.entity:
        case "thematic_area":
            if values["parent"]:
                pending.append((line, {f: values[f] for f in _LATE_FIELDS[spec.entity]}))
        case "visit":
            if values["state"] not in context.states:
                problems.append(("state", between_visits.unknown_state(values["state"])))
            for partner in values["partners"]:
                if partner not in context.partners:
                    problems.append(("partners", between_visits.unknown_partner(partner, context)))
            problems += _resolution_problems(values, context)
            problems += _scope_problems(values, context)
            if values["baseline_visit_id"]:
                pending.append((line, {f: values[f] for f in _LATE_FIELDS[spec.entity]}))
        case "finding":
            visit = context.visits.get(values["visit_id"])
            if visit is None:
                problems.append(
                    (
                        "visit_id",
                        f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
                    )
                )
            if values["area"] not in context.areas:
                problems.append(
                    (
                        "area",
                        f"{values['area']} is not a thematic area; use a code from areas.csv such as LEG or BM.AVIATION",
                    )
                )
            problems += _resolution_problems(values, context)
            if values["continues"]:
                pending.append((line, {f: values[f] for f in _LATE_FIELDS[spec.entity]}))
        case "assessment":
            problems += _assessment_problems(connection, values, context)
        case "link_decision":
            problems += _decision_problems(values, context)
        case "meeting":
            if values["visit_id"] not in context.visits:
                problems.append(
                    (
                        "visit_id",
                        f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
                    )
                )
            if values["area"] and values["area"] not in context.areas:
                problems.append(
                    ("area", f"{values['area']} is not a thematic area; use a code from areas.csv such as LEG or ICT")
                )
            problems += between_visits.meeting_problems(values, context)
        case "milestone":
            problems += _milestone_problems(values, context)
            problems += between_visits.milestone_problems(values, context)
        case "ta_record":
            problems += _ta_problems(values, context)
        case _:
            problems += between_visits.problems(spec.entity, values, context)
    return problems


def _milestone_problems(values: dict[str, Any], context: Context) -> list[tuple[str, str]]:
    visit = context.visits.get(values["visit_id"])
    if visit is None:
        return [
            (
                "visit_id",
                f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
            )
        ]
    if values["date"] < visit.start_date:
        return [
            (
                "date",
                f"{values['date'].isoformat()} is before visit {values['visit_id']} started; a milestone comes after the visit",
            )
        ]
    return []


def _ta_problems(values: dict[str, Any], context: Context) -> list[tuple[str, str]]:
    problems = []
    for partner in values["providers"]:
        if partner not in context.partners:
            problems.append(("providers", between_visits.unknown_partner(partner, context)))
    need = context.finding(values["finding_id"])
    if need is None:
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is neither in findings.csv nor in the database; add it to findings.csv",
            )
        )
    elif need[1] != "ta_need":
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is a {need[1]}; a TA record belongs to a ta_need finding",
            )
        )
    if values["addresses"]:
        answered = context.finding(values["addresses"])
        if answered is None:
            problems.append(
                (
                    "addresses",
                    f"finding {values['addresses']} is neither in findings.csv nor in the database; name an existing shortfall or recommendation",
                )
            )
        elif answered[1] not in TRACKABLE_KINDS:
            problems.append(
                (
                    "addresses",
                    f"finding {values['addresses']} is a {answered[1]}; name the shortfall or recommendation the TA need answers",
                )
            )
        elif need is not None:
            need_visit, answered_visit = context.visits.get(need[0]), context.visits.get(answered[0])
            if need_visit and answered_visit and need_visit.state != answered_visit.state:
                problems.append(
                    (
                        "addresses",
                        f"finding {values['addresses']} is of {answered_visit.state}, not {need_visit.state}; name a finding of the same State",
                    )
                )
    return problems


def _scope_problems(values: dict[str, Any], context: Context) -> list[tuple[str, str]]:
    """Each code of a visit's scope names a top-level thematic area."""
    problems = []
    for code in scope_codes(values["scope"]):
        if code not in context.areas:
            problems.append(
                (
                    "scope",
                    f"{code} is not a thematic area; list top-level area codes such as LEG;CFT;BM, or leave it blank for every area",
                )
            )
        elif context.areas[code] is not None:
            problems.append(
                (
                    "scope",
                    f"{code} is a sub-area; a scope lists top-level areas, so write {context.areas[code]} instead",
                )
            )
    return problems


def _resolution_problems(values: dict[str, Any], context: Context) -> list[tuple[str, str]]:
    if not values["resolutions"]:
        return []
    return [
        ("resolutions", between_visits.unknown_resolution(number))
        for number in values["resolutions"]
        if number not in context.resolutions
    ]


def _assessment_problems(connection: Connection, values: dict[str, Any], context: Context) -> list[tuple[str, str]]:
    problems = []
    visit = context.visits.get(values["visit_id"])
    if visit is None:
        problems.append(
            (
                "visit_id",
                f"visit {values['visit_id']} is neither in visits.csv nor in the database; add it to visits.csv",
            )
        )
    finding = context.finding(values["finding_id"])
    if finding is None:
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is neither in findings.csv nor in the database; add it to findings.csv",
            )
        )
        return problems
    finding_visit_id, kind, _, area = finding
    if kind not in TRACKABLE_KINDS:
        problems.append(
            (
                "finding_id",
                f"finding {values['finding_id']} is a {kind}; only shortfalls and recommendations are assessed",
            )
        )
    finding_visit = context.visits.get(finding_visit_id)
    if visit and finding_visit:
        if visit.state != finding_visit.state:
            problems.append(
                (
                    "visit_id",
                    f"visit {values['visit_id']} is of {visit.state} but the finding is of {finding_visit.state}; assess at a visit of the same state",
                )
            )
        elif not visit.start_date > finding_visit.start_date:
            problems.append(
                (
                    "visit_id",
                    f"visit {values['visit_id']} does not come after the finding's visit {finding_visit_id}; assess at a later visit",
                )
            )
        elif visit.scope and context.top_area(area) not in visit.scope:
            problems.append(
                (
                    "visit_id",
                    out_of_scope_message(values["finding_id"], area, context.top_area(area), values["visit_id"]),
                )
            )
    return problems


def _decision_problems(values: dict[str, Any], context: Context) -> list[tuple[str, str]]:
    """A rejected pair names a finding and an earlier finding of the same state."""
    problems = []
    visits: dict[str, VisitInfo | None] = {}
    for column in ("finding_id", "baseline_id"):
        finding = context.finding(values[column])
        if finding is None:
            problems.append(
                (
                    column,
                    f"finding {values[column]} is neither in findings.csv nor in the database; name an existing finding",
                )
            )
        else:
            visits[column] = context.visits.get(finding[0])
    later, earlier = visits.get("finding_id"), visits.get("baseline_id")
    if later and earlier:
        if later.state != earlier.state:
            problems.append(
                (
                    "baseline_id",
                    f"finding {values['baseline_id']} is of another state; a decision compares findings of the same state",
                )
            )
        elif not earlier.start_date < later.start_date:
            problems.append(
                (
                    "baseline_id",
                    f"finding {values['baseline_id']} is not from an earlier visit than {values['finding_id']}; "
                    "name the earlier finding as baseline_id",
                )
            )
    return problems


def check_pending(run: ImportRun, spec: FileSpec, pending: list[tuple[int, dict[str, Any]]]) -> None:
    """References to rows that may come later in the same file, checked once the file is read."""
    connection, context, result = run.connection, run.context, run.result
    if spec.entity == "finding":
        context.prefetch_findings(connection, {v["continues"] for _, v in pending})
    for line, values in pending:
        for column, message in _late_problems(connection, spec, values, context):
            result.add_error(RowError(spec.name, line, column, message))


def _late_problems(
    connection: Connection, spec: FileSpec, values: dict[str, Any], context: Context
) -> list[tuple[str, str]]:
    match spec.entity:
        case "thematic_area":
            parent = values["parent"]
            if parent not in context.areas:
                return [("parent", f"{parent} is not a thematic area; add it to areas.csv first")]
            if context.areas[parent] is not None:
                return [("parent", f"{parent} is itself a sub-area; a sub-area's parent must be a top-level area")]
        case "visit":
            baseline = context.visits.get(values["baseline_visit_id"])
            if baseline is None:
                return [
                    (
                        "baseline_visit_id",
                        f"visit {values['baseline_visit_id']} is neither in visits.csv nor in the database; add the baseline visit",
                    )
                ]
            if baseline.state != values["state"]:
                return [
                    (
                        "baseline_visit_id",
                        f"baseline {values['baseline_visit_id']} is a visit to {baseline.state}, not {values['state']}; name a visit to the same state",
                    )
                ]
            if not baseline.start_date < values["start_date"]:
                return [
                    (
                        "baseline_visit_id",
                        f"baseline {values['baseline_visit_id']} does not start before this visit; name an earlier visit",
                    )
                ]
        case "finding":
            earlier = context.finding(values["continues"])
            if earlier is None:
                return [
                    (
                        "continues",
                        f"finding {values['continues']} is neither in findings.csv nor in the database; name an existing finding",
                    )
                ]
            earlier_visit, this_visit = context.visits.get(earlier[0]), context.visits.get(values["visit_id"])
            if earlier_visit and this_visit:
                if earlier_visit.state != this_visit.state:
                    return [
                        (
                            "continues",
                            f"finding {values['continues']} is of another state; a finding continues one of the same state",
                        )
                    ]
                if not earlier_visit.start_date < this_visit.start_date:
                    return [
                        (
                            "continues",
                            f"finding {values['continues']} is not from an earlier visit; a finding continues an earlier one",
                        )
                    ]
    return []
