"""A report as a Word document: title page, contents, numbered headings and paragraphs, real tables,
charts as PNG with alt text, the marking on every page and in the document's properties.

python-docx has no API for a contents field, a picture's alt text or a field in a footer, so
those are written through its documented low-level access (`OxmlElement`, `qn`, `._p`,
`._inline`), as the python-docx documentation suggests for features it does not wrap.
"""

import io
import re
from contextlib import nullcontext
from dataclasses import dataclass
from xml.sax.saxutils import escape

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.shape import CT_Inline
from docx.section import Section as DocxSection
from docx.shared import Cm, Length, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from tracker.services import chart_browser
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
_P, _TBL = qn("w:p"), qn("w:tbl")


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


class _Body:
    """The document's body as it is written: its blocks in reading order, put into the document at
    the end, and the section they fall in (the document's last `w:sectPr`).

    python-docx's `add_paragraph`, `add_table` and `sections` look through the whole body on every
    call, which makes a period report (thousands of blocks, hundreds of sections) quadratic.
    """

    def __init__(self, word: docx.document.Document):
        self.word = word
        self.blocks: list[etree._Element] = []
        self.sentinel = word.element.body.get_or_add_sectPr()
        # Whether the page is still empty: a part that starts on a new page never leaves a blank one.
        self.fresh = True
        self._style_ids: dict[str, str] = {}
        # The cells of the section being written, measured once for its turn and its column widths.
        self._cells: dict[int, _Cells] = {}

    @property
    def section(self) -> DocxSection:
        return DocxSection(self.sentinel, self.word.part)

    def style_id(self, name: str) -> str:
        # python-docx looks a style up by name through every style on each assignment, slowly.
        if name not in self._style_ids:
            self._style_ids[name] = self.word.styles[name].style_id
        return self._style_ids[name]

    def paragraph(self, text: str = "", style: str | None = None) -> Paragraph:
        element = OxmlElement("w:p")
        if style is not None:
            element.style = self.style_id(style)
        paragraph = Paragraph(element, self.word)
        if text:
            paragraph.add_run(text)
        self.blocks.append(element)
        return paragraph

    def heading(self, text: str, level: int) -> Paragraph:
        return self.paragraph(text, f"Heading {level}")

    def new_section(self, landscape: bool | None = None) -> None:
        """Start a new page in a section of its own; headers and footers carry over.

        The section that ends keeps a copy of the properties in its last paragraph, as python-docx's
        `add_section` does; the break goes into the paragraph before rather than into an empty one,
        which would spill onto a page of its own when the page above is full.
        """
        ending = self.sentinel.clone()
        for reference in self.sentinel.xpath("w:headerReference|w:footerReference"):
            self.sentinel.remove(reference)
        section = self.section
        section.start_type = WD_SECTION.NEW_PAGE
        if landscape is not None and (section.orientation == WD_ORIENT.LANDSCAPE) != landscape:
            _turn(section, landscape)
        previous = self.blocks[-1] if self.blocks else None
        if previous is not None and previous.tag == _P and (previous.pPr is None or previous.pPr.sectPr is None):
            previous.get_or_add_pPr().append(ending)
        else:
            holder = OxmlElement("w:p")
            holder.set_sectPr(ending)
            _hairline(holder)
            self.blocks.append(holder)

    def start(self, section: Section) -> None:
        """Turn the pages when a section's tables need it, and start a part on a new page, never on a blank one."""
        self._cells = {id(table): _Cells.of(table) for table in section.tables}
        landscape = any(sum(cells.minimum) > _PORTRAIT_TEXT_WIDTH for cells in self._cells.values())
        if (self.section.orientation == WD_ORIENT.LANDSCAPE) != landscape:
            if self.fresh:
                _turn(self.section, landscape)
            else:
                self.new_section(landscape)
            self.fresh = True
        elif section.new_page and not self.fresh:
            self.new_section()
            self.fresh = True

    def text_width(self) -> int:
        section = self.section
        width, left, right = section.page_width, section.left_margin, section.right_margin
        # python-docx reads these from the document; the default template sets all three.
        assert width is not None and left is not None and right is not None
        return width - left - right

    def table(self, table: Table) -> None:
        cells = self._cells.get(id(table)) or _Cells.of(table)
        if table.title:
            self.paragraph(table.title, style="Caption").paragraph_format.keep_with_next = cells.keep_together
        widths = _column_widths(cells, self.text_width())
        self.blocks.append(parse_xml(_table_xml(table, cells, widths, self.style_id("Table Grid"))))

    def finish(self) -> None:
        """Put the blocks into the document, before its last section's properties."""
        # Word needs a paragraph after a table that ends the document; one point high, it never adds a page.
        if self.blocks and self.blocks[-1].tag == _TBL:
            _hairline(self.paragraph()._p)
        for block in self.blocks:
            self.sentinel.addprevious(block)
        self.blocks = []


def _turn(section: DocxSection, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = section.page_height, section.page_width


def _title_page(body: _Body, document: Document) -> None:
    body.paragraph(document.title, style="Title")
    if document.subtitle:
        body.paragraph(document.subtitle, style="Subtitle")
    if document.scope:
        body.paragraph(document.scope)
    body.paragraph(document.date_line)
    marking = body.paragraph()
    marking.add_run(document.marking).bold = True
    if document.illustrative:
        banner = body.paragraph()
        banner.alignment = WD_ALIGN_PARAGRAPH.CENTER
        banner.add_run(ILLUSTRATIVE_BANNER).bold = True
        _boxed(banner)
    body.paragraph(document.generated_line)


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


def _contents(body: _Body, document: Document) -> None:
    """A contents field (Word's TOC) whose stored result lists the headings, so it reads before any update."""
    word = body.word
    body.paragraph("Contents", style="TOC Heading" if "TOC Heading" in word.styles else "Heading 1")
    entries = [(depth, numbered(number, section.heading)) for section, depth, number in document.walk() if depth <= 2]
    for position, (depth, text) in enumerate(entries):
        paragraph = body.paragraph()
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


def _hairline(paragraph_element) -> None:
    """An empty paragraph Word needs (after a table) made one point high, so it never fills a page."""
    properties = paragraph_element.get_or_add_pPr()
    spacing = OxmlElement("w:spacing")
    for name, value in (("before", "0"), ("after", "0"), ("line", "20"), ("lineRule", "exact")):
        spacing.set(qn(f"w:{name}"), value)
    properties.insert(0, spacing)


@dataclass
class _Cells:
    """A table's cell texts and the room its columns need."""

    texts: list[list[str]]
    # Per column: the width of its longest word, and how many more characters it would like.
    minimum: list[int]
    wrapping: list[int]
    # A short table stays on one page with its caption; one taller than a page must be let split.
    keep_together: bool

    @classmethod
    def of(cls, table: Table) -> "_Cells":
        texts = [[cell_text(value) for value in row] for row in table.rows]
        minimum, wrapping = [], []
        for position, header in enumerate(table.header):
            column = [header, *(row[position] for row in texts)]
            shortest = max(_NARROWEST, max(map(len, " ".join(column).split()), default=0))
            longest = min(max(map(len, column)), _LONGEST_LINE)
            minimum.append(_CELL_PADDING + _CHAR_WIDTH * shortest)
            wrapping.append(max(longest - shortest, 0))
        keep_together = len(texts) <= _SHORT_TABLE and all(len(text) <= _LONGEST_LINE for row in texts for text in row)
        return cls(texts, minimum, wrapping, keep_together)


def _column_widths(cells: _Cells, text_width: int) -> list[int]:
    """Each column gets room for its longest word; what is left goes where text would wrap most."""
    minimum, wrapping = cells.minimum, cells.wrapping
    spare = text_width - sum(minimum)
    if spare <= 0:
        return [int(w * text_width / sum(minimum)) for w in minimum]
    shares = [n / sum(wrapping) for n in wrapping] if sum(wrapping) else [1 / len(minimum)] * len(minimum)
    return [int(w + spare * share) for w, share in zip(minimum, shares)]


_BREAKS = re.compile(r"([\t\r\n])")
_TABLE_PROPERTIES = (
    '<w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
    '<w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
    'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>'
)


def _run_xml(text: str, bold: bool = False, preserve: bool = False) -> str:
    """A run as `run.text = text` writes it: a tab for each tab, a line break for each line end;
    `xml:space` kept where the text has spaces at its ends, or everywhere with `preserve`."""
    start = "<w:r><w:rPr><w:b/></w:rPr>" if bold else "<w:r>"
    if not text:
        return start + "</w:r>"
    if _BREAKS.search(text) is None:
        space = ' xml:space="preserve"' if preserve or text.strip() != text else ""
        return f"{start}<w:t{space}>{escape(text)}</w:t></w:r>"
    parts = [start]
    for part in _BREAKS.split(text):
        if part == "\t":
            parts.append("<w:tab/>")
        elif part in ("\r", "\n"):
            parts.append("<w:br/>")
        elif part:
            space = ' xml:space="preserve"' if preserve or part.strip() != part else ""
            parts.append(f"<w:t{space}>{escape(part)}</w:t>")
    parts.append("</w:r>")
    return "".join(parts)


def _table_xml(table: Table, cells: _Cells, widths: list[int], style_id: str) -> bytes:
    """The whole table as WordprocessingML, parsed once: what python-docx's table, row and cell
    objects would write, without an object per cell (a period report has hundreds of thousands).

    Fixed column widths, the header row repeated on every page, the cell paragraph style, numbers
    on the right, and the rows of a short table kept on one page.
    """
    twips = [str(Length(width).twips) for width in widths]
    openings = [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>' for width in twips]
    style = f'<w:pStyle w:val="{_CELL_STYLE_ID}"/>'
    parts = [
        f"<w:tbl {nsdecls('w')}>",
        _TABLE_PROPERTIES.format(style=style_id),
        "<w:tblGrid>",
        *(f'<w:gridCol w:w="{width}"/>' for width in twips),
        '</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>',
    ]
    for cell, text in zip(openings, table.header):
        parts += [cell, f"<w:p><w:pPr>{style}</w:pPr>", _run_xml(text, bold=True), "</w:p></w:tc>"]
    parts.append("</w:tr>")
    kept = f"<w:p><w:pPr>{style}<w:keepNext/>"
    plain = f"<w:p><w:pPr>{style}"
    right = '<w:jc w:val="right"/>'
    numeric = table.numeric_columns
    for position, texts in enumerate(cells.texts, start=1):
        opening = kept if cells.keep_together and position < len(cells.texts) else plain
        parts.append("<w:tr>")
        for text, cell, is_number in zip(texts, openings, numeric):
            parts += [cell, opening, right if is_number else "", "</w:pPr>"]
            parts += [_run_xml(text, preserve=True), "</w:p></w:tc>"]
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    # Bytes parse about twice as fast as str.
    return "".join(parts).encode()


def _picture(paragraph: Paragraph, shape_id: int, image: bytes, title: str, alt_text: str) -> None:
    """The chart as a picture with alt text (wp:docPr descr), which python-docx does not set itself.

    What `run.add_picture` writes, but with the shape id given: python-docx finds the next one by
    looking through the whole document for each picture.
    """
    part = paragraph.part
    relationship, picture = part.get_or_add_image(io.BytesIO(image))
    width, height = picture.scaled_dimensions(_CHART_WIDTH, None)
    inline = CT_Inline.new_pic_inline(shape_id, relationship, picture.filename, width, height)
    paragraph.add_run()._r.add_drawing(inline)
    inline.docPr.set("title", title)
    inline.docPr.set("descr", alt_text)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(8)


def render_docx(document: Document, charts: bool = True, progress: Progress | None = None) -> bytes:
    """The report as .docx bytes; `progress(done, total, label)` follows the charts, the slow part."""
    word = docx.Document()
    _page_setup(word, document)
    _properties(word, document)
    body = _Body(word)
    _title_page(body, document)
    body.new_section()
    _contents(body, document)
    body.new_section()
    drawing = [chart for section, _, _ in document.walk() for chart in section.charts] if charts else []
    placed: list[tuple[Paragraph, str]] = []
    paragraph_number = 0
    with chart_browser.image_server(len(drawing)) if drawing else nullcontext():
        # The browser draws the charts while the text and tables are written; each picture then
        # goes into the paragraph kept for it.
        images = chart_images.BackgroundImages(drawing)
        try:
            for section, depth, number in document.walk():
                body.start(section)
                body.heading(numbered(number, section.heading), level=min(depth, 9))
                body.fresh = False
                previous_table = False
                for paragraph in section.paragraphs or ([] if section.subsections else [NONE_RECORDED]):
                    if paragraph == NONE_RECORDED:
                        body.paragraph(paragraph)
                        continue
                    paragraph_number += 1
                    body.paragraph(f"{paragraph_number}.\t{paragraph}", style="Body Numbered")
                for table in section.tables:
                    if previous_table and not table.title:
                        body.paragraph()
                    body.table(table)
                    previous_table = True
                placed += [(body.paragraph(), section.heading) for _ in (section.charts if charts else [])]
            # Looked up before the blocks go in: no block carries an id, and the whole body is large.
            first_shape = word.part.next_id
            body.finish()
            for drawn, (chart, (slot, heading), image) in enumerate(zip(drawing, placed, images), start=1):
                _picture(slot, first_shape + drawn - 1, image, chart.title, chart.alt_text)
                if progress:
                    progress(drawn, len(drawing), heading)
        finally:
            images.close()
    output = io.BytesIO()
    word.save(output)
    return output.getvalue()
