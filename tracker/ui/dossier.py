"""Dossier: what the delegation needs to prepare a State's next visit (docs/dossier.md), in the six
parts of the Word dossier, read at the chosen level; the dossier itself is downloaded as Word, HTML or
Markdown."""

from collections.abc import Callable

import pandas as pd
import streamlit as st

from tracker.services.dossier.build import compute_dossier
from tracker.services.dossier.debt import debt_by_state
from tracker.services.people.access import Actor
from tracker.services.reports import documents
from tracker.services.reports.dossier import build_dossier, dossier_document
from tracker.services.reports.model import Section, cell_text, numbered
from tracker.ui import common


@common._cached
def _debt(database: str, who: Actor, level: str) -> pd.DataFrame:
    return debt_by_state(common._engine_for(database), common.as_reader(who), level)


@common._cached
def _dossier(database: str, who: Actor, iso3: str, level: str):
    return compute_dossier(common._engine_for(database), common.as_reader(who), iso3, level)


# On screen the short columns come first, so a status or a count is in view at 1280 pixels before
# the long texts that the table scrolls to.
_LONG = ("Item", "Recommendation", "Area", "Name", "Why", "Resolutions adopted since")


def _show(section: Section, number: str, depth: int) -> None:
    (st.header if depth == 1 else st.subheader)(numbered(number, section.heading), anchor=False)
    for paragraph in section.paragraphs:
        st.markdown(common.plain(paragraph))
    for position, table in enumerate(section.tables):
        rows = [[cell_text(value) if not isinstance(value, str) else value for value in row] for row in table.rows]
        order = [c for c in table.header if c not in _LONG] + [c for c in table.header if c in _LONG]
        common.dataframe(
            pd.DataFrame(rows, columns=table.header),
            hide_index=True,
            column_order=order,
            column_config={"Id": st.column_config.TextColumn("Id", pinned=True)} if "Id" in table.header else None,
            key=f"dossier:{number}:{depth}:{position}",
        )


st.title("Dossier: preparing the next visit")
who, database = common.actor(), common.url()

with common.choices_in_url():
    pick_state, pick_level = st.columns([3, 1])
    with pick_level:
        level = common.viewing_level(who, key="dossier:level")
    debt = _debt(database, who, level.value)
    if debt.empty:
        st.info(
            "No visit of any State is recorded at this level: a dossier starts from a State's visits. "
            "Record one on the Visits and meetings page, or load the example with `tracker demo`.",
            icon=":material/info:",
        )
        st.stop()
    states = {
        row.state: f"{row.state_name} ({row.state})" for row in debt.sort_values("state_name").itertuples(index=False)
    }
    iso3 = common.url_selectbox("State", states, key="dossier:state", param="state", container=pick_state)

dossier = _dossier(database, who, iso3, level.value)
st.caption(
    common.level_caption(level, "Read")
    + f" As of {dossier.today.isoformat()}. Self-reported statuses are the State's own and count in no figure."
)
open_count, claims, record, owed = st.columns(4)
open_count.metric("Open items", len(dossier.open_items), border=True)
claims.metric("Claims to verify", len(dossier.claims) + len(dossier.delivered), border=True)
record.metric(
    "Claims verified lower",
    f"{dossier.track_record.lower} of {len(dossier.track_record.claims)}",
    border=True,
    help="Of the State's self-reported statuses that a later visit verified, how many were found lower.",
)
owed.metric(
    "Resolutions owed",
    dossier.owed,
    border=True,
    help="Resolutions adopted after the last visit that covered an area they concern, counted once per area.",
)


def _rendered(fmt: str) -> Callable[[Actor], bytes]:
    """The dossier as a file, built at the click for the user as they are then."""
    return lambda user: documents.render(build_dossier(common.engine(), user, iso3, level.value), fmt, charts=False)


downloads = st.columns(3)
for column, fmt, words in zip(downloads, documents.FORMATS, ("Word", "HTML", "Markdown"), strict=True):
    common.download_at_click(
        f"Download the dossier ({words})",
        _rendered(fmt),
        who=who,
        level=level,
        container=column,
        file_name=f"dossier-{iso3}.{fmt}",
        mime=documents.MEDIA_TYPES[fmt],
        key=f"dossier:download:{fmt}",
    )

for section, depth, number in dossier_document(dossier).walk():
    _show(section, number, depth)
