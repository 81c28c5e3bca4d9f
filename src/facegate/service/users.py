"""Named console users: a user name, a password (argon2id) and a TOTP second factor (RFC 6238),
with the console's roles (admin, dpo, operator). API keys stay for devices and scripts.

An admin creates users in the console; ``facegate users add`` creates the first admin. The
TOTP secret is shown once, as an ``otpauth://`` URI (and its QR code), when a user is created
or their second factor is reset; it is kept sealed (AES-GCM under a key derived from the key
ring's lookup key, so a master-key rotation re-wraps it with the ring). A code is accepted
once (its time step is remembered) and within one step of the clock either side.

Failed logins are counted per user name, known or not (so a failure says nothing of which
names exist): five within fifteen minutes lock the name for fifteen (Measures art. 14, PIPL
art. 51: access control and intrusion defence). The web layer also spends the address's
allowance, as it does for a wrong API key. The last active admin can be neither disabled nor
given another role: the console never locks itself out.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from facegate.errors import FacegateError
from facegate.service.access import STAFF_ROLES, Principal, Unauthenticated
from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, Conflict, NotFound
from facegate.service.facts import aware, iso
from facegate.store.durability_models import WebSession
from facegate.store.people_models import ConsoleUser
from facegate.store.vault import derive_key

ISSUER = "facegate"
MIN_PASSWORD = 10
MAX_PASSWORD = 200
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
FAILURES, WINDOW, LOCK = 5, 900.0, 900.0
THROTTLE_SCOPE = "user_login"
TOTP_INFO = b"facegate-console-totp"

# argon2id at OWASP's first recommended setting (46 MiB, one pass, one lane): about 0.06 CPU
# seconds a hash here, memory-hard against GPU guessing; hashes made with other parameters
# still verify and are re-hashed at the next login.
_HASHER = PasswordHasher(time_cost=1, memory_cost=47_104, parallelism=1)
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))  # verified against for unknown names


class LoginFailed(Unauthenticated):
    """Wrong user name, password or one-time code (which one is not said)."""

    code = "login_failed"


class LoginLocked(FacegateError):
    """Too many failed logins for this user name: wait ``retry_after`` seconds."""

    code = "locked_out"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, details={"retry_after": max(1, round(retry_after))})
        self.retry_after = max(1, round(retry_after))


class UnknownUser(NotFound):
    code = "unknown_user"


class LastAdmin(Conflict):
    code = "last_admin"


@dataclass(frozen=True)
class NewSecret:
    """A user's second factor, shown once: the base32 secret and its ``otpauth://`` URI."""

    user_id: str
    username: str
    role: str
    totp_secret: str
    otpauth_uri: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "role": self.role,
            "totp_secret": self.totp_secret,
            "otpauth_uri": self.otpauth_uri,
        }


@dataclass(frozen=True)
class UserView:
    id: str
    username: str
    display_name: str
    role: str
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "created_at": iso(self.created_at),
            "last_login_at": iso(self.last_login_at),
            "disabled_at": iso(self.disabled_at),
        }


def normal_username(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _check_role(role: str) -> None:
    if role not in STAFF_ROLES:
        raise BadRequest(
            f"role must be one of {', '.join(STAFF_ROLES)}", key="error.bad_request.staff_role"
        )


def _check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequest(
            f"a password has at least {MIN_PASSWORD} characters",
            key="error.bad_request.password_short",
            params={"limit": MIN_PASSWORD},
        )
    if len(password) > MAX_PASSWORD:
        raise BadRequest(
            f"a password has at most {MAX_PASSWORD} characters",
            key="error.bad_request.password_long",
            params={"limit": MAX_PASSWORD},
        )
    if normal_username(password) == username or username in normal_username(password):
        raise BadRequest(
            "the password may not contain the user name",
            key="error.bad_request.password_username",
        )


def _sealer(ctx: GateContext) -> AESGCM:
    return AESGCM(derive_key(ctx.vault.lookup_key, TOTP_INFO))


def _aad(user_id: str) -> bytes:
    return b"facegate-totp|" + user_id.encode()


def _seal_secret(ctx: GateContext, row: ConsoleUser, secret: str) -> None:
    nonce = secrets.token_bytes(12)
    row.totp_nonce = nonce
    row.totp_sealed = _sealer(ctx).encrypt(nonce, secret.encode(), _aad(row.id))


def _open_secret(ctx: GateContext, row: ConsoleUser) -> str:
    return _sealer(ctx).decrypt(row.totp_nonce, row.totp_sealed, _aad(row.id)).decode()


def _new_secret(row: ConsoleUser, secret: str) -> NewSecret:
    uri = pyotp.TOTP(secret).provisioning_uri(name=row.username, issuer_name=ISSUER)
    return NewSecret(row.id, row.username, row.role, secret, uri)


def _view(row: ConsoleUser) -> UserView:
    created = aware(row.created_at)
    assert created is not None
    return UserView(
        row.id,
        row.username,
        row.display_name,
        row.role,
        created,
        aware(row.last_login_at),
        aware(row.disabled_at),
    )


def _user(session: Session, user_id: str) -> ConsoleUser:
    row = session.get(ConsoleUser, user_id)
    if row is None:
        raise UnknownUser(f"no user {user_id!r}")
    return row


def _active_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ConsoleUser)
            .where(ConsoleUser.role == "admin", ConsoleUser.disabled_at.is_(None))
        )
        or 0
    )


def end_user_sessions(session: Session, user_id: str) -> int:
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def _end_sessions_recorded(
    ctx: GateContext, session: Session, user_id: str, *, actor: str, action: str, **objects: str
) -> None:
    """A change to who a user is or what they may do ends every session they have, and the
    audit event says how many ended."""
    ended = end_user_sessions(session, user_id)
    record(
        ctx,
        session,
        actor=actor,
        action=action,
        objects={"user": user_id, **objects, "sessions_ended": str(ended)},
    )


# -- use cases ------------------------------------------------------------------------------------
def add_user(
    ctx: GateContext,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    actor: str,
) -> NewSecret:
    """A new console user; the TOTP secret in the result is shown once."""
    name = normal_username(username)
    if not USERNAME.match(name):
        raise BadRequest(
            "a user name has 2 to 64 characters: letters, digits, '.', '_', '@' or '-'",
            key="error.bad_request.username",
        )
    _check_role(role)
    _check_password(password, name)
    secret = pyotp.random_base32()
    with ctx.unit() as session:
        if session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == name)):
            raise Conflict(
                f"there is already a user {name!r}",
                key="error.conflict.user_exists",
                params={"username": name},
            )
        now = ctx.now()
        row = ConsoleUser(
            username=name,
            display_name=display_name.strip()[:200],
            role=role,
            password_hash=_HASHER.hash(password),
            totp_nonce=b"",
            totp_sealed=b"",
            created_by=actor,
            created_at=now,
            password_changed_at=now,
        )
        _seal_secret(ctx, row, secret)
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="user.add",
            objects={"user": row.id, "role": role},
        )
        return _new_secret(row, secret)


def _totp_step(ctx: GateContext, row: ConsoleUser, code: str, now: datetime) -> int | None:
    """The time step the code belongs to (the current one, or one either side), if it is
    right and newer than the last accepted."""
    digits = "".join(c for c in unicodedata.normalize("NFKC", code) if not c.isspace())
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(_open_secret(ctx, row))
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > row.totp_last_step and secrets.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def authenticate_user(ctx: GateContext, username: str, password: str, code: str) -> Principal:
    """The console principal of a user whose password and current TOTP code are right;
    ``LoginFailed`` otherwise (``LoginLocked`` after repeated failures)."""
    name = normal_username(username)[:64]
    throttle = ctx.throttle
    locked = throttle.locked_for(THROTTLE_SCOPE, name)
    if locked > 0:
        raise LoginLocked(
            "too many failed logins for this user; try again later", retry_after=locked
        )
    now = ctx.now()
    principal: Principal | None = None
    with ctx.db.transaction() as session:
        row = session.scalar(select(ConsoleUser).where(ConsoleUser.username == name))
        password_ok: bool = False
        try:
            password_ok = _HASHER.verify(row.password_hash if row else _DUMMY, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            password_ok = False
        if row is not None and password_ok and row.disabled_at is None:
            step = _totp_step(ctx, row, code, now)
            if step is not None:
                row.totp_last_step = step
                row.totp_confirmed = True
                row.last_login_at = now
                if _HASHER.check_needs_rehash(row.password_hash):
                    row.password_hash = _HASHER.hash(password)
                principal = user_principal(row)
        record(
            ctx,
            session,
            actor=principal.actor if principal else "anonymous",
            action="user.login",
            objects={"user": row.id if row else "", "role": row.role if row else ""},
            decision="allowed" if principal else "refused",
        )
    if principal is not None:
        throttle.clear(THROTTLE_SCOPE, name)
        return principal
    if throttle.fail(THROTTLE_SCOPE, name, failures=FAILURES, window=WINDOW, duration=LOCK):
        raise LoginLocked("too many failed logins for this user; try again later", retry_after=LOCK)
    raise LoginFailed("the user name, password or one-time code is wrong")


def user_principal(row: ConsoleUser) -> Principal:
    return Principal(f"user:{row.id}", row.role, user_id=row.id, username=row.username)


def live_user(ctx: GateContext, user_id: str, role: str) -> Principal | None:
    """The user's principal while they are active and still have ``role``."""
    with ctx.db.transaction(readonly=True) as session:
        row = session.get(ConsoleUser, user_id)
        if row is None or row.disabled_at is not None or row.role != role:
            return None
        return user_principal(row)


def list_users(ctx: GateContext) -> list[UserView]:
    with ctx.db.transaction(readonly=True) as session:
        rows = session.scalars(select(ConsoleUser).order_by(ConsoleUser.username))
        return [_view(r) for r in rows]


def get_user(ctx: GateContext, user_id: str) -> UserView:
    with ctx.db.transaction(readonly=True) as session:
        return _view(_user(session, user_id))


def user_count(ctx: GateContext) -> int:
    with ctx.db.transaction(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(ConsoleUser)) or 0)


def set_role(ctx: GateContext, user_id: str, role: str, *, actor: str) -> UserView:
    """Give a user another role; their sessions end (they log in again under it)."""
    _check_role(role)
    with ctx.unit() as session:
        row = _user(session, user_id)
        if row.role == role:
            return _view(row)
        if row.role == "admin" and row.disabled_at is None and _active_admins(session) <= 1:
            raise LastAdmin("the last active admin keeps the admin role")
        old, row.role = row.role, role
        _end_sessions_recorded(
            ctx, session, row.id, actor=actor, action="user.role", **{"from": old, "to": role}
        )
        return _view(row)


def disable_user(ctx: GateContext, user_id: str, *, actor: str) -> UserView:
    """Disable a user at once: their sessions end."""
    with ctx.unit() as session:
        row = _user(session, user_id)
        if row.disabled_at is None:
            if row.role == "admin" and _active_admins(session) <= 1:
                raise LastAdmin("the last active admin cannot be disabled")
            row.disabled_at = ctx.now()
            _end_sessions_recorded(ctx, session, row.id, actor=actor, action="user.disable")
        return _view(row)


def enable_user(ctx: GateContext, user_id: str, *, actor: str) -> UserView:
    with ctx.unit() as session:
        row = _user(session, user_id)
        if row.disabled_at is not None:
            row.disabled_at = None
            record(ctx, session, actor=actor, action="user.enable", objects={"user": row.id})
        return _view(row)


def set_password(ctx: GateContext, user_id: str, password: str, *, actor: str) -> None:
    """A new password (set by an admin, or by the user); the user's sessions end."""
    with ctx.unit() as session:
        row = _user(session, user_id)
        _check_password(password, row.username)
        row.password_hash = _HASHER.hash(password)
        row.password_changed_at = ctx.now()
        _end_sessions_recorded(ctx, session, row.id, actor=actor, action="user.password")


def change_own_password(
    ctx: GateContext, user_id: str, current: str, new: str, *, actor: str
) -> None:
    """A user changes their own password, giving the current one (``LoginFailed`` if wrong)."""
    with ctx.db.transaction(readonly=True) as session:
        row = _user(session, user_id)
        ok: bool = False
        try:
            ok = _HASHER.verify(row.password_hash, current)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok:
        raise LoginFailed("the current password is wrong")
    set_password(ctx, user_id, new, actor=actor)


def reset_totp(ctx: GateContext, user_id: str, *, actor: str) -> NewSecret:
    """A new second factor (a lost phone): shown once; the old one stops working at once."""
    secret = pyotp.random_base32()
    with ctx.unit() as session:
        row = _user(session, user_id)
        _seal_secret(ctx, row, secret)
        row.totp_last_step = 0
        row.totp_confirmed = False
        _end_sessions_recorded(ctx, session, row.id, actor=actor, action="user.totp_reset")
        return _new_secret(row, secret)


def current_code(ctx: GateContext, user_id: str, at: datetime | None = None) -> str:
    """The user's TOTP code now (for ``facegate demo``'s printed login and for tests)."""
    with ctx.db.transaction(readonly=True) as session:
        row = _user(session, user_id)
        return pyotp.TOTP(_open_secret(ctx, row)).at(at or ctx.now())
