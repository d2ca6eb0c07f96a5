"""The dashboard with logins on: the sign-in form, sessions, and what each role may see and do."""

import re
import time
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_TIMEOUT
from tracker.models import AuditEvent, Confidentiality, Role
from tracker.services.people import users
from tracker.services.people.access import LOCAL_ADMIN

from .conftest import HIDDEN, PASSWORD, VISIBLE, add_user

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard.py"
ROUTER = Path(__file__).resolve().parents[2] / "tracker" / "dashboard.py"
PAGES = [f"tracker/ui/{name}" for name in re.findall(r'st\.Page\(\s*UI / "([^"]+)"', ROUTER.read_text())]
ADMIN_PAGE = "tracker/ui/admin.py"
READER_PAGES = [page for page in PAGES if page != ADMIN_PAGE]
# Buttons that change nothing stored (a report is generated for download, not saved).
READ_ONLY_BUTTONS = {"Reload data", "Sign out", "Generate report"}


@pytest.fixture(autouse=True)
def logins_on(monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "on")
    st.cache_data.clear()
    st.cache_resource.clear()


def dashboard() -> AppTest:
    return AppTest.from_file(str(DASHBOARD), default_timeout=APP_TIMEOUT)


def sign_in(username: str, password: str = PASSWORD) -> AppTest:
    app = dashboard().run()
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    return app.button[0].click().run()


def everything_shown(app: AppTest) -> str:
    """Every element's content as sent to the browser: texts, options, table cells, chart data."""
    return "".join(
        node.proto.SerializeToString().decode("utf-8", "replace")
        for node in app._tree
        if getattr(node, "proto", None) is not None
    )


def every_tab(app: AppTest):
    """The page as shown with each of its tabs open in turn (a tab's content is drawn only when open)."""
    yield app
    tab_keys = [key for key in app.session_state if str(key).endswith(":tab")]
    labels = [tab.label for tab in app.tabs]
    for key in tab_keys:
        for label in labels:
            app.session_state[key] = label
            yield app.run()


def signed_in_as(app: AppTest) -> str | None:
    actor = app.session_state.get("actor", None)
    return actor.username if actor else None


def test_with_logins_on_only_the_sign_in_form_shows(demo_engine):
    app = dashboard().run()
    assert not app.exception
    assert [t.label for t in app.text_input] == ["Username", "Password"]
    assert [b.label for b in app.button] == ["Sign in"]
    assert not app.dataframe and not app.metric and not app.selectbox
    assert "KOR-2023" not in everything_shown(app)


def test_with_no_users_yet_the_form_says_how_to_add_one(demo_engine):
    app = dashboard().run()
    assert "tracker user add" in app.warning[0].value
    add_user(demo_engine, "alice")
    assert not dashboard().run().warning


def test_a_wrong_password_shows_one_sentence_and_no_page(demo_engine):
    add_user(demo_engine, "alice")
    app = sign_in("alice", "not the password")
    assert not app.exception
    assert len(app.error) == 1 and "username or password is wrong" in app.error[0].value
    assert signed_in_as(app) is None
    assert not app.dataframe and "KOR-2023" not in everything_shown(app)


def test_signing_in_opens_the_dashboard(demo_engine):
    add_user(demo_engine, "alice", Role.analyst)
    app = sign_in("alice")
    assert not app.exception
    assert signed_in_as(app) == "alice"
    assert "Signed in as **alice**" in everything_shown(app)
    with demo_engine.connect() as connection:
        logins = (
            connection.execute(select(AuditEvent.__table__.c.username).where(AuditEvent.__table__.c.action == "login"))
            .scalars()
            .all()
        )
    assert logins == ["alice"]


def test_signing_out_ends_the_session(demo_engine):
    add_user(demo_engine, "alice")
    app = sign_in("alice")
    app.session_state["reports:last"] = {"preview": "a report alice generated"}
    [sign_out] = [b for b in app.button if b.label == "Sign out"]
    sign_out.click().run()
    assert signed_in_as(app) is None
    assert "reports:last" not in app.session_state
    assert [b.label for b in app.button] == ["Sign in"]
    assert "signed out" in app.info[0].value


def test_with_logins_off_the_sidebar_says_so(demo_engine, monkeypatch):
    monkeypatch.setenv("TRACKER_AUTH", "off")
    app = dashboard().run()
    assert not app.exception and not app.text_input
    assert "no login" in everything_shown(app)
    assert "Sign out" not in [b.label for b in app.button]


def test_an_idle_session_expires(demo_engine):
    add_user(demo_engine, "alice")
    app = sign_in("alice")
    app.session_state["auth:last_activity"] = time.monotonic() - 31 * 60
    app.session_state["findings:text"] = "what alice searched for"
    app.run()
    assert signed_in_as(app) is None
    assert "findings:text" not in app.session_state
    assert "without activity" in app.info[0].value
    assert [b.label for b in app.button] == ["Sign in"]


def test_an_active_session_is_kept(demo_engine):
    add_user(demo_engine, "alice")
    app = sign_in("alice")
    app.session_state["auth:last_activity"] = time.monotonic() - 29 * 60
    app.run()
    assert signed_in_as(app) == "alice"


def test_a_disabled_account_is_signed_out_at_once(demo_engine):
    add_user(demo_engine, "alice")
    app = sign_in("alice")
    users.set_disabled(demo_engine, LOCAL_ADMIN, "alice")
    app.run()
    assert signed_in_as(app) is None
    assert "disabled" in app.info[0].value


def test_a_password_change_ends_the_users_open_sessions(demo_engine):
    add_user(demo_engine, "alice")
    first, second = sign_in("alice"), sign_in("alice")
    assert signed_in_as(first) == signed_in_as(second) == "alice"

    users.set_password(demo_engine, LOCAL_ADMIN, "alice", "a new long password")
    first.run()
    second.run()

    assert signed_in_as(first) is None and signed_in_as(second) is None
    assert first.info[0].value == "Your password has been changed; sign in with the new one."
    assert signed_in_as(sign_in("alice", "a new long password")) == "alice"


def test_a_lowered_clearance_applies_at_the_next_run(guarded_engine):
    add_user(guarded_engine, "alice", Role.viewer, Confidentiality.restricted)
    app = sign_in("alice")
    app.session_state["reports:last"] = {"preview": "a restricted report"}
    users.set_clearance(guarded_engine, LOCAL_ADMIN, "alice", "committee")
    app.run()
    assert app.session_state["actor"].clearance == Confidentiality.committee
    assert "reports:last" not in app.session_state


@pytest.mark.parametrize("page", READER_PAGES)
def test_a_committee_reader_sees_no_hidden_row_on_any_page(guarded_engine, page):
    add_user(guarded_engine, "reader", Role.viewer, Confidentiality.committee)
    app = sign_in("reader")
    for shown in every_tab(app.switch_page(page).run()):
        assert not shown.exception, shown.exception
        assert HIDDEN not in everything_shown(shown)


def test_the_pages_do_show_what_a_committee_reader_may_see(guarded_engine):
    add_user(guarded_engine, "reader", Role.viewer, Confidentiality.committee)
    app = sign_in("reader")
    shown = ""
    for page in READER_PAGES:
        shown += "".join(everything_shown(tab) for tab in every_tab(app.switch_page(page).run()))
    assert VISIBLE in shown


def test_the_bundle_download_of_the_page_holds_no_hidden_row(guarded_engine, monkeypatch):
    import io
    import zipfile

    from streamlit.runtime.media_file_manager import MediaFileManager

    # The page hands the download over as a callable run on click; catch it to run it here.
    deferred = {}
    register = MediaFileManager.add_deferred
    monkeypatch.setattr(
        MediaFileManager,
        "add_deferred",
        lambda self, data, mimetype, coordinates, file_name=None, **kw: (
            deferred.__setitem__(file_name, data) or register(self, data, mimetype, coordinates, file_name, **kw)
        ),
    )
    add_user(guarded_engine, "reader", Role.viewer, Confidentiality.committee)
    sign_in("reader").switch_page("tracker/ui/import_export.py").run()
    [(_name, data)] = [(name, data) for name, data in deferred.items() if name.endswith(".zip")]
    with zipfile.ZipFile(io.BytesIO(data())) as bundle:
        downloaded = "".join(bundle.read(member).decode() for member in bundle.namelist())
    assert HIDDEN not in downloaded and VISIBLE in downloaded


@pytest.mark.parametrize("page", READER_PAGES)
def test_a_viewer_has_no_write_widget_on_any_page(guarded_engine, page):
    add_user(guarded_engine, "viewer", Role.viewer, Confidentiality.restricted)
    app = sign_in("viewer")
    for shown in every_tab(app.switch_page(page).run()):
        assert not shown.exception, shown.exception
        assert {b.label for b in shown.button} <= READ_ONLY_BUTTONS
        assert not shown.file_uploader and not shown.data_editor


def test_an_analyst_does_get_write_widgets(guarded_engine):
    add_user(guarded_engine, "analyst", Role.analyst, Confidentiality.restricted)
    app = sign_in("analyst")
    writes = set()
    for page in READER_PAGES:
        for shown in every_tab(app.switch_page(page).run()):
            writes |= {b.label for b in shown.button} - READ_ONLY_BUTTONS
            writes |= {"upload"} if shown.file_uploader else set()
            writes |= {"editor"} if shown.data_editor else set()
    assert {"upload", "editor", "Review and add", "Review changes"} <= writes


def test_a_viewer_has_no_admin_page(demo_engine):
    add_user(demo_engine, "viewer")
    app = sign_in("viewer")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(ADMIN_PAGE)


def test_the_admin_page_refuses_a_non_administrator_who_reaches_it(demo_engine):
    viewer = add_user(demo_engine, "viewer")
    app = AppTest.from_file(str(DASHBOARD.parent / ADMIN_PAGE), default_timeout=APP_TIMEOUT)
    app.session_state["actor"] = viewer
    app.session_state["auth:credential"] = users.credential_stamp(demo_engine, "viewer")
    app.session_state["auth:last_activity"] = time.monotonic()
    app.run()
    assert not app.exception
    assert "Only administrators" in app.error[0].value
    assert not app.dataframe and not app.button


def test_an_administrator_adds_a_user_on_the_admin_page(demo_engine):
    add_user(demo_engine, "root", Role.admin, Confidentiality.restricted)
    app = sign_in("root")
    app.switch_page(ADMIN_PAGE).run()
    add = app.get("form")[0]
    add.text_input[0].input("bob")
    add.text_input[1].input("a long password")
    add.text_input[2].input("a long password")
    add.selectbox[0].select("analyst")
    add.button[0].click()
    app.run()
    assert not app.exception and not app.error
    assert users.authenticate(demo_engine, "bob", "a long password").role == Role.analyst
    assert "Added user bob" in app.success[0].value
    assert "bob" in everything_shown(app)


def test_an_administrator_changes_a_role_and_reads_the_audit_trail(demo_engine):
    add_user(demo_engine, "root", Role.admin, Confidentiality.restricted)
    add_user(demo_engine, "bob")
    app = sign_in("root")
    app.switch_page(ADMIN_PAGE).run()
    app.selectbox(key="admin:chosen").select("bob").run()
    change = app.get("form")[1]
    change.selectbox[0].select("analyst")
    change.button[0].click()
    app.run()
    assert not app.exception and not app.error
    assert users.active_actor(demo_engine, "bob").role == Role.analyst
    app.text_input(key="admin:key").input("bob").run()
    assert "role: viewer → analyst" in everything_shown(app)


def test_html_in_user_text_is_never_rendered_as_html(demo_engine):
    from tracker.services.people.access import LOCAL_ADMIN
    from tracker.services.records import editing as records

    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    records.save_finding(
        demo_engine,
        LOCAL_ADMIN,
        {
            "finding_id": "KOR-2023-XSS",
            "visit_id": "KOR-2023",
            "area": "LEG",
            "kind": "shortfall",
            "title": script,
            "detail": script,
        },
        new=True,
    )
    records.save_visit(
        demo_engine,
        LOCAL_ADMIN,
        records.get_visit(demo_engine, LOCAL_ADMIN, "KOR-2023") | {"lead": script, "summary": script},
    )
    records.save_meeting(
        demo_engine,
        LOCAL_ADMIN,
        records.get_meeting(demo_engine, LOCAL_ADMIN, "KOR-2023-M01") | {"counterpart": script, "notes": script},
    )
    add_user(demo_engine, "root", Role.admin, Confidentiality.restricted)
    app = sign_in("root")
    seen = 0
    for page in PAGES:
        for shown in every_tab(app.switch_page(page).run()):
            assert not shown.exception
            for node in shown._tree:
                proto = getattr(node, "proto", None)
                if proto is None or "<script" not in str(proto):
                    continue
                seen += 1
                assert node.type != "html"
                assert not getattr(proto, "allow_html", False), node
    assert seen


def test_five_wrong_passwords_from_one_browser_leave_the_owner_free_to_sign_in_from_another(demo_engine, monkeypatch):
    from tracker.ui import auth

    add_user(demo_engine, "alice")
    browser = {"address": "198.51.100.9"}
    monkeypatch.setattr(auth, "_source", lambda: browser["address"])
    for _ in range(5):
        assert signed_in_as(sign_in("alice", "not the password")) is None
    assert signed_in_as(sign_in("alice")) is None

    browser["address"] = "192.0.2.1"

    assert signed_in_as(sign_in("alice")) == "alice"
