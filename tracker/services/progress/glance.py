"""The Overview's headline figures, defined once for the page and for anyone who quotes them."""

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class OverviewFigures:
    """What the Overview counts over the follow-up visits chosen by its filters."""

    states: int
    followup_visits: int
    findings: int
    mean_index: float | None


def overview_figures(chosen: pd.DataFrame, index: pd.DataFrame, counts: pd.DataFrame) -> OverviewFigures:
    """The figures for the `chosen` rows of `comparison.followup_visits`.

    `index` is `comparison.cross_state_index` and `counts` `records.finding_counts`, both at the
    level viewed. Findings are those of the chosen follow-up visits and of their baselines; the mean
    index is the mean of the chosen follow-ups' overall index ("ALL"), over those that have one.
    """
    visits = set(chosen["visit_id"])
    overall = index[(index["area"] == "ALL") & index["followup_visit"].isin(visits)]["implementation_index"]
    recorded = counts[counts["visit_id"].isin(visits | set(chosen["baseline_visit_id"].dropna()))]["findings"]
    mean = overall.mean()
    return OverviewFigures(
        states=int(chosen["state"].nunique()),
        followup_visits=len(chosen),
        findings=int(recorded.sum()),
        mean_index=None if pd.isna(mean) else float(mean),
    )
