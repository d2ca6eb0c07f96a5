"""TA pipeline: every technical-assistance need, where it stands and which providers help with it."""

import pandas as pd
import streamlit as st

from tracker.services.after_visit import ta_pipeline as pipeline
from tracker.services.people.access import Actor
from tracker.services.presentation import charts
from tracker.services.presentation.wording import label
from tracker.ui import common


@common._cached
def _pipeline(database: str, who: Actor, level: str, where: pipeline.PipelineFilter) -> pd.DataFrame:
    return pipeline.pipeline(common._engine_for(database), who, level, where)


@common._cached
def _by_status(database: str, who: Actor, level: str, where: pipeline.PipelineFilter) -> pd.DataFrame:
    return pipeline.by_status(common._engine_for(database), who, level, where)


@common._cached
def _by_provider(database: str, who: Actor, level: str, where: pipeline.PipelineFilter) -> pd.DataFrame:
    return pipeline.by_provider(common._engine_for(database), who, level, where)


st.title("TA pipeline")
who, database = common.actor(), common.url()
level = common.viewing_level(who, key="ta:level")
needs = _pipeline(database, who, level.value, pipeline.PipelineFilter())
if needs.empty:
    st.info(
        "No technical-assistance need is recorded at this level yet. Record findings of kind TA need, "
        "and their place in the pipeline in ta.csv, on the Import / Export page.",
        icon=":material/info:",
    )
    st.stop()

partners = common.reference_options(database)["partners"]
states = dict(zip(needs["state"], needs["state_name"]))
pick_state, pick_region, pick_provider, pick_status = st.columns(4)
chosen_states = pick_state.multiselect(
    "State", list(states), format_func=lambda c: f"{states[c]} ({c})", placeholder="All States", key="ta:states"
)
chosen_regions = pick_region.multiselect(
    "Region", sorted(needs["region"].unique()), placeholder="All regions", key="ta:regions"
)
chosen_providers = pick_provider.multiselect(
    "Provider",
    list(partners),
    format_func=lambda c: f"{c} · {partners[c]}",
    placeholder="Any provider",
    key="ta:providers",
)
chosen_statuses = pick_status.multiselect(
    "Status", list(pipeline.STATUS_ORDER), format_func=label, placeholder="Every status", key="ta:statuses"
)
where = pipeline.PipelineFilter(
    states=tuple(chosen_states),
    regions=tuple(chosen_regions),
    providers=tuple(chosen_providers),
    statuses=tuple(chosen_statuses),
)

counts = _by_status(database, who, level.value, where)
total = int(counts["needs"].sum())
settled = int(counts.loc[counts["status"].isin(pipeline.SETTLED), "needs"].sum())
delivered = int(counts.loc[counts["status"] == "delivered", "needs"].sum())
shown, moving, done = st.columns(3)
shown.metric("TA needs", total, border=True)
moving.metric("Still in the pipeline", total - settled, border=True, help="Neither delivered nor declined.")
done.metric("Delivered", delivered, border=True)
if total == 0:
    st.info("No TA need matches the filters.", icon=":material/filter_alt_off:")
    st.stop()

common.chart(charts.ta_status_bars(counts), key="chart:ta-status")
providers = _by_provider(database, who, level.value, where)
common.chart(charts.ta_provider_bars(providers, pipeline.STATUS_ORDER), key="chart:ta-provider")

shown_needs = _pipeline(database, who, level.value, where)

st.subheader("TA needs")
common.dataframe(
    common.in_words(shown_needs)[
        [
            "state_name",
            "finding_id",
            "status",
            "providers",
            "title",
            "addresses_title",
            "updated_on",
            "note",
            "visit_id",
            "area",
        ]
    ],
    hide_index=True,
    column_config={
        "state_name": "State",
        "visit_id": "Visit",
        "finding_id": "Id",
        "area": "Area",
        "title": st.column_config.TextColumn("TA need", width="large"),
        "status": "Status",
        "providers": "Providers",
        "addresses_title": st.column_config.TextColumn("Addresses", width="medium"),
        "updated_on": st.column_config.DateColumn("Last change"),
        "note": "Note",
    },
    key="table:ta-needs",
)
st.caption(
    "A TA need with no pipeline record yet counts as identified. Record changes in ta.csv "
    "(Import / Export page or `tracker import`)."
)
