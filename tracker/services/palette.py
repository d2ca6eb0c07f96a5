"""Colours shared by the dashboard and the reports, so a status group looks the same everywhere.

The status groups are ordinal (closed > progressing > open), so they sit on one diverging
blue–red scale from ColorBrewer's RdBu, which readers with colour-vision deficiency can tell
apart; excluded items are neutral grey. Printed in black and white the four still differ: their
CIE lightness (L*) is about 20, 55, 77 and 95, at least GREYSCALE_MARGIN apart.
"""

STATUS_GROUP_COLOURS = {
    "closed": "#053061",
    "progressing": "#92c5de",
    "open": "#d6604d",
    "excluded": "#f0f0f0",
}
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
