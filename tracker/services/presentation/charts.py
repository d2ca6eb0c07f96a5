"""Plotly figures of the dashboard: titled, with axis labels and hover text in plain words."""

import re
import textwrap
from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tracker.models import STATUS_GROUP, MeetingKind, Sector, Status
from tracker.services.presentation.palette import (
    BAR_EDGE,
    GROUP_LABELS,
    INDEX_SCALE,
    NEW_GAPS_COLOUR,
    NO_INDEX_COLOUR,
    SECTOR_COLOURS,
    STATUS_GROUP_COLOURS,
    TA_STATUS_COLOURS,
    VISIT_COLOURS,
    index_ink,
)
from tracker.services.presentation.wording import label

_FONT = dict(size=13)


def _wrapped(names: pd.Series, width: int = 30) -> list[str]:
    return ["<br>".join(textwrap.wrap(name, width)) for name in names]


# A title longer than this wraps: half the page at 1280 px holds about this many characters of it.
_TITLE_WIDTH = 56
# Pixels under the plot for the tick labels and the axis title, which the legend goes below.
_UNDER_PLOT = 72


def _layout(figure: go.Figure, title: str, height: int) -> go.Figure:
    lines = textwrap.wrap(title, _TITLE_WIDTH)
    top = 70 + 24 * (len(lines) - 1)
    height += top - 70
    plot = max(height - top - 10, 1)
    figure.update_layout(
        title=dict(text="<br>".join(lines), x=0, xanchor="left"),
        height=height,
        font=_FONT,
        legend=dict(
            orientation="h",
            yanchor="top",
            y=-min(_UNDER_PLOT / plot, 0.5),
            xanchor="left",
            x=0,
            traceorder="normal",
        ),
        margin=dict(l=10, r=10, t=top, b=10),
        hoverlabel=dict(align="left"),
    )
    return figure


def _counts_text(values: Iterable[Any]) -> list[str]:
    return [str(int(v)) if v else "" for v in values]


def baseline_items(areas: pd.DataFrame, kind: str) -> go.Figure:
    """Per area, baseline gaps (or recommendations) by status group at the follow-up; for gaps,
    the new gaps found at the follow-up beside them."""
    gaps = kind == "gaps"
    prefix, total, noun = (
        ("gaps_", "baseline_gaps", "gaps") if gaps else ("recs_", "baseline_recommendations", "recommendations")
    )
    shown = areas[(areas[total] > 0) | (areas["new_gaps"] > 0 if gaps else False)]
    names = _wrapped(shown["area_name"])
    columns = 2 if gaps else 1
    figure = make_subplots(
        rows=1,
        cols=columns,
        shared_yaxes=True,
        column_widths=[0.75, 0.25] if gaps else [1.0],
        horizontal_spacing=0.04,
        subplot_titles=["By status at the follow-up", "New gaps"][:columns],
    )
    for group in STATUS_GROUP_COLOURS:
        values = shown[prefix + group]
        figure.add_trace(
            go.Bar(
                y=names,
                x=values,
                orientation="h",
                name=GROUP_LABELS[group],
                marker=dict(color=STATUS_GROUP_COLOURS[group], line=dict(color=BAR_EDGE, width=0.5)),
                text=_counts_text(values),
                textposition="inside",
                customdata=shown[[total, "area_name"]].to_numpy(),
                hovertemplate=f"<b>%{{customdata[1]}}</b><br>%{{x}} of %{{customdata[0]}} baseline {noun} "
                f"{group if group != 'excluded' else 'not scored (excluded)'}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    if gaps:
        figure.add_trace(
            go.Bar(
                y=names,
                x=shown["new_gaps"],
                orientation="h",
                name="New gaps at the follow-up",
                marker_color=NEW_GAPS_COLOUR,
                text=_counts_text(shown["new_gaps"]),
                textposition="inside",
                customdata=shown[["area_name"]].to_numpy(),
                hovertemplate="<b>%{customdata[0]}</b><br>%{x} new gaps found at the follow-up, "
                "not counted as regressions<extra></extra>",
            ),
            row=1,
            col=2,
        )
        figure.update_xaxes(title_text="New gaps", row=1, col=2, rangemode="tozero", dtick=1)
    figure.update_xaxes(title_text=f"Baseline {noun}", row=1, col=1, dtick=1)
    figure.update_yaxes(title_text="Thematic area", autorange="reversed", row=1, col=1)
    figure.update_layout(barmode="stack")
    title = (
        "Baseline gaps closed, progressing and open, and new gaps, per thematic area"
        if gaps
        else ("Baseline recommendations closed, progressing and open, per thematic area")
    )
    return _layout(figure, title, 160 + 48 * max(len(shown), 1))


def good_practices(areas: pd.DataFrame) -> go.Figure:
    """Good practices recorded at each visit, per area."""
    shown = areas[(areas["good_practices_baseline"] > 0) | (areas["good_practices_followup"] > 0)]
    names = _wrapped(shown["area_name"])
    figure = go.Figure()
    for visit, column, words in (
        ("baseline", "good_practices_baseline", "at the baseline visit"),
        ("followup", "good_practices_followup", "at the follow-up visit"),
    ):
        figure.add_trace(
            go.Bar(
                y=names,
                x=shown[column],
                orientation="h",
                name=f"Good practices {words}",
                marker_color=VISIT_COLOURS[visit],
                text=_counts_text(shown[column]),
                textposition="outside",
                customdata=shown[["area_name"]].to_numpy(),
                hovertemplate=f"<b>%{{customdata[0]}}</b><br>%{{x}} good practices noted {words}<extra></extra>",
            )
        )
    figure.update_layout(barmode="group")
    figure.update_xaxes(title_text="Good practices", dtick=1, rangemode="tozero")
    figure.update_yaxes(title_text="Thematic area", autorange="reversed")
    return _layout(figure, "Good practices at each visit, per thematic area", 160 + 52 * max(len(shown), 1))


def status_distribution(status_counts: dict[str, int]) -> go.Figure:
    """How many baseline items ended in each status, in the order of the scale."""
    statuses = [s.value for s in Status]
    groups = [STATUS_GROUP[Status(s)].value for s in statuses]
    counts = [status_counts.get(s, 0) for s in statuses]
    figure = go.Figure(
        go.Bar(
            y=[label(s) for s in statuses],
            x=counts,
            orientation="h",
            marker=dict(color=[STATUS_GROUP_COLOURS[g] for g in groups], line=dict(color=BAR_EDGE, width=0.5)),
            text=_counts_text(counts),
            textposition="outside",
            customdata=[GROUP_LABELS[g].lower() for g in groups],
            hovertemplate="<b>%{y}</b> (%{customdata})<br>%{x} baseline gaps and recommendations<extra></extra>",
            showlegend=False,
        )
    )
    figure.update_xaxes(title_text="Baseline gaps and recommendations", rangemode="tozero", dtick=1)
    figure.update_yaxes(title_text="Status at the follow-up", autorange="reversed")
    return _layout(figure, "Status of the baseline items at the follow-up", 460)


def meetings(footprint: pd.DataFrame) -> go.Figure:
    """Meetings of a visit by kind and sector, side by side: a meeting of several sectors has a bar under
    each, so the bars are not stacked into a total that would count it more than once."""
    frame = footprint.assign(kind_words=footprint["kind"].map(label), sector_words=footprint["sector"].map(label))
    figure = px.bar(
        frame,
        x="kind_words",
        y="meetings",
        color="sector_words",
        color_discrete_map={label(sector): colour for sector, colour in SECTOR_COLOURS.items()},
        labels={"kind_words": "Kind of meeting", "meetings": "Meetings", "sector_words": "Sector"},
        custom_data=["sector_words"],
        barmode="group",
        category_orders={
            "kind_words": [label(k.value) for k in MeetingKind],
            "sector_words": [label(s.value) for s in Sector],
        },
    )
    figure.update_traces(hovertemplate="<b>%{x}</b><br>%{y} meeting(s) with %{customdata[0]}<extra></extra>")
    figure.update_yaxes(dtick=1)
    return _layout(figure, "Meetings of the follow-up visit by kind and sector", 420)


def index_heatmap(index: pd.DataFrame, area_names: dict[str, str]) -> go.Figure:
    """Implementation index per follow-up visit (rows) and top-level area (columns), 0 to 100."""
    index = index.assign(row=index["state_name"] + " · " + index["followup_visit"])
    present = set(index["area"]) - {"ALL"}
    columns = ["ALL", *[a for a in area_names if a in present], *sorted(present - set(area_names))]
    table = (
        index.astype({"implementation_index": "float64"})
        .pivot(index="row", columns="area", values="implementation_index")
        .reindex(index=index["row"].drop_duplicates(), columns=columns)
    )
    codes = ["Overall", *columns[1:]]
    titles = ["All areas", *[area_names.get(a, a) for a in columns[1:]]]
    scale = [[0.0, STATUS_GROUP_COLOURS["open"]], [0.5, "#f7f7f7"], [1.0, STATUS_GROUP_COLOURS["closed"]]]
    text = table.map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    figure = go.Figure(
        go.Heatmap(
            z=table.to_numpy(dtype=float),
            x=codes,
            y=list(table.index),
            zmin=0,
            zmax=100,
            colorscale=scale,
            text=text.to_numpy(),
            texttemplate="%{text}",
            customdata=[titles for _ in table.index],
            hovertemplate="<b>%{y}</b><br>%{customdata}: implementation index %{z:.1f} of 100<extra></extra>",
            colorbar=dict(title=dict(text="Index"), tickvals=[0, 25, 50, 75, 100], len=1, thickness=14),
            hoverongaps=False,
            xgap=2,
            ygap=2,
        )
    )
    figure.update_xaxes(title_text="Thematic area (code; hover for its name)", side="bottom", tickangle=0)
    figure.update_yaxes(title_text="State · follow-up visit", autorange="reversed")
    return _layout(
        figure,
        "Implementation index (0 = nothing implemented, 100 = all closed) by state and area",
        260 + 44 * len(table.index),
    )


# Lightness falls steadily from 0 to 100, so the index reads the same in greyscale; the hues are
# ColorBrewer's colour-blind-safe YlGnBu.
def _index_text_colour(value: float) -> str:
    return index_ink(value)


def _short_area(name: str, width: int = 12) -> str:
    return "<br>".join(textwrap.wrap(name[0].upper() + name[1:], width, break_long_words=False))


def index_grid(index: pd.DataFrame, area_names: dict[str, str], title: str) -> go.Figure:
    """Implementation index per follow-up visit (rows, in the frame's order) and area (columns).

    `index` holds one row per follow-up visit and area ("ALL" for every area at once) with the
    columns of the cross-state index and `row` (the label of the follow-up's row). Drawn as squares
    so that a cell can be clicked; a cell with no scored item is a hollow square marked "–", never
    the colour of an index.
    """
    present = set(index["area"]) - {"ALL"}
    columns = ["ALL", *[a for a in area_names if a in present], *sorted(present - set(area_names))]
    headers = {"ALL": "<b>All areas</b>", **{a: _short_area(area_names.get(a, a)) for a in columns[1:]}}
    rows = list(dict.fromkeys(index["row"]))
    cells = index[index["area"].isin(columns)].assign(
        column=lambda f: f["area"].map(headers),
        area_name=lambda f: f["area"].map(lambda a: "All areas" if a == "ALL" else area_names.get(a, a)),
        value=lambda f: f["implementation_index"].astype("float64"),
    )
    scored = cells[cells["value"].notna()]
    empty = cells[cells["value"].isna()]
    data = ["state", "followup_visit", "area_name", "scored_items", "state_name"]
    scored_trace = dict(
        type="scatter",
        x=scored["column"].tolist(),
        y=scored["row"].tolist(),
        mode="markers+text",
        name="Implementation index",
        marker=dict(
            symbol="square",
            size=30,
            color=scored["value"].tolist(),
            cmin=0,
            cmax=100,
            colorscale=INDEX_SCALE,
            showscale=False,
            line=dict(width=0),
        ),
        text=[f"{v:.0f}" for v in scored["value"]],
        textfont=dict(size=11, color=[_index_text_colour(v) for v in scored["value"]]),
        customdata=scored[data].to_numpy().tolist(),
        hovertemplate="<b>%{customdata[4]}</b> · %{customdata[1]}<br>%{customdata[2]}: implementation index "
        "%{marker.color:.1f} of 100 over %{customdata[3]} scored items<br>Click to open its progress<extra></extra>",
    )
    empty_trace = dict(
        type="scatter",
        x=empty["column"].tolist(),
        y=empty["row"].tolist(),
        mode="markers+text",
        name="No scored item",
        marker=dict(symbol="square-open", size=26, color=NO_INDEX_COLOUR, line=dict(width=1.5)),
        text=["–"] * len(empty),
        textfont=dict(size=11, color=NO_INDEX_COLOUR),
        customdata=empty[data].to_numpy().tolist(),
        hovertemplate="<b>%{customdata[4]}</b> · %{customdata[1]}<br>%{customdata[2]}: no scored item, "
        "so no index<extra></extra>",
    )
    axis = dict(showgrid=False, zeroline=False, fixedrange=True, categoryorder="array")
    # Fixed pixels for the header and each row, so one State or 40 look alike.
    header, row_height, bottom = 200, 36, 20
    height = header + row_height * len(rows) + bottom
    layout = dict(
        title=dict(text=title, x=0, xanchor="left", yref="container", y=1 - 12 / height, yanchor="top"),
        height=height,
        margin=dict(l=10, r=10, t=header, b=bottom),
        font=_FONT,
        hoverlabel=dict(align="left"),
        clickmode="event+select",
        dragmode=False,
        plot_bgcolor="#ffffff",
        showlegend=False,
        xaxis=axis
        | dict(
            side="top",
            categoryarray=[headers[c] for c in columns],
            range=[-0.5, len(columns) - 0.5],
            tickangle=0,
            tickfont=dict(size=11),
        ),
        yaxis=axis | dict(categoryarray=rows, range=[len(rows) - 0.5, -0.5]),
        # What a row is, for the chart's numbers in text.
        meta=dict(rows="State"),
    )
    # Built whole and unvalidated: at 193 States, Plotly's per-property checks cost more than drawing.
    return go.Figure(data=[scored_trace, empty_trace], layout=layout, _validate=False)


def area_index(areas: pd.DataFrame) -> go.Figure:
    """The implementation index of each area, in the frame's order, with its scored items (n)."""
    scored = areas["implementation_index"].notna()
    values = areas["implementation_index"].fillna(0)
    names = _wrapped(areas["area_name"], 24)
    figure = go.Figure(
        go.Bar(
            y=names,
            x=values,
            orientation="h",
            marker=dict(
                color=[v if s else 0 for v, s in zip(values, scored)],
                cmin=0,
                cmax=100,
                colorscale=INDEX_SCALE,
                line=dict(color=NO_INDEX_COLOUR, width=1),
            ),
            text=[
                f"{v:.1f} (n {n})" if s else "no scored item" for v, n, s in zip(values, areas["scored_items"], scored)
            ],
            textposition="outside",
            cliponaxis=False,
            customdata=areas[["area_name", "scored_items"]].to_numpy(),
            hovertemplate="<b>%{customdata[0]}</b><br>implementation index %{x:.1f} of 100 over %{customdata[1]} "
            "scored items<extra></extra>",
            showlegend=False,
        )
    )
    figure.update_xaxes(title_text="Index (0–100)", range=[0, 100], tickvals=[0, 50, 100])
    figure.update_yaxes(title_text="Thematic area", autorange="reversed")
    _layout(figure, "Implementation index per thematic area", 160 + 56 * max(len(areas), 1))
    # Room on the right for the figures written beyond the longest bar ("100.0 (n 12)").
    return figure.update_layout(margin=dict(r=90))


def ta_status_bars(counts: pd.DataFrame) -> go.Figure:
    """TA needs per pipeline status (a `status`, `needs` frame), in pipeline order."""
    names = [label(status) for status in counts["status"]]
    figure = go.Figure(
        go.Bar(
            x=counts["needs"],
            y=names,
            orientation="h",
            marker_color=[TA_STATUS_COLOURS[s] for s in counts["status"]],
            marker_line=dict(color="#636363", width=0.5),
            text=_counts_text(counts["needs"]),
            textposition="outside",
            hovertemplate="%{y}: %{x} TA needs<extra></extra>",
            name="TA needs",
        )
    )
    figure.update_yaxes(autorange="reversed", title=None)
    figure.update_xaxes(title="TA needs", rangemode="tozero", dtick=1 if counts["needs"].max() <= 10 else None)
    figure.update_layout(meta=dict(rows="Status"))
    return _layout(figure, "TA needs by status", 80 + 40 * len(counts))


def ta_provider_bars(table: pd.DataFrame, statuses: tuple[str, ...]) -> go.Figure:
    """Per provider, its TA needs stacked by status (a frame of `by_provider`)."""
    figure = go.Figure()
    for status in statuses:
        figure.add_bar(
            y=table["provider_name"],
            x=table[status],
            orientation="h",
            name=label(status),
            marker_color=TA_STATUS_COLOURS[status],
            marker_line=dict(color="#636363", width=0.5),
            hovertemplate=f"%{{y}}: %{{x}} {label(status).lower()}<extra></extra>",
        )
    figure.update_layout(barmode="stack", meta=dict(rows="Provider"))
    figure.update_yaxes(autorange="reversed", title=None)
    most = int(table["total"].max()) if len(table) else 0
    figure.update_xaxes(title="TA needs", rangemode="tozero", dtick=1 if most <= 10 else None)
    _layout(figure, "TA needs by provider and status", 200 + 40 * len(table))
    # Below the axis title, so the seven statuses never cover it.
    figure.update_layout(legend=dict(y=-0.35 if len(table) < 4 else -0.2), margin=dict(b=40))
    return figure


def group_moves(status_changes: list[dict[str, Any]]) -> go.Figure:
    """How many items moved from one status group to another, one bar per move, coloured by where it ended."""
    moves = pd.DataFrame(status_changes, columns=["old_group", "new_group"]).value_counts().reset_index(name="items")
    order = list(GROUP_LABELS)
    moves = moves.assign(
        rank=moves["new_group"].map(order.index) * 10 + moves["old_group"].map(order.index),
        move=[f"{GROUP_LABELS[o]} → {GROUP_LABELS[n]}" for o, n in zip(moves["old_group"], moves["new_group"])],
    ).sort_values("rank")
    figure = go.Figure()
    for group in order:
        shown = moves[moves["new_group"] == group]
        if shown.empty:
            continue
        figure.add_bar(
            x=shown["items"],
            y=shown["move"],
            orientation="h",
            name=f"Now {GROUP_LABELS[group].lower()}",
            marker=dict(color=STATUS_GROUP_COLOURS[group], line=dict(color=BAR_EDGE, width=1)),
            text=_counts_text(shown["items"]),
            textposition="outside",
            hovertemplate="%{y}: %{x} items<extra></extra>",
        )
    figure.update_xaxes(title_text="Items", dtick=1, rangemode="tozero")
    figure.update_yaxes(title_text="Status group then → now", autorange="reversed")
    return _layout(figure, "Moves between status groups", max(260, 60 * len(moves) + 160))


def index_per_visit(trend: pd.DataFrame) -> go.Figure:
    """A State's implementation index at each follow-up visit, overall and per thematic area."""
    figure = go.Figure()
    for name, rows in trend.groupby("area_name", sort=False):
        overall = name == "All areas"
        figure.add_scatter(
            x=rows["label"],
            y=rows["implementation_index"],
            name=name,
            mode="lines+markers",
            line=dict(width=4 if overall else 1.5, color="#000000" if overall else None),
            connectgaps=False,
            hovertemplate=f"{name}<br>%{{x}}: %{{y:.1f}}<extra></extra>",
        )
    figure.update_yaxes(title_text="Implementation index (0–100)", range=[0, 105])
    figure.update_xaxes(title_text="Follow-up visit")
    return _layout(figure, "Implementation index at each follow-up visit", 460)


def _plain(text: Any) -> str:
    """A chart's label without its line breaks and bold marks."""
    words = re.sub(r"<br\s*/?>", " ", str(text))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", words)).strip()


def chart_name(figure: go.Figure) -> str:
    """What the chart shows, in words: its title, which names it for screen readers too."""
    return _plain(figure.layout.title.text or "Chart")


def _number_words(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.1f}"


def _axis(figure: go.Figure, name: str) -> Any:
    """The layout's axis of a trace's axis name: "x2" is `xaxis2`."""
    return figure.layout[f"{name[0]}axis{name[1:]}"]


def _category_order(figure: go.Figure) -> list[Any]:
    """The rows' order where the chart sets one (the grid's States, Plotly Express's category orders)."""
    for axis in (figure.layout.yaxis, figure.layout.xaxis):
        if axis.categoryorder == "array" and axis.categoryarray is not None:
            return list(axis.categoryarray)
    return []


def numbers(figure: go.Figure) -> pd.DataFrame:
    """The numbers a chart draws, as text: a row per category (a thematic area, a status, a State), a
    column per series (a status group, a visit, an area). Read from the figure itself, so the table
    always says what the chart shows."""
    cells: dict[str, dict[str, str]] = {}
    first, order = "", []
    for trace in figure.data:
        if trace.type == "scatter" and trace.mode and "text" in trace.mode:
            # A grid of squares: the square's place is its row and column, its colour its number.
            colours = trace.marker.color
            values = list(colours) if isinstance(colours, list | tuple) else [None] * len(trace.x)
            rows, columns = list(trace.y), [_plain(x) for x in trace.x]
            order = [_plain(x) for x in figure.layout.xaxis.categoryarray or ()]
        else:
            across = getattr(trace, "orientation", None) == "h"
            rows, values = (list(trace.y), list(trace.x)) if across else (list(trace.x), list(trace.y))
            x, y = _axis(figure, trace.xaxis or "x"), _axis(figure, trace.yaxis or "y")
            category, value = (y, x) if across else (x, y)
            first = first or _plain(category.title.text or "")
            columns = [_plain(trace.name or value.title.text or "Number")] * len(rows)
            # A bar's own words where it has them ("63.2 (n 12)", "no scored item"), else its number.
            if isinstance(trace.text, list | tuple) and len(trace.text) == len(values):
                values = [text or number for text, number in zip(trace.text, values, strict=True)]
        for row, column, number in zip(rows, columns, values, strict=True):
            cells.setdefault(_plain(row), {})[column] = number if isinstance(number, str) else _number_words(number)
    table = pd.DataFrame.from_dict(cells, orient="index")
    listed = [_plain(row) for row in _category_order(figure)]
    table = table.loc[[r for r in listed if r in table.index] + [r for r in table.index if r not in listed]]
    table = table[[c for c in order if c in table.columns] + [c for c in table.columns if c not in order]]
    meta = figure.layout.meta if isinstance(figure.layout.meta, dict) else {}
    return table.fillna("–").rename_axis(meta.get("rows") or first or "Category").reset_index()
