"""A quick reading of well-formed bundle rows, for imports of hundreds of thousands of rows.

The `XCreate` models stay the judges of input: for a row these functions accept they give exactly
what the model would give (with enumerations as their stored text), and any row they do not
vouch for they hand back as None, so the model reads it and words its errors. They reuse the
models' own parsers for dates, booleans and lists so that both read a cell the same way.
"""

import datetime as dt
import inspect
import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

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
)
from tracker.models.inputs import (
    _FALSE,
    _TRUE,
    _parse_bool,
    _parse_codes,
    _parse_date,
    _parse_resolutions,
    _parse_scope,
)
from tracker.services.bundle.files import FILES

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
_DEFAULT_LEVEL = DEFAULT_CONFIDENTIALITY.value
# The model's booleans in the spellings it reads as they are; any other cell goes to _parse_bool.
_BOOLS = dict.fromkeys(_TRUE, True) | dict.fromkeys(_FALSE, False)


class _Unusual(Exception):
    """A cell the quick reading does not vouch for."""


# A cell left out of the row reads as "", which is what the models make of a missing text.


def _key(row: dict[str, str], column: str) -> str:
    text = row.get(column, "").strip()
    if len(text) > 64 or not _KEY.fullmatch(text):
        raise _Unusual
    return text


def _optional_key(row: dict[str, str], column: str) -> str | None:
    text = row.get(column, "").strip()
    if not text:
        return None
    if len(text) > 64 or not _KEY.fullmatch(text):
        raise _Unusual
    return text


def _member(value: str | None, allowed: frozenset[str]) -> str:
    if value is None or value not in allowed:
        raise _Unusual
    return value


def _member_or(row: dict[str, str], column: str, allowed: frozenset[Any], default: str) -> str:
    return _member(row.get(column, "").strip() or default, allowed)


def _sectors(cell: str | None) -> list[str]:
    sectors = {part.strip() for part in (cell or "").split(";") if part.strip()} or {Sector.government.value}
    if not sectors <= _SECTORS:
        raise _Unusual
    return sorted(sectors)


def _level(row: dict[str, str]) -> str:
    return _member(row.get("confidentiality", "").strip() or DEFAULT_CONFIDENTIALITY.value, _LEVELS)


def _required_date(row: dict[str, str], column: str) -> dt.date:
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


def _visit(row: dict[str, str]) -> dict[str, Any]:
    state = row.get("state", "").strip().upper()
    if not _STATE.fullmatch(state):
        raise _Unusual
    start, end = _required_date(row, "start_date"), _required_date(row, "end_date")
    values: dict[str, Any] = {
        "visit_id": _key(row, "visit_id"),
        "state": state,
        "kind": _member(row.get("kind"), _VISIT_KINDS),
        "modality": _member_or(row, "modality", _MODALITIES, Modality.in_person.value),
        "start_date": start,
        "end_date": end,
        "baseline_visit_id": _optional_key(row, "baseline_visit_id"),
        "scope": _parse_scope(row.get("scope")),
        "lead": row.get("lead", "").strip(),
        "partners": _parse_codes(row.get("partners")),
        "resolutions": _resolutions(row.get("resolutions")),
        "summary": row.get("summary", "").strip(),
        "confidentiality": _level(row),
        "consent": _member_or(row, "consent", _CONSENTS, Consent.none.value),
        "consent_date": _parse_date(row.get("consent_date")),
        "withdrawn": row.get("withdrawn", "").strip() or None,
    }
    if end < start or values["baseline_visit_id"] == values["visit_id"]:
        raise _Unusual
    return values


# Findings and assessments, the bulk of a large bundle, are read from the record's cells in the
# order of the reader's parameters (its columns), without a row of them by column and without a
# call per cell; each accepts exactly what _key, _optional_key, _member and _level accept.
def _finding(
    finding_id: str,
    visit_id: str,
    area: str,
    kind: str,
    title: str,
    detail: str,
    priority: str,
    severity: str,
    resolutions: str,
    source_ref: str,
    continues: str,
    confidentiality: str,
    withdrawn: str,
) -> dict[str, Any]:
    finding_id, visit_id, area, title = finding_id.strip(), visit_id.strip(), area.strip().upper(), title.strip()
    severity_text = severity.strip() or None
    continued = continues.strip() or None
    level = confidentiality.strip() or _DEFAULT_LEVEL
    flag = _BOOLS.get(priority)
    if (
        not area
        or not title
        or len(title) > 500
        or len(finding_id) > 64
        or len(visit_id) > 64
        or not _KEY.fullmatch(finding_id)
        or not _KEY.fullmatch(visit_id)
        or kind not in _FINDING_KINDS
        or (severity_text is not None and severity_text not in _SEVERITIES)
        or level not in _LEVELS
        or (continued is not None and (len(continued) > 64 or not _KEY.fullmatch(continued)))
        or continued == finding_id
    ):
        raise _Unusual
    return {
        "finding_id": finding_id,
        "visit_id": visit_id,
        "area": area,
        "kind": kind,
        "title": title,
        "detail": detail.strip(),
        "priority": _parse_bool(priority) if flag is None else flag,
        "severity": severity_text,
        "resolutions": _resolutions(resolutions),
        "source_ref": source_ref.strip(),
        "continues": continued,
        "confidentiality": level,
        "withdrawn": withdrawn.strip() or None,
    }


def _assessment(
    finding_id: str,
    visit_id: str,
    status: str,
    evidence: str,
    assessed_on: str,
    confidentiality: str,
    withdrawn: str,
) -> dict[str, Any]:
    finding_id, visit_id = finding_id.strip(), visit_id.strip()
    level = confidentiality.strip() or _DEFAULT_LEVEL
    if (
        len(finding_id) > 64
        or len(visit_id) > 64
        or not _KEY.fullmatch(finding_id)
        or not _KEY.fullmatch(visit_id)
        or status not in _STATUSES
        or level not in _LEVELS
    ):
        raise _Unusual
    return {
        "finding_id": finding_id,
        "visit_id": visit_id,
        "status": status,
        "evidence": evidence.strip(),
        "assessed_on": _parse_date(assessed_on),
        "confidentiality": level,
        "withdrawn": withdrawn.strip() or None,
    }


def _meeting(row: dict[str, str]) -> dict[str, Any]:
    return {
        "meeting_id": _key(row, "meeting_id"),
        "visit_id": _key(row, "visit_id"),
        "date": _parse_date(row.get("date")),
        "kind": _member(row.get("kind"), _MEETING_KINDS),
        "counterpart": row.get("counterpart", "").strip(),
        "sector": _sectors(row.get("sector")),
        "partners": _parse_codes(row.get("partners")),
        "area": row.get("area", "").strip().upper() or None,
        "notes": row.get("notes", "").strip(),
        "confidentiality": _level(row),
        "withdrawn": row.get("withdrawn", "").strip() or None,
    }


_READERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "visit": _visit,
    "meeting": _meeting,
}
# The columns of each file, by entity, as the bundle declares them.
_COLUMNS = {spec.entity: spec.columns for spec in FILES}
# Each cell reader's columns are its parameters, in their order.
_CELL_READERS: dict[str, tuple[tuple[str, ...], Callable[..., dict[str, Any]]]] = {
    entity: (tuple(inspect.signature(read).parameters), read)
    for entity, read in (("finding", _finding), ("assessment", _assessment))
}
# What a quick reader raises for a record it does not vouch for.
REFUSALS = (_Unusual, ValueError, TypeError)


def quick_reader(entity: str, columns: list[str]) -> Callable[[list[str]], dict[str, Any]] | None:
    """The quick reading of the records of a file of this entity with these columns, if it has one:
    a record's cells (one per column) to the model's values if the record is well-formed; any other
    record raises one of REFUSALS, and the model is left to judge it."""
    if entity in _CELL_READERS:
        fields, read = _CELL_READERS[entity]
        if fields != _COLUMNS[entity]:
            # The file has a column this reading does not know (one just added): the model reads every row.
            return None
        # A field the header leaves out is read from the "" put after the last cell.
        cells_of = itemgetter(*[columns.index(f) if f in columns else len(columns) for f in fields])
        return lambda cells: read(*cells_of([*cells, ""]))
    reader = _READERS.get(entity)
    if reader is None:
        return None
    return lambda cells: _every_column(reader(dict(zip(columns, cells))), _COLUMNS[entity])


def _every_column(values: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The values, if they give every column of the file; a row of a file with a column this reading
    does not know (one just added) is left to the model."""
    if len(values) != len(columns):
        raise _Unusual
    return values


def quick_values(entity: str, row: dict[str, str]) -> dict[str, Any] | None:
    """The model's values for a well-formed row of this entity, or None to let the model judge it."""
    reader = quick_reader(entity, list(row))
    if reader is None:
        return None
    try:
        return reader(list(row.values()))
    except REFUSALS:
        return None
