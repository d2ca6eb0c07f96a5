"""Plotly figures of a report, and their PNG images for the DOCX rendering."""

import logging
import math
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import kaleido
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tracker.services.palette import NEW_GAPS_COLOUR, STATUS_GROUP_COLOURS

_GROUP_LABELS = {"closed": "Closed", "progressing": "Progressing", "open": "Open", "excluded": "Excluded (not scored)"}
_FONT = dict(family="Arial, Helvetica, sans-serif", size=12)


def _label(name: str) -> str:
    return textwrap.shorten(name, 42, placeholder="…")


def area_progress(areas: pd.DataFrame) -> go.Figure:
    """Baseline items by status group per area, beside the new shortfalls found at the follow-up."""
    labels = [_label(name) for name in areas["area_name"]]
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.78, 0.22],
        horizontal_spacing=0.03,
        subplot_titles=("Baseline shortfalls and recommendations", "New shortfalls"),
    )
    for group, colour in STATUS_GROUP_COLOURS.items():
        counts = areas[f"gaps_{group}"] + areas[f"recs_{group}"]
        figure.add_trace(
            go.Bar(y=labels, x=counts, name=_GROUP_LABELS[group], orientation="h", marker_color=colour),
            row=1,
            col=1,
        )
    figure.add_trace(
        go.Bar(y=labels, x=areas["new_gaps"], name="New at follow-up", orientation="h", marker_color=NEW_GAPS_COLOUR),
        row=1,
        col=2,
    )
    figure.update_layout(
        barmode="stack",
        font=_FONT,
        height=160 + 34 * len(labels),
        margin=dict(l=10, r=10, t=60, b=40),
        legend=dict(orientation="h", yanchor="top", y=-0.08, x=0, traceorder="normal"),
        plot_bgcolor="white",
        title=dict(text="Progress per thematic area", x=0),
    )
    figure.update_yaxes(autorange="reversed")
    baseline_items = areas["baseline_gaps"] + areas["baseline_recommendations"]
    for column, largest in ((1, baseline_items.max()), (2, areas["new_gaps"].max())):
        figure.update_xaxes(gridcolor="#e5e5e5", rangemode="tozero", dtick=_whole_step(largest), row=1, col=column)
    return figure


def _whole_step(largest: int) -> int:
    """A tick step for counts: whole numbers, about eight ticks at most."""
    return max(1, math.ceil(largest / 8))


_server_lock = threading.Lock()
_server_users = 0


@contextmanager
def image_server() -> Iterator[None]:
    """Keep one headless browser for every PNG drawn inside; concurrent users share it."""
    global _server_users
    with _server_lock:
        if _server_users == 0:
            # The browser driver logs a traceback for a garbled message it then ignores; keep it off
            # the command line and the server log. A failure that matters raises instead.
            logging.getLogger("choreographer").setLevel(logging.CRITICAL)
            kaleido.start_sync_server(silence_warnings=True)
        _server_users += 1
    try:
        yield
    finally:
        with _server_lock:
            _server_users -= 1
            if _server_users == 0:
                kaleido.stop_sync_server(silence_warnings=True)


def png(figure: go.Figure, width: int = 900) -> bytes:
    """The figure as a PNG at twice its size, sharp when printed."""
    height = figure.layout.height or 500
    return kaleido.calc_fig_sync(figure, opts={"format": "png", "width": width, "height": height, "scale": 2})
