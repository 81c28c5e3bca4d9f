"""The audit log: append-only and hash-chained.

Each event's hash is the SHA-256 of the canonical JSON of its fields and the previous event's
hash, so editing, reordering or deleting a stored event breaks the chain at that point.

What goes in is the caller's responsibility and must never be biometric: ``objects`` holds
ids and short labels (subject, deployment, device, template ids, outcomes), never images,
embeddings, distances that could serve as a template, or identity data such as names.

Appends are serialised by locking the single ``audit_head`` row: ``SELECT ... FOR UPDATE`` on
PostgreSQL, and on SQLite the ``BEGIN IMMEDIATE`` write transaction that ``Database`` starts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from facegate.store.models import GENESIS_HASH, AuditEvent, AuditHead, Base
from facegate.store.types import utc_now

DECISIONS = frozenset({"allowed", "refused", "info"})
HEAD_ID = 1


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    objects: Mapping[str, str],
    decision: str,
    articles: Sequence[str],
    prev_hash: str,
) -> str:
    """SHA-256 hex of the canonical JSON of the event's fields."""
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(),
        "actor": actor,
        "action": action,
        "objects": dict(objects),
        "decision": decision,
        "articles": list(articles),
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def stored_hash(row: AuditEvent) -> str:
    """Recompute a stored row's hash from its columns."""
    return event_hash(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        objects=json.loads(row.objects),
        decision=row.decision,
        articles=json.loads(row.articles),
        prev_hash=row.prev_hash,
    )


@dataclass(frozen=True)
class AuditEntry:
    """One event for ``AuditLog.append_many``."""

    actor: str
    action: str
    objects: Mapping[str, str]
    decision: str = "allowed"
    articles: Sequence[str] = ()


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
        }


_EVENTS = Base.metadata.tables[AuditEvent.__tablename__]
_HEAD = Base.metadata.tables[AuditHead.__tablename__]
_INSERT_EVENT = insert(_EVENTS)
_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(last_seq=bindparam("seq"), last_hash=bindparam("hash"))
)


@dataclass(frozen=True)
class _Walked:
    """Where a whole-chain walk ended intact: when it ran, and the last seq and hash."""

    at: datetime
    seq: int
    hash: str


class AuditLog:
    def __init__(self, *, batch_size: int = 1000) -> None:
        self.batch_size = batch_size
        self._walked: _Walked | None = None  # the last intact whole-chain walk (this process)

    def _lock_head(self, session: Session) -> tuple[int, str]:
        """(last seq, last hash), locking the head row until the transaction ends."""
        query = (
            select(AuditHead.last_seq, AuditHead.last_hash)
            .where(AuditHead.id == HEAD_ID)
            .with_for_update()
        )
        head = session.connection().execute(query).one_or_none()
        if head is None:  # a schema made with create_all rather than the migrations
            session.add(AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
            session.flush()
            return 0, GENESIS_HASH
        return int(head[0]), str(head[1])

    def append(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        objects: Mapping[str, str],
        decision: str,
        articles: Sequence[str] = (),
        at: datetime | None = None,
    ) -> AuditEvent:
        """Add the next event to the chain, in the caller's transaction."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {sorted(DECISIONS)}, not {decision!r}")
        if at is not None and (at.tzinfo is None or at.utcoffset() is None):
            raise ValueError("the audit time must be timezone-aware")
        # Stored at microsecond precision in UTC; hash exactly what is stored.
        moment = (at or utc_now()).astimezone(UTC)
        clean_objects = {str(k): str(v) for k, v in objects.items()}
        clean_articles = [str(a) for a in articles]
        # Core statements, not ORM objects: this runs on every face operation.
        last_seq, last_hash = self._lock_head(session)
        seq = last_seq + 1
        digest = event_hash(
            seq=seq,
            at=moment,
            actor=actor,
            action=action,
            objects=clean_objects,
            decision=decision,
            articles=clean_articles,
            prev_hash=last_hash,
        )
        values = {
            "seq": seq,
            "at": moment,
            "actor": actor,
            "action": action,
            "objects": canonical_json(clean_objects),
            "decision": decision,
            "articles": canonical_json(clean_articles),
            "prev_hash": last_hash,
            "hash": digest,
        }
        connection = session.connection()
        connection.execute(_INSERT_EVENT, values)
        connection.execute(_ADVANCE_HEAD, {"seq": seq, "hash": digest})
        return AuditEvent(**values)  # type: ignore[arg-type]

    def append_many(
        self,
        session: Session,
        events: Sequence[AuditEntry],
        *,
        at: datetime,
    ) -> int:
        """Append several events to the chain at once, in the caller's transaction: one head
        lock, the hashes chained here, one multi-row insert, one head update (bulk writers).
        Returns the last seq."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("the audit time must be timezone-aware")
        moment = at.astimezone(UTC)
        last_seq, last_hash = self._lock_head(session)
        if not events:
            return last_seq
        rows = []
        for event in events:
            if event.decision not in DECISIONS:
                raise ValueError(f"decision must be one of {sorted(DECISIONS)}")
            objects = {str(k): str(v) for k, v in event.objects.items()}
            articles = [str(a) for a in event.articles]
            last_seq += 1
            digest = event_hash(
                seq=last_seq,
                at=moment,
                actor=event.actor,
                action=event.action,
                objects=objects,
                decision=event.decision,
                articles=articles,
                prev_hash=last_hash,
            )
            rows.append(
                {
                    "seq": last_seq,
                    "at": moment,
                    "actor": event.actor,
                    "action": event.action,
                    "objects": canonical_json(objects),
                    "decision": event.decision,
                    "articles": canonical_json(articles),
                    "prev_hash": last_hash,
                    "hash": digest,
                }
            )
            last_hash = digest
        connection = session.connection()
        connection.execute(_INSERT_EVENT, rows)
        connection.execute(_ADVANCE_HEAD, {"seq": last_seq, "hash": last_hash})
        return last_seq

    def verify(self, session: Session, *, now: datetime | None = None) -> AuditVerification:
        """Walk the chain in seq order; report the first break (bad hash, bad link, gap).
        ``now``: the time to remember this walk by (``verify_recent``), else the wall clock."""
        result, last_hash = self._walk(session, 0, GENESIS_HASH)
        self._walked = _Walked(now or utc_now(), result.checked, last_hash) if result.ok else None
        return result

    def verify_recent(
        self, session: Session, *, max_age: timedelta, now: datetime | None = None
    ) -> tuple[AuditVerification, datetime]:
        """The chain's state for a page that is read often (the console's dashboard and audit
        viewer): a whole walk at most every ``max_age``, and in between a walk of only the
        events appended since the last whole one, from its last hash. Also the time of the
        whole walk the answer rests on: an event edited in place in between shows at the next
        whole walk (``verify``, ``facegate audit verify``) or once ``max_age`` has passed."""
        moment = now or utc_now()
        walked = self._walked
        if walked is not None and timedelta(0) <= moment - walked.at < max_age:
            result, _ = self._walk(session, walked.seq, walked.hash)
            if result.ok:
                return result, walked.at
        return self.verify(session, now=moment), moment

    def _walk(
        self, session: Session, after_seq: int, after_hash: str
    ) -> tuple[AuditVerification, str]:
        """Walk the events after ``after_seq`` (whose hash is ``after_hash``) up to the head."""
        expected_seq = after_seq + 1
        prev_hash = after_hash
        checked = after_seq
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.seq > after_seq)
            .order_by(AuditEvent.seq)
            .execution_options(yield_per=self.batch_size)
        )
        for row in rows:
            if row.seq != expected_seq:
                return self._broken_walk(
                    checked, expected_seq, f"events {expected_seq}..{row.seq - 1} are missing"
                )
            if row.prev_hash != prev_hash:
                return self._broken_walk(
                    checked, row.seq, "prev_hash does not link to the event before"
                )
            try:
                recomputed = stored_hash(row)
            except (ValueError, TypeError, AttributeError):
                recomputed = ""
            if recomputed != row.hash:
                return self._broken_walk(
                    checked, row.seq, "hash does not match the event's contents"
                )
            checked += 1
            prev_hash = row.hash
            expected_seq += 1
            session.expunge(row)  # keep memory flat on long chains
        head = session.get(AuditHead, HEAD_ID)
        if head is not None and head.last_seq > checked:
            return self._broken_walk(
                checked, checked + 1, f"events {checked + 1}..{head.last_seq} are missing"
            )
        if head is not None and head.last_seq < checked:
            return self._broken_walk(
                checked, head.last_seq + 1, f"events after {head.last_seq} were not appended"
            )
        if head is not None and head.last_hash != prev_hash:
            return self._broken_walk(
                checked, checked, "the last event does not match the chain's recorded head"
            )
        return AuditVerification(True, checked, None, "ok"), prev_hash

    @staticmethod
    def _broken_walk(checked: int, seq: int, reason: str) -> tuple[AuditVerification, str]:
        return AuditVerification(False, checked, seq, reason), ""
