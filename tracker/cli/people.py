"""`tracker user ...` and `tracker audit`: the accounts, and what each of them did."""

import sys
from typing import Annotated

import typer

from tracker.cli.common import _one_of, app, command, echo, parse_day, plain_table
from tracker.enums import AUDITED_ENTITIES, DEFAULT_CONFIDENTIALITY, Confidentiality, Role

user_app = typer.Typer(
    help="Team-server users: add, list, change role or clearance, disable, set passwords.", no_args_is_help=True
)
app.add_typer(user_app, name="user")

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of standard input (for scripts)."),
]


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@command("add", typer_app=user_app)
def user_add(
    username: Annotated[str, typer.Argument(help="Letters, digits and . _ @ -")],
    role: Annotated[
        str, typer.Option(help="viewer reads, analyst also writes, admin also manages users.")
    ] = Role.viewer.value,
    clearance: Annotated[
        str, typer.Option(help="The highest confidentiality level the user may see.")
    ] = DEFAULT_CONFIDENTIALITY.value,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user; asks for the password twice unless --password-stdin is given."""
    from tracker.db import get_engine
    from tracker.services.people import users as users_service
    from tracker.services.people.access import cli_actor

    # Name, role and clearance are checked before the password is asked for.
    users_service.validated_user(username, "placeholder-password", role, clearance)
    user = users_service.validated_user(username, read_password(password_stdin), role, clearance)
    users_service.add_user(get_engine(), cli_actor(), user)
    echo(f"Added user {user.username} ({user.role.value}, cleared for {user.clearance.value}).", err=True)


@command("list", typer_app=user_app)
def user_list() -> None:
    """List the users with their role, clearance and state."""
    from tracker.db import get_engine
    from tracker.services.people import users as users_service
    from tracker.services.people.access import cli_actor

    frame = users_service.list_users(get_engine(), cli_actor())
    echo(plain_table(frame) if len(frame) else "No users yet; add one with 'tracker user add'.")


@command("set-role", typer_app=user_app)
def user_set_role(
    username: str,
    role: Annotated[str, typer.Argument(help=f"{_one_of(Role)}.")],
) -> None:
    """Change what a user may do."""
    from tracker.db import get_engine
    from tracker.services.people import users as users_service
    from tracker.services.people.access import cli_actor

    users_service.set_role(get_engine(), cli_actor(), username, role)
    echo(f"User {username} now has the {role.strip().lower()} role.", err=True)


@command("set-clearance", typer_app=user_app)
def user_set_clearance(
    username: str,
    level: Annotated[str, typer.Argument(help=f"{_one_of(Confidentiality)}.")],
) -> None:
    """Change the highest confidentiality level a user may see."""
    from tracker.db import get_engine
    from tracker.services.people import users as users_service
    from tracker.services.people.access import cli_actor

    users_service.set_clearance(get_engine(), cli_actor(), username, level)
    echo(f"User {username} is now cleared for {level.strip().lower()}.", err=True)


@command("disable", typer_app=user_app)
def user_disable(
    username: str,
    enable: Annotated[bool, typer.Option("--enable", help="Enable the account again and lift any lockout.")] = False,
) -> None:
    """Stop a user from signing in (their history stays in the audit trail)."""
    from tracker.db import get_engine
    from tracker.services.people import users as users_service
    from tracker.services.people.access import cli_actor

    users_service.set_disabled(get_engine(), cli_actor(), username, disabled=not enable)
    echo(f"User {username} is {'enabled' if enable else 'disabled'}.", err=True)


@command("passwd", typer_app=user_app)
def user_passwd(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (and lift a lockout)."""
    from tracker.db import get_engine
    from tracker.services.people import users as users_service
    from tracker.services.people.access import cli_actor

    users_service.set_password(get_engine(), cli_actor(), username, read_password(password_stdin))
    echo(f"Password of {username} changed.", err=True)


@command("audit")
def audit_(
    entity: Annotated[
        str | None,
        typer.Option(help=f"Only this entity: {_one_of(AUDITED_ENTITIES)}."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(help="Only keys starting with this, e.g. KOR-2023, or a finding_id (its assessments too)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only events on or after this day, YYYY-MM-DD (UTC).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events, newest first.")] = 1000,
) -> None:
    """Show the audit trail: who changed what, when, from what to what."""
    from tracker.db import get_engine
    from tracker.services.people import audit as audit_service
    from tracker.services.people.access import cli_actor

    frame = audit_service.events(get_engine(), cli_actor(), entity=entity, key=key, since=parse_day(since), limit=limit)
    if frame.empty:
        echo("No audit events match.")
        return
    frame = frame.drop(columns=["id"]).assign(
        at=frame["at"].map(lambda at: at.strftime("%Y-%m-%d %H:%M:%S")),
        changes=frame["changes"].map(audit_service.changes_in_words),
    )
    echo(plain_table(frame))
