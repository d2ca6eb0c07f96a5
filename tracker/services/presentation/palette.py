"""Colours shared by the dashboard and the reports, so a status group looks the same everywhere.

The status groups are ordinal (closed > progressing > open), so they sit on one diverging
blue–red scale from ColorBrewer's RdBu, which readers with colour-vision deficiency can tell
apart; excluded items are neutral grey. Printed in black and white the four still differ: their
CIE lightness (L*) is about 20, 55, 77 and 95, at least GREYSCALE_MARGIN apart.
"""

from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True)
class StatusGroupLook:
    """How a status group is shown: its stored name, its word in a table header, its name in a
    chart's legend, and its colour."""

    name: str
    words: str
    legend: str
    colour: str


# The status groups in their order (closed > progressing > open, then excluded), declared once
# for every page, chart, workbook and report.
STATUS_GROUPS: tuple[StatusGroupLook, ...] = (
    StatusGroupLook("closed", "Closed", "Closed", "#053061"),
    StatusGroupLook("progressing", "Progressing", "Progressing", "#92c5de"),
    StatusGroupLook("open", "Open", "Open", "#d6604d"),
    StatusGroupLook("excluded", "Excluded", "Excluded (not scored)", "#f0f0f0"),
)
GROUP_NAMES: tuple[str, ...] = tuple(group.name for group in STATUS_GROUPS)
STATUS_GROUP_COLOURS = {group.name: group.colour for group in STATUS_GROUPS}
GROUP_LABELS = {group.name: group.legend for group in STATUS_GROUPS}
# Bars in very light colours need an edge to stand out from white paper.
BAR_EDGE = "#4d4d4d"
# The smallest difference in CIE lightness (0–100) between two status group colours.
GREYSCALE_MARGIN = 15.0

# Gaps first found at the follow-up are not a status of a baseline item, so they get a hue of their own.
NEW_GAPS_COLOUR = "#762a83"

# Baseline against follow-up counts (e.g. good practices), from ColorBrewer's PuOr.
VISIT_COLOURS = {"baseline": "#fdb863", "followup": "#5e3c99"}

# Meeting sectors are categories, not an order: Okabe and Ito's colour-blind-safe qualitative set,
# kept apart from the status colours so a sector never reads as a status.
SECTOR_COLOURS = {
    "government": "#0072b2",
    "law_enforcement": "#e69f00",
    "judiciary": "#009e73",
    "parliament": "#cc79a7",
    "private_sector": "#f0e442",
    "civil_society": "#56b4e9",
    "academia": "#d55e00",
    "international_org": "#000000",
    "other": "#999999",
}


def lightness(colour: str) -> float:
    """CIE L* (0 black – 100 white) of a `#rrggbb` colour: how light it prints in greyscale."""
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return 116 * luminance ** (1 / 3) - 16 if luminance > 216 / 24389 else luminance * 24389 / 27


# TA pipeline statuses run from identified to delivered on one sequential scale (ColorBrewer's
# Blues), darker as assistance comes closer; a declined need is neutral grey.
TA_STATUS_COLOURS = {
    "identified": "#deebf7",
    "agreed_by_state": "#c6dbef",
    "shared_with_providers": "#9ecae1",
    "matched": "#6baed6",
    "in_delivery": "#3182bd",
    "delivered": "#08519c",
    "declined": "#bababa",
}


# The implementation index (0–100) on one sequential scale, ColorBrewer's YlGnBu: light to dark as more
# is closed, readable with colour-vision deficiency and in greyscale. An area with no scored item has
# no index and is never painted with a colour of the scale.
INDEX_SCALE: list[tuple[float, str]] = [
    (0.0, "#ffffd9"),
    (0.25, "#c7e9b4"),
    (0.5, "#41b6c4"),
    (0.75, "#225ea8"),
    (1.0, "#081d58"),
]
NO_INDEX_COLOUR = "#6b6b6b"
# A table's index bars (a bar as long as the index, beside its number) in the scale's colour at 75.
INDEX_BAR = INDEX_SCALE[3][1]


def index_colour(value: float) -> str:
    """The `#rrggbb` of an index on INDEX_SCALE, interpolated between its stops."""
    share = min(max(value / 100, 0.0), 1.0)
    for (low, start), (high, end) in pairwise(INDEX_SCALE):
        if share <= high:
            weight = (share - low) / (high - low)
            channels = (
                round(int(start[i : i + 2], 16) + weight * (int(end[i : i + 2], 16) - int(start[i : i + 2], 16)))
                for i in (1, 3, 5)
            )
            return "#" + "".join(f"{channel:02x}" for channel in channels)
    return INDEX_SCALE[-1][1]


def index_ink(value: float) -> str:
    """Text on an index colour: white on the dark half of the scale, near-black on the light half."""
    return "#ffffff" if value >= 55 else "#1a1a1a"
