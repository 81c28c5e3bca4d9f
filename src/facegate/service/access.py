"""Who may call the REST service: API keys (issued, authenticated, revoked) and security events.

A key is ``fgk_<id>_<secret>``: the id (public, 16 hex digits) finds the row, the secret
(``secrets.token_urlsafe(32)``) is checked against its SHA-256, in constant time. The full key is
shown once, when issued. Keys carry a role; a device key is bound to one device (and so to one
deployment), a subject key to one subject (their own rights, nothing else).

Security events (intrusion alerts) are written to their own table and to the audit log, in one
transaction, with ids and short labels only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from facegate.errors import FacegateError
from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, NotFound
from facegate.service.facts import aware, iso
from facegate.service.people import get_subject
from facegate.service.registry import get_device
from facegate.store import models as m
from facegate.store.access_models import ApiKey, SecurityEvent
from facegate.store.durability_models import WebSession

ROLES = ("admin", "dpo", "operator", "device", "subject")
STAFF_ROLES = ("admin", "dpo", "operator")
PREFIX = "fgk"
TOUCH_EVERY = timedelta(seconds=60)
"""``last_used_at`` is written at most this often per key (no write lock on every request)."""


class Unauthenticated(FacegateError):
    """No key, or a key that is unknown, malformed or revoked."""

    code = "unauthenticated"


class RevokedKey(Unauthenticated):
    code = "key_revoked"


class Forbidden(FacegateError):
    """A valid key whose role or scope does not cover this operation."""

    code = "forbidden"


class OutOfScope(Forbidden):
    """A device key used beyond its own deployment, or a subject key beyond its own subject."""

    code = "out_of_scope"


class UnknownKey(NotFound):
    code = "unknown_key"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    role: str
    device_id: str | None = None
    deployment_id: str | None = None
    subject_id: str | None = None
    # A named console user (``key_id`` is then ``user:<user id>``).
    user_id: str | None = None
    username: str = ""

    @property
    def actor(self) -> str:
        """How the audit log names the caller: the role and the key id (or ``user:<id>`` for
        a named console user), never a person's name."""
        return f"{self.role}:{self.key_id}"


@dataclass(frozen=True)
class IssuedKey:
    """A new key; ``token`` is the only copy of the secret there will ever be."""

    id: str
    role: str
    token: str
    device_id: str | None
    subject_id: str | None
    label: str
    created_at: datetime


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret), or None when the token is not of facegate's form."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 16 or not parts[2]:
        return None
    return parts[1], parts[2]


def issue_key(
    ctx: GateContext,
    role: str,
    *,
    device_id: str | None = None,
    subject_id: str | None = None,
    label: str = "",
    actor: str,
) -> IssuedKey:
    """Issue a key for ``role``: a device key names its device, a subject key its subject."""
    if role not in ROLES:
        raise BadRequest(f"role must be one of {', '.join(ROLES)}")
    if (role == "device") != bool(device_id):
        raise BadRequest("a device key names exactly one device, and only a device key does")
    if (role == "subject") != bool(subject_id):
        raise BadRequest("a subject key names exactly one subject, and only a subject key does")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    with ctx.unit() as session:
        if device_id:
            device = get_device(session, device_id)
            if not device.active:
                raise BadRequest(
                    f"device {device_id} is deactivated", key="error.bad_request.device_inactive"
                )
        if subject_id:
            get_subject(session, subject_id)
        row = ApiKey(
            id=key_id,
            role=role,
            secret_hash=_digest(secret),
            device_id=device_id,
            subject_id=subject_id,
            label=label,
            created_at=ctx.now(),
        )
        session.add(row)
        record(
            ctx,
            session,
            actor=actor,
            action="key.issue",
            objects={"key": key_id, "role": role, "device": device_id or ""},
        )
    return IssuedKey(
        key_id, role, f"{PREFIX}_{key_id}_{secret}", device_id, subject_id, label, row.created_at
    )


def adopt_key(ctx: GateContext, token: str, *, device_id: str, actor: str) -> str:
    """Store (as its hash) a device key issued by another facegate: an edge node adopts its
    device's key from the control plane, so the kiosk and the device API there open with the
    same key. Returns the key id; ``Unauthenticated`` for a malformed token."""
    parsed = parse_token(token)
    if parsed is None:
        raise Unauthenticated("not a facegate API key (fgk_<id>_<secret>)")
    key_id, secret = parsed
    with ctx.unit() as session:
        get_device(session, device_id)
        row = session.get(ApiKey, key_id)
        if row is None:
            session.add(
                ApiKey(
                    id=key_id,
                    role="device",
                    secret_hash=_digest(secret),
                    device_id=device_id,
                    label="edge",
                    created_at=ctx.now(),
                )
            )
            record(
                ctx,
                session,
                actor=actor,
                action="key.adopt",
                objects={"key": key_id, "role": "device", "device": device_id},
            )
        elif row.device_id != device_id or not hmac.compare_digest(
            row.secret_hash, _digest(secret)
        ):
            raise Unauthenticated("this key does not match the key stored here for it")
    return key_id


def revoke_key(ctx: GateContext, key_id: str, *, actor: str) -> ApiKey:
    """Revoke a key at once; the console sessions opened with it end in the same transaction."""
    with ctx.unit() as session:
        row = session.get(ApiKey, key_id)
        if row is None:
            raise UnknownKey(f"no key {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = ctx.now()
            ended = end_sessions_of(session, [key_id])
            record(
                ctx,
                session,
                actor=actor,
                action="key.revoke",
                objects={"key": key_id, "sessions_ended": str(ended)},
            )
        return row


def end_sessions_of(session: Session, key_ids: list[str]) -> int:
    """Delete the console sessions opened with these keys."""
    if not key_ids:
        return 0
    result = session.execute(delete(WebSession).where(WebSession.key_id.in_(key_ids)))
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_subject_keys_in(ctx: GateContext, session: Session, subject_id: str) -> list[str]:
    """In the caller's transaction: revoke every live key of a subject and end its sessions;
    the ids of the keys revoked."""
    key_ids = list(
        session.scalars(
            select(ApiKey.id).where(ApiKey.subject_id == subject_id, ApiKey.revoked_at.is_(None))
        )
    )
    if key_ids:
        session.execute(update(ApiKey).where(ApiKey.id.in_(key_ids)).values(revoked_at=ctx.now()))
        end_sessions_of(session, key_ids)
    return key_ids


def revoke_subject_keys(ctx: GateContext, subject_id: str, *, actor: str) -> int:
    """Revoke every live key of a subject (their data is gone, so is their access)."""
    with ctx.unit() as session:
        count = len(revoke_subject_keys_in(ctx, session, subject_id))
        if count:
            record(
                ctx,
                session,
                actor=actor,
                action="key.revoke",
                objects={"subject": subject_id, "keys": str(count)},
            )
        return count


def list_keys(ctx: GateContext, *, label: str | None = None) -> list[ApiKey]:
    with ctx.db.transaction(readonly=True) as session:
        query = select(ApiKey).order_by(ApiKey.created_at)
        if label is not None:
            query = query.where(ApiKey.label == label)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def authenticate(ctx: GateContext, token: str) -> Principal:
    """The caller behind ``token``; ``Unauthenticated`` (or ``RevokedKey``) otherwise.

    A device key also needs its device to be active; the principal carries the device's
    deployment, so no request can name another."""
    parsed = parse_token(token)
    if parsed is None:
        raise Unauthenticated("malformed API key")
    key_id, secret = parsed
    now = ctx.now()
    with ctx.db.transaction(readonly=True) as session:
        row = session.get(ApiKey, key_id)
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
            raise Unauthenticated("unknown API key")
        if row.revoked_at is not None:
            raise RevokedKey("this API key has been revoked")
        deployment_id = None
        if row.device_id is not None:
            device = session.get(m.Device, row.device_id)
            if device is None or not device.active:
                raise RevokedKey("this key's device is deactivated")
            deployment_id = device.deployment_id
        last_used = aware(row.last_used_at)
        principal = Principal(row.id, row.role, row.device_id, deployment_id, row.subject_id)
    if last_used is None or now - last_used >= TOUCH_EVERY:
        with ctx.db.transaction() as session:
            session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
    return principal


def device_principal(ctx: GateContext, key_id: str, device_id: str) -> Principal:
    """What a kiosk opened with a device's key may act as, while that key is live and the
    device active; ``Unauthenticated`` naming what ended it otherwise."""
    with ctx.db.transaction(readonly=True) as session:
        key = session.get(ApiKey, key_id)
        row = session.get(m.Device, device_id)
        if key is None or key.revoked_at is not None or key.device_id != device_id:
            raise Unauthenticated("this kiosk's key has been revoked")
        if row is None or not row.active:
            raise Unauthenticated("this kiosk's device is deactivated")
        return Principal(key_id, "device", device_id, row.deployment_id)


def subject_known_to_deployment(ctx: GateContext, subject_id: str, deployment_id: str) -> bool:
    """Has the subject any record (consent, even withdrawn; template; credential) in the
    deployment? A device may only name subjects of its own deployment."""
    with ctx.db.transaction(readonly=True) as session:
        for model in (m.Consent, m.Template, m.Credential):
            found = session.scalar(
                select(
                    exists().where(
                        model.subject_id == subject_id, model.deployment_id == deployment_id
                    )
                )
            )
            if found:
                return True
        return False


def record_security_event(
    ctx: GateContext,
    kind: str,
    *,
    principal: Principal | None = None,
    subject_id: str = "",
    source: str = "",
    detail: str = "",
    device_id: str = "",
) -> None:
    """An intrusion alert, in the security events and in the audit log (one transaction).

    ``device_id`` names the device when no principal does (an alert the Gate raises itself)."""
    now = ctx.now()
    key_id = principal.key_id if principal else ""
    device_id = (principal.device_id or device_id) if principal else device_id
    with ctx.db.transaction() as session:
        session.add(
            SecurityEvent(
                at=now,
                kind=kind,
                key_id=key_id,
                role=principal.role if principal else "",
                device_id=device_id,
                subject_id=subject_id,
                source=source,
                detail=detail[:500],
            )
        )
        objects = {"kind": kind, "key": key_id, "device": device_id, "subject": subject_id}
        record(
            ctx,
            session,
            actor=principal.actor if principal else "anonymous",
            action=f"security.{kind}",
            objects={k: v for k, v in objects.items() if v},
            decision="refused",
        )


def security_events(ctx: GateContext, *, limit: int = 100) -> list[SecurityEvent]:
    with ctx.db.transaction(readonly=True) as session:
        rows = list(
            session.scalars(select(SecurityEvent).order_by(SecurityEvent.at.desc()).limit(limit))
        )
        session.expunge_all()
        return rows


def key_view(row: ApiKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "role": row.role,
        "device_id": row.device_id,
        "subject_id": row.subject_id,
        "label": row.label,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked_at": iso(row.revoked_at),
    }


def security_event_view(row: SecurityEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "kind": row.kind,
        "key_id": row.key_id,
        "role": row.role,
        "device_id": row.device_id,
        "subject_id": row.subject_id,
        "source": row.source,
        "detail": row.detail,
    }
