"""The look every chart of a report has on paper, whichever process draws it."""

import plotly.graph_objects as go
import plotly.io as pio

# The look of every chart of a report, whichever process draws it: the dashboard's process makes
# Streamlit's theme Plotly's default, whose margins cut the area names and put axis titles over the bars.
_PAPER_TEMPLATE = go.layout.Template(pio.templates["plotly"])


def on_paper(figure: go.Figure) -> go.Figure:
    """The figure with the report's own template in place of whatever default the process has set."""
    figure.layout.template = _PAPER_TEMPLATE
    return figure
