"""How good the continuity suggestions are on text the tool has never seen.

    python -m bench.continuity            # both directions, written as lines for bench/RESULTS.md

The evaluation sets under bench/continuity_sets/ are bundles (visits.csv, findings.csv) of one
State's baseline and follow-up visits, written apart from the demo and from each other, with the
truth in truth.csv: for each follow-up finding, the baseline finding it restates, or nothing.

- set_a: Mongolia, terse wording; set_b: Trinidad and Tobago, discursive wording.

The weights (share of the word similarity, factor for another top-level area) and the threshold
are chosen by cross-validation on one set, the tuning set: its follow-up findings are split into
folds; for each fold the setting that does best on the other folds is chosen and scored on the
fold (the cross-validated figure); the setting chosen on the whole tuning set is then reported on
the other set, which played no part in choosing it (the held-out figure). Both directions are
reported: tune on A and report on B, tune on B and report on A.

- precision@1: of the restatements, the share whose first suggestion is the true earlier finding
  (a restatement with no suggestion is a miss);
- recall@3: of the restatements, the share whose earlier finding is among the first three;
- new with a suggestion: of the new findings of a kind that can restate (shortfall,
  recommendation, technical-assistance need), the share that get any suggestion;
- other kinds with a suggestion: good practices, progress, concerns, offers of assistance that get
  one (by the kind rule, none should).
"""

import csv
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.services.continuity.suggestions import (
    COMPATIBLE,
    MAX_SUGGESTIONS,
    Ranked,
    Similarity,
    Text,
    Weights,
    similarity,
    suggest,
)
from tracker.services.continuity.threshold import AREA_FACTOR, DEFAULT_MIN_SCORE, WORD_WEIGHT

SETS = Path(__file__).resolve().parent / "continuity_sets"
TUNING, HELD_OUT = "set_b", "set_a"
FOLDS = 5
# What a setting must keep on the folds it is chosen on: a margin under the 30% target.
MAX_NEW_SUGGESTED = 0.2

WORD_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
AREA_FACTORS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLDS = tuple(x / 100 for x in range(4, 62, 2))


@dataclass(frozen=True)
class EvaluationSet:
    name: str
    later: list[Text]
    earlier: list[Text]
    truth: dict[str, str]  # follow-up finding -> the earlier finding it restates, "" when new

    def restatements(self) -> list[str]:
        return [f for f, b in self.truth.items() if b]

    def new(self) -> list[str]:
        kinds = {t.finding_id: t.kind for t in self.later}
        return [f for f, b in self.truth.items() if not b and kinds[f] in COMPATIBLE]

    def other_kinds(self) -> list[str]:
        kinds = {t.finding_id: t.kind for t in self.later}
        return [f for f, b in self.truth.items() if not b and kinds[f] not in COMPATIBLE]


def load(name: str) -> EvaluationSet:
    folder = SETS / name
    with (folder / "visits.csv").open(encoding="utf-8", newline="") as handle:
        visits = list(csv.DictReader(handle))
    followup = next(v["visit_id"] for v in visits if v["baseline_visit_id"])
    with (folder / "findings.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with (folder / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {row["finding_id"]: row["restates"] for row in csv.DictReader(handle)}

    def text(row: dict) -> Text:
        return Text(row["finding_id"], row["area"], row["title"], row["detail"], row["kind"])

    later = [text(r) for r in rows if r["visit_id"] == followup]
    earlier = [text(r) for r in rows if r["visit_id"] != followup]
    return EvaluationSet(name, later, earlier, truth)


@dataclass(frozen=True)
class Quality:
    restatements: int
    new: int
    precision_at_1: float
    recall_at_3: float
    new_suggested: float
    other_kinds_suggested: int
    possible_right: int  # restatements with no suggestion whose `possible` is the true one
    new_possible: int  # new findings with no suggestion that get a `possible`
    misses: tuple[str, ...]

    def line(self) -> str:
        return (
            f"precision@1 {self.precision_at_1:.2f}, recall@3 {self.recall_at_3:.2f}, "
            f"new findings with a suggestion {self.new_suggested:.0%}"
        )


def quality(evaluation: EvaluationSet, ranked: Sequence[Ranked], only: set[str] | None = None) -> Quality:
    """The figures over the follow-up findings in `only` (all of them when None)."""
    shown = {item.finding_id: [c.baseline_id for c in item.candidates] for item in ranked}
    possible = {item.finding_id: item.possible.baseline_id if item.possible else "" for item in ranked}
    restated = [f for f in evaluation.restatements() if only is None or f in only]
    new = [f for f in evaluation.new() if only is None or f in only]
    others = [f for f in evaluation.other_kinds() if only is None or f in only]
    right = [f for f in restated if shown[f][:1] == [evaluation.truth[f]]]
    in_three = [f for f in restated if evaluation.truth[f] in shown[f][:3]]
    falsely = [f for f in new if shown[f]]
    misses = tuple(
        f"{f}: restates {evaluation.truth[f] or 'nothing'}, got {', '.join(shown[f][:3]) or 'none'}"
        + (f" (possible {possible[f]})" if possible[f] else "")
        for f in [*restated, *new]
        if (f in restated and f not in right) or (f in new and shown[f])
    )
    return Quality(
        len(restated),
        len(new),
        len(right) / len(restated) if restated else 0.0,
        len(in_three) / len(restated) if restated else 0.0,
        len(falsely) / len(new) if new else 0.0,
        sum(1 for f in others if shown[f]),
        sum(1 for f in restated if not shown[f] and possible[f] == evaluation.truth[f]),
        sum(1 for f in new if not shown[f] and possible[f]),
        misses,
    )


_SIMILARITY: dict[str, Similarity] = {}


def run(evaluation: EvaluationSet, weights: Weights) -> list[Ranked]:
    if evaluation.name not in _SIMILARITY:
        _SIMILARITY[evaluation.name] = similarity(evaluation.later, evaluation.earlier)
    found = _SIMILARITY[evaluation.name]
    return suggest(evaluation.later, evaluation.earlier, weights=weights, limit=MAX_SUGGESTIONS, found=found)


def settings() -> list[Weights]:
    return [Weights(w, a, t) for w, a, t in itertools.product(WORD_WEIGHTS, AREA_FACTORS, THRESHOLDS)]


def _objective(q: Quality) -> tuple:
    # Right first suggestions, as long as few new findings get one; then the better ranking, then
    # fewer false suggestions.
    return (q.new_suggested <= MAX_NEW_SUGGESTED, q.precision_at_1, q.recall_at_3, -q.new_suggested)


def choose(evaluation: EvaluationSet, results: dict[Weights, list[Ranked]], only: set[str] | None = None) -> Weights:
    """The setting that does best on the follow-up findings in `only`; ties go to the middle of the
    threshold range that ties, then to the plainer setting (equal weights, a milder area factor)."""
    scored = {w: _objective(quality(evaluation, ranked, only)) for w, ranked in results.items()}
    best = max(scored.values())
    tied = [w for w, s in scored.items() if s == best]
    by_shape: dict[tuple[float, float], list[float]] = {}
    for w in tied:
        by_shape.setdefault((w.word, w.area_factor), []).append(w.min_score)
    shape = min(by_shape, key=lambda s: (-len(by_shape[s]), abs(s[0] - 0.5), -s[1]))
    thresholds = sorted(by_shape[shape])
    return Weights(shape[0], shape[1], thresholds[len(thresholds) // 2])


def folds(evaluation: EvaluationSet, count: int = FOLDS) -> list[set[str]]:
    """The follow-up findings split into folds, restatements and new findings dealt out in turn."""
    parts: list[set[str]] = [set() for _ in range(count)]
    for group in (evaluation.restatements(), evaluation.new(), evaluation.other_kinds()):
        for at, finding in enumerate(sorted(group)):
            parts[at % count].add(finding)
    return parts


@dataclass(frozen=True)
class Direction:
    tuning: str
    held_out: str
    chosen: Weights
    cross_validated: Quality
    fold_choices: tuple[Weights, ...]
    on_tuning: Quality
    on_held_out: Quality


def tune_and_test(tuning_name: str, held_out_name: str) -> Direction:
    tuning, held_out = load(tuning_name), load(held_out_name)
    results = {w: run(tuning, w) for w in settings()}
    fold_choices, per_fold = [], []
    everything = set(tuning.truth)
    for fold in folds(tuning):
        chosen = choose(tuning, results, everything - fold)
        fold_choices.append(chosen)
        per_fold.append((fold, results[chosen]))
    # The cross-validated figure: each fold scored with the setting chosen without it.
    merged: dict[str, Ranked] = {}
    for fold, ranked in per_fold:
        merged.update({item.finding_id: item for item in ranked if item.finding_id in fold})
    cross_validated = quality(tuning, [merged[t.finding_id] for t in tuning.later])
    chosen = choose(tuning, results)
    return Direction(
        tuning_name,
        held_out_name,
        chosen,
        cross_validated,
        tuple(fold_choices),
        quality(tuning, results[chosen]),
        quality(held_out, run(held_out, chosen)),
    )


def _setting(w: Weights) -> str:
    return f"word share {w.word:g}, other-area factor {w.area_factor:g}, threshold {w.min_score:.2f}"


def report() -> list[str]:
    """Lines for bench/RESULTS.md: both directions, and the default's figures on the held-out set."""
    lines = []
    for tuning, held_out in ((TUNING, HELD_OUT), (HELD_OUT, TUNING)):
        d = tune_and_test(tuning, held_out)
        h = d.on_held_out
        lines += [
            f"tuned on {tuning}, reported on {held_out}: chosen {_setting(d.chosen)}",
            f"  {held_out} (held out, {h.restatements} restatements, {h.new} new findings): {h.line()}; "
            f"targets precision@1 ≥ 0.80 {'met' if h.precision_at_1 >= 0.8 else 'NOT met'}, "
            f"new with a suggestion ≤ 30% {'met' if h.new_suggested <= 0.3 else 'NOT met'}",
            f"  {held_out}: other kinds with a suggestion {h.other_kinds_suggested}; restatements with no "
            f"suggestion whose 'possible' is right {h.possible_right}; new findings shown a 'possible' "
            f"{h.new_possible} of {h.new - round(h.new_suggested * h.new)}",
            f"  {tuning} ({FOLDS}-fold cross-validation, each fold scored with the setting chosen without it): "
            f"{d.cross_validated.line()}",
            f"  {tuning} with the setting chosen on all of it (not a fair figure, shown for comparison): "
            f"{d.on_tuning.line()}",
        ]
    default = Weights(WORD_WEIGHT, AREA_FACTOR, DEFAULT_MIN_SCORE)
    held_out = quality(load(HELD_OUT), run(load(HELD_OUT), default))
    lines.append(f"the default ({_setting(default)}, chosen on {TUNING}) on {HELD_OUT}: {held_out.line()}")
    return lines


def main(argv: list[str]) -> None:
    for line in report():
        print(line)
    if "--misses" in argv:
        default = Weights(WORD_WEIGHT, AREA_FACTOR, DEFAULT_MIN_SCORE)
        for name in (TUNING, HELD_OUT):
            evaluation = load(name)
            print(f"\nmisses on {name} at the default:")
            for miss in quality(evaluation, run(evaluation, default)).misses:
                print("  " + miss)


if __name__ == "__main__":
    main(sys.argv[1:])
