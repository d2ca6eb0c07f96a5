"""A quick reading of well-formed bundle rows, for imports of hundreds of thousands of rows.

The `XCreate` models stay the judges of input: for a row these functions accept they give exactly
what the model would give (with enumerations as their stored text), and any row they do not
vouch for they hand back as None, so the model reads it and words its errors. They reuse the
models' own parsers for dates, booleans and lists so that both read a cell the same way.
"""

import datetime as dt
import re
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

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
    Bool,
    Key,
    Level,
    OptionalDate,
    OptionalKey,
    OptionalSeverity,
    OptionalText,
    Resolutions,
    Text_,
    Title,
    UpperText,
    _parse_bool,
    _parse_codes,
    _parse_date,
    _parse_resolutions,
    _parse_scope,
)
from tracker.services.bundle.files import FileSpec

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


# Findings and assessments, the bulk of a large bundle, are read cell by cell, each cell by the type
# its column has in the input model: the model's fields give the columns, their order and their
# types, so a column of a type below needs nothing here. Each type's reading is a few statements
# taking the cell `{c}` to the value `{v}` (or raising _Unusual), accepting exactly what the model
# accepts for that type and giving the same value; a file's reading is written out from them once,
# as one function, so that a row costs no call per cell.
_KEY_MATCH = _KEY.fullmatch
_CELL_TYPES: dict[Any, str] = {
    Key: "{v} = {c}.strip()\nif len({v}) > 64 or not _KEY_MATCH({v}): raise _Unusual",
    OptionalKey: "{v} = {c}.strip() or None\nif {v} is not None and (len({v}) > 64 or not _KEY_MATCH({v})): raise _Unusual",
    UpperText: "{v} = {c}.strip().upper()\nif not {v}: raise _Unusual",
    Title: "{v} = {c}.strip()\nif not {v} or len({v}) > 500: raise _Unusual",
    Text_: "{v} = {c}.strip()",
    OptionalText: "{v} = {c}.strip() or None",
    Bool: "{v} = _BOOLS.get({c})\nif {v} is None: {v} = _parse_bool({c})",
    OptionalDate: "{v} = _parse_date({c})",
    Resolutions: "{v} = _resolutions({c})",
    Level: "{v} = {c}.strip() or _DEFAULT_LEVEL\nif {v} not in _LEVELS: raise _Unusual",
    OptionalSeverity: "{v} = {c}.strip() or None\nif {v} is not None and {v} not in _SEVERITIES: raise _Unusual",
    FindingKind: "{v} = {c}\nif {v} not in _FINDING_KINDS: raise _Unusual",
    Status: "{v} = {c}\nif {v} not in _STATUSES: raise _Unusual",
}


# The names the statements above use.
_CELL_NAMES = {
    "_KEY_MATCH": _KEY_MATCH,
    "_Unusual": _Unusual,
    "_BOOLS": _BOOLS,
    "_parse_bool": _parse_bool,
    "_parse_date": _parse_date,
    "_resolutions": _resolutions,
    "_DEFAULT_LEVEL": _DEFAULT_LEVEL,
    "_LEVELS": _LEVELS,
    "_SEVERITIES": _SEVERITIES,
    "_FINDING_KINDS": _FINDING_KINDS,
    "_STATUSES": _STATUSES,
}


def _written_out(name: str, parameter: str, statements: list[str], result: str) -> Callable[..., Any]:
    """A function of the names in _CELL_NAMES, written out from statements and compiled once."""
    body = "".join(f"    {line}\n" for statement in statements for line in statement.splitlines())
    scope: dict[str, Any] = {}
    exec(f"def {name}({parameter}):\n{body}    return {result}\n", dict(_CELL_NAMES), scope)
    function: Callable[..., Any] = scope[name]
    return function


def _cell_read(template: str) -> Callable[[str], Any]:
    """One cell read by its type's statements."""
    return _written_out("read_cell", "c", [template.format(c="c", v="v")], "v")


def _continues_another(values: dict[str, Any]) -> None:
    if values["continues"] == values["finding_id"]:
        raise _Unusual


# The models' rules across columns (their model validators, by name), as the quick reading checks them.
_ROW_RULES: dict[str, Callable[[dict[str, Any]], None]] = {"_not_self": _continues_another}
# The files read cell by cell.
_CELL_ENTITIES = frozenset({"finding", "assessment"})


def _cell_reader(model: type[BaseModel], columns: list[str]) -> Callable[[list[str]], dict[str, Any]] | None:
    """The quick reading of a file of this model with these columns, written out once for the file;
    None if the model has a column of a type, or a rule, that this reading does not know."""
    decorators = model.__pydantic_decorators__
    if decorators.field_validators or decorators.validators or decorators.root_validators:
        return None
    if not decorators.model_validators.keys() <= _ROW_RULES.keys():
        return None
    # A field the header leaves out is read from the "" put after the last cell.
    statements = ['cells = [*cells, ""]']
    for number, (name, field) in enumerate(model.model_fields.items()):
        template = _CELL_TYPES.get(_checked_type(field))
        if template is None or (name not in columns and not _blank_is_default(field, _cell_read(template))):
            return None
        place = columns.index(name) if name in columns else len(columns)
        statements.append(template.format(c=f"cells[{place}]", v=f"v{number}"))
    values = ", ".join(f"{name!r}: v{number}" for number, name in enumerate(model.model_fields))
    read = _written_out("read_cells", "cells", statements, f"{{{values}}}")
    rules = [_ROW_RULES[name] for name in decorators.model_validators]
    if not rules:
        return read

    def read_checked(cells: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = read(cells)
        for rule in rules:
            rule(found)
        return found

    return read_checked


def _checked_type(field: FieldInfo) -> Any:
    """The field's type with all the model checks of it (a constraint given in `Field()` too), as a
    type of _CELL_TYPES is written; None for a field read under another name."""
    if field.alias is not None or field.validation_alias is not None:
        return None
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _blank_is_default(field: FieldInfo, read: Callable[[str], Any]) -> bool:
    """Whether an empty cell reads as the field's default, which the model gives a column left out."""
    if field.is_required():
        return False
    default = field.get_default()
    default = default.value if isinstance(default, Enum) else default
    try:
        value = read("")
    except REFUSALS:
        return False
    return type(value) is type(default) and bool(value == default)


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
# What a quick reader raises for a record it does not vouch for.
REFUSALS = (_Unusual, ValueError, TypeError)


def quick_reader(spec: FileSpec, columns: list[str]) -> Callable[[list[str]], dict[str, Any]] | None:
    """The quick reading of the records of this file with these columns, if it has one:
    a record's cells (one per column) to the model's values if the record is well-formed; any other
    record raises one of REFUSALS, and the model is left to judge it."""
    if spec.entity in _CELL_ENTITIES:
        return _cell_reader(spec.model, columns)
    reader = _READERS.get(spec.entity)
    if reader is None:
        return None
    return lambda cells: _every_column(reader(dict(zip(columns, cells))), spec.columns)


def _every_column(values: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    """The values, if they give every column of the file; a row of a file with a column this reading
    does not know (one just added) is left to the model."""
    if len(values) != len(columns):
        raise _Unusual
    return values


def quick_values(spec: FileSpec, row: dict[str, str]) -> dict[str, Any] | None:
    """The model's values for a well-formed row of this file, or None to let the model judge it."""
    reader = quick_reader(spec, list(row))
    if reader is None:
        return None
    try:
        return reader(list(row.values()))
    except REFUSALS:
        return None
