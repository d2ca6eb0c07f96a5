"""A report as Markdown, for pasting into other documents."""

from tracker.services.reports.model import Document, Table, cell_text

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
    lines += [f"**{escape(document.level_line)}**. {escape(document.generated_line)}.", ""]
    for section, depth in document.walk():
        lines += [f"{'#' * min(depth + 1, 6)} {escape(section.heading)}", ""]
        for paragraph in section.paragraphs:
            lines += [escape(paragraph), ""]
        for table in section.tables:
            lines += _table(table)
        for figure in section.charts:
            lines += [f"*Chart: {escape(figure.layout.title.text)}, in the DOCX and HTML versions of this report.*", ""]
    return "\n".join(lines)
