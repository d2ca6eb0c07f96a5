"""Word tables written as XML in one piece, and charts drawn several at once by one headless browser.

The table tests need no browser. The chart tests start Chromium (a second or two each), so they
draw small figures.
"""

import asyncio
import datetime as dt
import io
import os
import struct
import time
from importlib import import_module
from pathlib import Path

import docx
import kaleido
import plotly.graph_objects as go
import pytest
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Length
from kaleido._kaleido_tab import _KaleidoTab

from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services import chart_browser
from tracker.services.reports import charts
from tracker.services.reports.model import Chart, Document, Section, Table

# The module, not the function of the same name that the package exports.
render_docx = import_module("tracker.services.reports.render_docx")

TABLE = Table(
    header=["Area", "Open", "Note"],
    rows=[
        ["Border management", 3, " spaced "],
        ["Law & <order>", None, "one\ttab"],
        ["Aviation", 1.25, "two\r\nlines"],
        ["", 0, ""],
    ],
    title="Areas",
)


def _document(sections: list[Section]) -> Document:
    return Document(
        title="Report",
        level=Confidentiality.committee,
        generated_at=dt.datetime(2024, 5, 1, 12, 0),
        sections=sections,
    )


def _opened(content: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(content))


def _python_docx_table(table: Table, widths: list[int]):
    """The same table written cell by cell through python-docx's own API."""
    word = docx.Document()
    grid = word.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, widths):
        column.width = width
    numeric = table.numeric_columns
    for position, (row, values) in enumerate(zip(grid.rows, [table.header, *table.rows])):
        for cell, value, width, right in zip(row.cells, values, widths, numeric):
            paragraph = cell.paragraphs[0]
            paragraph._p.style = "TableText"
            run = paragraph.add_run(render_docx.cell_text(value) if position else value)
            run.bold = position == 0 or None
            if position and right:
                paragraph.alignment = 2  # right
            cell.width = width
    return grid._tbl


def test_a_table_is_what_python_docx_would_write_cell_by_cell():
    cells = render_docx._Cells.of(TABLE)
    widths = render_docx._column_widths(cells, Length(9000 * 635))
    written = render_docx.parse_xml(render_docx._table_xml(TABLE, cells, widths, "TableGrid"))
    expected = _python_docx_table(TABLE, widths)

    def shape(tbl):
        # Text as python-docx reads it back, and every cell's width, paragraph style and alignment.
        rows = []
        for tr in tbl.iter(qn("w:tr")):
            rows.append(
                [
                    (
                        "".join(
                            {qn("w:t"): t.text or "", qn("w:tab"): "\t", qn("w:br"): "\n"}.get(t.tag, "")
                            for t in tc.iter(qn("w:t"), qn("w:tab"), qn("w:br"))
                        ),
                        tc.tcPr.tcW.w,
                        tc.xpath("string(w:p/w:pPr/w:pStyle/@w:val)"),
                        tc.xpath("string(w:p/w:pPr/w:jc/@w:val)"),
                        bool(tc.xpath("w:p/w:r/w:rPr/w:b")),
                    )
                    for tc in tr.iter(qn("w:tc"))
                ]
            )
        return rows

    assert shape(written) == shape(expected)
    assert [c.w for c in written.tblGrid.gridCol_lst] == [c.w for c in expected.tblGrid.gridCol_lst]
    assert [(e.tag, dict(e.attrib)) for e in written.tblPr] == [(e.tag, dict(e.attrib)) for e in expected.tblPr]
    assert shape(written)[2][0][0] == "Law & <order>" and shape(written)[3][2][0] == "two\n\nlines"


def test_a_table_repeats_its_header_keeps_its_widths_and_stays_on_one_page_when_short():
    long = Table(header=["Finding", "Status"], rows=[[f"KOR-2023-F{n:03}", "open"] for n in range(40)])
    content = render_docx.render_docx(_document([Section("Areas", tables=[TABLE, long])]), charts=False)
    short_table, long_table = _opened(content).tables

    for table in (short_table, long_table):
        rows = table._tbl.tr_lst
        assert rows[0].xpath("w:trPr/w:tblHeader/@w:val") == ["true"]
        assert not any(row.trPr is not None and row.trPr.xpath("w:tblHeader") for row in rows[1:])
        assert table._tbl.tblPr.xpath("w:tblLayout/@w:type") == ["fixed"]
        grid = [column.w for column in table._tbl.tblGrid.gridCol_lst]
        assert all([cell.width for cell in row.cells] == grid for row in table.rows)
        assert {p.style.name for row in table.rows for cell in row.cells for p in cell.paragraphs} == {"Table Text"}
    # Every row of the short table but the last is kept with the next; the long one may split anywhere.
    assert [bool(row.xpath("w:tc/w:p/w:pPr/w:keepNext")) for row in short_table._tbl.tr_lst[1:]] == [
        True,
        True,
        True,
        False,
    ]
    assert not long_table._tbl.xpath(".//w:keepNext")
    assert [[cell.text for cell in row.cells] for row in short_table.rows][1:3] == [
        ["Border management", "3", " spaced "],
        ["Law & <order>", "—", "one\ttab"],
    ]


def test_sections_turn_the_pages_for_wide_tables_and_back():
    wide = Table(header=[f"Column {n}" for n in range(12)], rows=[["a-rather-long-word"] * 12])
    sections = [Section("Narrow", tables=[TABLE]), Section("Wide", tables=[wide]), Section("Narrow again")]
    document = _opened(render_docx.render_docx(_document(sections), charts=False))

    turned = [(section.orientation, section.page_width > section.page_height) for section in document.sections]
    assert [landscape for _, landscape in turned] == [False, False, False, True, False]
    assert all(len(section.header.paragraphs[0].text) > 0 for section in document.sections)


def _bars(height: int) -> Chart:
    figure = go.Figure(go.Bar(x=[1, 2, 3], y=[3, 1, 2]), layout=dict(height=height, width=300))
    return Chart(lambda: figure, f"Bars {height} high", f"Bars {height}")


def _png_height(image: bytes) -> int:
    assert image.startswith(b"\x89PNG")
    return struct.unpack(">I", image[20:24])[0]


def _browsers_of_this_process() -> list[int]:
    """Chromium processes started from this one, at any depth."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parents[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), command)
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, (parent, _) in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found = True
    return [pid for pid in mine if b"chrom" in parents.get(pid, (0, b""))[1]]


def test_charts_drawn_at_once_land_in_their_own_slots_in_order(monkeypatch):
    # How many tabs draw at the same moment.
    drawing, most = 0, 0
    calc_fig = _KaleidoTab._calc_fig

    async def counted(self, *args, **kwargs):
        nonlocal drawing, most
        drawing += 1
        most = max(most, drawing)
        try:
            return await calc_fig(self, *args, **kwargs)
        finally:
            drawing -= 1

    monkeypatch.setattr(_KaleidoTab, "_calc_fig", counted)
    heights = [200, 340, 260, 420, 300, 380, 220, 280]
    with chart_browser.image_server(2):
        images = charts.BackgroundImages([_bars(height) for height in heights])
        try:
            drawn = list(images)
        finally:
            images.close()
        assert _browsers_of_this_process()

    # Twice the height: the charts are drawn at scale 2.
    assert [_png_height(image) for image in drawn] == [2 * height for height in heights]
    assert most == 2
    assert _browsers_of_this_process() == []


def test_a_reused_tab_draws_the_same_picture_as_kaleido_with_a_fresh_page():
    figure = go.Figure(
        go.Heatmap(z=[[1, 50, 100], [20, 70, 0]], texttemplate="%{z}"), layout=dict(height=300, title="Heatmap")
    )
    options = charts._options(figure)
    fresh = asyncio.run(kaleido.calc_fig(figure, opts=options))

    with chart_browser.image_server(1):
        images = charts.BackgroundImages(
            [Chart(lambda: go.Figure(go.Bar(y=[1, 2])), "warm-up"), Chart(lambda: figure, "")]
        )
        reused = list(images)[1]

    assert reused == fresh


def test_a_chart_that_fails_raises_one_sentence_where_its_image_is_asked_for():
    def broken() -> go.Figure:
        raise ValueError("no data")

    with chart_browser.image_server(1):
        images = charts.BackgroundImages([_bars(200), Chart(broken, "", "Broken chart"), _bars(300)])
        first = next(iter_images := iter(images))
        with pytest.raises(TrackerError, match=r"^the chart 'Broken chart' could not be drawn \(ValueError: no data\)"):
            next(iter_images)
        images.close()

    assert _png_height(first) == 400
    assert _browsers_of_this_process() == []


def test_an_abandoned_document_stops_drawing(monkeypatch):
    started = 0
    calc_fig = chart_browser._Browser.calc_fig

    async def counted(self, *args, **kwargs):
        nonlocal started
        started += 1
        return await calc_fig(self, *args, **kwargs)

    monkeypatch.setattr(chart_browser._Browser, "calc_fig", counted)
    with chart_browser.image_server(1):
        images = charts.BackgroundImages([_bars(200 + n) for n in range(60)])
        next(iter(images))
        images.close()
        at_close = started
        time.sleep(1)

        assert started == at_close < 10
    assert _browsers_of_this_process() == []
