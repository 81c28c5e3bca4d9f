"""Tables of durability and shared security state: the key check, the wrapped key ring, the
throttle state every process shares, and server-side console sessions.

``key_check`` is one row (id=1): the fingerprint of the master key the data is wrapped under (a
key check value: opening with another key is refused before anything is read or written), the
id of the deletion journal bound to this database and the last journal entry committed in it.
``deletion_journals`` holds the same position for every other host's journal: several hosts on
one database (PostgreSQL) each keep a journal of their own (``facegate.store.journal``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store.models import Base
from facegate.store.types import SEQUENCE, utc_now

FINGERPRINT = String(64)


class KeyCheck(Base, kw_only=True):
    __tablename__ = "key_check"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    fingerprint: Mapped[str] = mapped_column(FINGERPRINT)
    # Set while ``facegate key rotate-master`` re-wraps the data keys under a new master key.
    next_fingerprint: Mapped[str | None] = mapped_column(FINGERPRINT, default=None)
    journal_id: Mapped[str] = mapped_column(String(32), default="")
    journal_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)


class DeletionJournalPosition(Base, kw_only=True):
    """The last entry of another host's deletion journal committed in this database (the first
    journal's position is ``key_check.journal_seq``)."""

    __tablename__ = "deletion_journals"

    journal_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    journal_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    registered_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class KeyRingEntry(Base, kw_only=True):
    """A long-lived secret (credential lookup, web sessions) wrapped under the master key, so
    that rotating the master key re-wraps it instead of changing it."""

    __tablename__ = "key_ring"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    kek: Mapped[str] = mapped_column(FINGERPRINT)


class ThrottleState(Base, kw_only=True):
    """One rate-limit bucket, failure counter or lockout, shared by every process.

    Token buckets use ``tokens`` and ``stamp``; failure counters keep their recent failure
    times in ``hits`` (a JSON list) and ``until`` (locked until, or last alert). Times are
    seconds since the epoch (every process and restart agrees on them)."""

    __tablename__ = "throttle_state"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float, default=0.0)
    stamp: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    hits: Mapped[str] = mapped_column(default="[]")
    until: Mapped[float] = mapped_column(Float, default=0.0)


class WebSession(Base, kw_only=True):
    """A console session. The browser holds only a random id; the row is found by its SHA-256,
    so a stolen database does not yield live session cookies. Logging out, or revoking the
    key, deletes the row and so ends the session."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), default="", index=True)
    # A named console user's session (``key_id`` empty); logging in with a key leaves it NULL.
    user_id: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    data: Mapped[str] = mapped_column(default="{}")
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    expires_at: Mapped[datetime] = mapped_column(default_factory=utc_now, index=True)
