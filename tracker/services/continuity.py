"""Continuity suggestions: which earlier finding each follow-up finding restates.

A follow-up finding with no `continues` is compared, by the text of its title and detail, with
every earlier finding of the same State the reader may see. The score is the mean of two cosine
similarities of TF-IDF vectors (scikit-learn): one over words and word pairs, one over character
n-grams within words, so that a restatement in other words, reordered or abbreviated still
scores high. Candidates in the same top-level area come first. A pair an analyst has rejected is
never suggested again; accepting one writes `continues` through the bundle importer, with its
checks and audit trail.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, Row, Select, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.db import reading, require_schema
from tracker.errors import NotFound, TrackerError, ValidationFailed
from tracker.models import TRACKABLE_KINDS, Assessment, Confidentiality, Finding, LinkDecision, Visit
from tracker.services.access import (
    Actor,
    assessment_visible,
    continued_shown,
    effective_level,
    finding_visible,
    no_such,
    require_writer,
    visit_visible,
)
from tracker.services.bundle_format import SPECS, Source, format_cell
from tracker.services.continuity_threshold import DEFAULT_MIN_SCORE

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Shown per finding; more than this is noise to an analyst.
MAX_SUGGESTIONS = 5
_TRACKABLE = [kind.value for kind in TRACKABLE_KINDS]


@dataclass(frozen=True)
class Text:
    """A finding as the scorer needs it."""

    finding_id: str
    area: str
    title: str
    detail: str = ""

    @property
    def top_area(self) -> str:
        return self.area.split(".")[0]


@dataclass(frozen=True)
class Suggestion:
    baseline_id: str
    score: float


@dataclass
class FindingSuggestions:
    finding_id: str
    suggestions: list[Suggestion] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"finding_id": self.finding_id, "suggestions": [asdict(s) for s in self.suggestions]}


# ---------------------------------------------------------------- scoring


def _document(text: Text) -> str:
    # The title says what the finding is about; it counts twice against the detail's context.
    return f"{text.title}. {text.title}. {text.detail}"


def similarity(later: Sequence[Text], earlier: Sequence[Text], context: Sequence[Text] = ()) -> "np.ndarray":
    """Scores in [0, 1], one row per later finding and one column per earlier finding.

    `context` adds findings that only weigh the words (the follow-up's linked findings), so that a
    pair's score does not move when another finding of the visit is linked or unlinked.
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not later or not earlier:
        return np.zeros((len(later), len(earlier)))
    documents = [_document(t) for t in [*later, *earlier, *context]]
    scores = np.zeros((len(later), len(earlier)))
    analysers = (
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), stop_words="english", sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True),
    )
    for vectorizer in analysers:
        try:
            matrix = vectorizer.fit_transform(documents)
        except ValueError:  # nothing but stop words or punctuation: no vocabulary to compare
            continue
        # TF-IDF rows are L2-normalised, so the product is the cosine similarity.
        scores += (matrix[: len(later)] @ matrix[len(later) : len(later) + len(earlier)].T).toarray()
    return np.clip(scores / len(analysers), 0.0, 1.0)


def rank(
    later: Sequence[Text],
    earlier: Sequence[Text],
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    rejected: frozenset[tuple[str, str]] = frozenset(),
    limit: int = MAX_SUGGESTIONS,
    context: Sequence[Text] = (),
) -> list[FindingSuggestions]:
    """For each later finding, the earlier ones at or above `min_score`: same top-level area first, then by score."""
    import numpy as np

    scores = np.round(similarity(later, earlier, context), 3)
    earlier_ids = [t.finding_id for t in earlier]
    earlier_areas = np.array([t.top_area for t in earlier], dtype=object)
    # Ties are broken by id, so the same data always gives the same order.
    id_order = np.argsort(np.argsort(np.array(earlier_ids, dtype=object)))
    refused: dict[str, set[str]] = {}
    for finding_id, baseline_id in rejected:
        refused.setdefault(finding_id, set()).add(baseline_id)
    ranked = []
    for row, finding in enumerate(later):
        columns = np.flatnonzero(scores[row] >= min_score)
        if finding.finding_id in refused:
            columns = np.array([c for c in columns if earlier_ids[c] not in refused[finding.finding_id]], dtype=int)
        other_area = earlier_areas[columns] != finding.top_area
        # lexsort sorts by its last key first: area, then score (highest first), then id.
        best = columns[np.lexsort((id_order[columns], -scores[row, columns], other_area))][:limit]
        ranked.append(
            FindingSuggestions(finding.finding_id, [Suggestion(earlier_ids[c], float(scores[row, c])) for c in best])
        )
    return ranked


# ---------------------------------------------------------------- reading


def _followup(connection: Connection, followup: str, level: Confidentiality) -> Row:
    visit = connection.execute(
        select(col(Visit.visit_id), col(Visit.state), col(Visit.start_date)).where(
            col(Visit.visit_id) == followup, visit_visible(level)
        )
    ).first()
    if visit is None:
        raise NotFound(no_such("visit", followup), "check the visit id with 'tracker compare'")
    return visit


def _texts(rows: Iterable[Row]) -> list[Text]:
    return [Text(row.finding_id, row.area, row.title, row.detail) for row in rows]


def _finding_columns() -> Select:
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

    Candidates are the visible findings of the State's earlier visits; a rejected pair is left out.
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
    return rank(later, earlier, min_score=min_score, rejected=rejected, context=context)


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
]


def suggestion_table(
    engine: Engine,
    actor: Actor,
    ranked: list[FindingSuggestions],
    *,
    level: str | Confidentiality | None = None,
) -> "pd.DataFrame":
    """One row per finding and candidate (rank 0 and no candidate for a finding that looks new), with
    both findings' area, kind, title and detail, for reading side by side."""
    import pandas as pd

    level = effective_level(actor, level)
    ids = {item.finding_id for item in ranked} | {s.baseline_id for item in ranked for s in item.suggestions}
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
        if not item.suggestions:
            rows.append([item.finding_id, 0, None, "", *described, "", "", "", ""])
        for rank_at, suggestion in enumerate(item.suggestions, start=1):
            earlier = found[suggestion.baseline_id]
            rows.append(
                [
                    item.finding_id,
                    rank_at,
                    suggestion.score,
                    suggestion.baseline_id,
                    *described,
                    *(earlier.area, earlier.kind, earlier.title, earlier.detail),
                ]
            )
    return pd.DataFrame(rows, columns=SUGGESTION_COLUMNS)


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


# ---------------------------------------------------------------- deciding


def _source(file_name: str, rows: list[dict]) -> Source:
    columns = [c for c in SPECS[file_name].columns if any(c in row for row in rows)]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    writer.writerows([format_cell(row.get(c)) for c in columns] for row in rows)
    data = text.getvalue().encode()
    return Source(file_name, f"{file_name} (continuity)", len(data), lambda: io.BytesIO(data))


def _import(engine: Engine, actor: Actor, files: dict[str, list[dict]]) -> None:
    """Write the rows through the importer, in one transaction, with its checks and audit trail."""
    from tracker.services.importer import import_bundle

    result = import_bundle(engine, [_source(name, rows) for name, rows in files.items()], actor)
    if not result.ok:
        first = result.errors[0]
        raise ValidationFailed(
            f"nothing was saved: {first.message}",
            [{"key": "", "field": e.column, "message": e.message} for e in result.errors],
        )


def _visible_finding(engine: Engine, actor: Actor, finding_id: str, baseline_id: str) -> dict:
    """The finding as records.get_finding gives it, once the two ids are known to be in order."""
    from tracker.services.records import get_finding

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
class Decision:
    """What an accept or reject did, in words an analyst reads."""

    finding_id: str
    baseline_id: str
    previous: str | None

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


def accept_link(engine: Engine, actor: Actor, finding_id: str, baseline_id: str) -> Decision:
    """Set the finding's `continues` to the baseline finding, through the importer's checks and audit."""
    require_writer(actor)
    finding = _visible_finding(engine, actor, finding_id, baseline_id)
    previous = finding.get("continues")
    if previous != baseline_id:
        _import(engine, actor, {"findings.csv": [finding | {"continues": baseline_id}]})
    return Decision(finding_id, baseline_id, previous)


def reject_link(engine: Engine, actor: Actor, finding_id: str, baseline_id: str, *, note: str = "") -> Decision:
    """Record that the finding does not restate the baseline finding; a link between them is removed."""
    require_writer(actor)
    finding = _visible_finding(engine, actor, finding_id, baseline_id)
    previous = finding.get("continues")
    files: dict[str, list[dict]] = {}
    if previous == baseline_id:
        files["findings.csv"] = [finding | {"continues": ""}]
    files["link_decisions.csv"] = [
        {
            "finding_id": finding_id,
            "baseline_id": baseline_id,
            "decided_by": actor.username,
            "decided_on": dt.datetime.now(dt.UTC).date(),
            "note": note,
        }
    ]
    _import(engine, actor, files)
    return Decision(finding_id, baseline_id, previous)
