"""A quick reading of well-formed bundle rows, for imports of hundreds of thousands of rows.

The `XCreate` models stay the judges of input: for a row these functions accept they give exactly
what the model would give (with enumerations as their stored text), and any row they do not
vouch for they hand back as None, so the model reads it and words its errors. They reuse the
models' own parsers for dates, booleans and lists so that both read a cell the same way.
"""

import re
from collections.abc import Callable

from tracker.models import (
    DEFAULT_CONFIDENTIALITY,
    KEY_PATTERN,
    Confidentiality,
    Consent,
    FindingKind,
    MeetingKind,
    Modality,
    Sector,
    Severity,
    Status,
    VisitKind,
    _parse_bool,
    _parse_codes,
    _parse_date,
    _parse_resolutions,
)

_KEY = re.compile(KEY_PATTERN.removeprefix("^").removesuffix("$"))
_STATE = re.compile("[A-Z]{3}")
_VISIT_KINDS = frozenset(VisitKind)
_MODALITIES = frozenset(Modality)
_FINDING_KINDS = frozenset(FindingKind)
_SEVERITIES = frozenset(Severity)
_STATUSES = frozenset(Status)
_MEETING_KINDS = frozenset(MeetingKind)
_SECTORS = frozenset(Sector)
_LEVELS = frozenset(Confidentiality)
_CONSENTS = frozenset(Consent)
_PLAIN_NUMBERS = re.compile(r"[0-9]{3,4}(?:;[0-9]{3,4})*")


class _Unusual(Exception):
    """A cell the quick reading does not vouch for."""


# A cell left out of the row reads as "", which is what the models make of a missing text.


def _key(row: dict, column: str) -> str:
    text = row.get(column, "").strip()
    if len(text) > 64 or not _KEY.fullmatch(text):
        raise _Unusual
    return text


def _optional_key(row: dict, column: str) -> str | None:
    text = row.get(column, "").strip()
    if not text:
        return None
    if len(text) > 64 or not _KEY.fullmatch(text):
        raise _Unusual
    return text


def _member(value, allowed: frozenset) -> str:
    if value not in allowed:
        raise _Unusual
    return value


def _member_or(row: dict, column: str, allowed: frozenset, default: str) -> str:
    return _member(row.get(column, "").strip() or default, allowed)


def _level(row: dict) -> str:
    return _member(row.get("confidentiality", "").strip() or DEFAULT_CONFIDENTIALITY.value, _LEVELS)


def _required_date(row: dict, column: str):
    value = _parse_date(row.get(column))
    if value is None:
        raise _Unusual
    return value


def _resolutions(cell: str | None) -> list[int]:
    # Plain numbers, the common spelling, are read without the model's pattern per number.
    if not cell:
        return []
    if _PLAIN_NUMBERS.fullmatch(cell):
        return sorted({int(number) for number in cell.split(";")})
    return _parse_resolutions(cell)


def _visit(row: dict) -> dict:
    state = row.get("state", "").strip().upper()
    if not _STATE.fullmatch(state):
        raise _Unusual
    values = {
        "visit_id": _key(row, "visit_id"),
        "state": state,
        "kind": _member(row.get("kind"), _VISIT_KINDS),
        "modality": _member_or(row, "modality", _MODALITIES, Modality.in_person.value),
        "start_date": _required_date(row, "start_date"),
        "end_date": _required_date(row, "end_date"),
        "baseline_visit_id": _optional_key(row, "baseline_visit_id"),
        "lead": row.get("lead", "").strip(),
        "partners": _parse_codes(row.get("partners")),
        "resolutions": _resolutions(row.get("resolutions")),
        "summary": row.get("summary", "").strip(),
        "confidentiality": _level(row),
        "consent": _member_or(row, "consent", _CONSENTS, Consent.none.value),
        "consent_date": _parse_date(row.get("consent_date")),
        "withdrawn": row.get("withdrawn", "").strip() or None,
    }
    if values["end_date"] < values["start_date"] or values["baseline_visit_id"] == values["visit_id"]:
        raise _Unusual
    return values


def _finding(row: dict) -> dict:
    area = row.get("area", "").strip().upper()
    title = row.get("title", "").strip()
    severity = row.get("severity", "").strip() or None
    if not area or not title or len(title) > 500:
        raise _Unusual
    values = {
        "finding_id": _key(row, "finding_id"),
        "visit_id": _key(row, "visit_id"),
        "area": area,
        "kind": _member(row.get("kind"), _FINDING_KINDS),
        "title": title,
        "detail": row.get("detail", "").strip(),
        "priority": _parse_bool(row.get("priority")),
        "severity": severity and _member(severity, _SEVERITIES),
        "resolutions": _resolutions(row.get("resolutions")),
        "source_ref": row.get("source_ref", "").strip(),
        "continues": _optional_key(row, "continues"),
        "confidentiality": _level(row),
        "withdrawn": row.get("withdrawn", "").strip() or None,
    }
    if values["continues"] == values["finding_id"]:
        raise _Unusual
    return values


def _assessment(row: dict) -> dict:
    return {
        "finding_id": _key(row, "finding_id"),
        "visit_id": _key(row, "visit_id"),
        "status": _member(row.get("status"), _STATUSES),
        "evidence": row.get("evidence", "").strip(),
        "assessed_on": _parse_date(row.get("assessed_on")),
        "confidentiality": _level(row),
        "withdrawn": row.get("withdrawn", "").strip() or None,
    }


def _meeting(row: dict) -> dict:
    return {
        "meeting_id": _key(row, "meeting_id"),
        "visit_id": _key(row, "visit_id"),
        "date": _parse_date(row.get("date")),
        "kind": _member(row.get("kind"), _MEETING_KINDS),
        "counterpart": row.get("counterpart", "").strip(),
        "sector": _member_or(row, "sector", _SECTORS, Sector.government.value),
        "area": row.get("area", "").strip().upper() or None,
        "notes": row.get("notes", "").strip(),
        "confidentiality": _level(row),
        "withdrawn": row.get("withdrawn", "").strip() or None,
    }


_READERS: dict[str, Callable[[dict], dict]] = {
    "visit": _visit,
    "finding": _finding,
    "assessment": _assessment,
    "meeting": _meeting,
}


# What a quick reader raises for a row it does not vouch for.
REFUSALS = (_Unusual, ValueError, TypeError)


def quick_reader(entity: str) -> Callable[[dict], dict] | None:
    """The quick reading of this entity's rows, if it has one: the model's values for a well-formed
    row; any other row raises one of REFUSALS, and the model is left to judge it."""
    return _READERS.get(entity)


def quick_values(entity: str, row: dict) -> dict | None:
    """The model's values for a well-formed row of this entity, or None to let the model judge it."""
    reader = _READERS.get(entity)
    if reader is None:
        return None
    try:
        return reader(row)
    except REFUSALS:
        return None
