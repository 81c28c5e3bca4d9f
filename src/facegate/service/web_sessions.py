"""Server-side console sessions: the browser holds a random session id, the database holds the
session (found by the id's SHA-256). Logging out deletes it, and so does revoking the key it
was opened with (``access.revoke_key``), or disabling the named user who opened it, changing
their role, password or second factor (``users``), so a copied cookie stops working at once."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

from sqlalchemy import delete

from facegate.service.access import Principal
from facegate.service.context import GateContext
from facegate.service.facts import aware
from facegate.service.users import user_principal
from facegate.store.access_models import ApiKey
from facegate.store.durability_models import WebSession
from facegate.store.people_models import ConsoleUser


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(ctx: GateContext, who: Principal, *, seconds: float) -> str:
    """A new session for ``who``; the token is what the browser keeps."""
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    with ctx.db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        session.add(
            WebSession(
                id=_digest(token),
                key_id="" if who.user_id else who.key_id,
                user_id=who.user_id,
                data=json.dumps({"role": who.role}),
                created_at=now,
                expires_at=now + timedelta(seconds=seconds),
            )
        )
    return token


def holder(ctx: GateContext, token: object) -> Principal | None:
    """Whoever the session belongs to, while it is live and their key is not revoked."""
    if not isinstance(token, str) or not token:
        return None
    with ctx.db.transaction(readonly=True) as session:
        row = session.get(WebSession, _digest(token))
        if row is None:
            return None
        expires = aware(row.expires_at)
        if expires is None or expires <= ctx.now():
            return None
        role = json.loads(row.data).get("role")
        if row.user_id:
            user = session.get(ConsoleUser, row.user_id)
            if user is None or user.disabled_at is not None or user.role != role:
                return None
            return user_principal(user)
        key = session.get(ApiKey, row.key_id)
        if key is None or key.revoked_at is not None or key.role != role:
            return None
        return Principal(key.id, key.role)


def end(ctx: GateContext, token: object) -> None:
    """Log out: the session is gone for every copy of its cookie."""
    if isinstance(token, str) and token:
        with ctx.db.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.id == _digest(token)))
