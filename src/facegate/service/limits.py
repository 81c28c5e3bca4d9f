"""Rate limits, failure counters and lockouts that every process shares, in the database.

Two ``serve`` processes on one data directory, or one restarted, see the same buckets and the
same lockouts: five failed verifications of a subject lock it whichever process answered them
(Measures art. 14, PIPL art. 51: access control and intrusion defence that an attacker cannot
sidestep by reaching another worker or waiting for a restart).

Each operation is one short write transaction on a ``throttle_state`` row (SQLite serialises
them with ``BEGIN IMMEDIATE``; PostgreSQL locks the row). Times are seconds since the epoch from
an injectable clock, since a monotonic clock is not shared between processes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Hashable

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from facegate.store import Database
from facegate.store.durability_models import ThrottleState

Clock = Callable[[], float]
PRUNE_EVERY = 1000
IDLE_SECONDS = 24 * 3600.0
MAX_KEY = 200


def key_text(key: Hashable) -> str:
    """A stable text key: tuples are joined with ``|``."""
    text = "|".join(str(p) for p in key) if isinstance(key, tuple) else str(key)
    return text[:MAX_KEY]


class SharedThrottle:
    """``db``: the Gate's database. On a SQLite file the throttle writes through a connection
    pool of its own without an fsync per commit (losing the last few bucket updates to a power
    cut is harmless; a lockout is written the same way and survives any process crash). On
    PostgreSQL it has a pool of its own whose writers do not take the store's writer lock."""

    def __init__(self, db: Database, *, clock: Clock = time.time) -> None:
        if db.is_sqlite and db.url.database not in (None, "", ":memory:"):
            db = Database(db.url, synchronous=False)
        elif db.is_postgresql:
            # Each bucket's row locks itself (SELECT ... FOR UPDATE; a racing first insert
            # retries): a request's bucket need not queue behind every other writer.
            db = Database(db.url, serialised=False)
        self.db = db
        self.clock = clock
        self._calls = 0
        self._lock = threading.Lock()

    def _row(self, session: Session, scope: str, key: str, now: float) -> ThrottleState:
        row = session.scalar(
            select(ThrottleState)
            .where(ThrottleState.scope == scope, ThrottleState.key == key)
            .with_for_update()
        )
        if row is None:
            row = ThrottleState(scope=scope, key=key, tokens=-1.0, stamp=now)
            session.add(row)
        return row

    def _update(
        self, scope: str, key: Hashable, change: Callable[[ThrottleState, float], float]
    ) -> float:
        text = key_text(key)
        for attempt in range(2):
            now = self.clock()
            try:
                with self.db.transaction() as session:
                    row = self._row(session, scope, text, now)
                    result = change(row, now)
                    self._maybe_prune(session, now)
                    return result
            except IntegrityError:  # another process inserted the row first: read theirs
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _maybe_prune(self, session: Session, now: float) -> None:
        with self._lock:
            self._calls += 1
            due = self._calls % PRUNE_EVERY == 0
        if due:
            session.execute(
                delete(ThrottleState).where(
                    ThrottleState.stamp < now - IDLE_SECONDS, ThrottleState.until < now
                )
            )

    # -- token buckets -----------------------------------------------------------------------

    def take(self, scope: str, key: Hashable, rate: float, burst: int) -> float:
        """Spend one token of the bucket: 0 when allowed, else seconds until one is free."""

        def spend(row: ThrottleState, now: float) -> float:
            tokens = float(burst) if row.tokens < 0 else row.tokens
            tokens = min(float(burst), tokens + max(0.0, now - row.stamp) * rate)
            row.stamp = now
            if tokens >= 1:
                row.tokens = tokens - 1
                return 0.0
            row.tokens = tokens
            return (1 - tokens) / rate if rate > 0 else 3600.0

        return self._update(scope, key, spend)

    # -- failure counters and lockouts ---------------------------------------------------------

    def locked_for(self, scope: str, key: Hashable) -> float:
        """Seconds the key stays locked (0: not locked). Reads only."""
        now = self.clock()
        with self.db.transaction(readonly=True) as session:
            until = session.scalar(
                select(ThrottleState.until).where(
                    ThrottleState.scope == scope, ThrottleState.key == key_text(key)
                )
            )
        return max(0.0, float(until or 0.0) - now)

    def fail(
        self, scope: str, key: Hashable, *, failures: int, window: float, duration: float
    ) -> bool:
        """Count a failure; True when this one reaches ``failures`` within ``window`` and so
        locks the key for ``duration`` seconds."""

        def count(row: ThrottleState, now: float) -> float:
            hits = [t for t in _times(row.hits) if t > now - window]
            hits.append(now)
            row.stamp = now
            if len(hits) >= max(1, failures):
                row.until = now + duration
                row.hits = "[]"
                return 1.0
            row.hits = json.dumps(hits[-max(1, failures) :])
            return 0.0

        return bool(self._update(scope, key, count))

    def clear(self, scope: str, key: Hashable) -> None:
        """Forget the failures counted so far (a success); a lockout in force stays."""

        def reset(row: ThrottleState, now: float) -> float:
            row.hits = "[]"
            row.stamp = now
            return 0.0

        self._update(scope, key, reset)

    def burst(self, scope: str, key: Hashable, *, count: int, window: float) -> bool:
        """Count an event; True when ``count`` of them fall within ``window`` and no alert was
        given for this key within the window (``until`` holds the last alert's time)."""

        def seen(row: ThrottleState, now: float) -> float:
            hits = [t for t in _times(row.hits) if t > now - window]
            hits.append(now)
            row.hits = json.dumps(hits[-max(1, count) :])
            row.stamp = now
            if len(hits) >= max(1, count) and (row.until == 0 or now - row.until >= window):
                row.until = now
                return 1.0
            return 0.0

        return bool(self._update(scope, key, seen))


def _times(text: str) -> list[float]:
    try:
        values = json.loads(text)
    except ValueError:
        return []
    return [float(v) for v in values] if isinstance(values, list) else []
