"""A report as a Word document: title page, contents, numbered headings and paragraphs, real tables,
charts as PNG with alt text, the marking on every page and in the document's properties.

python-docx has no API for a contents field, a picture's alt text or a field in a footer, so
those are written through its documented low-level access (`OxmlElement`, `qn`, `._p`,
`._inline`), as the python-docx documentation suggests for features it does not wrap.
"""

import io
import re
from contextlib import nullcontext

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from lxml import etree

from tracker.services.reports import charts as chart_images
from tracker.services.reports.model import (
    ILLUSTRATIVE_BANNER,
    NONE_RECORDED,
    Document,
    Progress,
    Section,
    Table,
    cell_text,
    numbered,
)

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
_TR, _TC, _TC_PR, _TC_W, _P, _P_PR, _P_STYLE, _KEEP_NEXT, _JC, _R, _T, _TAB, _BR = (
    qn(f"w:{name}")
    for name in ("tr", "tc", "tcPr", "tcW", "p", "pPr", "pStyle", "keepNext", "jc", "r", "t", "tab", "br")
)
_W, _TYPE, _VAL, _SPACE = qn("w:w"), qn("w:type"), qn("w:val"), qn("xml:space")


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
    header.text = document.marking
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{document.marking}    Page ")
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
    # Numbered paragraphs hang their number in the margin of the text, as United Nations documents do.
    body = word.styles.add_style("Body Numbered", WD_STYLE_TYPE.PARAGRAPH)
    body.base_style = word.styles["Normal"]
    body.paragraph_format.left_indent = Cm(0.9)
    body.paragraph_format.first_line_indent = Cm(-0.9)
    body.paragraph_format.tab_stops.add_tab_stop(Cm(0.9))
    body.paragraph_format.space_after = Pt(6)
    caption = word.styles["Caption"]
    caption.paragraph_format.space_before = Pt(10)
    caption.font.size = Pt(9)


def _properties(word: docx.document.Document, document: Document) -> None:
    """Title, subject, author and keywords, so the marking travels with the file, not only its pages."""
    properties = word.core_properties
    properties.title = document.title
    properties.subject = f"{document.subtitle} ({document.marking})" if document.subtitle else document.marking
    properties.author = properties.last_modified_by = document.author
    properties.keywords = _keywords_within(document.keywords, _CORE_PROPERTY_LIMIT)
    properties.category = document.marking
    properties.comments = document.generated_line
    properties.created = properties.modified = document.generated_at.replace(tzinfo=None)
    properties.revision = 1


# Word's core properties hold at most 255 characters each; python-docx refuses a longer one.
_CORE_PROPERTY_LIMIT = 255


def _keywords_within(keywords: list[str], limit: int) -> str:
    """As many whole keywords as fit (a period report names every State), the level always kept last."""
    *leading, last = keywords or [""]
    kept: list[str] = []
    for keyword in leading:
        if len("; ".join([*kept, keyword, last])) > limit:
            break
        kept.append(keyword)
    return "; ".join([*kept, last])[:limit]


def _boxed(paragraph) -> None:
    """A border round a paragraph, for the banner that says the data are illustrative."""
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{side}")
        for name, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", "000000")):
            line.set(qn(f"w:{name}"), value)
        borders.append(line)
    paragraph._p.get_or_add_pPr().append(borders)


def _title_page(word: docx.document.Document, document: Document) -> None:
    word.add_paragraph(document.title, style="Title")
    if document.subtitle:
        word.add_paragraph(document.subtitle, style="Subtitle")
    if document.scope:
        word.add_paragraph(document.scope)
    word.add_paragraph(document.date_line)
    marking = word.add_paragraph()
    marking.add_run(document.marking).bold = True
    if document.illustrative:
        banner = word.add_paragraph()
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        banner.add_run(ILLUSTRATIVE_BANNER).bold = True
        _boxed(banner)
    word.add_paragraph(document.generated_line)


def _complex_field(paragraph, instruction: str, part: str) -> None:
    """One part (begin, separate, end) of a field whose result spans several paragraphs."""
    if part == "begin":
        for kind, text in (("begin", None), (None, instruction), ("separate", None)):
            run = OxmlElement("w:r")
            if kind:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                if kind == "begin":
                    char.set(qn("w:dirty"), "true")
                run.append(char)
            else:
                code = OxmlElement("w:instrText")
                code.set(qn("xml:space"), "preserve")
                code.text = text
                run.append(code)
            paragraph._p.append(run)
    else:
        run = OxmlElement("w:r")
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), "end")
        run.append(char)
        paragraph._p.append(run)


def _contents(word: docx.document.Document, document: Document) -> None:
    """A contents field (Word's TOC) whose stored result lists the headings, so it reads before any update."""
    word.add_paragraph("Contents", style="TOC Heading" if "TOC Heading" in word.styles else "Heading 1")
    entries = [(depth, numbered(number, section.heading)) for section, depth, number in document.walk() if depth <= 2]
    for position, (depth, text) in enumerate(entries):
        paragraph = word.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(0.8 * (depth - 1))
        paragraph.paragraph_format.space_after = Pt(2)
        if position == 0:
            _complex_field(paragraph, 'TOC \\o "1-2" \\h \\z \\u', "begin")
        paragraph.add_run(text)
        if position == len(entries) - 1:
            _complex_field(paragraph, "", "end")
    # Word refreshes the field (and its page numbers) when the file is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    word.settings.element.append(update)


def _new_section(word: docx.document.Document, landscape: bool | None = None) -> None:
    """Start a new page in a section of its own; headers and footers carry over.

    python-docx puts the section break in a new empty paragraph, which spills onto a page of its
    own when the page above is full: the break moves into the paragraph before it instead.
    """
    current = word.sections[-1]
    turned = word.add_section(WD_SECTION.NEW_PAGE)
    if landscape is not None and (current.orientation == WD_ORIENT.LANDSCAPE) != landscape:
        turned.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        turned.page_width, turned.page_height = current.page_height, current.page_width
    body = word.element.body
    breaks = [p for p in body.iterchildren(qn("w:p")) if p.pPr is not None and p.pPr.sectPr is not None]
    holder = breaks[-1]
    previous = holder.getprevious()
    if previous is not None and previous.tag == qn("w:p") and (previous.pPr is None or previous.pPr.sectPr is None):
        previous.get_or_add_pPr().append(holder.pPr.sectPr)
        body.remove(holder)
    else:
        _hairline(holder)


def _hairline(paragraph_element) -> None:
    """An empty paragraph Word needs (after a table) made one point high, so it never fills a page."""
    properties = paragraph_element.get_or_add_pPr()
    spacing = OxmlElement("w:spacing")
    for name, value in (("before", "0"), ("after", "0"), ("line", "20"), ("lineRule", "exact")):
        spacing.set(qn(f"w:{name}"), value)
    properties.insert(0, spacing)


class _Flow:
    """Where the writing is: whether the page is still empty and which way it is turned."""

    def __init__(self, word: docx.document.Document):
        self.word = word
        self.fresh = True

    def start(self, section: Section) -> None:
        """Turn the pages when a section's tables need it, and start a part on a new page, never on a blank one."""
        landscape = _needs_landscape(section)
        current = self.word.sections[-1]
        if (current.orientation == WD_ORIENT.LANDSCAPE) != landscape:
            if self.fresh:
                current.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
                current.page_width, current.page_height = current.page_height, current.page_width
            else:
                _new_section(self.word, landscape)
            self.fresh = True
        elif section.new_page and not self.fresh:
            _new_section(self.word)
            self.fresh = True


def _text_width(word: docx.document.Document) -> int:
    section = word.sections[-1]
    width, left, right = section.page_width, section.left_margin, section.right_margin
    # python-docx reads these from the document; the default template sets all three.
    assert width is not None and left is not None and right is not None
    return width - left - right


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
    _append_rows(grid, table, widths, keep_together)


_BREAKS = re.compile(r"([\t\r\n])")


def _append_rows(grid, table: Table, widths: list[int], keep_together: bool) -> None:
    """The body rows written as WordprocessingML at once: what `cell.text`, `cell.width` and the
    paragraph properties would write, without python-docx's per-cell objects (a period report
    has hundreds of thousands of cells)."""
    twips = [str(Length(width).twips) for width in widths]
    numeric = table.numeric_columns
    tbl = grid._tbl
    for position, values in enumerate(table.rows, start=1):
        keep = keep_together and position < len(table.rows)
        row = etree.SubElement(tbl, _TR)
        for value, width, right in zip(values, twips, numeric):
            cell = etree.SubElement(row, _TC)
            etree.SubElement(etree.SubElement(cell, _TC_PR), _TC_W, {_W: width, _TYPE: "dxa"})
            paragraph = etree.SubElement(cell, _P)
            properties = etree.SubElement(paragraph, _P_PR)
            etree.SubElement(properties, _P_STYLE, {_VAL: _CELL_STYLE_ID})
            if keep:
                etree.SubElement(properties, _KEEP_NEXT)
            if right:
                etree.SubElement(properties, _JC, {_VAL: "right"})
            run = etree.SubElement(paragraph, _R)
            for part in _BREAKS.split(cell_text(value)):
                if part == "\t":
                    etree.SubElement(run, _TAB)
                elif part in ("\r", "\n"):
                    etree.SubElement(run, _BR)
                elif part:
                    etree.SubElement(run, _T, {_SPACE: "preserve"}).text = part


def _picture(paragraph, image: bytes, title: str, alt_text: str) -> None:
    """The chart as a picture with alt text (wp:docPr descr), which python-docx does not set itself."""
    shape = paragraph.add_run().add_picture(io.BytesIO(image), width=_CHART_WIDTH)
    properties = shape._inline.docPr
    properties.set("title", title)
    properties.set("descr", alt_text)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(8)


def _end_after_table(word: docx.document.Document) -> None:
    """Word needs a paragraph after a table that ends the document; one point high, it never adds a page."""
    body = word.element.body
    last = body[-2] if body[-1].tag == qn("w:sectPr") else body[-1]
    if last.tag == qn("w:tbl"):
        _hairline(word.add_paragraph()._p)


def render_docx(document: Document, charts: bool = True, progress: Progress | None = None) -> bytes:
    """The report as .docx bytes; `progress(done, total, label)` follows the charts, the slow part."""
    word = docx.Document()
    _page_setup(word, document)
    _properties(word, document)
    _title_page(word, document)
    _new_section(word)
    _contents(word, document)
    _new_section(word)
    flow = _Flow(word)
    drawing = [chart for section, _, _ in document.walk() for chart in section.charts] if charts else []
    placed: list[tuple[object, str]] = []
    paragraph_number = 0
    with chart_images.image_server() if drawing else nullcontext():
        # The browser draws the charts while the text and tables are written; each picture then
        # goes into the paragraph kept for it.
        images = chart_images.BackgroundImages(drawing)
        try:
            for section, depth, number in document.walk():
                flow.start(section)
                word.add_heading(numbered(number, section.heading), level=min(depth, 9))
                flow.fresh = False
                previous_table = False
                for paragraph in section.paragraphs or ([] if section.subsections else [NONE_RECORDED]):
                    if paragraph == NONE_RECORDED:
                        word.add_paragraph(paragraph)
                        continue
                    paragraph_number += 1
                    word.add_paragraph(f"{paragraph_number}.\t{paragraph}", style="Body Numbered")
                for table in section.tables:
                    if previous_table and not table.title:
                        word.add_paragraph()
                    _table(word, table)
                    previous_table = True
                placed += [(word.add_paragraph(), section.heading) for _ in (section.charts if charts else [])]
            for drawn, (chart, (slot, heading), image) in enumerate(zip(drawing, placed, images), start=1):
                _picture(slot, image, chart.title, chart.alt_text)
                if progress:
                    progress(drawn, len(drawing), heading)
        finally:
            images.close()
    _end_after_table(word)
    output = io.BytesIO()
    word.save(output)
    return output.getvalue()
