"""The quick reading of bundle rows gives exactly what the models give, or leaves the row to them."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.conftest import assessment_row, finding_row, followup_row, meeting_row, visit_row
from tracker.models import (
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
from tracker.services.bundle import quick_rows
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer.reading import plain as _plain
from tracker.services.bundle.quick_rows import quick_values

# Python's str.strip and pydantic's own stripping disagree on some of these.
PADDING = ["", " ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\x85", "\u180e", "\u200b", "\ufeff"]
KEYS = ["KOR-2009", "KOR-2023", "F1", "a.b_c-1", "-bad", "é1", "a b", "x" * 64, "x" * 65]
DATES = ["2009-09-14", "2023-05-25", "2009-9-14", "20090914", "2009-W37-1", "2009-02-30", "14/09/2009"]
BOOLEANS = ["true", "false", "yes", "no", "1", "0", "TRUE", "maybe", "y", "t"]
RESOLUTIONS = [
    "1373",
    "1373;2178",
    "2178;1373;1373",
    "S/RES/1373 (2001)",
    "1373 (2001); 2396",
    "99",
    "12345",
    "1373;;2178",
    "\u0661\u0663\u0667\u0663",
    "\u00b2\u00b3\u2074",
    "1373;abc",
]
TEXTS = ["Lead", "a, b", 'say "hi"', "x" * 500, "x" * 501, "'=1+1"]
AREAS = ["LEG", "bm.aviation", "CJ.PROSECUTION", "\ufb01", "\u00df"]
STATES = ["KOR", "kor", "KO", "KORE", "\u00dfab", "\u01c6ab"]


def _values(enum) -> list[str]:
    return [member.value for member in enum]


SAMPLES = {
    "visit_id": KEYS,
    "finding_id": KEYS,
    "meeting_id": KEYS,
    "baseline_visit_id": KEYS,
    "continues": KEYS,
    "state": STATES,
    "start_date": DATES,
    "end_date": DATES,
    "assessed_on": DATES,
    "date": DATES,
    "priority": BOOLEANS,
    "resolutions": RESOLUTIONS,
    "partners": ["ICAO;unodc", "CoE", "ICAO;;IMO"],
    "scope": ["LEG;CFT;bm", "ICT", "BM;;LEG", "BM.AVIATION"],
    "modality": _values(Modality),
    "severity": _values(Severity),
    "status": _values(Status),
    "sector": _values(Sector),
    "confidentiality": _values(Confidentiality),
    "consent": [*_values(Consent), "Full", "yes"],
    "consent_date": DATES,
    "area": AREAS,
    "lead": TEXTS,
    "summary": TEXTS,
    "title": TEXTS,
    "detail": TEXTS,
    "source_ref": TEXTS,
    "evidence": TEXTS,
    "withdrawn": TEXTS,
    "counterpart": TEXTS,
    "notes": TEXTS,
}
KINDS = {"visit": _values(VisitKind), "finding": _values(FindingKind), "meeting": _values(MeetingKind)}
CASES = [str, str.upper, str.lower, str.title]
FILES = ["visits.csv", "findings.csv", "assessments.csv", "meetings.csv"]


def cells(samples: list[str]):
    padding = st.sampled_from(PADDING)
    value = st.sampled_from([*samples, ""]) | st.text(max_size=8)
    return st.builds(
        lambda before, text, case, after: before + case(text) + after, padding, value, st.sampled_from(CASES), padding
    )


# Well-formed rows, each of which a test then changes in a few cells.
BASE = {
    "visits.csv": followup_row(partners="ICAO;UNODC", resolutions="1373;2178"),
    "findings.csv": finding_row("G1", visit_id="KOR-2023", continues="F1", severity="major", resolutions="1373"),
    "assessments.csv": assessment_row("F1", "partially_implemented"),
    "meetings.csv": meeting_row("M1", area="ICT"),
}


def rows(spec):
    samples = SAMPLES | {"kind": KINDS.get(spec.entity, [])}
    # None leaves the column out, as when a row has fewer cells than the header.
    changed = st.lists(
        st.sampled_from(spec.columns).flatmap(
            lambda column: st.tuples(st.just(column), cells(samples[column]) | st.none())
        ),
        max_size=3,
    )

    def apply(changes: list) -> dict:
        row = dict(BASE[spec.name])
        for column, value in changes:
            if value is None:
                row.pop(column, None)
            else:
                row[column] = value
        return row

    return changed.map(apply)


def model_values(spec, row) -> dict | None:
    try:
        return _plain(spec.model.model_validate(row).model_dump(mode="python"))
    except ValidationError:
        return None


@pytest.mark.parametrize("name", FILES)
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_quick_reading_gives_the_models_values_or_none(name, data):
    spec = SPECS[name]
    row = data.draw(rows(spec))
    quick = quick_values(spec, row)
    expected = model_values(spec, row)
    if quick is not None:
        assert expected is not None
        assert quick == expected
        assert {k: type(v) for k, v in quick.items()} == {k: type(v) for k, v in expected.items()}


@pytest.mark.parametrize(
    ("name", "row"),
    [
        ("visits.csv", visit_row(partners="icao; UNODC", resolutions="S/RES/1373 (2001);2178")),
        ("visits.csv", followup_row(modality="", confidentiality="")),
        ("findings.csv", finding_row("F1", priority="yes", severity="major", resolutions="1373;2178")),
        ("findings.csv", finding_row("G1", visit_id="KOR-2023", continues="F1", area="bm.aviation")),
        ("assessments.csv", assessment_row("F1", "partially_implemented", assessed_on="")),
        ("meetings.csv", meeting_row("M1", sector="", area="ict")),
    ],
)
def test_well_formed_rows_are_read_quickly_and_alike(name, row):
    spec = SPECS[name]
    quick = quick_values(spec, row)
    assert quick is not None
    assert quick == model_values(spec, row)


@pytest.mark.parametrize("name", FILES)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_quick_reading_does_not_depend_on_the_order_of_the_columns(name, data):
    # Findings and assessments are read by the position of each column in the header.
    spec = SPECS[name]
    row = data.draw(rows(spec))
    reordered = dict(data.draw(st.permutations(list(row.items()))))
    quick = quick_values(spec, reordered)
    assert quick == quick_values(spec, row)
    if quick is not None:
        assert quick == model_values(spec, reordered)


@pytest.mark.parametrize("name", ["findings.csv", "assessments.csv"])
def test_the_quick_reading_reads_every_column_of_its_file(name):
    """A column added to the bundle must be read by the quick path too, or its rows would lose it."""
    spec = SPECS[name]
    quick = quick_values(spec, BASE[name])

    assert quick is not None and tuple(quick) == spec.columns


@pytest.mark.parametrize("name", ["findings.csv", "assessments.csv"])
def test_a_header_without_a_required_column_is_left_to_the_model(name):
    spec = SPECS[name]
    assert quick_rows.quick_reader(spec, [c for c in spec.columns if c != "visit_id"]) is None
