"""Import / Export: check an uploaded bundle, confirm it, and download the data or blank templates."""

import datetime as dt

import pandas as pd
import streamlit as st

from tracker.config import get_settings
from tracker.errors import TrackerError
from tracker.models import Confidentiality
from tracker.services.bundle import exporter
from tracker.services.bundle.files import FILE_NAMES, SPECS
from tracker.services.bundle.importer import ImportResult, import_bundle
from tracker.services.bundle.review_guard import in_words
from tracker.services.bundle.sources import sources_from_uploads
from tracker.ui import common, review

st.title("Import / Export")
who = common.actor()


def progress_bar(verb: str):
    """A progress bar and the callback the importer feeds it."""
    bar = st.progress(0.0, text=f"{verb}…")
    return bar, lambda fraction, name: bar.progress(fraction, text=f"{verb} {name}…" if name != "done" else "Done.")


def show_result(result: ImportResult) -> None:
    if result.ok:
        common.dataframe(
            pd.DataFrame(result.summary_rows(), columns=["file", "created", "updated", "unchanged"]),
            hide_index=True,
            key="import:counts",
            column_config={
                "file": "File",
                "created": "New rows",
                "updated": "Changed rows",
                "unchanged": "Unchanged rows",
            },
        )
        if result.changes:
            st.markdown("**Every change, row by row**")
            review.show_changes(result.changes, key="import:changes")
            if result.change_count > len(result.changes):
                st.caption(f"Only the first {len(result.changes)} of {result.change_count} changes are listed.")
        return
    # With errors nothing is written, so no file has counts to show.
    st.error(
        f"The bundle has {result.error_count} error(s); nothing can be imported until they are corrected.",
        icon=":material/error:",
    )
    # Rows read from a workbook are placed by sheet and cell rather than by file and line.
    in_workbook = any(e.cell for e in result.errors)
    columns = ["cell", "column", "message"] if in_workbook else ["file", "line", "row", "key", "column", "message"]
    common.dataframe(
        pd.DataFrame([e.__dict__ for e in result.errors], columns=columns),
        hide_index=True,
        key="import:errors",
        column_config={
            "file": "File",
            "line": "Line",
            "row": st.column_config.NumberColumn(
                "Row", help="The record's place in the file, as a spreadsheet numbers it."
            ),
            "key": "Key",
            "cell": "Sheet and cell",
            "column": "Column",
            "message": st.column_config.TextColumn("Problem", width="large"),
        },
    )
    if result.error_count > len(result.errors):
        st.caption(f"Only the first {len(result.errors)} errors are listed.")


def import_section() -> None:
    st.subheader("Import a bundle")
    st.caption(
        f"Upload a .zip bundle or CSV files named {FILE_NAMES}, a workbook bundle (.xlsx), or a tracking "
        "matrix whose status and evidence cells you edited. Every row is checked first; nothing "
        "is written until you confirm, and with any error nothing is written at all."
    )
    if common.read_only_notice(who):
        return
    review.saved_notice("review:import", who)
    attempt = st.session_state.setdefault("import:attempt", 0)
    uploads = st.file_uploader(
        "Bundle files",
        type=["zip", "csv", "xlsx"],
        accept_multiple_files=True,
        key=f"import:files:{attempt}",
        max_upload_size=get_settings().max_upload_mb,
    )
    if not uploads:
        return
    try:
        sources = sources_from_uploads([(upload.name, upload.getvalue()) for upload in uploads])
    except TrackerError as error:
        common.message(error)
        return
    fingerprint = tuple((upload.name, upload.size, upload.file_id) for upload in uploads)
    checked = st.session_state.get("import:checked")
    if checked is None or checked[0] != fingerprint:
        bar, progress = progress_bar("Checking")
        checked = (fingerprint, import_bundle(common.engine(), sources, who, dry_run=True, progress=progress))
        st.session_state["import:checked"] = checked
        bar.empty()
    result = checked[1]
    moved = st.session_state.get("import:moved")
    if moved and moved[0] == fingerprint:
        common.message(
            "Nothing was imported: since your check, "
            + "; ".join(f"{item.key}: {in_words(item)}" if item.key else in_words(item) for item in moved[1])
            + ". The check below was made again against the stored values now.",
            "warning",
            icon=":material/group:",
        )
    st.markdown("**What the import would do**")
    show_result(result)
    if result.ok and st.button("Confirm import", type="primary", key="import:confirm"):
        bar, progress = progress_bar("Importing")
        # The import must make exactly the changes the check listed.
        final = import_bundle(common.engine(), sources, who, progress=progress, reviewed=result)
        if final.moved:
            # The data moved since the check: nothing was written; check again and say what moved.
            st.session_state["import:moved"] = (fingerprint, final.moved)
            st.session_state["import:checked"] = (
                fingerprint,
                import_bundle(common.engine(), sources, who, dry_run=True, progress=progress),
            )
            common.clear_caches()
            st.rerun()
        if not final.ok:
            # The database changed since the check, e.g. another user's import.
            show_result(final)
            return
        written = [file for file, counts in final.counts.items() if counts.created or counts.updated]
        common.clear_caches({SPECS[file].entity for file in written})
        created = sum(c.created for c in final.counts.values())
        updated = sum(c.updated for c in final.counts.values())
        st.session_state["review:import:saved"] = {
            "message": f"Imported {', '.join(s.name for s in sources)}: {created} new and {updated} changed row(s).",
            # Undo only what is listed in full.
            "changes": final.changes if final.change_count == len(final.changes) else [],
        }
        st.session_state["import:attempt"] = attempt + 1
        del st.session_state["import:checked"]
        st.session_state.pop("import:moved", None)
        st.rerun()


def export_section() -> None:
    st.subheader("Download the data")
    st.caption(
        "All five bundle files in one .zip (with a datapackage.json that describes them) or as the five sheets "
        "of one workbook, rows sorted by key, leaving out every row above the level chosen."
    )
    levels = common.levels(who)
    # Committee unless the reader is cleared for less: a more sensitive bundle is a deliberate choice.
    default = min(Confidentiality.committee, who.clearance, key=lambda level: level.rank)
    level = common.choice("Confidentiality level of the recipients", levels, default.value, "export:level", width=420)
    engine = common.engine()
    common.download_at_click(
        "Download the bundle (.zip)",
        lambda user: exporter.bundle_zip_bytes(engine, user, level),
        who=who,
        level=level,
        file_name=f"tracker-bundle-{level}-{dt.date.today():%Y-%m-%d}.zip",
        mime="application/zip",
        icon=":material/download:",
        key="export:bundle",
    )
    common.download_at_click(
        "Download the bundle as a workbook (.xlsx)",
        lambda user: exporter.bundle_workbook_bytes(engine, user, level),
        who=who,
        level=level,
        file_name=f"tracker-bundle-{level}-{dt.date.today():%Y-%m-%d}.xlsx",
        mime=common.XLSX,
        icon=":material/download:",
        key="export:workbook",
    )
    common.every_state_matrix_download(
        who,
        level,
        "Download the tracking matrix of every State (.xlsx)",
        icon=":material/table_view:",
        key="export:matrix",
        disabled=common.followup_visits(common.url(), who).empty,
    )
    st.subheader("Blank templates")
    st.caption("Each bundle file with its header row only, to fill in a spreadsheet and import here.")
    templates = exporter.template_bytes()
    for column, (name, data) in zip(st.columns(len(templates)), templates.items()):
        column.download_button(
            name,
            data,
            file_name=name,
            mime="text/csv",
            on_click="ignore",
            icon=":material/table:",
            key=f"template:{name}",
        )


import_section()
st.divider()
export_section()
