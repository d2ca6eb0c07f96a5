"""Every download built when clicked (the bundle as .zip or workbook and the tracking matrices on the
Import / Export and Tracking matrix pages) is built for the user as they are then: after a clearance
change, a disabled account, an expired session or a sign-out it is refused with one sentence before
anything is read."""

import io
import time
import zipfile

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager

from tracker.errors import PermissionDenied
from tracker.models import Confidentiality, Role
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN

from .conftest import HIDDEN, add_user
from .test_dashboard import sign_in

IMPORT_EXPORT = "tracker/ui/import_export.py"
MATRIX = "tracker/ui/matrix.py"
# Each download built at the click: the page, the select box choosing its level, and its file name's start.
DOWNLOADS = {
    "bundle-zip": (IMPORT_EXPORT, "export:level", "tracker-bundle-restricted-", ".zip"),
    "bundle-workbook": (IMPORT_EXPORT, "export:level", "tracker-bundle-restricted-", ".xlsx"),
    "all-matrices-import-export": (IMPORT_EXPORT, "export:level", "tracking-matrix-all-restricted-", ".xlsx"),
    "state-matrix": (MATRIX, "matrix:level", "tracking-matrix-KOR-KOR-2031-ZZHIDDEN-restricted-", ".xlsx"),
    "all-matrices-matrix-page": (MATRIX, "matrix:level", "tracking-matrix-all-restricted-", ".xlsx"),
}


@pytest.fixture(autouse=True)
def logins_on(monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def handed_out(monkeypatch) -> dict[str, object]:
    """The callables the page hands Streamlit to run when a download is clicked, by file name."""
    callables: dict[str, object] = {}
    register = MediaFileManager.add_deferred

    def recording(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        callables[file_name] = data_callable
        return register(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", recording)
    return callables


def _download(app, handed_out, which: str):
    page, level_box, start, end = DOWNLOADS[which]
    app.switch_page(page).run()
    assert not app.exception
    if page == MATRIX:
        app.selectbox(key="matrix:state").set_value("KOR").run()
        app.selectbox(key="matrix:followup:KOR").set_value("KOR-2031-ZZHIDDEN").run()
    app.selectbox(key=level_box).set_value("restricted").run()
    assert not app.exception
    [name] = [n for n in handed_out if n.startswith(start) and n.endswith(end)]
    return handed_out[name]


def _holds_hidden_rows(data: bytes) -> bool:
    """Whether any part of the .zip bundle or .xlsx workbook (itself a zip of XML parts) holds a hidden row."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(HIDDEN in archive.read(name).decode() for name in archive.namelist())


@pytest.mark.parametrize("which", list(DOWNLOADS))
def test_the_download_holds_what_the_user_may_see_when_clicked(guarded_engine, handed_out, which):
    add_user(guarded_engine, "reader", Role.analyst, Confidentiality.restricted)
    download = _download(sign_in("reader"), handed_out, which)

    assert _holds_hidden_rows(download())


@pytest.mark.parametrize("which", list(DOWNLOADS))
@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (
            lambda engine, monkeypatch: users.set_clearance(engine, LOCAL_ADMIN, "reader", "committee"),
            "your clearance is now committee, below the level of this download (restricted); "
            "choose the level again and download.",
        ),
        (
            lambda engine, monkeypatch: users.set_disabled(engine, LOCAL_ADMIN, "reader"),
            "the account reader is disabled; ask an administrator.",
        ),
        (
            lambda engine, monkeypatch: monkeypatch.setattr(time, "monotonic", lambda: 10.0**12),
            "the session has ended; sign in again.",
        ),
    ],
    ids=["clearance-lowered", "account-disabled", "session-expired"],
)
def test_the_download_is_refused_once_the_user_may_no_longer(
    guarded_engine, handed_out, monkeypatch, change, sentence, which
):
    add_user(guarded_engine, "reader", Role.analyst, Confidentiality.restricted)
    download = _download(sign_in("reader"), handed_out, which)

    change(guarded_engine, monkeypatch)

    with pytest.raises(PermissionDenied) as refused:
        download()
    assert str(refused.value) == sentence


@pytest.mark.parametrize("which", list(DOWNLOADS))
def test_the_download_is_refused_after_signing_out(guarded_engine, handed_out, which):
    add_user(guarded_engine, "reader", Role.analyst, Confidentiality.restricted)
    app = sign_in("reader")
    download = _download(app, handed_out, which)

    [sign_out] = [b for b in app.button if b.label == "Sign out"]
    sign_out.click().run()

    with pytest.raises(PermissionDenied) as refused:
        download()
    assert str(refused.value) == "you have signed out since the page was drawn; sign in again and download."


def test_a_changed_clearance_is_said_at_the_next_click(guarded_engine):
    add_user(guarded_engine, "reader", Role.analyst, Confidentiality.restricted)
    app = sign_in("reader")
    users.set_clearance(guarded_engine, LOCAL_ADMIN, "reader", "committee")

    app.run()

    assert [toast.value for toast in app.toast] == [
        "Your access has changed (analyst, cleared for committee); the page shows what it now allows."
    ]
