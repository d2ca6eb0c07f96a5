"""Admin: the reference data the team maintains (docs/data-formats.md): add a State outside the 193, a
resolution or a partner organisation, and rename any row, seeded or added. Every change is audited."""

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine

from tracker.services.operations import reference_data
from tracker.services.people.access import Actor
from tracker.ui import area_map_admin, common

_TITLES = {
    "state": "States and entities",
    "resolution": "Resolutions",
    "partner": "Partner organisations",
    "area_resolution": "Areas and resolutions",
}


def show(who: Actor, engine: Engine, attempt: Callable[[Callable[[], object], str], None]) -> None:
    kind = st.radio("Reference data", list(_TITLES), format_func=_TITLES.__getitem__, horizontal=True, key="ref:kind")
    if kind == "area_resolution":
        area_map_admin.show(who, engine, attempt)
        return
    frame = reference_data.reference_frame(engine, kind)
    if kind == "state":
        frame = frame.assign(member_state=frame["member_state"].map({True: "Yes", False: "No (not a UN Member State)"}))
    common.dataframe(frame, hide_index=True, key=f"ref:{kind}:table")
    add, rename = st.columns(2)
    with add, st.form(f"ref:add:{kind}", clear_on_submit=True):
        st.subheader("Add")
        if kind == "state":
            code = st.text_input(
                "ISO3 code", key="ref:add:state:iso3", help="Three letters no Member State uses, e.g. VAT."
            )
            name = st.text_input("Name", key="ref:add:state:name")
            region = st.text_input("Region", key="ref:add:state:region")
            if st.form_submit_button("Add", type="primary"):
                attempt(
                    lambda: reference_data.add_state(engine, who, code, name, region), f"Added {code.strip().upper()}."
                )
        elif kind == "resolution":
            number = st.text_input("Number", key="ref:add:resolution:number", help="e.g. 2331")
            year = st.text_input("Year of adoption", key="ref:add:resolution:year", help="e.g. 2016")
            title = st.text_input("Title", key="ref:add:resolution:title")
            adopted_on = st.text_input("Adopted on", key="ref:add:resolution:adopted_on", help="YYYY-MM-DD")
            if st.form_submit_button("Add", type="primary"):
                attempt(
                    lambda: reference_data.add_resolution(engine, who, number, year, title, adopted_on),
                    f"Added resolution {number.strip()}.",
                )
        else:
            code = st.text_input("Code", key="ref:add:partner:code", help="Capitals, e.g. GCTF.")
            name = st.text_input("Name", key="ref:add:partner:name")
            if st.form_submit_button("Add", type="primary"):
                attempt(lambda: reference_data.add_partner(engine, who, code, name), f"Added {code.strip().upper()}.")
    with rename, st.form(f"ref:rename:{kind}", clear_on_submit=True):
        st.subheader("Rename")
        spec = reference_data.KINDS[kind]
        key = st.selectbox("Row", [str(k) for k in frame[spec.key]], key=f"ref:rename:{kind}:key")
        new = st.text_input(f"New {spec.named_by}", key=f"ref:rename:{kind}:name")
        if st.form_submit_button("Rename"):
            attempt(lambda: reference_data.rename(engine, who, kind, key, new), f"Renamed {key}.")
