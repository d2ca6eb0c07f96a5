"""A report as one HTML file that opens offline, with interactive charts, and prints cleanly."""

from html import escape

from tracker.services.reports.model import (
    ILLUSTRATIVE_BANNER,
    NONE_RECORDED,
    Cell,
    Document,
    Table,
    cell_text,
    numbered,
)

_CSS = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; line-height: 1.4; color: #222;
       max-width: 60rem; margin: 0 auto; padding: 1rem 2rem 3rem; }
.level-banner { text-align: right; font-size: 9pt; font-weight: bold; text-transform: uppercase;
                border-bottom: 1px solid #999; padding: 0.3rem 0; }
.title-page { margin: 4rem 0 3rem; }
.title-page h1 { font-size: 22pt; margin-bottom: 0.5rem; }
.title-page .level { font-weight: bold; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; margin-top: 2.5rem; }
.table-wrap { overflow-x: auto; margin: 0.5rem 0 1.2rem; }
table { border-collapse: collapse; font-size: 9pt; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #bbb; padding: 0.2rem 0.4rem; vertical-align: top; text-align: left; }
th { background: #eef2f7; }
td.num { text-align: right; white-space: nowrap; }
figure.chart { margin: 1rem 0; }
figure.chart figcaption { font-size: 9pt; color: #444; }
.illustrative { border: 2px solid #000; padding: 0.4rem 0.8rem; font-weight: bold; display: inline-block; }
nav.contents ol { list-style: none; padding-left: 1.2rem; }
nav.contents > ol { padding-left: 0; }
p.numbered { padding-left: 2.2rem; text-indent: -2.2rem; }
p.numbered .number { display: inline-block; width: 2.2rem; text-indent: 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .level-banner { display: none; }
  .title-page, nav.contents { break-after: page; }
  section.new-page { break-before: page; }
  section.level-1 + section.level-1 { break-before: page; }
  table, figure.chart { break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
  .modebar-container { display: none !important; }
}
"""


def _page_css(document: Document) -> str:
    """Every printed page carries the level in its header and its number in the footer."""
    return (
        f'@page {{ size: A4; margin: 2cm 1.5cm; @top-right {{ content: "{document.marking}"; font-size: 9pt; }}'
        f' @bottom-left {{ content: "{document.marking}"; font-size: 9pt; }}'
        ' @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 9pt; } }'
    )


def _table(table: Table, cells: dict[str, str]) -> str:
    """The table as HTML; `cells` keeps each text already escaped, as tables repeat their words."""

    def cell(value: Cell) -> str:
        text = value if type(value) is str else cell_text(value)
        escaped = cells.get(text)
        if escaped is None:
            escaped = cells[text] = escape(text)
        return escaped

    opening = ['<td class="num">' if numeric else "<td>" for numeric in table.numeric_columns]
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join([f"{opening[i]}{cell(c)}</td>" for i, c in enumerate(row)]) + "</tr>" for row in table.rows
    )
    caption = f"<caption>{escape(table.title)}</caption>" if table.title else ""
    return f'<div class="table-wrap"><table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _anchor(number: str, depth: int, parents: list[str]) -> str:
    return "section-" + "-".join([*parents[: depth - 1], number]).lower()


def _contents(document: Document) -> str:
    """A contents list of the first two heading levels, each entry a link to its section."""
    parts, depth_open = ['<nav class="contents" aria-label="Contents"><h2>Contents</h2>'], 0
    parents: list[str] = []
    for section, depth, number in document.walk():
        parents[depth - 1 :] = [number]
        if depth > 2:
            continue
        while depth_open < depth:
            parts.append("<ol>")
            depth_open += 1
        while depth_open > depth:
            parts.append("</ol>")
            depth_open -= 1
        parts.append(
            f'<li><a href="#{_anchor(number, depth, parents)}">{escape(numbered(number, section.heading))}</a></li>'
        )
    parts += ["</ol>"] * depth_open
    parts.append("</nav>")
    return "".join(parts)


def render_html(document: Document, charts: bool = True) -> str:
    keywords = escape("; ".join(document.keywords))
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="author" content="{escape(document.author)}">',
        f'<meta name="keywords" content="{keywords}">',
        f'<meta name="description" content="{escape(document.subtitle)} ({escape(document.marking)})">',
        f"<title>{escape(document.title)}</title><style>{_CSS}{_page_css(document)}</style></head><body>",
        f'<div class="level-banner">{escape(document.marking)}</div>',
        f'<header class="title-page"><h1>{escape(document.title)}</h1>',
        f"<p>{escape(document.subtitle)}</p>" if document.subtitle else "",
        f"<p>{escape(document.scope)}</p>" if document.scope else "",
        f"<p>{escape(document.date_line)}</p>",
        f'<p class="level">{escape(document.marking)}</p>',
        f'<p class="illustrative">{escape(ILLUSTRATIVE_BANNER)}</p>' if document.illustrative else "",
        f"<p>{escape(document.generated_line)}</p></header>",
        _contents(document),
        "<main>",
    ]
    plotly_included = False
    open_sections: list[int] = []
    parents: list[str] = []
    paragraph_number = 0
    cells: dict[str, str] = {}
    for section, depth, number in document.walk():
        parents[depth - 1 :] = [number]
        while open_sections and open_sections[-1] >= depth:
            parts.append("</section>")
            open_sections.pop()
        open_sections.append(depth)
        heading = min(depth + 1, 6)
        classes = f"level-{depth}" + (" new-page" if section.new_page else "")
        parts.append(
            f'<section class="{classes}" id="{_anchor(number, depth, parents)}">'
            f"<h{heading}>{escape(numbered(number, section.heading))}</h{heading}>"
        )
        for paragraph in section.paragraphs or ([] if section.subsections else [NONE_RECORDED]):
            if paragraph == NONE_RECORDED:
                parts.append(f"<p>{escape(paragraph)}</p>")
                continue
            paragraph_number += 1
            parts.append(f'<p class="numbered"><span class="number">{paragraph_number}.</span>{escape(paragraph)}</p>')
        parts += [_table(table, cells) for table in section.tables]
        for chart in section.charts if charts else []:
            # Plotly's JavaScript goes in once, inline, so the file needs no network.
            drawn = chart.figure.to_html(
                full_html=False,
                include_plotlyjs=not plotly_included,
                config={"displaylogo": False, "responsive": True},
            )
            plotly_included = True
            parts.append(
                f'<figure class="chart" role="img" aria-label="{escape(chart.alt_text)}">{drawn}'
                f"<figcaption>{escape(chart.alt_text)}</figcaption></figure>"
            )
    parts += ["</section>"] * len(open_sections)
    parts.append("</main></body></html>\n")
    return "".join(parts)
