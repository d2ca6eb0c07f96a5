"""What the tracking matrix is made of (docs/data-formats.md): its headers, its status words and a
State's matrix as read at one level; the matrix's sheets and the sheet of every State build on it."""

from dataclasses import dataclass

import pandas as pd

from tracker.models import STATUS_GROUP, Confidentiality, Status
from tracker.services.presentation.wording import label
from tracker.services.progress.compared import Comparison

ITEM_HEADERS = ("Id", "Area", "Thematic area", "Kind", "Priority", "Severity", "Finding", "Source")
ITEM_COLUMNS = ("finding_id", "area", "area_name", "kind", "priority", "severity", "title", "source_ref")
STATUS_WORDS = {label(status.value): status.value for status in Status}
# Words or codes in any letter case, with spaces, underscores or hyphens between the words.
STATUS_KEYS = {status.value: status.value for status in Status} | {
    words.lower().replace(" ", "_"): code for words, code in STATUS_WORDS.items()
}
STATUS_LABELS = {code: words for words, code in STATUS_WORDS.items()}
SUMMARY_SHEET = "Summary"
RAISED_AT = "Raised at"


def status_header(visit_id: str) -> str:
    return f"{visit_id} status"


def evidence_header(visit_id: str) -> str:
    return f"{visit_id} evidence"


def assessed_header(visit_id: str) -> str:
    """The date the visit's assessment refers to (docs/data-formats.md): a re-assessment keeps its own."""
    return f"{visit_id} assessed on"


# What the State last said of the item in a written update: shown, marked self-reported, never counted.
LATEST_UPDATE_HEADER = "Latest State update"


@dataclass(frozen=True)
class StateMatrix:
    """A State's matrix at one level: its items and, per later visit, each item's status and evidence."""

    state: str
    state_name: str
    baseline_visit: str
    followup_visit: str
    visits: tuple[str, ...]
    level: Confidentiality
    # One row per item: ITEM_COLUMNS, `raised_at`, then `<V> status` (code or ""), `<V> evidence` per visit.
    items: pd.DataFrame
    comparison: Comparison
    region: str = ""

    @property
    def raised_elsewhere(self) -> bool:
        """Some item was first raised at a visit after the baseline: the matrix then names each item's visit."""
        return bool((self.items["raised_at"] != self.baseline_visit).any())

    @property
    def item_headers(self) -> tuple[str, ...]:
        """The headers before the visits' columns: those of the matrix, and "Raised at" when items come from several visits."""
        return (*ITEM_HEADERS, RAISED_AT) if self.raised_elsewhere else ITEM_HEADERS

    def shown_items(self) -> pd.DataFrame:
        """The items with the columns `item_headers` name, then each visit's status and evidence."""
        return self.items if self.raised_elsewhere else self.items.drop(columns="raised_at")

    def in_words(self) -> pd.DataFrame:
        """The matrix as people read it: the headers of docs/data-formats.md and statuses in words."""
        frame = self.shown_items().rename(columns=dict(zip((*ITEM_COLUMNS, "raised_at"), (*ITEM_HEADERS, RAISED_AT))))
        frame["Kind"] = frame["Kind"].map(label)
        frame["Severity"] = frame["Severity"].map(label)
        for visit in self.visits:
            frame[status_header(visit)] = frame[status_header(visit)].map(label)
        return frame

    def groups(self) -> pd.DataFrame:
        """Each status cell's status group (closed, progressing, open, excluded), "" where empty."""
        return pd.DataFrame(
            {status_header(v): self.items[status_header(v)].map(_group_of) for v in self.visits},
            index=self.items.index,
        )


def _group_of(status: str) -> str:
    return STATUS_GROUP[Status(status)].value if status else ""
