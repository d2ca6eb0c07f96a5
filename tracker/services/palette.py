"""Colours shared by the dashboard and the reports, so a status group looks the same everywhere.

The status groups are ordinal (closed > progressing > open), so they sit on one diverging
blue–red scale from ColorBrewer's RdBu, which readers with colour-vision deficiency can tell
apart; excluded items are neutral grey.
"""

STATUS_GROUP_COLOURS = {
    "closed": "#2166ac",
    "progressing": "#92c5de",
    "open": "#d6604d",
    "excluded": "#bababa",
}

# Gaps first found at the follow-up are not a status of a baseline item, so they get a hue of their own.
NEW_GAPS_COLOUR = "#762a83"

# Baseline against follow-up counts (e.g. good practices), from ColorBrewer's PuOr.
VISIT_COLOURS = {"baseline": "#fdb863", "followup": "#5e3c99"}

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
