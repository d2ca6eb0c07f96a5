"""Reports to the Committee (docs/committee-figures.md), built on the comparison service so their numbers are the comparison's.

Every count in a report comes from `compare`, `areas_frame`, `item_table`, `new_issues`,
`priority_items`, `followup_visits` or `cross_state_index` at the report's level; the visits, good
practices, TA needs and meetings it lists come from the same visible-row queries the dashboard uses.
Every value is written in words (areas by their stored names, statuses, kinds and levels through
`wording`), and every date in one style.

Its parts: what a report reads of each follow-up (collected), the report on one State's follow-up
(state_report) and the report on a period (period_report).
"""

from tracker.services.reports.collected import (
    AREA_TABLES,
    GROUPS,
    PERIOD_SORTS,
    PeriodSort,
    parse_period,
    period_sort,
    period_title,
)
from tracker.services.reports.period_report import build_period_report, followup_periods
from tracker.services.reports.state_report import build_state_report

__all__ = [
    "AREA_TABLES",
    "GROUPS",
    "PERIOD_SORTS",
    "PeriodSort",
    "build_period_report",
    "build_state_report",
    "followup_periods",
    "parse_period",
    "period_sort",
    "period_title",
]
