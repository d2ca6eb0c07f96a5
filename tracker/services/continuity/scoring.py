"""How alike two findings are, and which earlier finding each follow-up finding restates.

Pure functions over texts, with no database: the service and the benchmark call the same code.

- Only findings of a compatible kind are candidates: a shortfall or a recommendation restates a
  shortfall or a recommendation, a technical-assistance need restates a technical-assistance
  need; a good practice, a progress note, a concern or an offer of assistance restates nothing
  (what it says about an earlier finding is evidence of its status, not the same gap seen again).
- The text score is a weighted mean of two cosine similarities of TF-IDF vectors (scikit-learn):
  words and word pairs, and character n-grams within words, so that a restatement that is
  reworded, reordered or abbreviated still scores.
- The top-level area is a strong prior: a candidate of another top-level area has its score
  multiplied by a factor below one.
- The whole follow-up is paired at once (scipy's `linear_sum_assignment`): an earlier finding is
  restated at most once, so a sibling already taken by a better match is not offered again as the
  first suggestion of another finding. A finding whose best available score is below the
  threshold is paired with nothing.

The weights and the threshold are chosen by cross-validation in bench/continuity.py.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tracker.services.continuity.threshold import AREA_FACTOR, DEFAULT_MIN_SCORE, POSSIBLE_SHARE, WORD_WEIGHT

if TYPE_CHECKING:
    import numpy as np

# Shown per finding; more than this is noise to an analyst.
MAX_SUGGESTIONS = 5
# Shared words shown as the evidence behind a suggestion.
MAX_SHARED_WORDS = 6

_GAPS = frozenset({"shortfall", "recommendation"})
COMPATIBLE: dict[str, frozenset[str]] = {
    "shortfall": _GAPS,
    "recommendation": _GAPS,
    "ta_need": frozenset({"ta_need"}),
}


def compatible(later_kind: str, earlier_kind: str) -> bool:
    """Whether a finding of `later_kind` can restate one of `earlier_kind`."""
    return earlier_kind in COMPATIBLE.get(later_kind, frozenset())


@dataclass(frozen=True)
class Text:
    """A finding as the scorer needs it."""

    finding_id: str
    area: str
    title: str
    detail: str = ""
    kind: str = "shortfall"

    @property
    def top_area(self) -> str:
        return self.area.split(".")[0]


@dataclass(frozen=True)
class Weights:
    """What the score is made of: the share of the word similarity (the rest is characters), the
    factor for a candidate of another top-level area, and the threshold."""

    word: float = WORD_WEIGHT
    area_factor: float = AREA_FACTOR
    min_score: float = DEFAULT_MIN_SCORE


@dataclass(frozen=True)
class Evidence:
    """Why a pair was suggested: the words both use, and how their areas and kinds relate."""

    shared_words: tuple[str, ...] = ()
    same_area: bool = True
    kinds: str = ""

    def in_words(self) -> str:
        area = "same area" if self.same_area else "another area"
        words = ", ".join(self.shared_words) if self.shared_words else "no word in common"
        return f"{words} · {area} · {self.kinds}"


@dataclass(frozen=True)
class Candidate:
    baseline_id: str
    score: float
    evidence: Evidence = field(default_factory=Evidence, compare=False)


@dataclass
class Ranked:
    """A follow-up finding's candidates at or above the threshold, its paired one first, and the
    best candidate below the threshold when none reaches it."""

    finding_id: str
    candidates: list[Candidate] = field(default_factory=list)
    possible: Candidate | None = None


def _document(text: Text) -> str:
    # The title says what the finding is about; it counts twice against the detail's context.
    return f"{text.title}. {text.title}. {text.detail}"


@dataclass
class Similarity:
    """Word and character similarities of every later finding to every earlier one, and what the
    evidence of a pair is read from: the word TF-IDF matrix, its terms and their weights."""

    words: "np.ndarray"
    chars: "np.ndarray"
    word_matrix: Any = None  # sparse rows: later findings, then earlier ones
    terms: Any = None
    idf: Any = None

    def combined(self, word_weight: float) -> "np.ndarray":
        return word_weight * self.words + (1 - word_weight) * self.chars

    def shared(self, row: int, column: int) -> tuple[str, ...]:
        """The single words both findings use, rarest first (the ones that say most about the pair)."""
        import numpy as np

        if self.word_matrix is None:
            return ()
        indptr, indices = self.word_matrix.indptr, self.word_matrix.indices
        at = self.words.shape[0] + column
        later, earlier = indices[indptr[row] : indptr[row + 1]], indices[indptr[at] : indptr[at + 1]]
        both = [int(i) for i in np.intersect1d(later, earlier) if " " not in self.terms[i]]
        both.sort(key=lambda i: (-self.idf[i], self.terms[i]))
        return tuple(str(self.terms[i]) for i in both[:MAX_SHARED_WORDS])


def similarity(later: Sequence[Text], earlier: Sequence[Text], context: Sequence[Text] = ()) -> Similarity:
    """Cosine similarities in [0, 1], one row per later finding and one column per earlier finding.

    `context` adds findings that only weigh the words (the follow-up's linked findings), so that a
    pair's score does not move when another finding of the visit is linked or unlinked.
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    shape = (len(later), len(earlier))
    found = Similarity(np.zeros(shape), np.zeros(shape))
    if not later or not earlier:
        return found
    documents = [_document(t) for t in [*later, *earlier, *context]]
    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), stop_words="english", sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    for vectorizer, target in ((words, found.words), (chars, found.chars)):
        try:
            matrix = vectorizer.fit_transform(documents)
        except ValueError:  # nothing but stop words or punctuation: no vocabulary to compare
            continue
        # TF-IDF rows are L2-normalised, so the product is the cosine similarity.
        target[:] = np.clip((matrix[: len(later)] @ matrix[len(later) : len(later) + len(earlier)].T).toarray(), 0, 1)
        if vectorizer is words:
            found.word_matrix, found.terms, found.idf = matrix.tocsr(), words.get_feature_names_out(), words.idf_
    return found


def scores(
    later: Sequence[Text],
    earlier: Sequence[Text],
    found: Similarity,
    weights: Weights,
    rejected: frozenset[tuple[str, str]] = frozenset(),
) -> "np.ndarray":
    """The combined score of every pair, with the area prior; -1 where a pair may not be suggested
    (kinds that do not match, or a pair an analyst rejected)."""
    import numpy as np

    combined = np.round(found.combined(weights.word), 3)
    later_areas = np.array([t.top_area for t in later], dtype=object)
    earlier_areas = np.array([t.top_area for t in earlier], dtype=object)
    other_area = later_areas[:, None] != earlier_areas[None, :]
    combined = np.where(other_area, np.round(combined * weights.area_factor, 3), combined)
    kinds = sorted({t.kind for t in [*later, *earlier]})
    fits = np.array([[compatible(a, b) for b in kinds] for a in kinds], dtype=bool).reshape(len(kinds), len(kinds))
    index = {kind: at for at, kind in enumerate(kinds)}
    later_kinds = np.array([index[t.kind] for t in later], dtype=int)
    earlier_kinds = np.array([index[t.kind] for t in earlier], dtype=int)
    allowed = fits[later_kinds[:, None], earlier_kinds[None, :]]
    if rejected:
        rows = {t.finding_id: at for at, t in enumerate(later)}
        columns = {t.finding_id: at for at, t in enumerate(earlier)}
        for finding_id, baseline_id in rejected:
            if finding_id in rows and baseline_id in columns:
                allowed[rows[finding_id], columns[baseline_id]] = False
    return np.where(allowed, combined, -1.0)


def assign(score: "np.ndarray", min_score: float) -> dict[int, int]:
    """The pairing of later (rows) to earlier findings (columns) with the highest total score, each
    earlier finding used at most once, no pair below `min_score`: {row: column}."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    rows, columns = score.shape
    if not rows or not columns:
        return {}
    # Each later finding also has a column of its own meaning "restates nothing", worth the
    # threshold: pairing below the threshold never beats it. A slight preference for the lower
    # id breaks ties the same way every time.
    tie = np.arange(columns)[None, :] * 1e-9
    profit = np.full((rows, columns + rows), -2.0)
    profit[:, :columns] = np.where(score >= 0, score - tie, -2.0)
    profit[np.arange(rows), columns + np.arange(rows)] = min_score - 1e-6
    chosen_rows, chosen_columns = linear_sum_assignment(profit, maximize=True)
    return {
        int(r): int(c)
        for r, c in zip(chosen_rows, chosen_columns, strict=True)
        if c < columns and score[r, c] >= min_score
    }


def suggest(
    later: Sequence[Text],
    earlier: Sequence[Text],
    *,
    weights: Weights | None = None,
    rejected: frozenset[tuple[str, str]] = frozenset(),
    limit: int = MAX_SUGGESTIONS,
    context: Sequence[Text] = (),
    found: Similarity | None = None,
) -> list[Ranked]:
    """For each later finding, in the order given: the earlier finding the whole-visit pairing gives
    it first, then the other candidates at or above the threshold that no other finding was paired
    with, best first; with none, the best candidate below the threshold as `possible`.

    `found` is the texts' similarity when it is already known (the benchmark tries many weights).
    """
    import numpy as np

    weights = weights or Weights()
    found = found or similarity(later, earlier, context)
    score = scores(later, earlier, found, weights, rejected)
    paired = assign(score, weights.min_score)
    owner = np.full(len(earlier), -1)
    for row, column in paired.items():
        owner[column] = row
    # Ties are broken by id, so the same data always gives the same order.
    id_order = np.argsort(np.argsort(np.array([t.finding_id for t in earlier], dtype=object)))

    def candidate(row: int, column: int) -> Candidate:
        a, b = later[row], earlier[column]
        kinds = a.kind if a.kind == b.kind else f"{a.kind} ↔ {b.kind}"
        evidence = Evidence(found.shared(row, column), a.top_area == b.top_area, kinds)
        return Candidate(b.finding_id, float(score[row, column]), evidence)

    ranked = []
    for row, finding in enumerate(later):
        order = np.lexsort((id_order, -score[row])) if len(earlier) else np.array([], dtype=int)
        first = [paired[row]] if row in paired else []
        # Earlier findings the pairing gave to another follow-up finding are left out.
        free = order[(owner[order] == -1) | (owner[order] == row)]
        others = [int(c) for c in free[score[row, free] >= weights.min_score][: limit + 1] if int(c) not in first]
        chosen = [candidate(row, c) for c in [*first, *others][:limit]]
        possible = None
        if not chosen:
            unpaired = order[owner[order] == -1]
            below = unpaired[(score[row, unpaired] >= 0) & (score[row, unpaired] < weights.min_score)]
            if len(below) and score[row, below[0]] >= max(weights.min_score * POSSIBLE_SHARE, 1e-3):
                possible = candidate(row, int(below[0]))
        ranked.append(Ranked(finding.finding_id, chosen, possible))
    return ranked
