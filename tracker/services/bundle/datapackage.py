"""`datapackage.json` for a CSV bundle: a Frictionless Data Package with a Table Schema per file,
generated from the bundle declaration, so other tools can check a bundle without this program.
"""

import enum
import json
import typing
from typing import Any

from sqlalchemy import Boolean, Date, Integer

from tracker.services.bundle.files import FILES, FileSpec

NAME = "datapackage.json"

# References between bundle files; a reference may also resolve in the database, so only these,
# whose targets every full export holds, are declared.
_FOREIGN_KEYS = {
    "areas.csv": [("parent", "areas", "code")],
    "visits.csv": [("baseline_visit_id", "visits", "visit_id")],
    "findings.csv": [
        ("visit_id", "visits", "visit_id"),
        ("area", "areas", "code"),
        ("continues", "findings", "finding_id"),
    ],
    "assessments.csv": [("finding_id", "findings", "finding_id"), ("visit_id", "visits", "visit_id")],
    "meetings.csv": [("visit_id", "visits", "visit_id"), ("area", "areas", "code")],
    "update_items.csv": [("finding_id", "findings", "finding_id"), ("update_id", "updates", "update_id")],
    "area_resolutions.csv": [("area", "areas", "code"), ("resolution", "resolutions", "number")],
}
_DESCRIPTIONS = {
    "partners": "Partner organisation codes separated by ';'.",
    "resolutions": "Security Council resolution numbers separated by ';'.",
    "sector": "Sectors separated by ';'; a meeting of several sectors (a roundtable) lists each.",
}


def _enum_of(annotation: Any) -> type[enum.Enum] | None:
    """The enumeration a model field takes, looking inside Annotated[...] and `X | None`."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    for argument in typing.get_args(annotation):
        found = _enum_of(argument)
        if found is not None:
            return found
    return None


def _field(spec: FileSpec, column: str) -> dict[str, Any]:
    field: dict[str, Any] = {"name": column, "type": "string"}
    if column not in spec.links:
        sql_type = spec.table.c[column].type
        if isinstance(sql_type, Date):
            field |= {"type": "date", "format": "default"}
        elif isinstance(sql_type, Boolean):
            field |= {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}
        elif isinstance(sql_type, Integer):
            field["type"] = "integer"
    constraints: dict[str, Any] = {}
    if column in spec.required:
        constraints["required"] = True
    values = _enum_of(spec.model.model_fields[column].annotation)
    if values is not None and column in spec.links:
        # A list of values from the vocabulary, `;`-separated.
        one = "|".join(member.value for member in values)
        constraints["pattern"] = f"({one})(;({one}))*"
    elif values is not None:
        constraints["enum"] = [member.value for member in values]
    if column in _DESCRIPTIONS:
        field["description"] = _DESCRIPTIONS[column]
    if constraints:
        field["constraints"] = constraints
    return field


def _resource(spec: FileSpec) -> dict[str, Any]:
    name = spec.name.removesuffix(".csv")
    schema: dict[str, Any] = {
        "fields": [_field(spec, column) for column in spec.columns],
        "primaryKey": list(spec.key),
        "missingValues": [""],
    }
    keys = [
        {"fields": column, "reference": {"resource": "" if target == name else target, "fields": target_field}}
        for column, target, target_field in _FOREIGN_KEYS.get(spec.name, [])
    ]
    if keys:
        schema["foreignKeys"] = keys
    return {
        "name": name,
        "path": spec.name,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "lineTerminator": "\n", "header": True},
        "schema": schema,
    }


def datapackage() -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": "followup-tracker-bundle",
        "title": "Follow-up visit progress tracker bundle",
        "resources": [_resource(spec) for spec in FILES],
    }


def datapackage_bytes() -> bytes:
    """The same bytes on every export, so two exports of the same data stay identical."""
    return (json.dumps(datapackage(), indent=2, ensure_ascii=False) + "\n").encode()
