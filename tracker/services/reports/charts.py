"""Plotly figures of a report, and their PNG images for the DOCX rendering."""

import copy
import math
import queue
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from functools import cache
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tracker.errors import TrackerError
from tracker.services.presentation.frames import rows_of
from tracker.services.presentation.palette import (
    BAR_EDGE,
    GROUP_LABELS,
    NEW_GAPS_COLOUR,
    STATUS_GROUP_COLOURS,
    lightness,
)
from tracker.services.reports import chart_browser
from tracker.services.reports.model import Chart

_FONT = dict(family="Arial, Helvetica, sans-serif", size=12)
# Area names wrap at word boundaries onto lines of about this many characters.
_NAME_WIDTH = 34


def wrapped(name: str, width: int = _NAME_WIDTH) -> str:
    """A full name on several lines, broken between words only."""
    return "<br>".join(textwrap.wrap(name, width, break_long_words=False, break_on_hyphens=False))


def _text_colour(colour: str) -> str:
    """Black on light segments, white on dark ones, so every count label reads in print."""
    return "#ffffff" if lightness(colour) < 50 else "#000000"


def area_progress(areas: pd.DataFrame) -> Chart:
    """Baseline items by status group per area, beside the new shortfalls found at the follow-up."""
    return Chart(lambda: _area_progress_figure(areas), _area_progress_text(areas), _AREA_PROGRESS_TITLE)


_AREA_PROGRESS_TITLE = "Progress per thematic area"


@cache
def _area_progress_grid() -> dict[str, Any]:
    """The two panels side by side, sharing the areas; the same for every State."""
    grid: dict[str, Any] = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.78, 0.22],
        horizontal_spacing=0.03,
        subplot_titles=("Baseline shortfalls and recommendations", "New shortfalls"),
    ).to_dict()["layout"]
    return grid


def _bar(labels: list[str], counts: pd.Series, name: str, colour: str, text_colour: str, panel: str) -> dict[str, Any]:
    return dict(
        type="bar",
        y=labels,
        x=counts.to_numpy(),
        name=name,
        orientation="h",
        marker=dict(color=colour, line=dict(color=BAR_EDGE, width=0.6)),
        text=[str(n) if n else "" for n in counts],
        textposition="inside",
        insidetextanchor="middle",
        textfont=dict(color=text_colour, size=11),
        xaxis=f"x{panel}",
        yaxis=f"y{panel}",
    )


def _area_progress_figure(areas: pd.DataFrame) -> go.Figure:
    labels = [wrapped(name) for name in areas["area_name"]]
    bars = [
        _bar(
            labels,
            areas[f"gaps_{group}"] + areas[f"recs_{group}"],
            GROUP_LABELS[group],
            colour,
            _text_colour(colour),
            "",
        )
        for group, colour in STATUS_GROUP_COLOURS.items()
    ]
    bars.append(_bar(labels, areas["new_gaps"], "New at follow-up", NEW_GAPS_COLOUR, "#ffffff", "2"))
    lines = sum(label.count("<br>") + 1 for label in labels)
    layout = copy.deepcopy(_area_progress_grid())
    layout.update(
        barmode="stack",
        font=_FONT,
        height=200 + 22 * lines + 14 * len(labels),
        margin=dict(l=10, r=10, t=70, b=60),
        legend=dict(orientation="h", yanchor="top", y=-0.12, x=0, traceorder="normal"),
        plot_bgcolor="white",
        uniformtext=dict(minsize=9, mode="show"),
        title=dict(text=_AREA_PROGRESS_TITLE, x=0),
    )
    layout["yaxis"].update(autorange="reversed", title=dict(text="Thematic area"))
    baseline_items = areas["baseline_gaps"] + areas["baseline_recommendations"]
    for axis, largest, title in (
        ("xaxis", baseline_items.max(), "Baseline items (number)"),
        ("xaxis2", areas["new_gaps"].max(), "New shortfalls (number)"),
    ):
        layout[axis].update(gridcolor="#e5e5e5", rangemode="tozero", dtick=_whole_step(largest), title=dict(text=title))
    # Built from plain values that are valid by construction: Plotly's checking of each property
    # was most of the figure's time, once per State in a period report.
    return go.Figure(data=bars, layout=layout, _validate=False)


def _area_progress_text(areas: pd.DataFrame) -> str:
    """The chart's numbers in one paragraph: what a reader who cannot see it needs."""
    parts = []
    for row in rows_of(areas):
        groups = ", ".join(
            f"{getattr(row, f'gaps_{g}') + getattr(row, f'recs_{g}')} {GROUP_LABELS[g].split(' ')[0].lower()}"
            for g in STATUS_GROUP_COLOURS
        )
        parts.append(f"{row.area_name}: {groups}; {row.new_gaps} new shortfalls")
    return (
        "Bar chart of the baseline shortfalls and recommendations of each thematic area by their status "
        "at the follow-up visit, beside the new shortfalls. " + ". ".join(parts) + "."
    )


_HEATMAP_TITLE = "Implementation index (0 = nothing implemented, 100 = all closed) by area"
# Past this many follow-up visits a printed column is too narrow for a State's name.
_NAMED_COLUMNS = 12


def index_heatmap(index: pd.DataFrame, names: dict[str, str]) -> Chart:
    """The cross-State heatmap for paper: areas as rows named in full, one column per follow-up visit.

    Paper has no hover, so every name is written out and every cell carries its index.
    """
    present = set(index["area"]) - {"ALL"}
    areas = ["ALL", *[code for code in names if code in present], *sorted(present - set(names))]
    visits = index.drop_duplicates("followup_visit")
    grid = (
        index.astype({"implementation_index": "float64"})
        .pivot(index="area", columns="followup_visit", values="implementation_index")
        .reindex(index=areas, columns=visits["followup_visit"])
    )
    named = len(visits) <= _NAMED_COLUMNS
    columns = [
        wrapped(f"{row.state_name} {row.followup_visit}", 14) if named else row.followup_visit
        for row in rows_of(visits)
    ]
    rows = [wrapped("All areas" if code == "ALL" else names.get(code, code)) for code in areas]
    scale = [[0.0, STATUS_GROUP_COLOURS["open"]], [0.5, "#f7f7f7"], [1.0, STATUS_GROUP_COLOURS["closed"]]]
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=columns,
            y=rows,
            zmin=0,
            zmax=100,
            colorscale=scale,
            text=grid.map(lambda v: "" if pd.isna(v) else f"{v:.1f}").to_numpy(),
            texttemplate="%{text}",
            colorbar=dict(title=dict(text="Index"), tickvals=[0, 25, 50, 75, 100], len=1, thickness=14),
            hoverongaps=False,
            xgap=2,
            ygap=2,
        )
    )
    figure.update_xaxes(title_text="Follow-up visit", side="top", tickangle=0 if named else -90)
    figure.update_yaxes(title_text="Thematic area", autorange="reversed")
    lines = sum(row.count("<br>") + 1 for row in rows)
    figure.update_layout(
        font=_FONT,
        title=dict(text=_HEATMAP_TITLE, x=0, y=0.99, yanchor="top"),
        height=220 + 18 * lines + 10 * len(rows),
        margin=dict(l=10, r=10, t=150, b=20),
        plot_bgcolor="white",
    )
    overall = index[index["area"] == "ALL"]
    described = "; ".join(
        f"{row.state_name} " + ("no index" if pd.isna(row.implementation_index) else f"{row.implementation_index:.1f}")
        for row in rows_of(overall)
    )
    return Chart(
        lambda: figure,
        "Heatmap of the implementation index (0 to 100) of each follow-up visit per thematic area. "
        f"Overall index per State: {described}.",
        _HEATMAP_TITLE,
    )


def _whole_step(largest: int) -> int:
    """A tick step for counts: whole numbers, about eight ticks at most."""
    return max(1, math.ceil(largest / 8))


# Figures handed to the browser before a tab is free for them: enough to keep every tab busy.
_AHEAD = 4


class BackgroundImages:
    """The PNG of each chart, in order, drawn from the start so that the caller can write the rest
    of the document meanwhile.

    A thread builds each figure and hands it to the browser, which draws as many at once as it has
    tabs. A failure is raised where its image is asked for, and `close()` stops the drawing of a
    document abandoned half-way. Needs an `image_server()` around it.
    """

    def __init__(self, charts: list[Chart]):
        self._charts = charts
        self._drawn: queue.Queue[Future[bytes]] = queue.Queue()
        self._stop = threading.Event()
        # Held while a figure is handed in and while closing, so that none is handed in after close().
        self._handing = threading.Lock()
        # A few figures wait their turn ahead of the tabs; the others are built only as tabs free up.
        self._ahead = threading.Semaphore(_AHEAD)
        self._server = chart_browser.running()
        if charts:
            if self._server is None:
                raise RuntimeError("charts are drawn inside image_server()")
            threading.Thread(target=self._hand_in, name="report-charts", daemon=True).start()

    def _hand_in(self) -> None:
        assert self._server is not None
        for chart in self._charts:
            while not self._ahead.acquire(timeout=0.1):
                if self._stop.is_set():
                    return
            with self._handing:
                if self._stop.is_set():
                    return
                try:
                    drawn = self._server.draw(chart.figure, _options(chart.figure))
                except BaseException as error:  # handed to the reader, who raises it
                    drawn = Future()
                    drawn.set_exception(error)
                drawn.add_done_callback(lambda _: self._ahead.release())
                self._drawn.put(drawn)

    def __iter__(self) -> Iterator[bytes]:
        for chart in self._charts:
            try:
                yield self._drawn.get().result()
            except Exception as error:
                # The first sentence of the browser's own message only, to keep to one sentence.
                detail = (str(error).strip().splitlines() or [""])[0].split(". ")[0].rstrip(".")
                raise TrackerError(
                    f"the chart '{chart.title}' could not be drawn ({type(error).__name__}{': ' if detail else ''}{detail})",
                    "check that Chromium is installed, or leave the charts out",
                ) from error

    def close(self) -> None:
        with self._handing:
            self._stop.set()
        while True:
            try:
                self._drawn.get_nowait().cancel()
            except queue.Empty:
                return


def _options(figure: go.Figure, width: int = 900) -> dict[str, Any]:
    """The figure at twice its size, sharp when printed."""
    return {"format": "png", "width": width, "height": figure.layout.height or 500, "scale": 2}
