"""What every page shares: the engine, cached loaders, labels, and how errors and forms behave."""

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import database_url, get_engine
from tracker.errors import TrackerError, ValidationFailed
from tracker.services import comparison, records
from tracker.services.access import Actor
from tracker.services.bundle_format import escape_cell, unescape_cell
from tracker.services.wording import date_span, label
from tracker.ui.auth import current_actor

log = logging.getLogger(__name__)

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain(text) -> str:
    """User text made inert inside st.markdown: no links, images, emphasis or formulas."""
    return _MARKDOWN.sub(r"\\\1", str(text))


# Data changes only through this app or an import, and every write here clears the caches,
# so the time limit only bounds how stale another process's writes can look.
_CACHE_SECONDS = 300


def _actor_key(actor: Actor) -> tuple[str, str, str]:
    return actor.username, actor.role.value, actor.clearance.value


_cached = st.cache_data(ttl=_CACHE_SECONDS, max_entries=64, show_spinner=False, hash_funcs={Actor: _actor_key})


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


def clear_caches() -> None:
    """Forget every cached read, after a write."""
    st.cache_data.clear()


# ---------------------------------------------------------------- cached reads


@_cached
def compare(database: str, who: Actor, iso3: str, followup: str | None) -> dict:
    return comparison.compare(_engine_for(database), who, iso3, followup)


@_cached
def item_table(database: str, who: Actor, followup: str) -> pd.DataFrame:
    return comparison.item_table(_engine_for(database), who, followup)


@_cached
def followup_visits(database: str, who: Actor) -> pd.DataFrame:
    return comparison.followup_visits(_engine_for(database), who)


def followup_visits_or_stop(database: str, who: Actor, purpose: str) -> pd.DataFrame:
    """The visible follow-up visits; with none, say how to get one and stop the page."""
    followups = followup_visits(database, who)
    if followups.empty:
        st.info(
            f"There is no follow-up visit {purpose} yet. Record a visit with a baseline visit on the "
            "Visits and meetings page, import a bundle on the Import / Export page, or load the "
            "example with `tracker demo`.",
            icon=":material/info:",
        )
        st.stop()
    return followups


@_cached
def cross_state_index(database: str, who: Actor) -> pd.DataFrame:
    return comparison.cross_state_index(_engine_for(database), who)


@_cached
def reference_options(database: str) -> dict[str, dict]:
    return records.reference_options(_engine_for(database))


@_cached
def visits(database: str, who: Actor, state: str | None = None) -> pd.DataFrame:
    return records.list_visits(_engine_for(database), who, state=state)


@_cached
def findings(database: str, who: Actor, **filters) -> tuple[pd.DataFrame, int]:
    return records.list_findings(_engine_for(database), who, **filters)


@_cached
def finding_counts(database: str, who: Actor) -> pd.DataFrame:
    return records.finding_counts(_engine_for(database), who)


@_cached
def meetings(database: str, who: Actor, state: str | None = None, visit_id: str | None = None) -> pd.DataFrame:
    return records.list_meetings(_engine_for(database), who, state=state, visit_id=visit_id)


@_cached
def meeting_footprint(database: str, who: Actor, visit_id: str) -> pd.DataFrame:
    return records.meeting_footprint(_engine_for(database), who, visit_id)


@_cached
def worksheet(database: str, who: Actor, followup: str) -> pd.DataFrame:
    return records.assessment_worksheet(_engine_for(database), who, followup)


# ---------------------------------------------------------------- words and numbers for people


_WORDED = ("kind", "status", "status_group", "severity", "modality", "sector", "confidentiality")


def in_words(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its enumeration columns (kind, status, ...) in words, for display."""
    return frame.assign(**{c: frame[c].map(label) for c in _WORDED if c in frame.columns})


def index_text(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1f}"


# ---------------------------------------------------------------- errors


@contextmanager
def error_boundary() -> Iterator[None]:
    """Show a failure as one sentence on the page, never as a traceback."""
    try:
        yield
    except TrackerError as error:
        st.error(str(error), icon=":material/error:")
    except SQLAlchemyError as error:
        log.exception("database error on a dashboard page")
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        st.error(
            f"The database refused the operation ({reason}); check TRACKER_DATABASE_URL and run 'tracker init'.",
            icon=":material/error:",
        )
    except Exception as error:
        log.exception("unexpected error on a dashboard page")
        st.error(
            f"This page failed unexpectedly ({type(error).__name__}); reload it, and if it fails again "
            "send the server log to whoever runs the tracker.",
            icon=":material/error:",
        )


def flash(message: str) -> None:
    """A success message shown once, on the next run of the page."""
    st.session_state["flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")


# ---------------------------------------------------------------- forms


def form_errors(form: str) -> dict[str, str]:
    return st.session_state.get(f"{form}:errors", {})


def field_error(form: str, field: str) -> None:
    """The problem with one field of the last save, right below the field."""
    message = form_errors(form).get(field)
    if message:
        st.error(message, icon=":material/error:")


def other_errors(form: str, fields: tuple[str, ...]) -> None:
    """Problems the last save had that belong to no field on the form."""
    for field, message in form_errors(form).items():
        if field not in fields:
            st.error(f"{field}: {message}", icon=":material/error:")


def save_form(form: str, save: Callable[[], object], success: str, reset: bool = False) -> None:
    """Run a save; on success clear caches and say so, on invalid input keep the errors for the fields."""
    try:
        save()
    except ValidationFailed as error:
        st.session_state[f"{form}:errors"] = records.field_errors(error)
        st.session_state[f"{form}:message"] = str(error)
        st.rerun()
    st.session_state.pop(f"{form}:errors", None)
    st.session_state.pop(f"{form}:message", None)
    clear_caches()
    if reset:
        for key in [k for k in st.session_state if str(k).startswith(f"{form}:")]:
            del st.session_state[key]
    flash(success)
    st.rerun()


def form_message(form: str) -> None:
    """The one-sentence summary of the last failed save, above the form."""
    message = st.session_state.get(f"{form}:message")
    if message:
        st.error(message, icon=":material/error:")


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
        for row in frame.itertuples()
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


def dataframe(frame: pd.DataFrame, **kwargs):
    """st.dataframe over the formula-safe frame: every table on every page is drawn by this."""
    return st.dataframe(formula_safe(frame), **kwargs)
