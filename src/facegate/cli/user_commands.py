"""Named console users: the first admin from the command line, and the rest when needed.

``facegate users add NAME --role admin`` asks for a password (twice, not echoed; or
``--password-stdin``) and prints the TOTP secret once, as an ``otpauth://`` URI and a QR code
for an authenticator app. Later users are usually created by an admin in the console.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from facegate.cli.common import JsonOption, open_gate, reporting, show
from facegate.cli.output import print_rows, say, term

users_app = typer.Typer(help="Named console users: password (argon2id) and TOTP second factor.")

RoleOption = Annotated[str, typer.Option(help="admin, dpo or operator.")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt(say("cli.users.password"), hide_input=True)
    again: str = typer.prompt(say("cli.users.password_again"), hide_input=True)
    if first != again:
        from facegate.service.errors import BadRequest

        raise BadRequest("the two passwords differ")
    return first


def _print_secret(body: dict[str, str], as_json: bool, headline: str) -> None:
    if as_json:
        show(body, True, "")
        return
    import segno

    typer.echo(headline)
    typer.echo(say("cli.users.totp_scan"))
    typer.echo(say("cli.users.totp_by_hand", secret=body["totp_secret"]))
    typer.echo(f"  {body['otpauth_uri']}")
    segno.make(body["otpauth_uri"], error="m").terminal(compact=True)


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Letters, digits, '.', '_', '@', '-'.")],
    role: RoleOption = "operator",
    display_name: Annotated[str, typer.Option(help="How the console greets them.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a console user (the first admin, typically): prints the TOTP secret once."""
    from facegate.service import users

    with reporting(as_json):
        password = _password(password_stdin)
        new = users.add_user(
            open_gate(ctx).ctx, username, role, password, display_name=display_name, actor="cli"
        )
        headline = say(
            "cli.users.created", username=new.username, role=term("common.role.", new.role)
        )
        _print_secret(new.to_dict(), as_json, headline)


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every console user: role, last login, disabled or not."""
    from facegate.service import users

    with reporting(as_json):
        gate = open_gate(ctx)
        rows = [u.to_dict() for u in users.list_users(gate.ctx)]
        print_rows(
            "users",
            rows,
            ("username", "role", "display_name", "last_login_at", "disabled_at"),
            as_json,
            zone_name=gate.ctx.time_zone,
        )


def _user_id(ctx: typer.Context, username: str) -> str:
    from facegate.service import users
    from facegate.service.users import UnknownUser, normal_username

    name = normal_username(username)
    for user in users.list_users(open_gate(ctx).ctx):
        if user.username == name:
            return user.id
    raise UnknownUser(f"no user {name!r}")


@users_app.command("disable")
def users_disable(ctx: typer.Context, username: str, as_json: JsonOption = False) -> None:
    """Disable a user at once (their console sessions end)."""
    from facegate.service import users

    with reporting(as_json):
        view = users.disable_user(open_gate(ctx).ctx, _user_id(ctx, username), actor="cli")
        show(view.to_dict(), as_json, say("cli.users.disabled", username=view.username))


@users_app.command("enable")
def users_enable(ctx: typer.Context, username: str, as_json: JsonOption = False) -> None:
    """Enable a disabled user again."""
    from facegate.service import users

    with reporting(as_json):
        view = users.enable_user(open_gate(ctx).ctx, _user_id(ctx, username), actor="cli")
        show(view.to_dict(), as_json, say("cli.users.enabled", username=view.username))


@users_app.command("role")
def users_role(
    ctx: typer.Context, username: str, role: RoleOption, as_json: JsonOption = False
) -> None:
    """Give a user another role (their sessions end)."""
    from facegate.service import users

    with reporting(as_json):
        view = users.set_role(open_gate(ctx).ctx, _user_id(ctx, username), role, actor="cli")
        text = say("cli.users.role", username=view.username, role=term("common.role.", view.role))
        show(view.to_dict(), as_json, text)


@users_app.command("password")
def users_password(
    ctx: typer.Context,
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Set a user's password (their sessions end)."""
    from facegate.service import users

    with reporting(as_json):
        user_id = _user_id(ctx, username)
        users.set_password(open_gate(ctx).ctx, user_id, _password(password_stdin), actor="cli")
        show({"user_id": user_id}, as_json, say("cli.users.password_changed", username=username))


@users_app.command("reset-totp")
def users_reset_totp(ctx: typer.Context, username: str, as_json: JsonOption = False) -> None:
    """A new TOTP secret (a lost phone): printed once; the old one stops working."""
    from facegate.service import users

    with reporting(as_json):
        new = users.reset_totp(open_gate(ctx).ctx, _user_id(ctx, username), actor="cli")
        headline = say("cli.users.totp_reset", username=new.username)
        _print_secret(new.to_dict(), as_json, headline)
