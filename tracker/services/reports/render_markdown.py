"""A report as Markdown, for pasting into other documents."""

from tracker.services.reports.model import ILLUSTRATIVE_BANNER, NONE_RECORDED, Document, Table, cell_text, numbered

# Backslash first, so the escapes added after it are not escaped again.
_SPECIAL = ("\\", "|", "<", ">", "`")


def escape(text: str) -> str:
    """Text that stays literal: no table break on a pipe, no raw HTML, all on one line."""
    for character in _SPECIAL:
        text = text.replace(character, "\\" + character)
    return " ".join(text.split())


def _table(table: Table) -> list[str]:
    lines = [f"**{escape(table.title)}**", ""] if table.title else []
    lines.append("| " + " | ".join(escape(h) for h in table.header) + " |")
    lines.append("|" + "|".join("---:" if numeric else "---" for numeric in table.numeric_columns) + "|")
    lines += ["| " + " | ".join(escape(cell_text(cell)) for cell in row) + " |" for row in table.rows]
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
            lines += _table(table)
        for chart in section.charts:
            lines += [f"*Chart: {escape(chart.title)}.* {escape(chart.alt_text)}", ""]
    return "\n".join(lines)
