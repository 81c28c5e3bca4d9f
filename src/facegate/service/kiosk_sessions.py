"""The person at a kiosk: a short server-side session that forgets them.

A kiosk is shared: whoever stands at it next must not inherit the last person. The browser's
cookie holds only a random token; the session (which subject, at which device, whether they
have shown their face or card) lives in the database, found by the token's SHA-256, and dies
after ``idle_seconds`` without a request, whatever the page's JavaScript does. Each request
that finds it live moves its expiry on (a sliding idle timeout); ``end`` deletes it at once.

The rows share the console's ``web_sessions`` table, marked ``kind: kiosk``; the console's
own lookup never accepts one (it requires a staff role).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete

from facegate.service.context import GateContext
from facegate.service.facts import aware
from facegate.store.durability_models import WebSession

KIND = "kiosk"


@dataclass(frozen=True)
class KioskPerson:
    """Who is at the kiosk: a subject, and whether they proved it in this session (face, or
    a card or QR credential) rather than only starting to enrol."""

    subject_id: str
    device_id: str
    verified: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    ctx: GateContext,
    *,
    key_id: str,
    device_id: str,
    subject_id: str,
    verified: bool,
    idle_seconds: float,
) -> str:
    """A new session for the person now at the device; the token is what the browser keeps."""
    token = secrets.token_urlsafe(32)
    now = ctx.now()
    data = {"kind": KIND, "device": device_id, "subject": subject_id, "verified": verified}
    with ctx.db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        session.add(
            WebSession(
                id=_digest(token),
                key_id=key_id,
                data=json.dumps(data),
                created_at=now,
                expires_at=now + timedelta(seconds=idle_seconds),
            )
        )
    return token


def holder(
    ctx: GateContext, token: object, *, device_id: str, idle_seconds: float
) -> KioskPerson | None:
    """The person whose session this is, while it is live at this device; finding it moves
    its expiry on by ``idle_seconds``. An expired session is deleted and gives None."""
    if not isinstance(token, str) or not token:
        return None
    now = ctx.now()
    with ctx.db.transaction() as session:
        row = session.get(WebSession, _digest(token))
        if row is None:
            return None
        data = json.loads(row.data)
        expires = aware(row.expires_at)
        if data.get("kind") != KIND or data.get("device") != device_id:
            return None
        if expires is None or expires <= now:
            session.delete(row)
            return None
        row.expires_at = now + timedelta(seconds=idle_seconds)
        return KioskPerson(str(data["subject"]), device_id, bool(data.get("verified")))


def mark_verified(ctx: GateContext, token: object) -> None:
    """The person has now shown their face (or card) in this session."""
    if not isinstance(token, str) or not token:
        return
    with ctx.db.transaction() as session:
        row = session.get(WebSession, _digest(token))
        if row is not None:
            data = json.loads(row.data)
            if data.get("kind") == KIND:
                row.data = json.dumps({**data, "verified": True})


def end(ctx: GateContext, token: object) -> None:
    """The person has left (or idled out): their session is gone for every copy of the
    cookie."""
    if isinstance(token, str) and token:
        with ctx.db.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.id == _digest(token)))
