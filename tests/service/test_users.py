"""Named console users: argon2id password, TOTP second factor, roles, lockout (issue 15;
security.measures: Measures art. 14, PIPL art. 51)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyotp
import pytest

from facegate.service import Gate
from facegate.service.errors import BadRequest, Conflict
from facegate.service.users import (
    LastAdmin,
    LoginFailed,
    LoginLocked,
    add_user,
    authenticate_user,
    current_code,
    disable_user,
    enable_user,
    list_users,
    reset_totp,
    set_password,
    set_role,
)
from raw_sql import raw_rows
from sites import Clock

pytestmark = pytest.mark.both_databases

PASSWORD = "correct horse battery"


def code(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def test_security_measures_a_user_logs_in_with_password_and_a_fresh_totp_code(
    gate: Gate, clock: Clock, data_dir: Path
) -> None:
    new = add_user(gate.ctx, "Li.Wei", "dpo", PASSWORD, display_name="Li Wei", actor="cli")
    assert new.username == "li.wei"
    assert new.otpauth_uri.startswith("otpauth://totp/facegate:li.wei?secret=")
    # neither the password nor the TOTP secret is stored in the clear
    stored = raw_rows(gate.ctx.db, "SELECT password_hash, totp_sealed FROM console_users")[0]
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    assert new.totp_secret.encode() not in stored[1]

    who = authenticate_user(gate.ctx, " LI.WEI ", PASSWORD, code(new.totp_secret, clock))
    assert (who.role, who.user_id, who.username) == ("dpo", new.user_id, "li.wei")
    assert who.actor == f"dpo:user:{new.user_id}"
    # the same code is never accepted twice (replay), a code of the next step is
    with pytest.raises(LoginFailed):
        authenticate_user(gate.ctx, "li.wei", PASSWORD, code(new.totp_secret, clock))
    clock.advance(seconds=30)
    authenticate_user(gate.ctx, "li.wei", PASSWORD, code(new.totp_secret, clock))
    assert current_code(gate.ctx, new.user_id) == code(new.totp_secret, clock)

    # wrong password, wrong code, unknown user: one answer
    clock.advance(seconds=30)
    for name, password, otp in (
        ("li.wei", "wrong password!", code(new.totp_secret, clock)),
        ("li.wei", PASSWORD, "000000"),
        ("nobody", PASSWORD, code(new.totp_secret, clock)),
    ):
        with pytest.raises(LoginFailed) as failed:
            authenticate_user(gate.ctx, name, password, otp)
        assert failed.value.message == "the user name, password or one-time code is wrong"


def test_security_measures_five_failures_lock_the_user_name(gate: Gate, clock: Clock) -> None:
    new = add_user(gate.ctx, "desk", "operator", PASSWORD, actor="cli")
    for _ in range(4):
        with pytest.raises(LoginFailed):
            authenticate_user(gate.ctx, "desk", "not the password", "123456")
    with pytest.raises(LoginLocked) as locked:
        authenticate_user(gate.ctx, "desk", "not the password", "123456")
    assert locked.value.retry_after >= 60
    with pytest.raises(LoginLocked):  # even the right password waits
        authenticate_user(gate.ctx, "desk", PASSWORD, code(new.totp_secret, clock))


def test_passwords_names_and_roles_are_checked(gate: Gate) -> None:
    with pytest.raises(BadRequest):
        add_user(gate.ctx, "a", "admin", PASSWORD, actor="cli")  # too short a name
    with pytest.raises(BadRequest):
        add_user(gate.ctx, "wang", "admin", "short", actor="cli")
    with pytest.raises(BadRequest):
        add_user(gate.ctx, "wang", "admin", "wang-is-my-password", actor="cli")
    with pytest.raises(BadRequest):
        add_user(gate.ctx, "wang", "device", PASSWORD, actor="cli")  # not a console role
    add_user(gate.ctx, "wang", "admin", PASSWORD, actor="cli")
    with pytest.raises(Conflict):
        add_user(gate.ctx, "WANG", "dpo", PASSWORD, actor="cli")


def test_disable_role_change_reset_and_the_last_admin(gate: Gate, clock: Clock) -> None:
    admin = add_user(gate.ctx, "root", "admin", PASSWORD, actor="cli")
    desk = add_user(gate.ctx, "desk", "operator", PASSWORD, actor="admin")
    with pytest.raises(LastAdmin):
        disable_user(gate.ctx, admin.user_id, actor="admin")
    with pytest.raises(LastAdmin):
        set_role(gate.ctx, admin.user_id, "dpo", actor="admin")

    disable_user(gate.ctx, desk.user_id, actor="admin")
    with pytest.raises(LoginFailed):
        authenticate_user(gate.ctx, "desk", PASSWORD, code(desk.totp_secret, clock))
    enable_user(gate.ctx, desk.user_id, actor="admin")
    set_role(gate.ctx, desk.user_id, "dpo", actor="admin")
    assert authenticate_user(gate.ctx, "desk", PASSWORD, code(desk.totp_secret, clock)).role == (
        "dpo"
    )

    clock.advance(seconds=60)
    renewed = reset_totp(gate.ctx, desk.user_id, actor="admin")
    with pytest.raises(LoginFailed):  # the old authenticator no longer works
        authenticate_user(gate.ctx, "desk", PASSWORD, code(desk.totp_secret, clock))
    clock.advance(seconds=30)
    set_password(gate.ctx, desk.user_id, "a brand new passphrase", actor="admin")
    clock.advance(seconds=timedelta(minutes=1).total_seconds())
    authenticate_user(gate.ctx, "desk", "a brand new passphrase", code(renewed.totp_secret, clock))
    assert [u.username for u in list_users(gate.ctx)] == ["desk", "root"]


def test_users_and_person_records_survive_a_master_key_rotation(
    data_dir: Path, database_url: str, clock: Clock, engine: object
) -> None:
    """The TOTP secrets (sealed under the key ring) and the person records (the identity key,
    their digests under the key ring's lookup key) open after ``facegate key rotate-master``."""
    from facegate.config import Settings
    from facegate.service import maintenance
    from facegate.service.persons import PersonSpec, add_person, find_people
    from sites import make_site

    settings = Settings(data_dir=data_dir / "rotating", database_url=database_url)
    first = Gate.open(settings, create=True, clock=clock, engine=engine)  # type: ignore[arg-type]
    new = add_user(first.ctx, "root", "admin", PASSWORD, actor="cli")
    site = make_site(first)
    person = add_person(first.ctx, site.controller_id, PersonSpec(name="张伟"), actor="cli")
    first.close()
    maintenance.rotate_master(settings)
    again = Gate.open(settings, clock=clock, engine=engine)  # type: ignore[arg-type]
    try:
        who = authenticate_user(again.ctx, "root", PASSWORD, code(new.totp_secret, clock))
        assert who.role == "admin"
        assert [p.id for p in find_people(again.ctx, site.controller_id, name="张伟")] == [
            person.id
        ]
    finally:
        again.close()
