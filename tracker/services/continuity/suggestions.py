"""Continuity suggestions: which earlier finding each follow-up finding restates.

A follow-up finding with no `continues` is compared with the earlier findings of the same State
the reader may see, by the scoring module beside this one: candidates of a compatible kind only,
the top-level area as a strong prior, and one pairing of the whole follow-up, so that an earlier
finding is restated at most once. A pair an analyst has rejected is never suggested again;
accepting one writes `continues` through the bundle importer, with its checks and audit trail,
and can be reviewed first and undone.
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, Select, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.errors import NotFound, TrackerError, ValidationFailed
from tracker.models import TRACKABLE_KINDS, Assessment, Confidentiality, Finding, LinkDecision, Visit, table_of
from tracker.services.bundle.files import SPECS
from tracker.services.continuity.threshold import DEFAULT_MIN_SCORE as DEFAULT_MIN_SCORE
from tracker.services.continuity.threshold import WORD_WEIGHT
from tracker.services.people.access import (
    Actor,
    assessment_visible,
    continued_shown,
    effective_level,
    finding_visible,
    no_such,
    require_writer,
    visit_visible,
)

# The scorer beside this module, and the names the tests and the benchmark read through this one.
from .scoring import COMPATIBLE as COMPATIBLE
from .scoring import MAX_SUGGESTIONS, Evidence, Text, Weights, similarity, suggest
from .scoring import Ranked as Ranked
from .scoring import Similarity as Similarity
from .scoring import assign as assign
from .scoring import compatible as compatible

if TYPE_CHECKING:
    import pandas as pd


_TRACKABLE = [kind.value for kind in TRACKABLE_KINDS]


@dataclass(frozen=True)
class Suggestion:
    baseline_id: str
    score: float
    evidence: Evidence = field(default_factory=Evidence, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"baseline_id": self.baseline_id, "score": self.score}


@dataclass
class FindingSuggestions:
    finding_id: str
    suggestions: list[Suggestion] = field(default_factory=list)
    # With no suggestion: the best candidate below the threshold, shown as "possible, check".
    possible: Suggestion | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "suggestions": [s.as_dict() for s in self.suggestions],
            "possible": self.possible.as_dict() if self.possible else None,
        }


# ---------------------------------------------------------------- scoring


def rank(
    later: Sequence[Text],
    earlier: Sequence[Text],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    limit: int = MAX_SUGGESTIONS,
) -> list[FindingSuggestions]:
    """For each later finding, the earlier ones of any kind at or above `min_score`, each on its
    own (no pairing): same top-level area first, then by score. Used to find evidence of what
    became of a baseline item, where one follow-up finding may speak to several."""
    import numpy as np

    scores = np.round(similarity(later, earlier).combined(WORD_WEIGHT), 3)
    earlier_ids = [t.finding_id for t in earlier]
    earlier_areas = np.array([t.top_area for t in earlier], dtype=object)
    # Ties are broken by id, so the same data always gives the same order.
    id_order = np.argsort(np.argsort(np.array(earlier_ids, dtype=object)))
    ranked = []
    for row, finding in enumerate(later):
        columns = np.flatnonzero(scores[row] >= min_score)
        other_area = earlier_areas[columns] != finding.top_area
        # lexsort sorts by its last key first: area, then score (highest first), then id.
        best = columns[np.lexsort((id_order[columns], -scores[row, columns], other_area))][:limit]
        ranked.append(
            FindingSuggestions(finding.finding_id, [Suggestion(earlier_ids[c], float(scores[row, c])) for c in best])
        )
    return ranked


# ---------------------------------------------------------------- reading


def _followup(connection: Connection, followup: str, level: Confidentiality) -> Row[*tuple[Any, ...]]:
    visit = connection.execute(
        select(col(Visit.visit_id), col(Visit.state), col(Visit.start_date)).where(
            col(Visit.visit_id) == followup, visit_visible(level)
        )
    ).first()
    if visit is None:
        raise NotFound(no_such("visit", followup), "check the visit id with 'tracker compare'")
    return visit


def _texts(rows: Iterable[Row[*tuple[Any, ...]]]) -> list[Text]:
    return [Text(row.finding_id, row.area, row.title, row.detail, row.kind) for row in rows]


def _finding_columns() -> Select[*tuple[Any, ...]]:
    return select(
        col(Finding.finding_id), col(Finding.area), col(Finding.title), col(Finding.detail), col(Finding.kind)
    ).join(Visit, col(Visit.visit_id) == col(Finding.visit_id))


def _rejected(connection: Connection, finding_ids: list[str]) -> frozenset[tuple[str, str]]:
    if not finding_ids:
        return frozenset()
    rows = connection.execute(
        select(col(LinkDecision.finding_id), col(LinkDecision.baseline_id)).where(
            col(LinkDecision.finding_id).in_(finding_ids)
        )
    )
    return frozenset((a, b) for a, b in rows)


def suggest_links(
    engine: Engine,
    actor: Actor,
    followup: str,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    level: str | Confidentiality | None = None,
) -> list[FindingSuggestions]:
    """Every visible finding of the follow-up with no visible `continues`, in id order, with its candidates.

    Candidates are the visible findings of the State's earlier visits of a compatible kind; a
    rejected pair is left out.
    """
    if not 0 <= min_score <= 1:
        raise TrackerError(f"the minimum score {min_score:g} is not between 0 and 1", "give a number such as 0.3")
    require_schema(engine)
    level = effective_level(actor, level)
    with reading(engine) as connection:
        visit = _followup(connection, followup, level)
        linked = continued_shown(level).label("linked")
        visit_findings = connection.execute(
            _finding_columns()
            .add_columns(linked)
            .where(col(Finding.visit_id) == followup, finding_visible(level))
            .order_by(col(Finding.finding_id))
        ).all()
        later = _texts(row for row in visit_findings if not row.linked)
        context = _texts(row for row in visit_findings if row.linked)
        earlier = _texts(
            connection.execute(
                _finding_columns()
                .where(
                    col(Visit.state) == visit.state, col(Visit.start_date) < visit.start_date, finding_visible(level)
                )
                .order_by(col(Finding.finding_id))
            )
        )
        rejected = _rejected(connection, [t.finding_id for t in later])
    ranked = suggest(later, earlier, weights=Weights(min_score=min_score), rejected=rejected, context=context)

    def suggestion(candidate: Any) -> Suggestion:
        return Suggestion(candidate.baseline_id, candidate.score, candidate.evidence)

    return [
        FindingSuggestions(
            item.finding_id,
            [suggestion(c) for c in item.candidates],
            suggestion(item.possible) if item.possible else None,
        )
        for item in ranked
    ]


EVIDENCE_COLUMNS = ["baseline_id", "baseline_area", "baseline_title", "rank", "score", "finding_id", "kind", "title"]


def suggest_evidence(
    engine: Engine,
    actor: Actor,
    followup: str,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    level: str | Confidentiality | None = None,
) -> "pd.DataFrame":
    """For each baseline shortfall or recommendation not yet assessed at the follow-up, the
    follow-up findings whose text looks like evidence of what became of it (a progress note, a
    good practice, a restated gap): one row per pair, best first, in baseline id order."""
    import pandas as pd

    require_schema(engine)
    level = effective_level(actor, level)
    judged = aliased(Assessment)
    with reading(engine) as connection:
        visit = connection.execute(
            select(col(Visit.visit_id), col(Visit.baseline_visit_id)).where(
                col(Visit.visit_id) == followup, visit_visible(level)
            )
        ).first()
        if visit is None:
            raise NotFound(no_such("visit", followup), "check the visit id with 'tracker compare'")
        assessed = select(col(judged.finding_id)).where(
            col(judged.finding_id) == col(Finding.finding_id),
            col(judged.visit_id) == followup,
            assessment_visible(level, judged),
        )
        baseline = connection.execute(
            _finding_columns()
            .where(
                col(Finding.visit_id) == visit.baseline_visit_id,
                col(Finding.kind).in_(_TRACKABLE),
                finding_visible(level),
                ~assessed.exists(),
            )
            .order_by(col(Finding.finding_id))
        ).all()
        evidence = connection.execute(
            _finding_columns()
            .where(col(Finding.visit_id) == followup, finding_visible(level))
            .order_by(col(Finding.finding_id))
        ).all()
    items, found = {row.finding_id: row for row in baseline}, {row.finding_id: row for row in evidence}
    rows = []
    for item in rank(_texts(baseline), _texts(evidence), min_score=min_score):
        base = items[item.finding_id]
        for rank_at, s in enumerate(item.suggestions, start=1):
            later = found[s.baseline_id]
            rows.append(
                [base.finding_id, base.area, base.title, rank_at, s.score, later.finding_id, later.kind, later.title]
            )
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


SUGGESTION_COLUMNS = [
    "finding_id",
    "rank",
    "score",
    "baseline_id",
    "area",
    "kind",
    "title",
    "detail",
    "baseline_area",
    "baseline_kind",
    "baseline_title",
    "baseline_detail",
    "possible",
    "shared_words",
    "same_area",
    "evidence",
]


def suggestion_table(
    engine: Engine,
    actor: Actor,
    ranked: list[FindingSuggestions],
    *,
    level: str | Confidentiality | None = None,
) -> "pd.DataFrame":
    """One row per finding and candidate, with both findings' area, kind, title and detail, for
    reading side by side, and the evidence behind the candidate (shared words, area, kinds).

    A finding with no suggestion has one row of rank 0: with its `possible` candidate (and
    `possible` true) when it has one, with no candidate when it looks new."""
    import pandas as pd

    level = effective_level(actor, level)
    ids = {item.finding_id for item in ranked} | {s.baseline_id for item in ranked for s in item.suggestions}
    ids |= {item.possible.baseline_id for item in ranked if item.possible}
    found = {}
    with reading(engine) as connection:
        for chunk in _chunks(sorted(ids), 1000):
            for row in connection.execute(
                _finding_columns().where(col(Finding.finding_id).in_(chunk), finding_visible(level))
            ):
                found[row.finding_id] = row
    rows = []
    for item in ranked:
        later = found[item.finding_id]
        described = [later.area, later.kind, later.title, later.detail]
        shown = [(rank_at, s, False) for rank_at, s in enumerate(item.suggestions, start=1)]
        if item.possible:
            shown = [(0, item.possible, True)]
        if not shown:
            rows.append([item.finding_id, 0, None, "", *described, "", "", "", "", False, "", None, ""])
        for rank_at, suggestion, possible in shown:
            earlier = found[suggestion.baseline_id]
            evidence = suggestion.evidence
            rows.append(
                [
                    item.finding_id,
                    rank_at,
                    suggestion.score,
                    suggestion.baseline_id,
                    *described,
                    *(earlier.area, earlier.kind, earlier.title, earlier.detail),
                    possible,
                    ", ".join(evidence.shared_words),
                    evidence.same_area,
                    evidence.in_words(),
                ]
            )
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# ---------------------------------------------------------------- deciding


def _import(
    engine: Engine,
    actor: Actor,
    files: dict[str, list[dict[str, Any]]],
    *,
    dry_run: bool = False,
    before: dict[str, Any] | None = None,
) -> list[Any]:
    """Write the rows through the importer, in one transaction, with its checks and audit trail (or
    only check them, with `dry_run`); the changes it makes or would make.

    A finding is written only where it differs from `before`, which the stored finding must still
    hold: when it has moved since, nothing is written (ChangedSince).
    """
    from tracker.services.bundle.importer import import_rows
    from tracker.services.bundle.review_guard import ChangedSince
    from tracker.services.records.saving import guarded_row

    expected = None
    if before is not None and "findings.csv" in files:
        row, guard = guarded_row(SPECS["findings.csv"], files["findings.csv"][0], before)
        files, expected = files | {"findings.csv": [row]}, dict([guard])
    result = import_rows(engine, files, actor, origin="continuity", dry_run=dry_run, expected=expected)
    if result.moved:
        raise ChangedSince(result.moved)
    if not result.ok:
        first = result.errors[0]
        raise ValidationFailed(
            f"nothing was saved: {first.message}",
            [{"key": "", "field": e.column, "message": e.message} for e in result.errors],
        )
    return list(result.changes)


def _visible_finding(engine: Engine, actor: Actor, finding_id: str, baseline_id: str) -> dict[str, Any]:
    """The finding as records.get_finding gives it, once the two ids are known to be in order."""
    from tracker.services.records.editing import get_finding

    finding = get_finding(engine, actor, finding_id)
    level = effective_level(actor)
    with reading(engine) as connection:
        starts: dict[str, dt.date] = dict(
            connection.execute(
                select(col(Finding.finding_id), col(Visit.start_date))
                .join(Visit, col(Visit.visit_id) == col(Finding.visit_id))
                .where(col(Finding.finding_id).in_([finding_id, baseline_id]), finding_visible(level))
            ).all()
        )
    if baseline_id in starts and starts[baseline_id] > starts[finding_id]:
        raise TrackerError(
            f"{baseline_id} is from a later visit than {finding_id}",
            "give the follow-up finding first, then the earlier finding it restates",
        )
    return finding


@dataclass(frozen=True)
class GapCount:
    """The new gaps of the finding's follow-up visit (docs/committee-figures.md) before and after a decision."""

    visit_id: str
    before: int
    after: int

    def in_words(self) -> str:
        if self.before == self.after:
            return f"New gaps at {self.visit_id}: {self.before} (unchanged)."
        return f"New gaps at {self.visit_id}: {self.before} → {self.after}."


@dataclass(frozen=True)
class Decision:
    """What an accept, a reject or a clear did (or, in a review, would do), in words an analyst reads."""

    finding_id: str
    baseline_id: str
    previous: str | None
    changes: list[Any] = field(default_factory=list, compare=False)
    gaps: GapCount | None = field(default=None, compare=False)

    def accepted_text(self) -> str:
        if self.previous == self.baseline_id:
            return f"{self.finding_id} already continues {self.baseline_id}; nothing changed."
        before = f" (it continued {self.previous} before)" if self.previous else ""
        return f"{self.finding_id} now continues {self.baseline_id}{before}."

    def rejected_text(self) -> str:
        if self.previous == self.baseline_id:
            return (
                f"{self.finding_id} no longer continues {self.baseline_id}, and the pair will not be suggested again."
            )
        return (
            f"{self.finding_id} is recorded as not continuing {self.baseline_id}; the pair will not be suggested again."
        )

    def cleared_text(self) -> str:
        if not self.previous:
            return f"{self.finding_id} continues no earlier finding; nothing changed."
        return f"{self.finding_id} no longer continues {self.previous}."

    def change_lines(self) -> list[str]:
        """Each changed field, before → after, and what the new-gap count becomes."""
        lines = [
            f"  {change.key}  {change.field}: {change.old or '(empty)'} → {change.new or '(empty)'}"
            for change in self.changes
            if change.field != "*"
        ]
        return lines + ([self.gaps.in_words()] if self.gaps else [])

    def undo_text(self) -> str:
        """The command that puts back what an accept replaced."""
        if self.previous == self.baseline_id:
            return ""
        if self.previous:
            return f"To undo: tracker links accept {self.finding_id} {self.previous}"
        return f"To undo: tracker links clear {self.finding_id}"


def _gaps(
    engine: Engine, actor: Actor, finding: dict[str, Any], linked_before: bool, linked_after: bool
) -> GapCount | None:
    """The follow-up's new gaps now and once the finding is linked (or not): a shortfall with no
    visible earlier finding to continue is a new gap (docs/committee-figures.md)."""
    from tracker.services.progress.comparison import compare

    level = effective_level(actor)
    with reading(engine) as connection:
        visit = connection.execute(
            select(col(Visit.state), col(Visit.baseline_visit_id)).where(col(Visit.visit_id) == finding["visit_id"])
        ).first()
    if visit is None or not visit.baseline_visit_id:
        return None
    before = compare(engine, actor, visit.state, finding["visit_id"], level)["totals"]["new_gaps"]
    counted = finding["kind"] == "shortfall"
    after = before + (int(counted and linked_before) - int(counted and linked_after))
    return GapCount(finding["visit_id"], before, after)


def accept_link(
    engine: Engine,
    actor: Actor,
    finding_id: str,
    baseline_id: str,
    *,
    dry_run: bool = False,
    reviewed: dict[str, Any] | None = None,
) -> Decision:
    """Set the finding's `continues` to the baseline finding, through the importer's checks and audit.

    With `dry_run`, nothing is written: the decision says what would change, for a review.
    `reviewed`: the finding's fields as the page showed them (`continues` None: no link); when the
    stored finding has moved from them, nothing is written (ChangedSince).
    """
    require_writer(actor)
    finding = _visible_finding(engine, actor, finding_id, baseline_id)
    before = finding | (reviewed or {})
    previous = before.get("continues")
    gaps = _gaps(engine, actor, finding, bool(previous), True)
    changes: list[Any] = []
    if previous != baseline_id:
        row = finding | {"continues": baseline_id}
        changes = _import(engine, actor, {"findings.csv": [row]}, dry_run=dry_run, before=before)
    return Decision(finding_id, baseline_id, previous, changes, gaps)


def clear_link(engine: Engine, actor: Actor, finding_id: str, *, dry_run: bool = False) -> Decision:
    """Empty the finding's `continues` (the undo of an accept), audited; no decision is recorded."""
    from tracker.services.records.editing import get_finding

    require_writer(actor)
    finding = get_finding(engine, actor, finding_id)
    previous = finding.get("continues")
    gaps = _gaps(engine, actor, finding, bool(previous), False)
    changes: list[Any] = []
    if previous:
        row = finding | {"continues": ""}
        changes = _import(engine, actor, {"findings.csv": [row]}, dry_run=dry_run, before=finding)
    return Decision(finding_id, previous or "", previous, changes, gaps)


def reject_link(
    engine: Engine,
    actor: Actor,
    finding_id: str,
    baseline_id: str,
    *,
    note: str = "",
    dry_run: bool = False,
    reviewed: dict[str, Any] | None = None,
) -> Decision:
    """Record that the finding does not restate the baseline finding; a link between them is removed.

    `reviewed` as for accept_link.
    """
    require_writer(actor)
    finding = _visible_finding(engine, actor, finding_id, baseline_id)
    before = finding | (reviewed or {})
    previous = before.get("continues")
    files: dict[str, list[dict[str, Any]]] = {}
    if previous == baseline_id or reviewed:
        # With a review, the finding is held to it even when its link stays as it is.
        files["findings.csv"] = [finding | {"continues": "" if previous == baseline_id else previous}]
    files["link_decisions.csv"] = [
        {
            "finding_id": finding_id,
            "baseline_id": baseline_id,
            "decided_by": actor.username,
            "decided_on": dt.datetime.now(dt.UTC).date(),
            "note": note,
        }
    ]
    linked = bool(previous)
    gaps = _gaps(engine, actor, finding, linked, linked and previous != baseline_id)
    changes = _import(engine, actor, files, dry_run=dry_run, before=before)
    return Decision(finding_id, baseline_id, previous, changes, gaps)


def undo_decision(engine: Engine, actor: Actor, action: str, decision: Decision) -> Decision:
    """Put back what an accept or a reject did: the earlier `continues`, and for a reject, the pair
    may be suggested again (its decision is deleted, audited). Refused when the finding's link has
    changed again since."""
    from tracker.db import writing
    from tracker.services.people import audit
    from tracker.services.records.editing import get_finding

    require_writer(actor)
    finding = get_finding(engine, actor, decision.finding_id)
    now = finding.get("continues") or None
    expected = decision.baseline_id if action == "accept" else None
    if action == "reject" and decision.previous != decision.baseline_id:
        expected = decision.previous or None
    if now != expected:
        raise TrackerError(
            f"{decision.finding_id} has been linked again since, so undoing would overwrite that change",
            "read its History and correct it by hand",
        )
    changes = []
    if (decision.previous or None) != now:
        row = finding | {"continues": decision.previous or ""}
        changes = _import(engine, actor, {"findings.csv": [row]}, before=finding)
    if action == "reject":
        table = table_of(LinkDecision)
        key = (
            col(LinkDecision.finding_id) == decision.finding_id,
            col(LinkDecision.baseline_id) == decision.baseline_id,
        )
        with writing(engine) as connection:
            stored = connection.execute(select(table).where(*key)).mappings().first()
            if stored is not None:
                connection.execute(table.delete().where(*key))
                audit.record(
                    connection,
                    actor,
                    "delete",
                    "link_decision",
                    f"{decision.finding_id}/{decision.baseline_id}",
                    audit.diff(dict(stored), None),
                )
    return Decision(decision.finding_id, decision.baseline_id, now, changes)
