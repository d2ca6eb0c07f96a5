"""A report as a Word document: title page, contents, numbered headings and paragraphs, real tables,
charts as PNG with alt text, the marking on every page and in the document's properties.

python-docx has no API for a contents field, a picture's alt text or a field in a footer, so
those are written through its documented low-level access (`OxmlElement`, `qn`, `._p`,
`._inline`), as the python-docx documentation suggests for features it does not wrap.
"""

import re
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.image import Image
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.shape import CT_Inline
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.parts.image import ImagePart
from docx.section import Section as DocxSection
from docx.shared import Cm, Length, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from tracker.services.reports import chart_browser, docx_stream
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


def _field(paragraph: Any, instruction: str) -> None:
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


def _boxed(paragraph: Any) -> None:
    """A border round a paragraph, for the banner that says the data are illustrative."""
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{side}")
        for name, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", "000000")):
            line.set(qn(f"w:{name}"), value)
        borders.append(line)
    paragraph._p.get_or_add_pPr().append(borders)


@dataclass
class _Text:
    """A paragraph of text written as XML: its properties, its run and, once its section ends there,
    that section's properties."""

    properties: str
    run: str
    section: str = ""

    def xml(self) -> bytes:
        properties = self.properties + self.section
        if properties:
            return f"<w:p><w:pPr>{properties}</w:pPr>{self.run}</w:p>".encode()
        return f"<w:p>{self.run}</w:p>".encode() if self.run else b"<w:p/>"


class _Body:
    """The document's body as it is written: its blocks in reading order, each written out once the
    next one starts, and the section they fall in (the document's last `w:sectPr`).

    The last block is held back because a section that ends keeps its properties in its last
    paragraph. python-docx's `add_paragraph`, `add_table` and `sections` look through the whole body
    on every call, which makes a period report (thousands of blocks, hundreds of sections) quadratic.
    """

    def __init__(self, word: docx.document.Document):
        self.word = word
        self.out = docx_stream.BodyFile(word)
        # The block written last: a paragraph still open to changes, or a table as XML.
        self.last: etree._Element | _Text | bytes | None = None
        self._last_is_slot = False
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
        self._add(element)
        return paragraph

    def text(self, text: str, style: str | None = None) -> None:
        """A paragraph of text alone: what `paragraph` writes, without python-docx's objects (a period
        report has tens of thousands)."""
        style_xml = f'<w:pStyle w:val="{self.style_id(style)}"/>' if style is not None else ""
        self._add(_Text(style_xml, _run_xml(text) if text else ""))

    def _add(self, block: etree._Element | _Text | bytes, slot: bool = False) -> None:
        self._write_last()
        self.last, self._last_is_slot = block, slot

    def _write_last(self) -> None:
        if isinstance(self.last, bytes):
            self.out.xml(self.last)
        elif isinstance(self.last, _Text):
            self.out.xml(self.last.xml())
        elif self.last is not None:
            self.out.element(self.last, slot=self._last_is_slot)
        self.last = None

    def slot(self) -> None:
        """An empty paragraph where a picture will go, once it is drawn."""
        element = OxmlElement("w:p")
        paragraph = Paragraph(element, self.word)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(8)
        self._add(element, slot=True)

    def heading(self, text: str, level: int) -> None:
        self.text(text, f"Heading {level}")

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
        previous = self.last
        if isinstance(previous, CT_P) and (previous.pPr is None or previous.pPr.sectPr is None):
            previous.get_or_add_pPr().append(ending)
        elif isinstance(previous, _Text) and not previous.section:
            previous.section = self.out.serialised(ending).decode()
        else:
            holder = OxmlElement("w:p")
            holder.set_sectPr(ending)
            _hairline(holder)
            self._add(holder)

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
            # As python-docx's `keep_with_next` writes it, true or false.
            keep = "<w:keepNext/>" if cells.keep_together else '<w:keepNext w:val="0"/>'
            self._add(_Text(f'<w:pStyle w:val="{self.style_id("Caption")}"/>{keep}', _run_xml(table.title)))
        widths = _column_widths(cells, self.text_width())
        self._add(_table_xml(table, cells, widths, self.style_id("Table Grid")))

    def finish(self) -> None:
        """Write the last block; the document's last section's properties follow it."""
        # Word needs a paragraph after a table that ends the document; one point high, it never adds a page.
        if isinstance(self.last, bytes):
            _hairline(self.paragraph()._p)
        self._write_last()


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


def _complex_field(paragraph: Any, instruction: str, part: str) -> None:
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


def _hairline(paragraph_element: Any) -> None:
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
        # Most cells are text already, which reads as it is.
        texts = [[value if value.__class__ is str else cell_text(value) for value in row] for row in table.rows]
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
# Characters XML cannot hold (control characters): left out, or Word could not open the file at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TABLE_PROPERTIES = (
    '<w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:type="auto" w:w="0"/><w:jc w:val="center"/>'
    '<w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
    'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>'
)


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _run_xml(text: str, bold: bool = False, preserve: bool = False) -> str:
    """A run as `run.text = text` writes it: a tab for each tab, a line break for each line end;
    `xml:space` kept where the text has spaces at its ends, or everywhere with `preserve`."""
    return _escaped_run(_escaped(_NOT_XML.sub("", text)), bold, preserve)


def _escaped_run(text: str, bold: bool = False, preserve: bool = False) -> str:
    """`_run_xml` of text already escaped for XML."""
    start = "<w:r><w:rPr><w:b/></w:rPr>" if bold else "<w:r>"
    if not text:
        return "<w:r><w:rPr><w:b/></w:rPr></w:r>" if bold else "<w:r/>"
    if _BREAKS.search(text) is None:
        space = ' xml:space="preserve"' if preserve or text.strip() != text else ""
        return f"{start}<w:t{space}>{text}</w:t></w:r>"
    parts = [start]
    for part in _BREAKS.split(text):
        if part == "\t":
            parts.append("<w:tab/>")
        elif part in ("\r", "\n"):
            parts.append("<w:br/>")
        elif part:
            space = ' xml:space="preserve"' if preserve or part.strip() != part else ""
            parts.append(f"<w:t{space}>{part}</w:t>")
    parts.append("</w:r>")
    return "".join(parts)


def _escaped_cells(cells: _Cells) -> list[str]:
    """Every cell's text, row after row, escaped for XML: in one pass over the table, not one per cell."""
    texts = [text for row in cells.texts for text in row]
    if _NOT_XML.search("".join(texts)):
        texts = [_NOT_XML.sub("", text) for text in texts]
    # A separator no text now holds.
    return _escaped("\x00".join(texts)).split("\x00")


def _table_xml(table: Table, cells: _Cells, widths: list[int], style_id: str) -> bytes:
    """The whole table as WordprocessingML, written into the body as it is: what python-docx's table,
    row and cell objects would write, without an object per cell (a period report has hundreds of
    thousands). It declares no namespace: the document's root does.

    Fixed column widths, the header row repeated on every page, the cell paragraph style, numbers
    on the right, and the rows of a short table kept on one page.
    """
    twips = [str(Length(width).twips) for width in widths]
    openings = [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>' for width in twips]
    style = f'<w:pStyle w:val="{_CELL_STYLE_ID}"/>'
    parts = [
        "<w:tbl>",
        _TABLE_PROPERTIES.format(style=style_id),
        "<w:tblGrid>",
        *(f'<w:gridCol w:w="{width}"/>' for width in twips),
        '</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>',
    ]
    for cell, text in zip(openings, table.header):
        parts += [cell, f"<w:p><w:pPr>{style}</w:pPr>", _run_xml(text, bold=True), "</w:p></w:tc>"]
    parts.append("</w:tr>")
    # Each column's cell up to its text, in a row kept with the next one and in any other row.
    right = '<w:jc w:val="right"/>'
    numeric = table.numeric_columns
    plain = [f"{cell}<w:p><w:pPr>{style}{right if n else ''}</w:pPr>" for cell, n in zip(openings, numeric)]
    kept = [f"{cell}<w:p><w:pPr>{style}<w:keepNext/>{right if n else ''}</w:pPr>" for cell, n in zip(openings, numeric)]
    texts, start, last = _escaped_cells(cells), 0, len(cells.texts) - 1
    for position, row in enumerate(cells.texts):
        opening = kept if cells.keep_together and position < last else plain
        end = start + len(row)
        runs = [
            f'{cell}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>'
            if text and "\t" not in text and "\n" not in text and "\r" not in text
            else f"{cell}{_escaped_run(text, preserve=True)}</w:p></w:tc>"
            for cell, text in zip(opening, texts[start:end])
        ]
        parts.append(f"<w:tr>{''.join(runs)}</w:tr>")
        start = end
    parts.append("</w:tbl>")
    return "".join(parts).encode()


class _Pictures:
    """The document's images by the SHA-1 of their bytes, each image hashed once, when it is added.

    python-docx's own `get_or_add_image` hashes every earlier image again for each new one, so a
    report of a few hundred charts spent its time hashing what it had already placed.
    """

    def __init__(self, word: docx.document.Document):
        self.document = word.part
        self.package = word.part.package
        self.parts = {part.sha1: part for part in self.package.image_parts}

    def add(self, image: bytes) -> tuple[str, Image]:
        """The relationship id from the document to the image, and the image; the same bytes twice
        are one image part."""
        picture = Image.from_blob(image)
        digest = picture.sha1
        part = self.parts.get(digest)
        if part is None:
            name = PackURI(f"/word/media/image{len(self.parts) + 1}.{picture.ext}")
            part = ImagePart.from_image(picture, name)
            self.package.image_parts.append(part)
            self.parts[digest] = part
        return self.document.relate_to(part, RT.IMAGE), picture


def _picture(pictures: _Pictures, shape_id: int, image: bytes, title: str, alt_text: str) -> CT_R:
    """The chart as a run holding a picture with alt text (wp:docPr descr), which python-docx does
    not set itself; it goes into a paragraph kept for it (`_Body.slot`).

    What `run.add_picture` writes, but with the shape id given: python-docx finds the next one by
    looking through the whole document for each picture.
    """
    relationship, picture = pictures.add(image)
    width, height = picture.scaled_dimensions(_CHART_WIDTH, None)
    inline = CT_Inline.new_pic_inline(shape_id, relationship, picture.filename, width, height)
    run = OxmlElement("w:r")
    run.add_drawing(inline)
    inline.docPr.set("title", title)
    inline.docPr.set("descr", alt_text)
    return run


def _sections(body: _Body, document: Document, charts: bool) -> list[str]:
    """Every section's heading, paragraphs and tables, and a paragraph kept for each chart; the
    heading of the section each chart is in."""
    placed: list[str] = []
    paragraph_number = 0
    for section, depth, number in document.walk():
        body.start(section)
        body.heading(numbered(number, section.heading), level=min(depth, 9))
        body.fresh = False
        previous_table = False
        for paragraph in section.paragraphs or ([] if section.subsections else [NONE_RECORDED]):
            if paragraph == NONE_RECORDED:
                body.text(paragraph)
                continue
            paragraph_number += 1
            body.text(f"{paragraph_number}.\t{paragraph}", style="Body Numbered")
        for table in section.tables:
            if previous_table and not table.title:
                body.text("")
            body.table(table)
            previous_table = True
        for _ in section.charts if charts else []:
            body.slot()
            placed.append(section.heading)
    body.finish()
    return placed


def render_docx(document: Document, charts: bool = True, progress: Progress | None = None) -> bytes:
    """The report as .docx bytes; `progress(done, total, label)` follows the charts, the slow part."""
    word = docx.Document()
    _page_setup(word, document)
    _properties(word, document)
    body = _Body(word)
    drawing = [chart for section, _, _ in document.walk() for chart in section.charts] if charts else []
    runs: list[bytes] = []
    try:
        with chart_browser.image_server(len(drawing)) if drawing else nullcontext():
            # The browser draws the charts while the text and tables are written; each picture then
            # goes into the paragraph kept for it.
            images = chart_images.BackgroundImages(drawing)
            try:
                _title_page(body, document)
                body.new_section()
                _contents(body, document)
                body.new_section()
                placed = _sections(body, document, charts)
                # No block carries an id, and the body is not in the document: this looks through little.
                first_shape = word.part.next_id
                pictures = _Pictures(word)
                for drawn, (chart, heading, image) in enumerate(zip(drawing, placed, images), start=1):
                    run = _picture(pictures, first_shape + drawn - 1, image, chart.title, chart.alt_text)
                    runs.append(body.out.serialised(run))
                    if progress:
                        progress(drawn, len(drawing), heading)
            finally:
                images.close()
        return docx_stream.save(word, body.out, runs)
    finally:
        body.out.close()
