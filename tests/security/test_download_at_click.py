"""The Import / Export page's bundle download is built when clicked, for the user as they are
then: after a clearance change, a disabled account, an expired session or a sign-out it is
refused with one sentence before anything is read."""

import io
import time
import zipfile

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager

from tracker.errors import PermissionDenied
from tracker.models import Confidentiality, Role
from tracker.services import users
from tracker.services.access import LOCAL_ADMIN

from .conftest import HIDDEN, add_user
from .test_dashboard import sign_in

PAGE = "tracker/ui/import_export.py"


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


def _bundle_download(app, handed_out):
    app.switch_page(PAGE).run()
    assert not app.exception
    app.selectbox(key="export:level").set_value("restricted").run()
    [name] = [n for n in handed_out if n.startswith("tracker-bundle-restricted-") and n.endswith(".zip")]
    return handed_out[name]


def _holds_hidden_rows(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(HIDDEN in archive.read(name).decode() for name in archive.namelist())


def test_the_download_holds_what_the_user_may_see_when_clicked(guarded_engine, handed_out):
    add_user(guarded_engine, "reader", Role.analyst, Confidentiality.restricted)
    download = _bundle_download(sign_in("reader"), handed_out)

    assert _holds_hidden_rows(download())


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
def test_the_download_is_refused_once_the_user_may_no_longer(guarded_engine, handed_out, monkeypatch, change, sentence):
    add_user(guarded_engine, "reader", Role.analyst, Confidentiality.restricted)
    download = _bundle_download(sign_in("reader"), handed_out)

    change(guarded_engine, monkeypatch)

    with pytest.raises(PermissionDenied) as refused:
        download()
    assert str(refused.value) == sentence


def test_the_download_is_refused_after_signing_out(guarded_engine, handed_out):
    add_user(guarded_engine, "reader", Role.analyst, Confidentiality.restricted)
    app = sign_in("reader")
    download = _bundle_download(app, handed_out)

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
