"""A synthetic bundle at world scale: every Member State with a baseline and a follow-up visit.

    python -m bench.generate --findings N --out DIR [--seed S]

The rows are invented. They stream to disk state by state, so only one state's trackable
findings are held at a time, and the same seed always gives the same bytes.
"""

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

from tracker import taxonomy
from tracker.models import (
    TRACKABLE_KINDS,
    Confidentiality,
    FindingKind,
    MeetingKind,
    Sector,
    Severity,
    Status,
)
from tracker.services.bundle.files import SPECS

FILES = ("visits.csv", "findings.csv", "assessments.csv", "meetings.csv")

BASELINE_SHARE = 0.55
CONTINUES_SHARE = 0.3
KIND_WEIGHTS = {
    FindingKind.shortfall: 30,
    FindingKind.recommendation: 30,
    FindingKind.good_practice: 12,
    FindingKind.ta_need: 10,
    FindingKind.progress: 8,
    FindingKind.concern: 6,
    FindingKind.capacity_to_assist: 4,
}
STATUS_WEIGHTS = {
    Status.fully_implemented: 14,
    Status.addressed_otherwise: 4,
    Status.largely_implemented: 14,
    Status.partially_implemented: 22,
    Status.initial_steps: 14,
    Status.not_implemented: 16,
    Status.contrary_action: 2,
    Status.no_longer_relevant: 4,
    Status.not_assessed: 6,
    Status.insufficient_information: 4,
}
LEVEL_WEIGHTS = {
    Confidentiality.public: 8,
    Confidentiality.un_platform: 4,
    Confidentiality.member_states: 8,
    Confidentiality.committee: 60,
    Confidentiality.state_and_cted: 15,
    Confidentiality.restricted: 5,
}
MIDDLE_MEETINGS = [k for k in MeetingKind if k not in (MeetingKind.opening_session, MeetingKind.closing)]
RESOLUTIONS = [number for number, _, _ in taxonomy.RESOLUTIONS]
PARTNERS = [code for code, _ in taxonomy.PARTNERS]

SUBJECTS = [
    "the national counter-terrorism strategy",
    "the financial intelligence unit",
    "border crossing points",
    "advance passenger information",
    "the terrorism offences of the criminal code",
    "mutual legal assistance",
    "prison rehabilitation programmes",
    "the freezing of terrorist assets",
    "non-profit organisations",
    "terrorist content online",
    "digital evidence",
    "critical infrastructure",
    "small arms controls",
    "community engagement",
    "the inter-agency coordination body",
    "maritime port security",
]
VERBS = [
    "Strengthen",
    "Review",
    "Adopt legislation on",
    "Train officials on",
    "Establish oversight of",
    "Allocate resources to",
    "Improve information sharing on",
    "Assess the risks to",
]
EVIDENCE = [
    "Legislation adopted and in force.",
    "Draft bill before parliament.",
    "Training delivered to 40 officials.",
    "No change reported by the authorities.",
    "Budget allocated; implementation under way.",
    "Superseded by the 2021 reform.",
    "Information requested, not yet received.",
]


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` spread over `parts` unevenly (large and small States), summing exactly."""
    weights = [rng.uniform(0.3, 1.7) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for index in rng.sample(range(parts), total - sum(counts)):
        counts[index] += 1
    return counts


def _text(rng: random.Random) -> str:
    # Some cells hold the delimiter, quotes and line breaks, as analysts' spreadsheets do.
    subject = rng.choice(SUBJECTS)
    roll = rng.random()
    if roll < 0.05:
        return f'The "{subject}" item, raised twice,\nis restated here.'
    if roll < 0.4:
        return f"Paragraph on {subject}, with reference to the national report."
    return ""


def _visit_row(rng, visit_id, state, kind, start, baseline_id) -> list:
    resolutions = sorted(rng.sample(RESOLUTIONS, rng.randint(1, 4)))
    return [
        visit_id,
        state,
        kind,
        rng.choice(["in_person", "in_person", "in_person", "hybrid"]),
        start.isoformat(),
        (start + dt.timedelta(days=rng.randint(2, 4))).isoformat(),
        baseline_id or "",
        f"Head of delegation {rng.randint(1, 40)}",
        ";".join(sorted(rng.sample(PARTNERS, rng.randint(0, 3)))),
        ";".join(map(str, resolutions)),
        f"{kind.replace('_', ' ').capitalize()} visit to {state}.",
        _weighted(rng, LEVEL_WEIGHTS).value if rng.random() < 0.2 else Confidentiality.committee.value,
    ]


def _finding_row(rng, finding_id, visit_id, area, kind, continues) -> list:
    return [
        finding_id,
        visit_id,
        area,
        kind.value,
        f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}",
        _text(rng),
        "true" if kind == FindingKind.recommendation and rng.random() < 0.1 else "false",
        rng.choice(list(Severity)).value if kind == FindingKind.shortfall else "",
        ";".join(map(str, sorted(rng.sample(RESOLUTIONS, rng.randint(0, 2))))),
        f"para. {rng.randint(1, 400)}",
        continues,
        _weighted(rng, LEVEL_WEIGHTS).value,
    ]


def _meeting_rows(rng, visit_id, start, areas) -> list[list]:
    count = rng.randint(4, 10)
    rows = []
    for number in range(1, count + 1):
        kind = (
            MeetingKind.opening_session
            if number == 1
            else MeetingKind.closing
            if number == count
            else rng.choice(MIDDLE_MEETINGS)
        )
        rows.append(
            [
                f"{visit_id}-M{number}",
                visit_id,
                (start + dt.timedelta(days=min(number // 3, 2))).isoformat(),
                kind.value,
                f"Counterpart {rng.randint(1, 200)}",
                rng.choice(list(Sector)).value,
                # No partner organisation took part: the random draws, and so the data, stay as they were.
                "",
                rng.choice(areas) if rng.random() < 0.6 else "",
                _text(rng),
                _weighted(rng, LEVEL_WEIGHTS).value,
            ]
        )
    return rows


# Columns the generated rows leave out: a left-out column keeps its default (no consent recorded,
# nothing withdrawn), as in a bundle an analyst writes by hand.
_LEFT_OUT = {"scope", "consent", "consent_date", "withdrawn"}


def columns(name: str) -> list[str]:
    """The header of a generated file: its bundle columns but the ones the rows leave out."""
    return [column for column in SPECS[name].columns if column not in _LEFT_OUT]


def generate(findings: int, out: Path, seed: int = 1) -> dict[str, int]:
    """Write the bundle into `out`; returns the rows written per file."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    states = [iso3 for iso3, _, _ in taxonomy.member_states()]
    areas = [area.code for area in taxonomy.areas()]
    counts = dict.fromkeys(FILES, 0)
    handles = {name: (out / name).open("w", encoding="utf-8", newline="") for name in FILES}
    try:
        writers = {name: csv.writer(handle, lineterminator="\n") for name, handle in handles.items()}
        for name, writer in writers.items():
            writer.writerow(columns(name))

        def write(name: str, row: list) -> None:
            writers[name].writerow(row)
            counts[name] += 1

        for state, state_findings in zip(states, _split(rng, findings, len(states))):
            baseline_year = rng.randint(2006, 2016)
            baseline_start = dt.date(baseline_year, rng.randint(1, 12), rng.randint(1, 25))
            followup_start = dt.date(
                min(baseline_year + rng.randint(5, 12), 2024), rng.randint(1, 12), rng.randint(1, 25)
            )
            baseline_id, followup_id = f"{state}-{baseline_year}", f"{state}-{followup_start.year}F"
            write("visits.csv", _visit_row(rng, baseline_id, state, "comprehensive", baseline_start, None))
            write("visits.csv", _visit_row(rng, followup_id, state, "follow_up", followup_start, baseline_id))
            assessed_on = (followup_start + dt.timedelta(days=4)).isoformat()

            baseline_count = round(state_findings * BASELINE_SHARE)
            trackable: list[str] = []
            for number in range(1, state_findings + 1):
                at_baseline = number <= baseline_count
                visit_id = baseline_id if at_baseline else followup_id
                kind = _weighted(rng, KIND_WEIGHTS)
                finding_id = f"{visit_id}-{number}"
                continues = ""
                if at_baseline and kind in TRACKABLE_KINDS:
                    trackable.append(finding_id)
                    write(
                        "assessments.csv",
                        [
                            finding_id,
                            followup_id,
                            _weighted(rng, STATUS_WEIGHTS).value,
                            rng.choice(EVIDENCE),
                            assessed_on,
                            _weighted(rng, LEVEL_WEIGHTS).value,
                        ],
                    )
                elif not at_baseline and kind in TRACKABLE_KINDS and trackable and rng.random() < CONTINUES_SHARE:
                    continues = rng.choice(trackable)
                write("findings.csv", _finding_row(rng, finding_id, visit_id, rng.choice(areas), kind, continues))
            for visit_id, start in ((baseline_id, baseline_start), (followup_id, followup_start)):
                for row in _meeting_rows(rng, visit_id, start, areas):
                    write("meetings.csv", row)
    finally:
        for handle in handles.values():
            handle.close()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, required=True, help="how many findings to write in all")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the bundle into")
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same bytes (default 1)")
    args = parser.parse_args(argv)
    counts = generate(args.findings, args.out, args.seed)
    print(", ".join(f"{name}: {n} rows" for name, n in counts.items()))


if __name__ == "__main__":
    main()
