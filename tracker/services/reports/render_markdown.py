"""A report as Markdown, for pasting into other documents."""

import re

from tracker.services.reports.model import (
    ILLUSTRATIVE_BANNER,
    NONE_RECORDED,
    Cell,
    Document,
    Table,
    cell_text,
    numbered,
)

# Every mark that makes a link, an image, emphasis, code, raw HTML or an entity, or breaks a table;
# "_" only where it can open or close emphasis, so member_states stays as it is.
_SPECIAL = re.compile(r"([\\|<>`\[\]!*~&#$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
# What makes a list or a quote, only at the start of a paragraph.
_BLOCK_START = re.compile(r"^([-+=>]|[0-9]+(?=[.)]))")
# Text that escaping leaves as it is: words without a special mark, one space apart, not opening a block.
_PLAIN = re.compile(r"(?![-+=>0-9])[^\\|<>`\[\]!*~&#$_\s]+(?: [^\\|<>`\[\]!*~&#$_\s]+)*")


def escape(text: str) -> str:
    """Text that stays literal (no live link or image, no table break, no raw HTML), all on one line."""
    if _PLAIN.fullmatch(text):
        return text
    text = " ".join(_SPECIAL.sub(r"\\\1", text).split())
    return _BLOCK_START.sub(
        lambda found: f"{found.group()}\\" if found.group()[0].isdigit() else f"\\{found.group()}", text
    )


def _table(table: Table, cells: dict[str, str]) -> list[str]:
    """The table's lines; `cells` keeps each text already escaped, as tables repeat their words."""

    def cell(value: Cell) -> str:
        text = value if type(value) is str else cell_text(value)
        escaped = cells.get(text)
        if escaped is None:
            escaped = cells[text] = escape(text)
        return escaped

    lines = [f"**{escape(table.title)}**", ""] if table.title else []
    lines.append("| " + " | ".join(escape(h) for h in table.header) + " |")
    lines.append("|" + "|".join("---:" if numeric else "---" for numeric in table.numeric_columns) + "|")
    lines += ["| " + " | ".join([cell(value) for value in row]) + " |" for row in table.rows]
    return [*lines, ""]


def render_markdown(document: Document) -> str:
    lines = [f"# {escape(document.title)}", ""]
    if document.subtitle:
        lines += [escape(document.subtitle), ""]
    if document.scope:
        lines += [escape(document.scope), ""]
    lines += [f"**{escape(document.marking)}**. {escape(document.date_line)}. {escape(document.generated_line)}.", ""]
    if document.illustrative:
        lines += [f"> **{escape(ILLUSTRATIVE_BANNER)}**", ""]
    paragraph_number = 0
    cells: dict[str, str] = {}
    for section, depth, number in document.walk():
        lines += [f"{'#' * min(depth + 1, 6)} {escape(numbered(number, section.heading))}", ""]
        for paragraph in section.paragraphs or ([] if section.subsections else [NONE_RECORDED]):
            if paragraph == NONE_RECORDED:
                lines += [paragraph, ""]
                continue
            paragraph_number += 1
            # A backslash keeps Markdown from turning the numbered paragraph into a list.
            lines += [f"{paragraph_number}\\. {escape(paragraph)}", ""]
        for table in section.tables:
            lines += _table(table, cells)
        for chart in section.charts:
            lines += [f"*Chart: {escape(chart.title)}.* {escape(chart.alt_text)}", ""]
    return "\n".join(lines)
