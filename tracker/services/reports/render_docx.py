"""A report as a Word document: title page, headings, real tables, charts as PNG, numbered pages."""

import io
from contextlib import nullcontext

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from tracker.services.reports import charts as chart_images
from tracker.services.reports.model import Document, Progress, Section, Table, cell_text

_PAGE_WIDTH, _PAGE_HEIGHT, _MARGIN = Cm(21), Cm(29.7), Cm(2)
_PORTRAIT_TEXT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN
_CHART_WIDTH = Cm(17)
_CELL_STYLE, _CELL_STYLE_ID = "Table Text", "TableText"
_FONT = "Arial"
# Table text is 8 pt Arial: at most about this wide per character, plus the cell's own margins.
_CHAR_WIDTH, _CELL_PADDING = Cm(0.17), Cm(0.4)
# Past this many characters a cell wraps anyway, so longer text asks for no more width.
_LONGEST_LINE = 80
_NARROWEST = 5
_SHORT_TABLE = 15


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in on every page."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    placeholder = OxmlElement("w:t")
    placeholder.text = "1"
    run.append(placeholder)
    field.append(run)
    paragraph._p.append(field)


def _page_setup(word: docx.document.Document, document: Document) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = _PAGE_WIDTH, _PAGE_HEIGHT
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = _MARGIN
    header = section.header.paragraphs[0]
    header.text = document.level_line
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    # Arial, or its metric twin Liberation Sans, is where Word and LibreOffice both run.
    for style in ("Normal", "Title", "Subtitle", "Caption", *(f"Heading {n}" for n in range(1, 4))):
        word.styles[style].font.name = _FONT
    word.styles["Normal"].font.size = Pt(10)
    # A paragraph style, not the table style's font: LibreOffice ignores fonts set on table styles.
    cell_style = word.styles.add_style(_CELL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    cell_style.style_id = _CELL_STYLE_ID
    cell_style.base_style = word.styles["Normal"]
    cell_style.font.size = Pt(8)
    cell_style.paragraph_format.space_after = Pt(0)


def _title_page(word: docx.document.Document, document: Document) -> None:
    word.add_paragraph(document.title, style="Title")
    if document.subtitle:
        word.add_paragraph(document.subtitle, style="Subtitle")
    word.add_paragraph().add_run(document.level_line).bold = True
    word.add_paragraph(document.generated_line)
    word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _orient(word: docx.document.Document, landscape: bool) -> None:
    """Turn the pages when a section's tables need it; headers and footers carry over."""
    current = word.sections[-1]
    if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    turned = word.add_section(WD_SECTION.NEW_PAGE)
    turned.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    turned.page_width, turned.page_height = current.page_height, current.page_width


def _text_width(word: docx.document.Document) -> int:
    section = word.sections[-1]
    return section.page_width - section.left_margin - section.right_margin


def _minimum_widths(table: Table) -> tuple[list[int], list[int]]:
    """Per column: the width of its longest word, and how many more characters it would like."""
    minimum, wrapping = [], []
    for position, header in enumerate(table.header):
        texts = [header, *(cell_text(row[position]) for row in table.rows)]
        shortest = max(_NARROWEST, *(len(word) for text in texts for word in text.split()))
        longest = min(max(len(text) for text in texts), _LONGEST_LINE)
        minimum.append(_CELL_PADDING + _CHAR_WIDTH * shortest)
        wrapping.append(max(longest - shortest, 0))
    return minimum, wrapping


def _needs_landscape(section: Section) -> bool:
    return any(sum(_minimum_widths(table)[0]) > _PORTRAIT_TEXT_WIDTH for table in section.tables)


def _column_widths(table: Table, text_width: int) -> list[int]:
    """Each column gets room for its longest word; what is left goes where text would wrap most."""
    minimum, wrapping = _minimum_widths(table)
    spare = text_width - sum(minimum)
    if spare <= 0:
        return [int(w * text_width / sum(minimum)) for w in minimum]
    shares = [n / sum(wrapping) for n in wrapping] if sum(wrapping) else [1 / len(minimum)] * len(minimum)
    return [int(w + spare * share) for w, share in zip(minimum, shares)]


def _cell_style(paragraph) -> None:
    # Set by id: python-docx looks a style up by name on every assignment, slowly.
    paragraph._p.style = _CELL_STYLE_ID


def _repeat_as_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    properties.append(flag)


def _table(word: docx.document.Document, table: Table) -> None:
    # A short table stays on one page with its caption; one taller than a page must be let split.
    keep_together = len(table.rows) <= _SHORT_TABLE and all(
        len(cell_text(cell)) <= _LONGEST_LINE for row in table.rows for cell in row
    )
    if table.title:
        word.add_paragraph(table.title, style="Caption").paragraph_format.keep_with_next = keep_together
    grid = word.add_table(rows=1, cols=len(table.header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    widths = _column_widths(table, _text_width(word))
    for column, width in zip(grid.columns, widths):
        column.width = width
    for cell, text, width in zip(grid.rows[0].cells, table.header, widths):
        _cell_style(cell.paragraphs[0])
        cell.paragraphs[0].add_run(text).bold = True
        cell.width = width
    _repeat_as_header(grid.rows[0])
    numeric = table.numeric_columns
    for position, values in enumerate(table.rows, start=1):
        for cell, value, width, right in zip(grid.add_row().cells, values, widths, numeric):
            cell.text = cell_text(value)
            _cell_style(cell.paragraphs[0])
            cell.paragraphs[0].paragraph_format.keep_with_next = keep_together and position < len(table.rows)
            cell.width = width
            if right:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    word.add_paragraph()


def render_docx(document: Document, charts: bool = True, progress: Progress | None = None) -> bytes:
    """The report as .docx bytes; `progress(done, total, label)` follows the charts, the slow part."""
    word = docx.Document()
    _page_setup(word, document)
    _title_page(word, document)
    total = document.chart_count if charts else 0
    drawn = 0
    with chart_images.image_server() if total else nullcontext():
        for section, depth in document.walk():
            _orient(word, _needs_landscape(section))
            word.add_heading(section.heading, level=min(depth, 9))
            for paragraph in section.paragraphs:
                word.add_paragraph(paragraph)
            for table in section.tables:
                _table(word, table)
            for figure in section.charts if charts else []:
                word.add_picture(io.BytesIO(chart_images.png(figure)), width=_CHART_WIDTH)
                drawn += 1
                if progress:
                    progress(drawn, total, section.heading)
    output = io.BytesIO()
    word.save(output)
    return output.getvalue()
