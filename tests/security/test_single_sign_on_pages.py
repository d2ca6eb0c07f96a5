"""The dashboard with TRACKER_AUTH=oidc, run by AppTest with the identity st.login would give."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tracker.models import Confidentiality, Role
from tracker.services.people import sessions, users
from tracker.services.people.access import LOCAL_ADMIN, Actor

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard.py"


@pytest.fixture(autouse=True)
def single_sign_on(monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "oidc")
    monkeypatch.setenv("TRACKER_OIDC_ISSUER", "https://login.example.org")
    monkeypatch.setenv("TRACKER_OIDC_CLIENT_ID", "tracker")
    monkeypatch.setenv("TRACKER_OIDC_CLIENT_SECRET", "a client secret")
    monkeypatch.setenv("TRACKER_PUBLIC_URL", "https://tracker.example.org")
    st.cache_data.clear()
    st.cache_resource.clear()


def dashboard(**identity) -> AppTest:
    app = AppTest.from_file(str(DASHBOARD), default_timeout=30)
    app.user = {"is_logged_in": bool(identity), **identity}
    return app


def test_before_signing_in_the_page_offers_the_organisations_sign_in(demo_engine):
    app = dashboard().run()

    assert not app.exception
    assert [b.label for b in app.button] == ["Sign in with your organisation's account"]
    assert not app.dataframe and not app.text_input


def test_a_first_sign_in_opens_the_dashboard_as_a_viewer_cleared_for_public(demo_engine):
    app = dashboard(email="Ana@Example.org", name="Ana").run()

    assert not app.exception
    assert app.session_state["actor"] == Actor("ana@example.org", Role.viewer, Confidentiality.public)
    assert sessions.open_sessions(demo_engine, "ana@example.org") == 1


def test_signing_out_ends_the_session_and_the_providers_identity(demo_engine):
    app = dashboard(email="ana@example.org").run()
    [sign_out] = [b for b in app.button if b.label == "Sign out"]

    sign_out.click().run()

    assert "actor" not in app.session_state
    assert sessions.open_sessions(demo_engine, "ana@example.org") == 0
    # The run ends without a rerun, which would drop the redirect to the provider's sign-out
    # before the browser received it; the provider then sends the browser back to sign in.
    assert [i.value for i in app.info] == ["Signing you out of your organisation's account…"]
    assert [b.label for b in app.button] == ["Sign out"] and not app.dataframe


def test_a_disabled_account_is_told_so_and_may_sign_out(demo_engine):
    users.signed_on(demo_engine, "ana@example.org")
    users.set_disabled(demo_engine, LOCAL_ADMIN, "ana@example.org")

    app = dashboard(email="ana@example.org").run()

    assert "actor" not in app.session_state
    assert app.info[0].value == "Your account has been disabled; ask an administrator."
    assert [b.label for b in app.button] == ["Sign out"]


def test_an_administrator_raises_a_signed_on_user_at_the_next_run(demo_engine):
    app = dashboard(email="ana@example.org").run()
    users.set_role(demo_engine, LOCAL_ADMIN, "ana@example.org", "analyst")

    app.run()

    assert app.session_state["actor"].role == Role.analyst


def test_without_its_settings_the_page_says_which_are_missing(demo_engine, monkeypatch):
    monkeypatch.delenv("TRACKER_OIDC_CLIENT_SECRET")

    app = dashboard(email="ana@example.org").run()

    assert [error.value for error in app.error] == [
        "Single sign-on (TRACKER_AUTH=oidc) needs TRACKER_OIDC_CLIENT_SECRET; set them in the server's "
        "environment, e.g. /etc/tracker/tracker.env."
    ]
    assert "actor" not in app.session_state
