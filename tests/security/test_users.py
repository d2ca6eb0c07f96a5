import datetime as dt
import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import PermissionDenied, TrackerError
from tracker.models import AuditEvent, Confidentiality, Role, User
from tracker.services.people import audit, users
from tracker.services.people.access import LOCAL_ADMIN, Actor

from .conftest import PASSWORD, add_user

runner = CliRunner()


def _stored(engine, username):
    with engine.connect() as connection:
        return connection.execute(select(User.__table__).where(User.__table__.c.username == username)).one()


def _events(engine, entity="user"):
    with engine.connect() as connection:
        return connection.execute(
            select(AuditEvent.__table__)
            .where(AuditEvent.__table__.c.entity == entity)
            .order_by(AuditEvent.__table__.c.id)
        ).all()


def test_a_password_is_stored_as_an_argon2_hash(engine):
    add_user(engine, "alice")
    stored = _stored(engine, "alice")
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


def test_signing_in_gives_the_users_role_and_clearance(engine):
    add_user(engine, "alice", Role.analyst, Confidentiality.state_and_cted)
    assert users.authenticate(engine, "alice", PASSWORD) == Actor("alice", Role.analyst, Confidentiality.state_and_cted)


def test_the_admin_list_shows_when_each_user_last_signed_in(engine):
    add_user(engine, "alice")
    add_user(engine, "bob")

    users.authenticate(engine, "alice", PASSWORD)

    listed = users.list_users(engine, LOCAL_ADMIN).set_index("username")["last_sign_in"]
    assert abs(listed["alice"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert listed.isna()["bob"]


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(engine):
    add_user(engine, "alice")
    with pytest.raises(TrackerError) as wrong:
        users.authenticate(engine, "alice", "not the password")
    with pytest.raises(TrackerError) as unknown:
        users.authenticate(engine, "mallory", PASSWORD)
    assert str(wrong.value) == str(unknown.value)
    assert "alice" not in str(wrong.value) and "mallory" not in str(unknown.value)


def test_repeated_failures_make_their_source_wait_even_with_the_right_password(engine, monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_FAILED_LOGINS", "3")
    add_user(engine, "alice")
    for _ in range(3):
        with pytest.raises(TrackerError):
            users.authenticate(engine, "alice", "wrong password", source="10.0.0.66")
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", PASSWORD, source="10.0.0.66")
    assert json.loads(_events(engine)[-1].changes)["outcome"] == [None, "throttled"]


def test_nobody_can_keep_an_administrator_out_by_failing_on_purpose(engine, monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_FAILED_LOGINS", "3")
    add_user(engine, "chief", Role.admin, Confidentiality.restricted)
    for _ in range(30):
        with pytest.raises(TrackerError):
            users.authenticate(engine, "chief", "wrong password", source="10.0.0.66")

    assert users.authenticate(engine, "chief", PASSWORD, source="10.0.0.5").username == "chief"
    assert _stored(engine, "chief").locked_until is None


def test_a_wait_ends_after_its_time(engine, monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_FAILED_LOGINS", "1")
    add_user(engine, "alice")
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", "wrong password", source="10.0.0.66")
    later = audit.now() + dt.timedelta(minutes=16)
    monkeypatch.setattr(audit, "now", lambda: later)
    assert users.authenticate(engine, "alice", PASSWORD, source="10.0.0.66").username == "alice"


def test_a_new_password_lifts_the_wait(engine, monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_FAILED_LOGINS", "1")
    add_user(engine, "alice")
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", "wrong password", source="10.0.0.66")
    users.set_password(engine, LOCAL_ADMIN, "alice", "a new long password")
    assert users.authenticate(engine, "alice", "a new long password", source="10.0.0.66").username == "alice"


def test_a_success_resets_the_count_of_failures(engine, monkeypatch):
    monkeypatch.setenv("TRACKER_MAX_FAILED_LOGINS", "2")
    add_user(engine, "alice")
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", "wrong password")
    users.authenticate(engine, "alice", PASSWORD)
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", "wrong password")
    assert users.authenticate(engine, "alice", PASSWORD).username == "alice"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "1234567890"),
        ("alice", "password123"),
        ("alice", "alice12345"),
        ("chief.admin", "nimda.feihc"),
        ("alice", "qwertyuiop"),
        ("bob", "iloveyou12"),
    ],
)
def test_common_and_username_derived_passwords_are_refused(engine, username, password):
    result = runner.invoke(app, ["user", "add", username, "--password-stdin"], input=f"{password}\n")

    assert (result.exit_code, result.output) == (
        1,
        "Error: the password is not acceptable (it is too easy to guess: a common password, a simple pattern or "
        "one made from the username); use a phrase of three or four unrelated words.\n",
    )


def test_a_password_change_refuses_a_guessable_password_too(engine):
    add_user(engine, "alice")
    with pytest.raises(TrackerError, match="too easy to guess"):
        users.set_password(engine, LOCAL_ADMIN, "alice", "alice2024!")


def test_a_disabled_user_cannot_sign_in_and_loses_the_session(engine):
    add_user(engine, "alice")
    users.set_disabled(engine, LOCAL_ADMIN, "alice")
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", PASSWORD)
    assert users.active_actor(engine, "alice") is None
    users.set_disabled(engine, LOCAL_ADMIN, "alice", disabled=False)
    assert users.active_actor(engine, "alice") == Actor("alice", Role.viewer, Confidentiality.committee)


def test_a_changed_role_or_clearance_takes_effect_in_a_running_session(engine):
    add_user(engine, "alice")
    users.set_role(engine, LOCAL_ADMIN, "alice", "analyst")
    users.set_clearance(engine, LOCAL_ADMIN, "alice", "public")
    assert users.active_actor(engine, "alice") == Actor("alice", Role.analyst, Confidentiality.public)


def test_only_an_administrator_manages_users(engine):
    analyst = add_user(engine, "alice", Role.analyst)
    with pytest.raises(PermissionDenied):
        users.add_user(engine, analyst, users.validated_user("bob", PASSWORD))
    for change in (
        lambda: users.set_role(engine, analyst, "alice", "admin"),
        lambda: users.set_clearance(engine, analyst, "alice", "restricted"),
        lambda: users.set_disabled(engine, analyst, "alice"),
        lambda: users.set_password(engine, analyst, "bob", PASSWORD),
        lambda: users.list_users(engine, analyst),
    ):
        with pytest.raises(PermissionDenied):
            change()
    assert _stored(engine, "alice").role == "analyst"


def test_a_user_may_change_their_own_password(engine):
    viewer = add_user(engine, "alice")
    users.set_password(engine, viewer, "alice", "a new long password")
    assert users.authenticate(engine, "alice", "a new long password") == viewer


def test_the_last_active_administrator_stays(engine):
    add_user(engine, "root", Role.admin)
    with pytest.raises(TrackerError, match="no active administrator"):
        users.set_role(engine, LOCAL_ADMIN, "root", "viewer")
    with pytest.raises(TrackerError, match="no active administrator"):
        users.set_disabled(engine, LOCAL_ADMIN, "root")
    assert _stored(engine, "root").role == "admin"
    add_user(engine, "second", Role.admin)
    users.set_disabled(engine, LOCAL_ADMIN, "root")
    assert _stored(engine, "root").disabled


def test_usernames_are_unique_whatever_their_case(engine):
    add_user(engine, "alice")
    with pytest.raises(TrackerError, match="already exists"):
        add_user(engine, "Alice")


@pytest.mark.parametrize(
    ("username", "password", "role", "clearance"),
    [
        ("a", PASSWORD, "viewer", "committee"),
        ("bad name", PASSWORD, "viewer", "committee"),
        ("alice", "short", "viewer", "committee"),
        ("alice", "aaaaaaaaaaaa", "viewer", "committee"),
        ("alice", PASSWORD, "superuser", "committee"),
        ("alice", PASSWORD, "viewer", "top_secret"),
    ],
)
def test_bad_user_input_is_one_sentence(username, password, role, clearance):
    with pytest.raises(TrackerError) as error:
        users.validated_user(username, password, role, clearance)
    assert str(error.value).count(";") == 1 and "\n" not in str(error.value)


def test_user_changes_and_sign_ins_are_audited_without_secrets(engine):
    add_user(engine, "alice")
    users.set_role(engine, LOCAL_ADMIN, "alice", "analyst")
    users.set_password(engine, LOCAL_ADMIN, "alice", "another long password")
    users.authenticate(engine, "alice", "another long password")
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", "wrong password")
    events = _events(engine)
    assert [(e.action, e.username) for e in events] == [
        ("create", "local"),
        ("update", "local"),
        ("update", "local"),
        ("login", "alice"),
        ("login", "alice"),
    ]
    assert json.loads(events[1].changes) == {"role": ["viewer", "analyst"]}
    assert json.loads(events[3].changes) == {"outcome": [None, "signed_in"], "source": [None, "local"]}
    assert json.loads(events[4].changes)["outcome"] == [None, "wrong_password"]
    assert not any("long password" in e.changes or "$argon2" in e.changes for e in events)


def test_cli_user_add_asks_for_the_password_twice(engine):
    result = runner.invoke(app, ["user", "add", "alice", "--role", "analyst"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert users.authenticate(engine, "alice", PASSWORD).role == Role.analyst


def test_cli_user_commands_manage_an_account(engine):
    assert (
        runner.invoke(
            app, ["user", "add", "alice", "--password-stdin", "--clearance", "public"], input=f"{PASSWORD}\n"
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["user", "set-role", "alice", "analyst"]).exit_code == 0
    assert runner.invoke(app, ["user", "set-clearance", "alice", "state_and_cted"]).exit_code == 0
    assert (
        runner.invoke(app, ["user", "passwd", "alice", "--password-stdin"], input="a fresh long password\n").exit_code
        == 0
    )
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0
    assert "alice" in listed.stdout and "analyst" in listed.stdout and "state_and_cted" in listed.stdout
    assert "argon2" not in listed.stdout
    assert users.authenticate(engine, "alice", "a fresh long password") == Actor(
        "alice", Role.analyst, Confidentiality.state_and_cted
    )
    assert runner.invoke(app, ["user", "disable", "alice"]).exit_code == 0
    assert users.active_actor(engine, "alice") is None


@pytest.mark.parametrize(
    "arguments",
    [
        ["user", "set-role", "alice", "superuser"],
        ["user", "disable", "nobody"],
        ["user", "set-clearance", "alice", "secret"],
    ],
)
def test_cli_user_errors_are_one_sentence(engine, arguments):
    add_user(engine, "alice")
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_cli_audit_filters_by_entity_key_and_day(engine):
    add_user(engine, "alice")
    add_user(engine, "bob")
    result = runner.invoke(app, ["audit", "--entity", "user", "--key", "bob"])
    assert result.exit_code == 0
    assert "bob" in result.stdout and "alice" not in result.stdout
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert "No audit events" in runner.invoke(app, ["audit", "--since", tomorrow]).stdout
    assert runner.invoke(app, ["audit", "--since", "yesterday"]).exit_code == 1


def test_five_wrong_passwords_from_one_source_do_not_stop_the_owner_signing_in_from_another(engine):
    add_user(engine, "alice")
    for _ in range(5):
        with pytest.raises(TrackerError):
            users.authenticate(engine, "alice", "wrong password", source="10.0.0.66")
    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", PASSWORD, source="10.0.0.66")

    assert users.authenticate(engine, "alice", PASSWORD, source="10.0.0.5").username == "alice"


def test_the_wait_grows_with_each_further_failure_up_to_its_limit(engine, monkeypatch):
    add_user(engine, "alice")
    start = audit.now()
    clock = {"now": start}
    monkeypatch.setattr(audit, "now", lambda: clock["now"])
    waits = []
    for _ in range(11):
        with pytest.raises(TrackerError):
            users.authenticate(engine, "alice", "wrong password", source="10.0.0.66")
        until = users._tries[("10.0.0.66", "alice")].locked_until
        waits.append(round((until - clock["now"]).total_seconds()) if until else 0)
        clock["now"] = max(clock["now"], until or clock["now"])

    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert users.authenticate(engine, "alice", PASSWORD, source="10.0.0.66").username == "alice"


def test_a_waiting_source_is_refused_before_its_wait_is_over(engine, monkeypatch):
    add_user(engine, "alice")
    for _ in range(5):
        with pytest.raises(TrackerError):
            users.authenticate(engine, "alice", "wrong password", source="10.0.0.66")
    later = audit.now() + dt.timedelta(seconds=29)
    monkeypatch.setattr(audit, "now", lambda: later)

    with pytest.raises(TrackerError):
        users.authenticate(engine, "alice", PASSWORD, source="10.0.0.66")
    assert json.loads(_events(engine)[-1].changes)["outcome"] == [None, "throttled"]


def test_a_first_single_sign_on_creates_a_viewer_cleared_for_public(engine):
    actor = users.signed_on(engine, "Ana@Example.org")

    assert actor == Actor("ana@example.org", Role.viewer, Confidentiality.public)
    assert users.active_actor(engine, "ana@example.org") == actor
    outcomes = [json.loads(event.changes).get("outcome") for event in _events(engine)]
    assert [event.action for event in _events(engine)] == ["create", "login"]
    assert outcomes[-1] == [None, "signed_in"]


def test_a_signed_on_user_keeps_the_role_and_clearance_an_administrator_gave(engine):
    users.signed_on(engine, "ana@example.org")
    users.set_role(engine, LOCAL_ADMIN, "ana@example.org", "analyst")
    users.set_clearance(engine, LOCAL_ADMIN, "ana@example.org", "committee")

    assert users.signed_on(engine, "ana@example.org") == Actor(
        "ana@example.org", Role.analyst, Confidentiality.committee
    )


def test_a_disabled_account_is_not_signed_on(engine):
    users.signed_on(engine, "ana@example.org")
    users.set_disabled(engine, LOCAL_ADMIN, "ana@example.org")

    assert users.signed_on(engine, "ana@example.org") is None


def test_an_account_made_by_single_sign_on_has_no_password(engine):
    users.signed_on(engine, "ana@example.org")

    with pytest.raises(TrackerError):
        users.authenticate(engine, "ana@example.org", users.NO_PASSWORD)
