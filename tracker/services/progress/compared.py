"""The result of comparing a follow-up visit with its baseline (docs/committee-figures.md), typed.

Code reads the fields; `to_json()` gives the object `tracker compare --format json` prints, with
the keys in the design's order. Each class is also a read-only mapping of those keys, so a result
compares equal to the JSON object it stands for.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from tracker.models import StatusGroup

if TYPE_CHECKING:
    import pandas as pd

COUNT_FIELDS: tuple[str, ...] = (
    "baseline_gaps",
    "gaps_closed",
    "gaps_progressing",
    "gaps_open",
    "gaps_excluded",
    "baseline_recommendations",
    "recs_closed",
    "recs_progressing",
    "recs_open",
    "recs_excluded",
    "followup_gaps",
    "new_gaps",
    "good_practices_baseline",
    "good_practices_followup",
    "ta_needs_baseline",
    "ta_needs_followup",
)
# Added for a State's whole history after the index, per area and in totals.
HISTORY_FIELDS: tuple[str, ...] = ("carried", "followup_recs")


class _Keyed(Mapping[str, Any]):
    """A read-only mapping over the fields `_keys()` names, in that order."""

    # JSON keys whose field has another name (a mapping's own methods take some names).
    _FIELD_OF: ClassVar[dict[str, str]] = {}

    def _keys(self) -> tuple[str, ...]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, self._FIELD_OF.get(key, key))

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def to_json(self) -> dict[str, Any]:
        # Read by field directly: a report turns every area of every follow-up into JSON.
        field_of = self._FIELD_OF
        return {key: _json(getattr(self, field_of.get(key, key))) for key in self._keys()}

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Keyed):
            return self.to_json() == other.to_json()
        if isinstance(other, Mapping):
            return self.to_json() == {key: _json(value) for key, value in other.items()}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


_PLAIN = (int, float, str, bool, type(None))


def _json(value: Any) -> Any:
    if value.__class__ in _PLAIN:
        return value
    if isinstance(value, _Keyed):
        return value.to_json()
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, eq=False)
class Counts(_Keyed):
    """The counts of an area or of all areas, the index over their scored items, and the whole history's additions."""

    baseline_gaps: int = 0
    gaps_closed: int = 0
    gaps_progressing: int = 0
    gaps_open: int = 0
    gaps_excluded: int = 0
    baseline_recommendations: int = 0
    recs_closed: int = 0
    recs_progressing: int = 0
    recs_open: int = 0
    recs_excluded: int = 0
    followup_gaps: int = 0
    new_gaps: int = 0
    good_practices_baseline: int = 0
    good_practices_followup: int = 0
    ta_needs_baseline: int = 0
    ta_needs_followup: int = 0
    implementation_index: float | None = None
    scored_items: int = 0
    # Items whose status was carried from an earlier visit.
    carried: int = 0
    # Recommendations raised at the follow-up that continue no visible earlier finding.
    followup_recs: int = 0

    def _keys(self) -> tuple[str, ...]:
        return (*COUNT_FIELDS, "implementation_index", "scored_items", *HISTORY_FIELDS)

    def count(self, name: str) -> int | float | None:
        """A count (or the index) by its field name, for tables that list several."""
        value: int | float | None = getattr(self, name)
        return value

    def number(self, name: str) -> int:
        """A count by its field name (not the index)."""
        value = getattr(self, name)
        assert isinstance(value, int), name
        return value


@dataclass(frozen=True, eq=False)
class AreaCounts(Counts):
    area: str = ""

    def _keys(self) -> tuple[str, ...]:
        return ("area", *super()._keys())


@dataclass(frozen=True, eq=False)
class Totals(Counts):
    # Over the whole register only: how many items each visit first raised.
    items_by_visit: dict[str, int] | None = None

    def _keys(self) -> tuple[str, ...]:
        return (*super()._keys(), *(("items_by_visit",) if self.items_by_visit is not None else ()))


@dataclass(frozen=True, eq=False)
class Block(_Keyed):
    """Counts per area (taxonomy order, areas with any count), their totals and the status counts."""

    areas: list[AreaCounts]
    totals: Totals
    status_counts: dict[str, int]

    def _keys(self) -> tuple[str, ...]:
        return ("areas", "totals", "status_counts")

    @property
    def item_count(self) -> int:
        """How many trackable items the block counts."""
        return sum(self.status_counts.values())


@dataclass(frozen=True, eq=False)
class SincePrevious(_Keyed):
    """The index at the previous follow-up and at this one over the same items (like for like)."""

    followup: str
    item_count: int
    index_then: float | None
    index_now: float | None

    _FIELD_OF: ClassVar[dict[str, str]] = {"items": "item_count"}

    def _keys(self) -> tuple[str, ...]:
        return ("followup", "items", "index_then", "index_now")


@dataclass(frozen=True, eq=False)
class Comparison(_Keyed):
    """A follow-up visit compared with its baseline, over the baseline's items and over every item."""

    state: str
    baseline_visit: str
    followup_visit: str
    areas: list[AreaCounts]
    totals: Totals
    status_counts: dict[str, int]
    # Area codes the follow-up covered; None for every area.
    scope: list[str] | None = None
    out_of_scope: int = 0
    all_items: Block = field(default_factory=lambda: Block([], Totals(), {}))
    since_previous: SincePrevious | None = None
    # Not in the JSON: the areas of items under follow-up that the scope leaves out, in taxonomy order.
    out_of_scope_areas: list[str] = field(default_factory=list)

    def _keys(self) -> tuple[str, ...]:
        return (
            "state",
            "baseline_visit",
            "followup_visit",
            "areas",
            "totals",
            "status_counts",
            "scope",
            "out_of_scope",
            "all_items",
            "since_previous",
        )

    @property
    def baseline_block(self) -> Block:
        return Block(self.areas, self.totals, self.status_counts)

    @property
    def headline(self) -> Block:
        """What a headline counts: every item under follow-up when some were raised after the baseline, else the baseline's."""
        return self.all_items if self.wider else self.baseline_block

    @property
    def wider(self) -> bool:
        """The register holds items raised after the baseline: the headline is then over all items."""
        by_visit = self.all_items.totals.items_by_visit or {}
        return any(visit != self.baseline_visit and n for visit, n in by_visit.items())


# ---------------------------------------------------------------- plain-text and CSV renderings


# Column groups of the text table: (short header, field); the legend explains the headers.
_TABLE_GROUPS = [
    [("gaps", "baseline_gaps"), *((group[:2], f"gaps_{group}") for group in StatusGroup)],
    [("recs", "baseline_recommendations"), *((group[:2], f"recs_{group}") for group in StatusGroup)],
    [("f-gaps", "followup_gaps"), ("new", "new_gaps"), ("f-rec", "followup_recs")],
    [("gp-b", "good_practices_baseline"), ("gp-f", "good_practices_followup")],
    [("ta-b", "ta_needs_baseline"), ("ta-f", "ta_needs_followup")],
    [("ca", "carried"), ("index", "implementation_index"), ("n", "scored_items")],
]
_LEGEND = (
    "gaps, recs: baseline shortfalls and recommendations, and how many are now closed (cl), "
    "progressing (pr), open (op) or excluded (ex); f-gaps: shortfalls found at the follow-up, new: "
    "those that continue no earlier finding; f-rec: recommendations made at the follow-up, to follow "
    "at the next visit; gp, ta: good practices and TA needs at the baseline (b) and the follow-up (f); "
    "ca: items whose status is carried from an earlier visit; index: implementation index (0-100) over "
    "n scored items."
)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def _table(block: Block) -> list[str]:
    rows: list[tuple[str, Counts]] = [*((area.area, area) for area in block.areas), ("TOTAL", block.totals)]
    columns = [[("area", [name for name, _ in rows])]] + [
        [(header, [_cell(counts.count(name)) for _, counts in rows]) for header, name in group]
        for group in _TABLE_GROUPS
    ]

    def line(index: int | None) -> str:
        groups = []
        for group in columns:
            cells = []
            for header, values in group:
                size = max(len(header), *map(len, values))
                text = header if index is None else values[index]
                cells.append(text.ljust(size) if header == "area" else text.rjust(size))
            groups.append(" ".join(cells))
        return " | ".join(groups)

    header = line(None)
    rule = "-" * len(header)
    body = [line(index) for index in range(len(rows))]
    return [header, rule, *body[:-1], rule, body[-1]]


def render_table(result: Comparison, width: int = 100) -> str:
    """The comparison as plain text for a terminal of `width` columns."""
    wrap = functools.partial(textwrap.fill, width=width, break_on_hyphens=False)

    def statuses(block: Block) -> str:
        return ", ".join(f"{status} {count}" for status, count in block.status_counts.items())

    lines = [
        f"{result.state}: follow-up visit {result.followup_visit} compared with baseline visit {result.baseline_visit}",
        "",
        *_table(result.baseline_block),
        "",
        wrap(_LEGEND),
        "",
        wrap(f"Status of the {result.baseline_block.item_count} baseline items: {statuses(result.baseline_block)}."),
    ]
    if result.scope is not None:
        lines += [
            "",
            wrap(
                f"Scope of {result.followup_visit}: {', '.join(result.scope)}; {result.out_of_scope} baseline items out of scope."
            ),
        ]
    if result.wider:
        by_visit = result.all_items.totals.items_by_visit or {}
        raised = ", ".join(f"{n} at {visit}" for visit, n in by_visit.items())
        lines += [
            "",
            wrap(f"All {result.all_items.item_count} items under follow-up ({raised}):"),
            "",
            *_table(result.all_items),
            "",
            wrap(f"Status of all {result.all_items.item_count} items: {statuses(result.all_items)}."),
        ]
    if result.since_previous is not None:
        trend = result.since_previous
        lines += [
            "",
            wrap(
                f"Since the previous follow-up {trend.followup}, over the same {trend.item_count} items: "
                f"index {_cell(trend.index_then)} then, {_cell(trend.index_now)} now."
            ),
        ]
    return "\n".join(lines)


def areas_frame(block: Block, names: dict[str, str], history: bool = False) -> pd.DataFrame:
    """The per-area rows of a comparison as a table, with each area's name (and the whole history's counts if `history`)."""
    import numpy as np
    import pandas as pd

    areas = block.areas
    # Built column by column with its type: a report builds one per State.
    columns: dict[str, Any] = {
        "area": pd.Series([area.area for area in areas], dtype=None if areas else object),
        "area_name": pd.Series([names.get(area.area, area.area) for area in areas], dtype=None if areas else object),
    }
    columns |= {name: np.array([area.count(name) for area in areas], dtype="int64") for name in COUNT_FIELDS}
    columns["implementation_index"] = np.array(
        [np.nan if area.implementation_index is None else area.implementation_index for area in areas],
        dtype="float64",
    )
    columns["scored_items"] = np.array([area.scored_items for area in areas], dtype="int64")
    if history:
        columns |= {name: np.array([area.count(name) for area in areas], dtype="int64") for name in HISTORY_FIELDS}
    return pd.DataFrame(columns)


def render_csv(result: Comparison, names: dict[str, str]) -> str:
    """The per-area rows and a TOTAL row as CSV, with `\\n` line ends and empty cells for no index."""
    import pandas as pd

    frame = areas_frame(result.baseline_block, names, history=True)
    totals = pd.DataFrame(
        [{"area": "TOTAL", "area_name": "All areas"} | result.totals.to_json()], columns=frame.columns
    )
    return pd.concat([frame, totals], ignore_index=True).to_csv(index=False, lineterminator="\n")
