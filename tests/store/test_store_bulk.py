"""The store's set-based writers: many templates sealed and purged in a few statements, each
under its own subject's key, journalled; holdings reported in bulk on an edge; the audit chain
extended by many events at once (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from store_rows import add_deployment, add_subject

from facegate.store import AuditLog, Database, Vault
from facegate.store import models as m
from facegate.store.audit import AuditEntry
from facegate.store.journal import DeletionJournal
from facegate.store.outbox import DELETE, UP_STREAM, UPSERT, append, holdings_changed
from facegate.store.sets import among
from facegate.store.sync_models import SyncEvent

# Set-based SQL (one array parameter on PostgreSQL): on both databases.
pytestmark = pytest.mark.both_databases

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def test_sealed_in_bulk_each_template_opens_under_its_own_subjects_key(
    db: Database, vault: Vault
) -> None:
    rng = np.random.default_rng(0)
    with db.transaction() as session:
        deployment = add_deployment(session)
        people = [add_subject(session).id for _ in range(3)]
        vault.data_key(session, people[0], deployment.id)  # one key exists already
        rows = [(people[i % 3], m.new_id(), rng.normal(size=8)) for i in range(6)]
        refs, _ = vault.seal_templates(
            session, deployment.id, rows, engine="e", model_version="v",
            expires_at=LATER, created_at=LATER - timedelta(days=1),
        )  # fmt: skip
        assert [r.id for r in refs] == [t for _, t, _ in rows]
    with db.transaction(readonly=True) as session:
        keys = session.scalars(select(m.DataKey)).all()
        assert sorted(k.subject_id for k in keys) == sorted(people)  # one key per subject
        for subject_id, template_id, vector in rows:
            template = session.get(m.Template, template_id)
            assert template is not None and template.subject_id == subject_id
            key = session.get(m.DataKey, template.data_key_id)
            assert key is not None and key.subject_id == subject_id
            assert np.allclose(vault.open_template(session, template), vector.astype(np.float32))


def test_purge_deletes_named_templates_and_all_sealed_by_the_keys_and_journals_them(
    db: Database, master_key: bytes, tmp_path: Path
) -> None:
    journal = DeletionJournal(tmp_path / "deletions.journal")
    journal.ensure()
    vault = Vault(master_key, journal=journal)
    with db.transaction() as session:
        deployment = add_deployment(session)
        kept, shredded = add_subject(session).id, add_subject(session).id
        rows = [(kept, m.new_id(), np.ones(4)), (shredded, m.new_id(), np.ones(4))]
        rows.append((shredded, m.new_id(), np.zeros(4) + 2))
        refs, _ = vault.seal_templates(
            session, deployment.id, rows, engine="e", model_version="v",
            expires_at=LATER, created_at=LATER,
        )  # fmt: skip
        key = vault.live_data_key(session, shredded, deployment.id)
        assert key is not None
        key_id = key.id
    with db.transaction() as session:
        # name one template of each; destroy the second subject's key: its other template goes
        gone = vault.purge(session, [refs[0], refs[1]], [key_id])
    assert sorted(r.id for r in gone) == sorted(r.id for r in refs)
    with db.transaction(readonly=True) as session:
        assert session.scalars(select(m.Template)).all() == []
        destroyed = session.get(m.DataKey, key_id)
        assert destroyed is not None and destroyed.wrapped_key is None
        assert destroyed.destroyed_at is not None
        survivor = vault.live_data_key(session, kept, deployment.id)
        assert survivor is not None and survivor.wrapped_key is not None
    entry = journal.read().entries[-1]
    assert entry["kind"] == "keys_destroyed" and entry["keys"] == [key_id]
    assert sorted(entry["templates"]) == sorted(r.id for r in refs)


def test_among_binds_thousands_of_ids_as_one_parameter(db: Database) -> None:
    with db.transaction() as session:
        wanted = [add_subject(session).id for _ in range(3)]
        add_subject(session)
        noise = [m.new_id() for _ in range(20_000)]
        found = session.scalars(
            select(m.Subject.id).where(among(session, m.Subject.id, [*noise, *wanted]))
        ).all()
        assert sorted(found) == sorted(wanted)
        assert (
            session.scalars(select(m.Subject.id).where(among(session, m.Subject.id, []))).all()
            == []
        )


def test_holdings_reported_in_bulk_continue_the_edges_up_stream(db: Database, vault: Vault) -> None:
    with db.transaction() as session:
        deployment = add_deployment(session)
        subject = add_subject(session).id
        append(session, UP_STREAM, UPSERT, "subjects", subject, {"id": subject})
        refs, _ = vault.seal_templates(
            session, deployment.id, [(subject, m.new_id(), np.ones(4)) for _ in range(3)],
            engine="e", model_version="v", expires_at=LATER, created_at=LATER,
        )  # fmt: skip
        holdings_changed(session, "standalone", UPSERT, refs)  # nothing but on an edge
        holdings_changed(session, "edge", UPSERT, refs)
        holdings_changed(session, "edge", DELETE, refs[:1])
    with db.transaction(readonly=True) as session:
        events = session.scalars(select(SyncEvent).order_by(SyncEvent.seq)).all()
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert [(e.kind, e.entity) for e in events[1:]] == [(UPSERT, "holding")] * 3 + [
            (DELETE, "holding")
        ]
        assert events[4].payload["template_id"] == refs[0].id
        assert "vector" not in events[4].payload and "ciphertext" not in events[4].payload


def test_many_audit_events_extend_one_intact_chain(db: Database) -> None:
    log = AuditLog()
    with db.transaction() as session:
        log.append(session, actor="a", action="first", objects={}, decision="info")
        last = log.append_many(
            session,
            [AuditEntry("a", "enrol", {"template": str(i)}) for i in range(50)]
            + [AuditEntry("a", "enrol", {"reason": "consent.separate"}, "refused", ("M6",))],
            at=LATER,
        )
        assert last == 52
    with db.transaction(readonly=True) as session:
        result = log.verify(session)
        assert result.ok and result.checked == 52
