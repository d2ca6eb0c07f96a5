"""Admin, reference data: the area → resolution map behind the assessment debt (docs/dossier.md).
Each change is saved like a row of area_resolutions.csv: checked and audited."""

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine

from tracker.services.dossier import area_map
from tracker.services.people.access import Actor
from tracker.services.presentation.wording import day
from tracker.ui import common


def show(who: Actor, engine: Engine, attempt: Callable[[Callable[[], object], str], None]) -> None:
    pairs = area_map.area_map(engine)
    shown = pairs.assign(
        adopted_on=pairs["adopted_on"].map(day),
        applies=pairs["applies"].map({True: "Yes", False: "No (switched off)"}),
    )
    common.dataframe(
        shown,
        hide_index=True,
        key="ref:area_resolution:table",
        column_config={
            "area": "Area",
            "area_name": "Thematic area",
            "resolution": "Resolution",
            "resolution_title": "Title",
            "adopted_on": "Adopted on",
            "applies": "Concerns the area",
        },
    )
    options = common.reference_options(common.url())
    areas = {code: name for code, name in options["areas"].items() if "." not in code}
    with st.form("ref:area_resolution:form", clear_on_submit=True):
        st.subheader("Map a resolution to an area")
        area = st.selectbox("Area", list(areas), format_func=common.named(areas), key="ref:area_resolution:area")
        resolutions = options["resolutions"]
        number = st.selectbox(
            "Resolution", list(resolutions), format_func=common.named(resolutions), key="ref:area_resolution:number"
        )
        applies = st.radio(
            "The area concerns the resolution",
            [True, False],
            format_func=lambda flag: "Yes" if flag else "No: switch the pair off",
            horizontal=True,
            key="ref:area_resolution:applies",
        )
        if st.form_submit_button("Save", type="primary"):

            def save() -> None:
                area_map.set_concern(engine, who, str(area), str(number), bool(applies))
                common.clear_caches()

            attempt(save, f"{'Mapped' if applies else 'Unmapped'} {area} → {number}.")
