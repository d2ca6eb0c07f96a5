"""What every page shares: the engine, cached loaders, labels, and how errors and forms behave."""

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import database_url, get_engine
from tracker.errors import NotFound, TrackerError, ValidationFailed
from tracker.models import Confidentiality, Role
from tracker.services.bundle import across_states, matrix, matrix_model
from tracker.services.bundle.files import SPECS, escape_cell, unescape_cell
from tracker.services.people.access import Actor, effective_level
from tracker.services.presentation import charts
from tracker.services.presentation.frames import rows_of
from tracker.services.presentation.wording import date_span, label, listed_words
from tracker.services.progress import comparison
from tracker.services.records import editing as records
from tracker.services.records import updates
from tracker.ui.auth import at_click, current_actor
from tracker.ui.text import message, plain

log = logging.getLogger(__name__)

PAGES = Path(__file__).resolve().parent

# Data changes only through this app or an import, and every write here clears the reads it
# touches, so the time limit only bounds how stale another process's writes can look.
_CACHE_SECONDS = 300


def _level_key(actor: Actor) -> str:
    """Reads depend on the reader's clearance alone: every reader cleared for a level shares them."""
    return actor.clearance.value


_cached_data = st.cache_data(ttl=_CACHE_SECONDS, max_entries=64, show_spinner=False, hash_funcs={Actor: _level_key})
# The entities whose rows each cached read shows (as tracker.enums names them); None: all of them.
_READS: dict[Any, frozenset[str] | None] = {}
# What the comparison, the matrix, the findings and continuity read: no meeting, milestone or TA record.
_ASSESSMENT = ("thematic_area", "visit", "finding", "assessment", "link_decision")


def _cached(function=None, *, reads: Iterable[str] | None = None):
    """A cached read shared by every reader of one clearance level, cleared by a save of what it `reads`."""

    def cache(loader):
        cached = _cached_data(loader)
        _READS[cached] = frozenset(reads) if reads is not None else None
        return cached

    return cache(function) if function is not None else cache


def as_reader(who: Actor) -> Actor:
    """The reader a shared read runs as: only the clearance, which alone decides what a read shows."""
    return Actor(f"({who.clearance.value} reader)", Role.viewer, who.clearance)


@st.cache_resource(max_entries=4, show_spinner=False)
def _engine_for(url: str) -> Engine:
    return get_engine(url)


def engine() -> Engine:
    """The one engine of this process for the configured database."""
    return _engine_for(database_url())


def url() -> str:
    """The database URL: the first argument of every cached loader, so two databases never share a cache."""
    return database_url()


def actor() -> Actor:
    return current_actor()


def download_at_click(
    label_text: str,
    build: Callable[[Actor], bytes],
    *,
    who: Actor,
    level: Confidentiality | str | None,
    container=None,
    **kwargs,
) -> None:
    """A download button whose file is built when clicked, for the user as they are then.

    Every download built on click goes through here: `build` is handed the user as `auth.at_click`
    reads them at the click, so after a clearance change below `level`, a disabled account, an
    expired session or a sign-out the file is refused with one sentence before anything is read.
    """
    user_then = at_click(who, level)
    (container or st).download_button(label_text, data=lambda: build(user_then()), on_click="ignore", **kwargs)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def every_state_matrix_download(
    who: Actor, level: Confidentiality | str, label_text: str = "Download the matrix of every State (.xlsx)", **kwargs
) -> None:
    """The tracking matrix of every State at `level` as a workbook, built when clicked."""
    chosen, read_from = Confidentiality(level), engine()
    download_at_click(
        label_text,
        lambda user: matrix.matrix_bytes(matrix.all_matrices(read_from, user, chosen)),
        who=who,
        level=chosen,
        file_name=f"tracking-matrix-all-{chosen.value}-{dt.date.today():%Y-%m-%d}.xlsx",
        mime=XLSX,
        **kwargs,
    )


def clear_caches(changed: Iterable[str] | None = None) -> None:
    """After a write, forget the cached reads that show any of the `changed` entities; with none named, all."""
    if changed is None:
        st.cache_data.clear()
        return
    entities = set(changed)
    for loader, reads in _READS.items():
        if reads is None or reads & entities:
            loader.clear()


def changed_entities(changes: Iterable[Any]) -> set[str] | None:
    """The entities a save's changes (importer.Change, one per field) touched; None when one is not a bundle file's."""
    files = {str(getattr(change, "file", "")) for change in changes}
    if not files <= set(SPECS):
        return None
    return {SPECS[file].entity for file in files}


# ---------------------------------------------------------------- cached reads


@_cached(reads=_ASSESSMENT)
def compare(
    database: str, who: Actor, iso3: str, followup: str | None, level: str | None = None
) -> comparison.Comparison:
    return comparison.compare(_engine_for(database), as_reader(who), iso3, followup, level)


@_cached(reads=("state_update", "update_item", "visit", "finding"))
def latest_claims(database: str, who: Actor, iso3: str, level: str | None = None) -> pd.DataFrame:
    return updates.latest_claims(_engine_for(database), as_reader(who), iso3, level)


@_cached(reads=_ASSESSMENT)
def item_table(database: str, who: Actor, followup: str, level: str | None = None) -> pd.DataFrame:
    return comparison.item_table(_engine_for(database), as_reader(who), followup, level)


@_cached(reads=_ASSESSMENT)
def followup_visits(database: str, who: Actor, level: str | None = None) -> pd.DataFrame:
    return comparison.followup_visits(_engine_for(database), as_reader(who), level=level)


def followup_visits_or_stop(database: str, who: Actor, purpose: str, level: str | None = None) -> pd.DataFrame:
    """The visible follow-up visits; with none, say how to get one and stop the page."""
    followups = followup_visits(database, who, level)
    if followups.empty:
        st.info(
            f"There is no follow-up visit {purpose} yet. Record a visit with a baseline visit on the "
            "Visits and meetings page, import a bundle on the Import / Export page, or load the "
            "example with `tracker demo`.",
            icon=":material/info:",
        )
        st.stop()
    return followups


@_cached(reads=("thematic_area",))
def thematic_area_names(database: str) -> dict[str, str]:
    """The areas' names as stored: an area renamed on the Findings page or by an import shows its new name."""
    return comparison.thematic_area_names(_engine_for(database))


@_cached(reads=_ASSESSMENT)
def state_matrix(database: str, who: Actor, iso3: str, followup: str, level: str) -> matrix_model.StateMatrix:
    return matrix.state_matrix(_engine_for(database), as_reader(who), iso3, followup, level)


@_cached(reads=_ASSESSMENT)
def items_across_states(database: str, who: Actor, level: str) -> pd.DataFrame:
    """Every item of every State's latest matrix as one table (`across_states`); empty when no State has one."""
    try:
        matrices = matrix.all_matrices(_engine_for(database), as_reader(who), level)
    except NotFound:
        matrices = []
    return across_states.combined_items(matrices)


@_cached
def cross_state_index(database: str, who: Actor, level: str | None = None) -> pd.DataFrame:
    return comparison.cross_state_index(_engine_for(database), as_reader(who), level)


@_cached(reads=("thematic_area",))
def reference_options(database: str) -> dict[str, dict]:
    return records.reference_options(_engine_for(database))


@_cached
def visits(database: str, who: Actor, state: str | None = None, level: str | None = None) -> pd.DataFrame:
    return records.list_visits(_engine_for(database), as_reader(who), state=state, level=level)


@_cached(reads=_ASSESSMENT)
def findings(database: str, who: Actor, **filters) -> tuple[pd.DataFrame, int]:
    return records.list_findings(_engine_for(database), as_reader(who), **filters)


@_cached(reads=_ASSESSMENT)
def finding_counts(database: str, who: Actor, level: str | None = None) -> pd.DataFrame:
    return records.finding_counts(_engine_for(database), as_reader(who), level)


@_cached(reads=("meeting", "visit"))
def meetings(database: str, who: Actor, state: str | None = None, visit_id: str | None = None) -> pd.DataFrame:
    return records.list_meetings(_engine_for(database), as_reader(who), state=state, visit_id=visit_id)


@_cached(reads=("meeting", "visit", "finding", "thematic_area"))
def meeting_footprint(database: str, who: Actor, visit_id: str, level: str | None = None) -> pd.DataFrame:
    return records.meeting_footprint(_engine_for(database), as_reader(who), visit_id, level)


@_cached(reads=_ASSESSMENT)
def worksheet(database: str, who: Actor, followup: str) -> pd.DataFrame:
    return records.assessment_worksheet(_engine_for(database), as_reader(who), followup)


@_cached(reads=_ASSESSMENT)
def link_suggestions(database: str, who: Actor, followup: str, min_score: float) -> pd.DataFrame:
    from tracker.services.continuity import suggestions as continuity

    engine = _engine_for(database)
    ranked = continuity.suggest_links(engine, as_reader(who), followup, min_score=min_score)
    return continuity.suggestion_table(engine, as_reader(who), ranked)


@_cached(reads=_ASSESSMENT)
def evidence_suggestions(database: str, who: Actor, followup: str, min_score: float) -> pd.DataFrame:
    from tracker.services.continuity import suggestions as continuity

    return continuity.suggest_evidence(_engine_for(database), as_reader(who), followup, min_score=min_score)


# ---------------------------------------------------------------- words and numbers for people


_WORDED = ("kind", "status", "status_group", "severity", "modality", "confidentiality")


def in_words(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its enumeration columns (kind, status, ...) in words, for display."""
    worded = {c: frame[c].map(label) for c in _WORDED if c in frame.columns}
    # A meeting's sectors are a list.
    if "sector" in frame.columns:
        worded["sector"] = frame["sector"].map(listed_words)
    return frame.assign(**worded)


def index_text(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1f}"


# ---------------------------------------------------------------- errors


@contextmanager
def error_boundary() -> Iterator[None]:
    """Show a failure as one sentence on the page, never as a traceback."""
    try:
        yield
    except TrackerError as error:
        message(error)
    except SQLAlchemyError as error:
        log.exception("database error on a dashboard page")
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        message(f"The database refused the operation ({reason}); check TRACKER_DATABASE_URL and run 'tracker init'.")
    except Exception as error:
        log.exception("unexpected error on a dashboard page")
        message(
            f"This page failed unexpectedly ({type(error).__name__}); reload it, and if it fails again "
            "send the server log to whoever runs the tracker."
        )


def flash(message: str) -> None:
    """A success message shown once, on the next run of the page."""
    st.session_state["flash"] = message


def show_flash() -> None:
    text = st.session_state.pop("flash", None)
    if text:
        message(text, "success")


# ---------------------------------------------------------------- forms


def form_errors(form: str) -> dict[str, str]:
    return st.session_state.get(f"{form}:errors", {})


def field_error(form: str, field: str) -> None:
    """The problem with one field of the last save, right below the field."""
    text = form_errors(form).get(field)
    if text:
        message(text)


def other_errors(form: str, fields: tuple[str, ...]) -> None:
    """Problems the last save had that belong to no field on the form."""
    for field, text in form_errors(form).items():
        if field not in fields:
            message(f"{field}: {text}")


def save_form(
    form: str, save: Callable[[], object], success: str, reset: bool = False, changed: Iterable[str] | None = None
) -> None:
    """Run a save; on success clear the reads of what it `changed` (all, if not said) and say so, on
    invalid input keep the errors for the fields."""
    try:
        save()
    except ValidationFailed as error:
        st.session_state[f"{form}:errors"] = records.field_errors(error)
        st.session_state[f"{form}:message"] = error.on_page()
        st.rerun()
    st.session_state.pop(f"{form}:errors", None)
    st.session_state.pop(f"{form}:message", None)
    clear_caches(changed)
    if reset:
        for key in [k for k in st.session_state if str(k).startswith(f"{form}:")]:
            del st.session_state[key]
    flash(success)
    st.rerun()


def form_message(form: str) -> None:
    """The one-sentence summary of the last failed save, above the form."""
    text = st.session_state.get(f"{form}:message")
    if text:
        message(text)


def choice(label_text: str, options: dict, current, key: str, *, blank: bool = False, **kwargs):
    """A select box over {value: words}, starting at the current value when it is one of them,
    else at the first one, or at none when `blank`."""
    values = list(options)
    index = values.index(current) if current in options else (None if blank else 0)
    if key in st.session_state:
        # The value the analyst chose (or a callback set) wins over the record's.
        index = 0 if index is not None else None
    return st.selectbox(label_text, values, index=index, format_func=lambda v: options.get(v, v), key=key, **kwargs)


def enum_words(enum) -> dict[str, str]:
    return {member.value: label(member.value) for member in enum}


def levels(who: Actor) -> dict[str, str]:
    """The confidentiality levels this user may give a row."""
    return {level: label(level) for level in who.clearance.visible_levels()}


def visit_names(frame: pd.DataFrame) -> dict[str, str]:
    """{visit_id: "KOR-2023 · Republic of Korea, 22–25 May 2023"} for choosing a visit."""
    return {
        row.visit_id: f"{row.visit_id} · {row.state_name}, {date_span(row.start_date, row.end_date)}"
        for row in rows_of(frame)
    }


def read_only_notice(who: Actor) -> bool:
    """Say that this user cannot change data; True when that is so."""
    if who.can_write:
        return False
    st.info(f"Your role ({who.role.value}) can read but not change data.", icon=":material/lock:")
    return True


# ---------------------------------------------------------------- tables


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell a spreadsheet would run as a formula behind a quote mark, as
    in an export: a table's toolbar offers "Download as CSV", which writes cells as shown."""
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(
        **{str(c): frame[c].map(lambda v: escape_cell(v) if isinstance(v, str) else v) for c in text_columns}
    )


def as_entered(frame: pd.DataFrame) -> pd.DataFrame:
    """An edited formula-safe frame as the analyst means it: each text cell without the one quote
    mark `formula_safe` put before it, as an import removes it, so saving adds no stray "'"."""
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(
        **{str(c): frame[c].map(lambda v: unescape_cell(v) if isinstance(v, str) else v) for c in text_columns}
    )


def dataframe(frame: pd.DataFrame, *, style=None, **kwargs):
    """st.dataframe over the formula-safe frame: every table on every page is drawn by this.

    `style` turns the safe frame into a pandas Styler (colours), so styling never sees raw cells.
    """
    safe = formula_safe(frame)
    return st.dataframe(style(safe) if style else safe, **kwargs)


def chart(figure, **kwargs):
    """st.plotly_chart named for screen readers by the chart's title, with the numbers it draws in a table
    under it: every chart on every page is drawn by this. Returns what st.plotly_chart returns (a
    selection when `on_select` is given)."""
    name = charts.chart_name(figure)
    drawn = st.plotly_chart(figure, alt=f"Chart: {name}. Its numbers are in the table under it.", **kwargs)
    with st.expander(f"The numbers of the chart “{name}”", icon=":material/table:"):
        st.table(charts.numbers(figure), hide_index=True, alt=f"The numbers of the chart “{name}”")
    return drawn


# ---------------------------------------------------------------- choices kept in the URL
#
# A page's choices live in its query parameters (?state=KOR&followup=KOR-2023&level=committee), so a
# link can be shared and the back button returns to the earlier choice. The URL wins when it differs
# from what the page last wrote there (a followed link, the back button); otherwise the widget does.


def _remembered(param: str) -> str:
    return f"url:{param}"


def _start_from_url(param: str, key: str, options: list[str], default: str | None) -> None:
    """Put the widget at the URL's value when the URL changed under us, else keep a valid choice."""
    in_url = st.query_params.get(param)
    remembered = st.session_state.get(_remembered(param))
    if in_url is not None and in_url != remembered:
        if in_url in options:
            st.session_state[key] = in_url
            return
        st.session_state[_remembered(param)] = None
        _url_notice(param, in_url)
    if st.session_state.get(key) not in options:
        if remembered in options:
            st.session_state[key] = remembered
        elif default in options or default is None:
            st.session_state[key] = default
        else:
            st.session_state[key] = options[0]


def _url_notice(param: str, value: str) -> None:
    st.caption(
        f"The link asked for {plain(param)} {plain(value[:40])}, which is not one of the choices you have here; "
        "the page shows its usual choice instead.",
    )


_BATCH = "url:batch"


def _keep_in_url(param: str, value: str | None) -> None:
    st.session_state[_remembered(param)] = value
    if _BATCH in st.session_state:
        st.session_state[_BATCH][param] = value
    else:
        _write_url({param: value})


def _write_url(choices: dict[str, str | None]) -> None:
    """One change of the address for all the choices: the browser adds one history entry per change."""
    current = {key: st.query_params[key] for key in st.query_params}
    wanted = {key: value for key, value in (current | choices).items() if value is not None}
    if wanted != current:
        st.query_params.from_dict(wanted)


@contextmanager
def choices_in_url() -> Iterator[None]:
    """Write the choices made inside into the URL at once, so the back button skips no half-made view."""
    st.session_state[_BATCH] = {}
    try:
        yield
    finally:
        _write_url(st.session_state.pop(_BATCH, {}))


def url_selectbox(
    label_text: str,
    options: dict[str, str],
    *,
    key: str,
    param: str,
    default: str | None = None,
    container=None,
    **kwargs,
) -> str:
    """A select box over {value: words} whose value is the URL query parameter `param`."""
    values = list(options)
    _start_from_url(param, key, values, default if default is not None else values[0])
    value = (container or st).selectbox(label_text, values, format_func=options.get, key=key, **kwargs)
    _keep_in_url(param, value)
    return value


def url_segmented(
    label_text: str,
    options: dict[str, str],
    *,
    key: str,
    param: str,
    default: str,
    container=None,
    **kwargs,
) -> str:
    """One of a few choices, shown as buttons, whose value is the URL query parameter `param`."""
    values = list(options)
    _start_from_url(param, key, values, default)
    value = (container or st).segmented_control(label_text, values, format_func=options.get, key=key, **kwargs)
    value = value or default
    # The default stays out of the address, so that opening the page adds no history entry of its own.
    _keep_in_url(param, value if value != default else None)
    return value


def url_multiselect(
    label_text: str, options: list[str], *, key: str, param: str, container=None, **kwargs
) -> list[str]:
    """A multiselect whose values are the URL query parameter `param`, comma-separated."""
    in_url = st.query_params.get(param)
    if in_url is not None and in_url != st.session_state.get(_remembered(param)):
        st.session_state[key] = [value for value in in_url.split(",") if value in options]
    elif key not in st.session_state:
        st.session_state[key] = [
            value for value in (st.session_state.get(_remembered(param)) or "").split(",") if value in options
        ]
    values = (container or st).multiselect(label_text, options, key=key, **kwargs)
    _keep_in_url(param, ",".join(values) or None)
    return values


def viewing_level(actor: Actor, *, key: str = "level") -> Confidentiality:
    """The level a counting page reads at: chosen in a "Viewing at level" box that offers nothing above
    the reader's clearance, Committee by default (or the clearance when lower), kept in the URL as `level`.

    The default is the level of a report to the Committee, so the page and the report agree.
    """
    options = {level: label(level) for level in actor.clearance.visible_levels()}
    default = effective_level(actor, Confidentiality.committee).value
    chosen = url_selectbox(
        "Viewing at level",
        options,
        key=key,
        param="level",
        default=default,
        help="Counts only material at or below this confidentiality level, as a report at that level does. "
        "You may choose up to your own clearance.",
    )
    return Confidentiality(chosen)


def level_caption(level: Confidentiality, what: str = "Counted") -> str:
    """The words under a figure that say at which level it was counted."""
    return f"{what} at confidentiality level **{label(level.value)}**: material above it is left out."


def open_state_progress(state: str, followup: str, level: Confidentiality) -> None:
    """Go to the State progress page of one follow-up visit, with the choices in its URL."""
    # An absolute path matches the page the router registered, whichever entry script started the app.
    st.switch_page(
        PAGES / "state_progress.py",
        query_params={"state": state, "followup": followup, "level": level.value},
    )


def named(names: Mapping[Any, str]) -> Callable[[Any], str]:
    """A widget's format_func: each option by its name in `names`, one not there by itself."""
    return lambda option: names.get(option, str(option))
