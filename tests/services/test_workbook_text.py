"""Any text of a cell comes back from an .xlsx exactly as written, by both workbook writers."""

import io

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook
from sqlalchemy import select, update

from tracker.models import Confidentiality, Finding
from tracker.services.bundle import matrix
from tracker.services.bundle.files import format_cell, unescape_cell
from tracker.services.bundle.workbook import export_workbook, workbook_sources
from tracker.services.people.access import LOCAL_ADMIN
from tracker.services.progress.compared import Comparison, Totals

# Text close to the escapes a reader decodes (`_xHHHH_`), and any text at all but the two
# non-characters U+FFFE and U+FFFF, which no .xlsx can hold (XML 1.0 has no place for them).
TEXTS = st.one_of(
    st.lists(
        st.sampled_from(
            ["_", "x", "_x", "0041", "00e9", "_x0041_", "_x005F_", "D83D", "A", "\x01", "\r", "\t", "=", "'", " "]
        )
    ).map("".join),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff")),
)


def _state_matrix(titles: list[str], evidence: list[str]) -> matrix.StateMatrix:
    count = len(titles)
    items = pd.DataFrame(
        {
            "finding_id": [f"KOR-2009-F{i:02d}" for i in range(count)],
            "area": ["LEG"] * count,
            "area_name": ["Legislation"] * count,
            "kind": ["shortfall"] * count,
            "priority": [False] * count,
            "severity": [""] * count,
            "title": titles,
            "source_ref": [""] * count,
            "raised_at": ["KOR-2009"] * count,
            "KOR-2023 status": ["initial_steps"] * count,
            "KOR-2023 evidence": evidence,
            matrix.assessed_header("KOR-2023"): [""] * count,
            matrix.LATEST_UPDATE_HEADER: [""] * count,
        }
    )
    return matrix.StateMatrix(
        "KOR",
        "Republic of Korea",
        "KOR-2009",
        "KOR-2023",
        ("KOR-2023",),
        Confidentiality.committee,
        items,
        Comparison("KOR", "KOR-2009", "KOR-2023", [], Totals(), {}),
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(TEXTS, TEXTS), min_size=1, max_size=5))
def test_every_text_comes_back_from_the_matrix_as_written(cells):
    titles, evidence = [t for t, _ in cells], [e for _, e in cells]
    data = matrix.matrix_bytes([_state_matrix(titles, evidence)])

    _, *rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("KOR").to_python()

    assert [unescape_cell(str(row[6])) for row in rows] == titles
    assert [unescape_cell(str(row[9])) for row in rows] == evidence


# Stored texts: PostgreSQL's text holds no NUL, and no way in stores one (the importer refuses it).
STORED_TEXTS = TEXTS.filter(lambda text: text.strip() and "\x00" not in text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(titles=st.lists(STORED_TEXTS, min_size=1, max_size=5))
def test_every_text_comes_back_from_the_workbook_bundle_as_written(demo_engine, tmp_path, titles):
    with demo_engine.begin() as connection:
        ids = connection.execute(select(Finding.finding_id).order_by(Finding.finding_id).limit(len(titles))).scalars()
        changed = dict(zip(ids, titles))
        for finding_id, title in changed.items():
            connection.execute(update(Finding).where(Finding.finding_id == finding_id).values(title=title))
    path = tmp_path / "bundle.xlsx"
    export_workbook(demo_engine, path, LOCAL_ADMIN, "restricted")

    findings = next(s for s in workbook_sources(path, str(path)) if s.name == "findings.csv")
    header_line, *rows = findings.sheet.read(None, None, None)
    at = {name: index for index, name in enumerate(header_line[1])}
    read = {cells[at["finding_id"]]: cells[at["title"]] for _, cells in rows}

    assert {finding_id: read[finding_id] for finding_id in changed} == {
        finding_id: format_cell(title) for finding_id, title in changed.items()
    }
