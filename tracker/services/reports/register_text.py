"""What a report says of a State's whole history (docs/committee-figures.md): the headline over every item under
follow-up beside the baseline's figure, the follow-up's scope, the trend like for like, the items
first raised after the baseline, and the recommendations to follow at the next visit.

With one baseline and one follow-up covering every area, none of these add a word.
"""

from typing import Any

from tracker.models import FindingKind
from tracker.services.presentation.palette import GROUP_NAMES
from tracker.services.presentation.wording import label, level_words, status_words
from tracker.services.progress.compared import Block, Comparison
from tracker.services.reports.model import Table

GROUPS = GROUP_NAMES


def _index(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def headline_block(result: Comparison) -> Block:
    """The block a report's headline counts (`Comparison.headline`)."""
    return result.headline


def raised_words(result: Comparison) -> str:
    """`8 raised at KOR-2011 and 3 at KOR-2017`."""
    by_visit = list((result.all_items.totals.items_by_visit or {}).items())
    parts = [f"{n} raised at {visit}" if i == 0 else f"{n} at {visit}" for i, (visit, n) in enumerate(by_visit)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def headline_paragraph(result: Comparison) -> str | None:
    """With items raised after the baseline: the index over all of them, and the baseline's beside it, each named."""
    if not result.wider:
        return None
    every, baseline = result.all_items.totals, result.totals
    return (
        f"Over all {result.all_items.item_count} items under follow-up ({raised_words(result)}), the "
        f"implementation index stands at {_index(every.implementation_index)} out of 100 over "
        f"{every.scored_items} scored items; over the {result.baseline_block.item_count} items of the baseline "
        f"visit {result.baseline_visit} alone it stands at {_index(baseline.implementation_index)} over "
        f"{baseline.scored_items}. {every.carried} statuses are carried from an earlier visit that last assessed "
        f"the item."
    )


def scope_paragraph(result: Comparison, area_names: dict[str, str]) -> str | None:
    """A focused follow-up: the areas it covered, and those left out, which nothing here counts."""
    if result.scope is None:
        return None
    covered = ", ".join(area_names.get(code, code) for code in result.scope)
    text = f"The follow-up visit {result.followup_visit} was focused on: {covered}."
    if result.out_of_scope_areas:
        left = ", ".join(area_names.get(code, code) for code in result.out_of_scope_areas)
        text += (
            f" Out of its scope, and neither counted nor listed here: {left} ({result.out_of_scope} baseline items)."
        )
    return text


def trend_paragraph(result: Comparison) -> str | None:
    """The trend like for like: the previous follow-up's items, scored at both visits."""
    trend = result.since_previous
    if trend is None:
        return None
    if not trend.item_count:
        return (
            f"No item followed up at the previous follow-up visit {trend.followup} is scored at both visits, "
            "so there is no like-for-like trend."
        )
    return (
        f"Like for like, over the same {trend.item_count} items scored at both visits, the implementation index "
        f"moved from {_index(trend.index_then)} at the previous follow-up visit {trend.followup} to "
        f"{_index(trend.index_now)} at {result.followup_visit}."
    )


def status_table(result: Comparison) -> Table:
    """The items by status group at the follow-up: the baseline's, or every item under follow-up."""
    block = headline_block(result)
    totals = block.totals
    groups = {group: totals.number(f"gaps_{group}") + totals.number(f"recs_{group}") for group in GROUPS}
    every = result.wider
    return Table(
        ["Status group", "Shortfalls", "Recommendations", "Total"],
        [[label(g), totals.count(f"gaps_{g}"), totals.count(f"recs_{g}"), groups[g]] for g in GROUPS]
        + [
            [
                "All items under follow-up" if every else "All baseline items",
                totals.baseline_gaps,
                totals.baseline_recommendations,
                totals.baseline_gaps + totals.baseline_recommendations,
            ]
        ],
        title=f"{'Items under follow-up' if every else 'Baseline items'} by status at the follow-up visit",
    )


def status_cell(row: dict[str, Any]) -> str:
    """An item's status in words, marked with the visit it is carried from."""
    return status_words(row["status"], row.get("status_visit", ""), bool(row.get("carried")))


def intermediate_tables(result: Comparison, items: list[dict[str, Any]]) -> list[Table]:
    """The annex's tables of items first raised at a visit between the baseline and the follow-up."""
    raised = [row for row in items if row["role"] == "intermediate"]
    tables = []
    for visit in dict.fromkeys(row["visit_id"] for row in raised):
        for kind, title in ((FindingKind.shortfall, "Shortfalls"), (FindingKind.recommendation, "Recommendations")):
            rows = [
                [
                    r["finding_id"],
                    r["sub_area_name"],
                    "Yes" if r["priority"] else "",
                    r["title"],
                    status_cell(r),
                    r["evidence"],
                    level_words(r["confidentiality"]),
                ]
                for r in raised
                if r["visit_id"] == visit and r["kind"] == kind
            ]
            if rows:
                tables.append(
                    Table(
                        ["Id", "Thematic area", "Priority", "Title", "Status at follow-up", "Evidence", "Level"],
                        rows,
                        title=f"{title} first raised at {visit}",
                    )
                )
    return tables


def next_visit_table(result: Comparison, items: list[dict[str, Any]]) -> Table | None:
    """The follow-up's recommendations that continue no visible earlier finding: to follow at the next visit."""
    rows = [
        [r["finding_id"], r["sub_area_name"], "Yes" if r["priority"] else "", r["title"]]
        for r in items
        if r["role"] == "new" and r["kind"] == FindingKind.recommendation
    ]
    if not rows:
        return None
    return Table(
        ["Id", "Thematic area", "Priority", "Recommendation"],
        rows,
        title=f"Recommendations of {result.followup_visit}, to follow at the next visit",
    )
