"""The audit log's hash chain: append, verify, and tampering found at the right event."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from facegate.store import AuditLog, Database
from facegate.store import models as m
from facegate.store.audit import event_hash
from facegate.store.models import GENESIS_HASH

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases

START = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def _fill(db: Database, count: int = 50) -> AuditLog:
    log = AuditLog(batch_size=7)  # several batches
    with db.transaction() as session:
        for i in range(count):
            log.append(
                session,
                actor=f"operator-{i % 3}",
                action="identify",
                objects={"device": f"dev-{i}", "deployment": "dep-1", "note": "门禁"},
                decision=("allowed", "refused", "info")[i % 3],
                articles=["M6", "PIPL14"] if i % 2 else (),
                at=START + timedelta(seconds=i, microseconds=i),
            )
    return log


def _verify(db: Database, log: AuditLog) -> tuple[bool, int, int | None, str]:
    with db.transaction(readonly=True) as session:
        result = log.verify(session)
    return result.ok, result.checked, result.broken_seq, result.reason


def test_chain_of_fifty_verifies(db: Database) -> None:
    log = _fill(db)
    assert _verify(db, log) == (True, 50, None, "ok")
    with db.transaction(readonly=True) as session:
        first = session.get(m.AuditEvent, 1)
        last = session.get(m.AuditEvent, 50)
        head = session.get(m.AuditHead, 1)
        assert first is not None and last is not None and head is not None
        assert first.prev_hash == GENESIS_HASH
        assert (head.last_seq, head.last_hash) == (50, last.hash)
        assert first.object_ids()["note"] == "门禁"
        assert last.article_list() == ["M6", "PIPL14"]


def test_hash_is_sha256_of_the_canonical_fields(db: Database) -> None:
    log = AuditLog()
    with db.transaction() as session:
        event = log.append(
            session,
            actor="kiosk",
            action="consent.refused",
            objects={"b": "2", "a": "1"},
            decision="info",
            at=datetime(2025, 6, 1, 16, 0, tzinfo=timezone(timedelta(hours=8))),
        )
    assert event.seq == 1
    assert event.objects == '{"a":"1","b":"2"}'
    assert event.articles == "[]"
    assert event.at == datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    body = (
        '{"action":"consent.refused","actor":"kiosk","articles":[],'
        '"at":"2025-06-01T08:00:00+00:00","decision":"info","objects":{"a":"1","b":"2"},'
        f'"prev_hash":"{GENESIS_HASH}","seq":1}}'
    )
    import hashlib

    assert event.hash == hashlib.sha256(body.encode()).hexdigest()
    assert event.hash == event_hash(
        seq=1,
        at=event.at,
        actor="kiosk",
        action="consent.refused",
        objects={"a": "1", "b": "2"},
        decision="info",
        articles=[],
        prev_hash=GENESIS_HASH,
    )


def test_editing_one_byte_of_actor_is_found_at_that_seq(db: Database) -> None:
    log = _fill(db)
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_events SET actor = 'operator-9' WHERE seq = 23")
        )  # was operator-1
    ok, checked, broken, reason = _verify(db, log)
    assert (ok, checked, broken) == (False, 22, 23)
    assert "hash" in reason


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("objects", json.dumps({"device": "dev-30", "deployment": "dep-2"})),
        ("decision", "refused"),
        ("articles", '["M13"]'),
        ("at", "2025-06-01 09:00:00.000000"),
        ("prev_hash", "f" * 64),
    ],
)
def test_editing_any_field_is_found(db: Database, column: str, value: str) -> None:
    log = _fill(db)
    with db.engine.begin() as connection:
        connection.execute(
            text(f"UPDATE audit_events SET {column} = :value WHERE seq = 31"), {"value": value}
        )
    assert _verify(db, log)[:3] == (False, 30, 31)


def test_recomputed_hash_breaks_the_next_link(db: Database) -> None:
    """An attacker who rewrites a row and its hash still breaks the following prev_hash."""
    log = _fill(db)
    with db.transaction() as session:
        row = session.get(m.AuditEvent, 10)
        assert row is not None
        row.actor = "mallory"
        row.hash = event_hash(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            objects=row.object_ids(),
            decision=row.decision,
            articles=row.article_list(),
            prev_hash=row.prev_hash,
        )
    ok, checked, broken, reason = _verify(db, log)
    assert (ok, checked, broken) == (False, 10, 11)
    assert "prev_hash" in reason


def test_deleted_row_is_reported_as_a_gap(db: Database) -> None:
    log = _fill(db)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 17"))
    ok, checked, broken, reason = _verify(db, log)
    assert (ok, checked, broken) == (False, 16, 17)
    assert "missing" in reason


def test_deleted_first_and_last_rows_are_found(db: Database) -> None:
    log = _fill(db)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 50"))
    assert _verify(db, log)[:3] == (False, 49, 50)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 1"))
    assert _verify(db, log)[:3] == (False, 0, 1)


def test_empty_log_verifies(db: Database) -> None:
    assert _verify(db, AuditLog()) == (True, 0, None, "ok")


def test_append_continues_the_chain_across_transactions(db: Database) -> None:
    log = _fill(db, 5)
    with db.transaction() as session:
        event = log.append(session, actor="a", action="b", objects={}, decision="allowed")
        assert event.seq == 6
    assert _verify(db, log)[:2] == (True, 6)


def test_rolled_back_append_leaves_no_trace(db: Database) -> None:
    log = _fill(db, 3)
    with pytest.raises(RuntimeError), db.transaction() as session:
        log.append(session, actor="a", action="b", objects={}, decision="allowed")
        raise RuntimeError
    with db.transaction() as session:
        assert log.append(session, actor="a", action="b", objects={}, decision="info").seq == 4
    assert _verify(db, log)[:2] == (True, 4)


def test_bad_inputs_are_refused(db: Database) -> None:
    log = AuditLog()
    with db.transaction() as session:
        with pytest.raises(ValueError, match="decision"):
            log.append(session, actor="a", action="b", objects={}, decision="maybe")
        with pytest.raises(ValueError, match="aware"):
            log.append(
                session,
                actor="a",
                action="b",
                objects={},
                decision="info",
                at=datetime(2025, 1, 1),
            )


def test_the_chain_goes_past_two_billion_events(db: Database) -> None:
    """Sequence numbers are 64-bit on both databases (PostgreSQL's INTEGER would stop the
    chain, and with it every face operation, at 2,147,483,647 events)."""
    log = AuditLog()
    with db.transaction() as session:
        session.execute(text("UPDATE audit_head SET last_seq = :seq"), {"seq": 2**31 - 1})
        event = log.append(session, actor="a", action="test", objects={}, decision="info")
    assert event.seq == 2**31
    with db.transaction(readonly=True) as session:
        stored = session.get(m.AuditEvent, 2**31)
        assert stored is not None and stored.hash == event.hash
        assert session.get(m.AuditHead, 1).last_seq == 2**31  # type: ignore[union-attr]
