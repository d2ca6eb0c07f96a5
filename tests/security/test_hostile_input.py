"""Hostile or broken input: a clear error or plain text, never a traceback, never a partial write."""

import csv
import datetime as dt
import io
import os
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import finding_row, write_bundle
from tracker.errors import TrackerError
from tracker.services.bundle import exporter
from tracker.services.bundle.files import SPECS
from tracker.services.bundle.importer import import_bundle
from tracker.services.bundle.sources import sources_from_paths, sources_from_uploads
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.records import editing as records

from .conftest import dump

FORMULAS = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "\tindent", '=HYPERLINK("http://x","y")', "'=already quoted"]
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _import(engine, *uploads: tuple[str, bytes]):
    return import_bundle(engine, sources_from_uploads(list(uploads)), LOCAL_ADMIN)


def _findings_csv(*titles: str) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["finding_id", "visit_id", "area", "kind", "title"])
    for i, title in enumerate(titles):
        writer.writerow([f"KOR-2023-X{i}", "KOR-2023", "LEG", "shortfall", title])
    return text.getvalue().encode()


def test_formulas_are_stored_as_text_and_exported_behind_a_quote(demo_engine, tmp_path):
    assert _import(demo_engine, ("findings.csv", _findings_csv(*FORMULAS))).ok
    stored = records.list_findings(demo_engine, LOCAL_ADMIN, visit_id="KOR-2023", text="X")[0]
    titles = dict(zip(stored["finding_id"], stored["title"]))
    # Import removes exactly one protective quote; a formula without one is kept as typed.
    assert [titles[f"KOR-2023-X{i}"] for i in range(len(FORMULAS))] == [
        *FORMULAS[:4],
        "indent",
        FORMULAS[5],
        "=already quoted",
    ]
    exporter.export_bundle(demo_engine, tmp_path / "out", LOCAL_ADMIN)
    exported = (tmp_path / "out" / "findings.csv").read_text()
    for formula in ["'=1+1", "'+SUM(A1:A9)", "'-2+3", "'@cmd", "'=already quoted"]:
        assert f",{formula}," in exported or f',"{formula}' in exported


def test_a_script_in_a_title_is_plain_text_in_an_html_report(demo_engine, tmp_path):
    from tracker.services.reports import documents as reports

    assert _import(demo_engine, ("findings.csv", _findings_csv(SCRIPT))).ok
    html = reports.render(reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR"), "html", charts=False).decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_a_script_in_an_area_name_is_inert_in_the_html_charts(demo_engine):
    from tracker.services.reports import documents as reports

    areas = b"code,name\nLEG," + SCRIPT.replace('"', "'").encode() + b"\n"
    assert _import(demo_engine, ("areas.csv", areas)).ok
    html = reports.render(reports.build_state_report(demo_engine, LOCAL_ADMIN, "KOR"), "html").decode()
    assert "<script>alert" not in html and "</script><img" not in html


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_UPLOAD_MB", "1")
    with pytest.raises(TrackerError, match="larger than the 1 MB"):
        sources_from_uploads([("findings.csv", b"x" * (1024 * 1024 + 1))])


def test_a_zip_that_unpacks_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_UPLOAD_MB", "1")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("findings.csv", b"finding_id\n" + b"a" * (2 * 1024 * 1024))
    assert len(packed.getvalue()) < 1024 * 1024
    with pytest.raises(TrackerError, match="larger than the 1 MB"):
        sources_from_uploads([("bundle.zip", packed.getvalue())])


HEADER = "finding_id,visit_id,area,kind,title\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((HEADER + "KOR-2023-X,KOR-2023,LEG,shortfall,Café").encode("latin-1"), "is not UTF-8 text"),
        ((HEADER + "KOR-2023-X,KOR-2023,LEG,shortfall,Café").encode("utf-16"), "is not UTF-8 text"),
        (bytes(range(256)) * 4, "is not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not UTF-8 text"),
        (HEADER.encode() + b"KOR-2023-X,KOR-2023,LEG,shortfall,A\x00B\n", "binary data"),
        (HEADER.encode() + b'KOR-2023-X,KOR-2023,LEG,shortfall,"unclosed', "check its quotes"),
    ],
    ids=["latin-1", "utf-16", "junk", "png", "nul", "quote"],
)
def test_unreadable_files_get_one_clear_error_and_write_nothing(demo_engine, content, message):
    before = dump(demo_engine)
    result = _import(demo_engine, ("findings.csv", content))
    assert not result.ok
    assert result.error_count == 1 and message in str(result.errors[0])
    assert dump(demo_engine) == before


def test_a_bad_row_after_good_ones_writes_nothing(demo_engine, tmp_path):
    rows = [finding_row(f"KOR-2023-G{i}", "KOR-2023") for i in range(5000)] + [
        finding_row("KOR-2023-BAD", "KOR-2023", kind="rumour")
    ]
    before = dump(demo_engine)
    result = import_bundle(demo_engine, sources_from_paths([write_bundle(tmp_path, findings=rows)]), LOCAL_ADMIN)
    assert not result.ok and result.errors[0].line == 5002
    assert dump(demo_engine) == before


# ---------------------------------------------------------------- fuzzing

hostile = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [*FORMULAS, SCRIPT, "", " ", "\x00", "\r\n", '"', "'", ";", "9" * 40, "-1", "1e309", "2023-02-30", "x" * 600]
    ),
)


prose = st.text(st.characters(exclude_characters="\x00"), max_size=40)
# Mostly plausible values, so that rows reach the reference checks and the database.
PLAUSIBLE = {
    "code": st.sampled_from(["LEG", "NEW", "OTHER", "LEG.NEW", "CJ.MLA"]),
    "name": st.text(min_size=1, max_size=30),
    "parent": st.sampled_from(["", "", "LEG", "NEW"]),
    "cross_cutting": st.sampled_from(["true", "false", "yes", "0"]),
    "sort_order": st.one_of(st.integers(0, 99), st.integers(-(10**20), 10**20)).map(str),
    "visit_id": st.sampled_from(["KOR-2009", "KOR-2023", "KOR-2023", "KOR-2031"]),
    "state": st.sampled_from(["KOR", "FRA", "kor"]),
    "start_date": st.one_of(st.just("2031-01-05"), st.dates().map(dt.date.isoformat)),
    "end_date": st.one_of(st.just("2031-01-09"), st.dates().map(dt.date.isoformat)),
    "baseline_visit_id": st.sampled_from(["", "KOR-2009", "KOR-2023"]),
    "lead": prose,
    "partners": st.sampled_from(["", "ICAO", "ICAO;UNODC", "NOBODY"]),
    "resolutions": st.sampled_from(["", "1373", "1373 (2001); 2178", "S/RES/2396 (2017)", "9999"]),
    "summary": prose,
    "finding_id": st.from_regex(r"KOR-20(09|23|31)-[A-Z][0-9]{1,3}", fullmatch=True),
    "area": st.sampled_from(["LEG", "BM.AVIATION", "ICT", "ict", "NOPE"]),
    "title": prose.filter(str.strip),
    "detail": prose,
    "priority": st.sampled_from(["true", "false", ""]),
    "severity": st.sampled_from(["", "major", "minor"]),
    "source_ref": prose,
    "continues": st.sampled_from(["", "KOR-2009-F01", "KOR-2009-F02"]),
    "status": st.sampled_from(["fully_implemented", "not_assessed", "initial_steps"]),
    "evidence": prose,
    "assessed_on": st.one_of(st.just(""), st.dates().map(dt.date.isoformat)),
    "meeting_id": st.from_regex(r"KOR-20(23|31)-M[0-9]{1,3}", fullmatch=True),
    "date": st.one_of(st.just(""), st.dates().map(dt.date.isoformat)),
    "counterpart": prose,
    "sector": st.sampled_from(["government", "academia", "press"]),
    "notes": prose,
    "confidentiality": st.sampled_from(["", "public", "committee", "restricted", "Restricted", "secret"]),
    "modality": st.sampled_from(["", "in_person", "virtual"]),
}
KINDS = {
    "visits.csv": ["follow_up", "comprehensive"],
    "findings.csv": ["shortfall", "recommendation", "good_practice"],
    "meetings.csv": ["technical", "closing"],
}


@st.composite
def csv_files(draw):
    spec = draw(st.sampled_from(list(SPECS.values())))
    optional = [c for c in spec.columns if c not in spec.required]
    columns = list(spec.required) + (draw(st.lists(st.sampled_from(optional), unique=True)) if optional else [])
    if draw(st.integers(0, 9)) == 0:
        columns = draw(st.lists(st.sampled_from(spec.columns), min_size=1, unique=True))
    columns = draw(st.permutations(columns))
    header = [draw(st.sampled_from([c, c.upper(), c.title(), f" {c} "])) for c in columns]
    if draw(st.integers(0, 9)) == 0:
        header.append(draw(st.text(max_size=10)))

    # Some files are all plausible, so that they are written; others mix in hostile cells.
    odds = draw(st.sampled_from([0, 0, 2, 5]))

    def cell(column):
        usual = st.sampled_from(KINDS.get(spec.name, [""])) if column == "kind" else PLAUSIBLE.get(column, hostile)
        return st.one_of(*[usual] * odds, hostile) if odds else usual

    rows = draw(st.lists(st.tuples(*[cell(c) for c in columns] + [hostile] * (len(header) - len(columns))), max_size=6))
    delimiter = draw(st.sampled_from([",", ";"]))
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    encoded = text.getvalue().encode("utf-8", "surrogatepass")
    return spec.name, (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + encoded


# FUZZ_EXAMPLES=5000 for a long hunt; the default keeps the suite quick.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _import_leaves_no_trace_on_error(engine, uploads) -> None:
    before = dump(engine)
    try:
        result = import_bundle(engine, sources_from_uploads(uploads), LOCAL_ADMIN)
    except TrackerError:
        result = None
    if result is None or not result.ok:
        assert dump(engine) == before


@FUZZ
@given(name=st.sampled_from(list(SPECS)), headed=st.booleans(), content=st.binary(max_size=300))
def test_fuzz_random_bytes_never_escape_as_an_exception(demo_engine, name, headed, content):
    header = (",".join(SPECS[name].columns) + "\n").encode() if headed else b""
    _import_leaves_no_trace_on_error(demo_engine, [(name, header + content)])


@FUZZ
@given(files=st.lists(csv_files(), min_size=1, max_size=3, unique_by=lambda f: f[0]))
def test_fuzz_hostile_csv_never_escapes_as_an_exception(demo_engine, files):
    _import_leaves_no_trace_on_error(demo_engine, files)
