"""After any sequence of imports the importer accepts, a portable backup restores into an empty
database with the same export, byte for byte, at every level.

Each example starts from a small database in which every kind of row depends on another (a
follow-up on its baseline, a finding continuing an earlier one, assessments, a sub-area), then
imports a few small random bundles: updates of kinds, dates, states, parents, continues and
assessments, some by an analyst cleared below the rows they touch, some leaving columns out.
"""

import csv
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import SQLModel

from tests.conftest import assessment_row, finding_row, meeting_row, visit_row, write_bundle
from tracker.models import Confidentiality, Role
from tracker.services.bundle import exporter
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths
from tracker.services.operations import backup
from tracker.services.operations.reference import seed_reference_data
from tracker.services.people.access import LOCAL_ADMIN, Actor

LEVELS = [level.value for level in Confidentiality]
# The starting rows' (year, kind, baseline) and (visit, kind, area, continues).
VISITS = {
    "KOR-2009": (2009, "comprehensive", ""),
    "KOR-2016": (2016, "follow_up", "KOR-2009"),
    "KOR-2023": (2023, "follow_up", "KOR-2016"),
    "KOR-2030": (2030, "follow_up", "KOR-2023"),
}
FINDINGS = {
    "F1": ("KOR-2009", "shortfall", "ZZ.SUB", ""),
    "F2": ("KOR-2009", "recommendation", "LEG", ""),
    "F3": ("KOR-2016", "shortfall", "LEG", "F1"),
    "F4": ("KOR-2023", "shortfall", "ZZ", "F3"),
    "F5": ("KOR-2030", "good_practice", "YY", ""),
}
AREAS = ["ZZ", "ZZ.SUB", "YY", "LEG"]
# One analyst cleared below some of the rows, so blank hidden links and hidden dependants occur.
ACTORS = [LOCAL_ADMIN, Actor("analyst", Role.analyst, Confidentiality.committee)]
# Cells a spreadsheet would run as formulas, quotes, delimiters and line breaks.
TEXT = st.text(alphabet="ab =+-@'\";,\n", min_size=1, max_size=8)


def _start(folder: Path) -> Path:
    def visit(visit_id, confidentiality="committee"):
        year, kind, baseline = VISITS[visit_id]
        dates = {"start_date": f"{year}-05-02", "end_date": f"{year}-05-04"}
        return visit_row(visit_id, kind=kind, baseline_visit_id=baseline, confidentiality=confidentiality, **dates)

    return write_bundle(
        folder,
        areas=[
            {"code": "ZZ", "name": "Area", "parent": "", "cross_cutting": "false", "sort_order": "90"},
            {"code": "ZZ.SUB", "name": "Sub-area", "parent": "ZZ", "cross_cutting": "false", "sort_order": "91"},
            {"code": "YY", "name": "Other", "parent": "", "cross_cutting": "true", "sort_order": "92"},
        ],
        visits=[visit("KOR-2009"), visit("KOR-2016"), visit("KOR-2023", "restricted"), visit("KOR-2030")],
        findings=[
            finding_row(
                key,
                visit_id,
                kind,
                area,
                continues=continues,
                confidentiality="state_and_cted" if key == "F2" else "committee",
            )
            for key, (visit_id, kind, area, continues) in FINDINGS.items()
        ],
        assessments=[
            assessment_row("F1", "initial_steps", "KOR-2016", assessed_on="2016-05-04"),
            assessment_row("F1", "largely_implemented"),
            assessment_row("F2", "not_implemented", confidentiality="restricted"),
            assessment_row("F3", "fully_implemented", "KOR-2030"),
        ],
        meetings=[meeting_row("M1", "KOR-2016", date="2016-05-03", area="ZZ.SUB")],
    )


def _one_change(draw, start: dict, choices: dict[str, list]) -> dict:
    """The starting row with at most one of its fields changed, so that an update is refused
    only for what that change breaks, and breaking changes are tried often."""
    changed = draw(st.sampled_from([None, *choices]))
    return start if changed is None else start | {changed: draw(st.sampled_from(choices[changed]))}


@st.composite
def _visit(draw) -> dict:
    visit_id = draw(st.sampled_from(list(VISITS)))
    year, kind, baseline = VISITS[visit_id]
    start = {"visit_id": visit_id, "state": "KOR", "kind": kind, "year": year, "baseline_visit_id": baseline}
    row = _one_change(
        draw,
        start,
        {
            "state": ["JPN"],
            "kind": ["comprehensive", "follow_up"],
            "year": [2005, 2012, 2020, 2027, 2033],
            "baseline_visit_id": ["", *VISITS],
        },
    )
    year = row.pop("year")
    dates = {"start_date": f"{year}-05-02", "end_date": f"{year}-05-04"}
    return row | dates | {"summary": draw(TEXT), "confidentiality": draw(st.sampled_from(["", "", *LEVELS]))}


@st.composite
def _finding(draw) -> dict:
    finding_id = draw(st.sampled_from(list(FINDINGS)))
    visit_id, kind, area, continues = FINDINGS[finding_id]
    start = {"finding_id": finding_id, "visit_id": visit_id, "area": area, "kind": kind, "continues": continues}
    row = _one_change(
        draw,
        start,
        {
            "visit_id": list(VISITS),
            "area": AREAS,
            "kind": ["shortfall", "recommendation", "good_practice"],
            "continues": ["", *FINDINGS],
        },
    )
    return row | {"title": draw(TEXT), "confidentiality": draw(st.sampled_from(["", "", *LEVELS]))}


@st.composite
def _assessment(draw) -> dict:
    return {
        "finding_id": draw(st.sampled_from(["F1", "F2", "F3", "F4"])),
        "visit_id": draw(st.sampled_from(["KOR-2016", "KOR-2023", "KOR-2030"])),
        "status": draw(st.sampled_from(["fully_implemented", "partially_implemented", "not_assessed"])),
        "evidence": draw(TEXT),
        "confidentiality": draw(st.sampled_from(["", "", *LEVELS])),
    }


@st.composite
def _area(draw) -> dict:
    code = draw(st.sampled_from(["ZZ", "ZZ.SUB", "YY"]))
    parent = "ZZ" if code == "ZZ.SUB" else draw(st.sampled_from(["", "", "ZZ", "YY", "LEG"]))
    return {"code": code, "name": draw(TEXT), "parent": parent}


@st.composite
def _meeting(draw) -> dict:
    return {
        "meeting_id": draw(st.sampled_from(["M1", "M2"])),
        "visit_id": draw(st.sampled_from(list(VISITS))),
        "kind": "technical",
        "area": draw(st.sampled_from(["", *AREAS])),
        "notes": draw(TEXT),
    }


ROWS = {
    "areas.csv": _area(),
    "visits.csv": _visit(),
    "findings.csv": _finding(),
    "assessments.csv": _assessment(),
    "meetings.csv": _meeting(),
}


@st.composite
def _bundle(draw) -> tuple[Actor, dict[str, list[dict]]]:
    """One or two files of one to three rows with distinct keys; optional columns may be left out."""
    files = {}
    for name in draw(st.lists(st.sampled_from(list(ROWS)), min_size=1, max_size=2, unique=True)):
        key = SPECS[name].key
        rows = draw(
            st.lists(ROWS[name], min_size=1, max_size=3, unique_by=lambda row, key=key: tuple(row[k] for k in key))
        )
        optional = sorted(set(rows[0]) - set(SPECS[name].required))
        kept = set(SPECS[name].required) | draw(st.sets(st.sampled_from(optional)))
        files[name] = [{c: v for c, v in row.items() if c in kept} for row in rows]
    return draw(st.sampled_from(ACTORS)), files


def _write(folder: Path, files: dict[str, list[dict]]) -> Path:
    folder.mkdir(parents=True)
    for name, rows in files.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return folder


def _wipe(engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(delete(table))
    seed_reference_data(engine)


def _exports(engine) -> dict[str, bytes]:
    return {level: exporter.bundle_zip_bytes(engine, LOCAL_ADMIN, level) for level in LEVELS}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bundles=st.lists(_bundle(), min_size=1, max_size=4))
def test_after_any_accepted_imports_a_backup_restores_the_same_export(engine, tmp_path_factory, bundles):
    folder = tmp_path_factory.mktemp("example")
    _wipe(engine)
    assert import_bundle(engine, sources_from_paths([_start(folder / "start")]), LOCAL_ADMIN).ok
    for number, (actor, files) in enumerate(bundles):
        import_bundle(engine, sources_from_paths([_write(folder / f"import-{number}", files)]), actor)
    before = _exports(engine)
    backup.backup(engine, folder / "backup.zip", LOCAL_ADMIN)
    _wipe(engine)

    backup.restore(engine, folder / "backup.zip", LOCAL_ADMIN)

    assert _exports(engine) == before
