"""Word tables written as XML in one piece, and charts drawn several at once by one headless browser.

The table tests need no browser. The chart tests start Chromium (a second or two each), so they
draw small figures.
"""

import asyncio
import datetime as dt
import io
import os
import struct
import threading
from importlib import import_module
from pathlib import Path

import docx
import kaleido
import plotly.graph_objects as go
import pytest
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Length
from kaleido._kaleido_tab import _KaleidoTab

from tests.conftest import APP_TIMEOUT as WAIT
from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services.reports import chart_browser, charts, paper
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
    # Written into the body as it is; the document's root declares the namespace.
    xml = render_docx._table_xml(TABLE, cells, widths, "TableGrid")
    written = parse_xml(xml.replace(b"<w:tbl>", f"<w:tbl {nsdecls('w')}>".encode(), 1))
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
    # In the report's own template, as every chart of a report is drawn, whatever the process's default.
    figure = paper.on_paper(
        go.Figure(
            go.Heatmap(z=[[1, 50, 100], [20, 70, 0]], texttemplate="%{z}"), layout=dict(height=300, title="Heatmap")
        )
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
        # The thread handing figures in ends once it sees the stop: after that nothing more can start.
        for hand_in in [t for t in threading.enumerate() if t.name == "report-charts"]:
            hand_in.join(WAIT)
            assert not hand_in.is_alive()

        assert started == at_close < 10
    assert _browsers_of_this_process() == []


def _png(width: int) -> bytes:
    from PIL import Image as PillowImage

    output = io.BytesIO()
    PillowImage.new("RGB", (width, 10), "white").save(output, "PNG")
    return output.getvalue()


def test_pictures_are_hashed_once_when_added_and_the_same_bytes_are_one_image(monkeypatch):
    from docx.parts.image import ImagePart

    word = docx.Document()
    pictures = render_docx._Pictures(word)
    hashed = []
    # python-docx's own lookup reads every earlier image part's hash for each new picture.
    monkeypatch.setattr(ImagePart, "sha1", property(lambda part: hashed.append(part.partname) or ""))
    for shape, width in enumerate((10, 20, 30, 10), start=1):
        run = render_docx._picture(pictures, shape, _png(width), f"Chart {shape}", f"Alt {shape}")
        word.add_paragraph()._p.append(run)

    assert hashed == []
    assert len(word.part.package.image_parts) == 3
    saved = io.BytesIO()
    word.save(saved)
    reopened = docx.Document(saved)
    assert len(reopened.inline_shapes) == 4
    described = [shape._inline.docPr.get("descr") for shape in reopened.inline_shapes]
    assert described == ["Alt 1", "Alt 2", "Alt 3", "Alt 4"]
    assert len({part.partname for part in reopened.part.package.image_parts}) == 3


class _Drawn:
    """Charts "drawn" as plain PNGs of their own width, in order, with no browser."""

    def __init__(self, drawing: list[Chart]):
        self.images = [_png(int(chart.title.split()[-1])) for chart in drawing]

    def __iter__(self):
        return iter(self.images)

    def close(self) -> None:
        pass


def test_a_body_written_through_a_temporary_file_keeps_its_blocks_and_pictures_in_order(monkeypatch):
    from contextlib import nullcontext
    from zipfile import ZipFile

    from tracker.services.reports import docx_stream

    # A body this small spills to a file and is copied back a few bytes at a time.
    monkeypatch.setattr(docx_stream, "_IN_MEMORY", 64)
    monkeypatch.setattr(docx_stream, "_CHUNK", 7)
    monkeypatch.setattr(render_docx.chart_browser, "image_server", lambda *_: nullcontext())
    monkeypatch.setattr(render_docx.chart_images, "BackgroundImages", _Drawn)
    wide = Table(header=[f"Column {n}" for n in range(12)], rows=[["a-rather-long-word"] * 12])

    def chart(width: int) -> Chart:
        return Chart(lambda: go.Figure(), f"Alt {width}", f"Chart {width}")

    sections = [
        Section("Narrow", paragraphs=["First"], tables=[TABLE], charts=[chart(10), chart(20)]),
        Section("Wide", tables=[wide], charts=[chart(30)]),
        Section("Last", paragraphs=["Second ünïcode – text"], charts=[chart(10)]),
    ]
    content = render_docx.render_docx(_document(sections))
    document = _opened(content)

    blocks = []
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            blocks.append(("table", block.rows[0].cells[0].text))
        elif block._p.xpath(".//wp:docPr"):
            blocks.append(("picture", block._p.xpath("string(.//wp:docPr/@descr)")))
        elif block.text and block.style.name.startswith(("Heading", "Body")):
            blocks.append((block.style.name, block.text))
    assert blocks[-11:] == [
        ("Heading 1", "I. Narrow"),
        ("Body Numbered", "1.\tFirst"),
        ("table", "Area"),
        ("picture", "Alt 10"),
        ("picture", "Alt 20"),
        ("Heading 1", "II. Wide"),
        ("table", "Column 0"),
        ("picture", "Alt 30"),
        ("Heading 1", "III. Last"),
        ("Body Numbered", "2.\tSecond ünïcode – text"),
        ("picture", "Alt 10"),
    ]
    # The same bytes twice are one image; every shape has its own id.
    assert len(document.part.package.image_parts) == 3
    assert len({shape._inline.docPr.id for shape in document.inline_shapes}) == 4
    assert [s.orientation == 1 for s in document.sections][-3:] == [False, True, False]
    body = ZipFile(io.BytesIO(content)).read("word/document.xml")
    # Declared once, on the document, as python-docx writes it; the text is UTF-8 as it is.
    assert body.count(b'xmlns:w="') == 1
    assert "Second ünïcode – text".encode() in body


def test_characters_xml_cannot_hold_are_left_out_of_tables_and_paragraphs():
    # A vertical tab or a form feed pasted from another program; Word cannot open a file holding them.
    pasted = Table(header=["Finding", "Note"], rows=[["Border\x0bcontrols", "one\x0ctwo & <three>"], ["\x00", 2]])
    section = Section("Pasted", paragraphs=["Seen\x0b at the visit"], tables=[pasted])
    document = _opened(render_docx.render_docx(_document([section]), charts=False))

    assert [[cell.text for cell in row.cells] for row in document.tables[0].rows] == [
        ["Finding", "Note"],
        ["Bordercontrols", "onetwo & <three>"],
        ["", "2"],
    ]
    assert "1.\tSeen at the visit" in [p.text for p in document.paragraphs]


def test_a_browser_kept_open_serves_the_reports_asked_for_meanwhile_and_ends_with_its_hold():
    chart_browser.keep_open(600)
    try:
        kept = chart_browser.running()
        assert kept is not None
        with chart_browser.image_server(1):
            images = charts.BackgroundImages([_bars(200)])
            assert _png_height(next(iter(images))) == 400
            assert chart_browser.running() is kept
        # The report is done; the hold keeps the browser, and a second call renews it without another.
        assert chart_browser.running() is kept
        chart_browser.keep_open(600)
        assert chart_browser.running() is kept
    finally:
        # What the process's exit does with a hold still running.
        chart_browser._close_at_exit()
    assert chart_browser.running() is None
    assert _browsers_of_this_process() == []


def test_a_word_report_starts_its_browser_before_the_document_is_built(demo_engine):
    from tracker.services.people.access import LOCAL_ADMIN
    from tracker.services.reports.documents import build_state_report, render_built

    started = []

    def build() -> Document:
        started.append(chart_browser.running() is not None)
        return build_state_report(demo_engine, LOCAL_ADMIN, "KOR")

    document, content = render_built(build, "docx", tabs=1)

    assert started == [True]
    assert content.startswith(b"PK") and document.chart_count >= 1
    assert chart_browser.running() is None
    assert _browsers_of_this_process() == []
