"""The §3 comparison of the demo (KOR-2023 against KOR-2009), worked out by hand from tracker/demo/*.csv.

Each area row lists, in COUNT_FIELDS order: baseline gaps and their closed / progressing / open /
excluded split, baseline recommendations and theirs, follow-up gaps, new gaps, good practices
(baseline, follow-up), TA needs (baseline, follow-up); then the index and the scored items.
"""

from tracker.services.progress.comparison import COUNT_FIELDS

STATUSES = (
    "fully_implemented",
    "addressed_otherwise",
    "largely_implemented",
    "partially_implemented",
    "initial_steps",
    "not_implemented",
    "contrary_action",
    "no_longer_relevant",
    "not_assessed",
    "insufficient_information",
)

# Everything visible. Scores: STRAT F01 4 + F15 3 (F23 no longer relevant); LEG F02 3, F03 2,
# F16 4; CJ F04 3, F05 2, F17 4; CFT F06 3, F07 1, F08 4, F18 3, F19 1; LE F09 4, F20 4
# (F10 insufficient information); BM F11 4, F12 2, F13 3, F21 4, F22 4; ICT F26 2;
# CVE F14 0 (F27 not assessed); HR F24 0; GEN F25 1. In all 65 points over 24 items: 67.7.
RESTRICTED_AREAS = {
    #        gaps cl pr op ex  recs cl pr op ex  fgap new gpb gpf tab taf  index  n
    "STRAT": (1, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 87.5, 2),
    "LEG": (2, 0, 2, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 75.0, 3),
    "CJ": (2, 0, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0, 75.0, 3),
    "CFT": (3, 1, 2, 0, 0, 2, 0, 2, 0, 0, 2, 1, 1, 1, 1, 1, 60.0, 5),
    "LE": (2, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 100.0, 2),
    "BM": (3, 1, 2, 0, 0, 2, 2, 0, 0, 0, 1, 1, 1, 1, 1, 0, 85.0, 5),
    "ICT": (0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0, 1, 0, 1, 50.0, 1),
    "CVE": (1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0.0, 1),
    "HR": (0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0.0, 1),
    "GEN": (0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 25.0, 1),
}
RESTRICTED_TOTALS = (14, 4, 8, 1, 1, 13, 5, 5, 1, 2, 8, 5, 4, 6, 3, 3, 67.7, 24)
RESTRICTED_STATUSES = (7, 2, 6, 4, 3, 1, 1, 1, 1, 1)

# At committee level the restricted and state_and_cted findings drop out: baseline F09 (LE gap,
# closed), F10 (LE gap, excluded), F34 (CJ TA need); follow-up F03 (CFT new gap), F05 (LE new
# gap), F22 (CFT good practice). 61 points over 23 items: 66.3.
COMMITTEE_AREAS = RESTRICTED_AREAS | {
    "CJ": (2, 0, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 75.0, 3),
    "CFT": (3, 1, 2, 0, 0, 2, 0, 2, 0, 0, 1, 0, 1, 0, 1, 1, 60.0, 5),
    "LE": (0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 100.0, 1),
}
COMMITTEE_TOTALS = (12, 3, 8, 1, 0, 13, 5, 5, 1, 2, 6, 3, 4, 5, 2, 3, 66.3, 23)
COMMITTEE_STATUSES = (7, 1, 6, 4, 3, 1, 1, 1, 1, 0)

# At public level only six good practices are left and nothing is scored.
PUBLIC_AREAS = {
    "STRAT": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, None, 0),
    "CJ": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, None, 0),
    "CFT": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, None, 0),
    "BM": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, None, 0),
    "HR": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, None, 0),
}
PUBLIC_TOTALS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, None, 0)
PUBLIC_STATUSES = (0,) * 10

_BY_LEVEL = {
    "restricted": (RESTRICTED_AREAS, RESTRICTED_TOTALS, RESTRICTED_STATUSES),
    "committee": (COMMITTEE_AREAS, COMMITTEE_TOTALS, COMMITTEE_STATUSES),
    "public": (PUBLIC_AREAS, PUBLIC_TOTALS, PUBLIC_STATUSES),
}


# Recommendations made at KOR-2023 (F09-F17, all committee, none continuing an earlier finding):
# ICT F09, F10, F11; CFT F12, F13; BM F14; CVE F15; HR F16; GEN F17. None are public.
FOLLOWUP_RECS = {"ICT": 3, "CFT": 2, "BM": 1, "CVE": 1, "HR": 1, "GEN": 1}


def _counts(values: tuple, followup_recs: int) -> dict:
    *counts, index, scored = values
    # With two visits no status is carried from an earlier one.
    return dict(zip(COUNT_FIELDS, counts, strict=True)) | {
        "implementation_index": index,
        "scored_items": scored,
        "carried": 0,
        "followup_recs": followup_recs,
    }


def expected_demo_comparison(level: str) -> dict:
    """The whole §3 object the demo must give at `level` (restricted, committee or public).

    With one baseline and one follow-up covering every area, §13 adds a blank scope, nothing out of
    scope, `all_items` equal to the §3 block (every item raised at KOR-2009) and no `since_previous`.
    """
    areas, totals, statuses = _BY_LEVEL[level]
    recs = FOLLOWUP_RECS if level != "public" else {}
    block = {
        "areas": [{"area": code} | _counts(values, recs.get(code, 0)) for code, values in areas.items()],
        "totals": _counts(totals, sum(recs.values())),
        "status_counts": dict(zip(STATUSES, statuses, strict=True)),
    }
    items = sum(statuses)
    return {
        "state": "KOR",
        "baseline_visit": "KOR-2009",
        "followup_visit": "KOR-2023",
        **block,
        "scope": None,
        "out_of_scope": 0,
        "all_items": block | {"totals": block["totals"] | {"items_by_visit": {"KOR-2009": items} if items else {}}},
        "since_previous": None,
    }
