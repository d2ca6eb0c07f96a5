"""How good and how fast the continuity suggestions are.

    python -m bench --only continuity

Quality is measured on bench/continuity_eval.csv: follow-up findings written against the demo's
baseline visit (KOR-2009), each labelled with the baseline finding it restates, or with none when
it is new. The cases are the demo's own links, restatements in other words, reordered,
abbreviated or filed under another sub-area, the demo follow-up's new findings, and new findings
that share vocabulary with an old one but are about something else.

- precision@1: of the restatements that get a suggestion, the share whose first one is right;
- recall@3: of all restatements, the share whose baseline finding is among the first three;
- false suggestions: of the new findings, the share that get any suggestion at all.
"""

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tracker.services.continuity import DEFAULT_MIN_SCORE, MAX_SUGGESTIONS, Text, rank

EVALUATION_SET = Path(__file__).resolve().parent / "continuity_eval.csv"
BASELINE_VISIT = "KOR-2009"


@dataclass(frozen=True)
class Quality:
    min_score: float
    cases: int
    restatements: int
    new: int
    precision_at_1: float
    recall_at_3: float
    false_suggestions: float
    misses: tuple[str, ...]


def baseline_findings() -> list[Text]:
    """The demo's baseline findings, the candidates every case is matched against."""
    text = resources.files("tracker").joinpath("demo/findings.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return [Text(r["finding_id"], r["area"], r["title"], r["detail"]) for r in rows if r["visit_id"] == BASELINE_VISIT]


def cases(path: Path = EVALUATION_SET) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _ranked(labelled: Sequence[dict]) -> dict[str, list[tuple[str, float]]]:
    """Every candidate of every case, in the service's order, scored once for all thresholds."""
    later = [Text(c["case"], c["area"], c["title"], c["detail"]) for c in labelled]
    earlier = baseline_findings()
    return {
        item.finding_id: [(s.baseline_id, s.score) for s in item.suggestions]
        for item in rank(later, earlier, min_score=0.0, limit=len(earlier))
    }


def evaluate(
    min_score: float = DEFAULT_MIN_SCORE,
    labelled: Sequence[dict] | None = None,
    ranked: dict[str, list[tuple[str, float]]] | None = None,
) -> Quality:
    labelled = list(labelled if labelled is not None else cases())
    everything = ranked if ranked is not None else _ranked(labelled)
    # Dropping the candidates below the threshold keeps the order rank() gives at that threshold.
    shown = {
        case: [b for b, score in found if score >= min_score][:MAX_SUGGESTIONS] for case, found in everything.items()
    }
    restatements = [c for c in labelled if c["expected"]]
    new = [c for c in labelled if not c["expected"]]
    suggested = [c for c in restatements if shown[c["case"]]]
    right_first = [c for c in suggested if shown[c["case"]][0] == c["expected"]]
    in_three = [c for c in restatements if c["expected"] in shown[c["case"]][:3]]
    falsely = [c for c in new if shown[c["case"]]]
    misses = tuple(
        f"{c['case']} ({c['variant']}): expected {c['expected'] or 'none'}, got {', '.join(shown[c['case']][:3]) or 'none'}"
        for c in labelled
        if (c["expected"] and (not shown[c["case"]] or shown[c["case"]][0] != c["expected"]))
        or (not c["expected"] and shown[c["case"]])
    )
    return Quality(
        min_score,
        len(labelled),
        len(restatements),
        len(new),
        len(right_first) / len(suggested) if suggested else 0.0,
        len(in_three) / len(restatements) if restatements else 0.0,
        len(falsely) / len(new) if new else 0.0,
        misses,
    )


THRESHOLDS = tuple(x / 100 for x in range(10, 61, 2))


def sweep(labelled: Sequence[dict] | None = None) -> list[Quality]:
    """The quality at each threshold from 0.10 to 0.60."""
    labelled = list(labelled if labelled is not None else cases())
    ranked = _ranked(labelled)
    return [evaluate(score, labelled, ranked) for score in THRESHOLDS]


def chosen_threshold(qualities: Sequence[Quality]) -> float:
    """The highest threshold that keeps recall@3 at its best with precision@1 at least 0.9: as few
    false suggestions as possible without losing a restatement."""
    fit = [q for q in qualities if q.precision_at_1 >= 0.9] or list(qualities)
    best = max(q.recall_at_3 for q in fit)
    return max(q.min_score for q in fit if q.recall_at_3 == best)


def main() -> None:
    qualities = sweep()
    for quality in qualities:
        print(
            f"{quality.min_score:.2f}  p@1 {quality.precision_at_1:.3f}  r@3 {quality.recall_at_3:.3f}  "
            f"false {quality.false_suggestions:.3f}"
        )
    print(f"chosen threshold {chosen_threshold(qualities):.2f}; the default is {DEFAULT_MIN_SCORE:.2f}")
    for miss in evaluate().misses:
        print(miss)


if __name__ == "__main__":
    main()
