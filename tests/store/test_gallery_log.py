"""The gallery change log: versions bump once per change, deltas replay exactly, and any gap,
reset or backwards version tells the reader to reload instead of guessing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from facegate.store import Database, Vault, gallery_log
from facegate.store import models as m

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases

EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)


def deployment(db: Database) -> str:
    with db.transaction() as session:
        controller = m.Controller(name="Block 3 management", contact="desk@example.cn")
        session.add(controller)
        session.flush()
        row = m.Deployment(
            controller_id=controller.id,
            name="North gate",
            purpose_type="access_control",
            purpose="p",
            necessity="n",
            method="identify",
            location_type="residential",
            sector="property",
            retention_days=30,
            transfer_mode="local",
            lawful_basis="consent",
        )
        session.add(row)
        session.flush()
        return row.id


def subject(db: Database) -> str:
    with db.transaction() as session:
        row = m.Subject()
        session.add(row)
        session.flush()
        return row.id


def seal(db: Database, vault: Vault, deployment_id: str, subject_id: str) -> str:
    with db.transaction() as session:
        template = vault.seal_template(
            session,
            subject_id,
            deployment_id,
            m.new_id(),
            np.ones(4, np.float32),
            engine="e",
            model_version="1",
            expires_at=EXPIRES,
        )
        return template.id


def version(db: Database, deployment_id: str) -> int:
    with db.transaction() as session:
        return gallery_log.current_version(session, deployment_id)


def delta(db: Database, deployment_id: str, since: int) -> gallery_log.Delta | None:
    with db.transaction() as session:
        upto = gallery_log.current_version(session, deployment_id)
        return gallery_log.changes_since(session, deployment_id, since, upto)


def test_sealing_a_template_logs_it_under_a_new_version(db: Database, vault: Vault) -> None:
    dep, person = deployment(db), subject(db)
    assert version(db, dep) == 0
    first = seal(db, vault, dep, person)
    second = seal(db, vault, dep, person)
    assert version(db, dep) == 2
    found = delta(db, dep, 0)
    assert found is not None
    assert found.added == [first, second] and found.removed == set()
    one = delta(db, dep, 1)
    assert one is not None and one.added == [second]
    same = delta(db, dep, 2)
    assert same is not None and not same


def test_destroying_keys_logs_removals_and_cancels_earlier_additions(
    db: Database, vault: Vault
) -> None:
    dep, alice, bob = deployment(db), subject(db), subject(db)
    kept = seal(db, vault, dep, alice)
    gone = seal(db, vault, dep, bob)
    with db.transaction() as session:
        assert vault.shred(session, bob, dep) == 1
    assert version(db, dep) == 3
    found = delta(db, dep, 0)
    assert found is not None
    assert found.added == [kept], "added then removed within the range: not added at all"
    assert found.removed == {gone}
    late = delta(db, dep, 2)
    assert late is not None and late.added == [] and late.removed == {gone}
    with db.transaction() as session:
        [entry] = session.scalars(
            select(gallery_log.GalleryChange).where(gallery_log.GalleryChange.op == "remove")
        )
        assert (entry.template_id, entry.subject_id, entry.version) == (gone, bob, 3)


def test_one_call_logs_many_templates_under_one_version(db: Database) -> None:
    """What a set-based writer (bulk enrolment, sweep) does: one bump for the whole set."""
    dep = deployment(db)
    with db.transaction() as session:
        before, after = gallery_log.log_added(session, dep, [("t1", "s1"), ("t2", "s2")])
        assert (before, after) == (0, 1)
        assert gallery_log.log_removed(session, dep, []) == (1, 1), "nothing: no bump"
        assert gallery_log.log_removed(session, dep, [("t1", "s1")]) == (1, 2)
    found = delta(db, dep, 0)
    assert found is not None and found.added == ["t2"] and found.removed == {"t1"}


def test_the_deployment_object_in_the_session_sees_the_new_version(db: Database) -> None:
    dep = deployment(db)
    with db.transaction() as session:
        row = session.get(m.Deployment, dep)
        assert row is not None and row.gallery_version == 0
        gallery_log.log_added(session, dep, [("t1", "s1")])
        assert row.gallery_version == 1
        row.name = "renamed"  # a later flush of the row must not write the old version back
    assert version(db, dep) == 1


def test_a_gap_a_reset_or_a_version_that_went_back_means_reload(db: Database) -> None:
    dep = deployment(db)
    with db.transaction() as session:
        for n in range(3):
            gallery_log.log_added(session, dep, [(f"t{n}", "s")])
    with db.transaction() as session:
        assert gallery_log.prune(session, dep, keep_after=1) == 1
    assert delta(db, dep, 0) is None, "version 1 was pruned: the log cannot give the delta"
    found = delta(db, dep, 1)
    assert found is not None and found.added == ["t1", "t2"]
    with db.transaction() as session:
        assert gallery_log.changes_since(session, dep, 5, 3) is None
        row = session.get(m.Deployment, dep)
        assert row is not None
        row.gallery_version += 1  # a bump without a log entry (code from before the log)
    assert delta(db, dep, 3) is None
    with db.transaction() as session:
        gallery_log.log_reset(session, dep)
    assert delta(db, dep, 4) is None


def test_a_rolled_back_transaction_leaves_neither_version_nor_entry(db: Database) -> None:
    dep = deployment(db)
    try:
        with db.transaction() as session:
            gallery_log.log_added(session, dep, [("t1", "s1")])
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert version(db, dep) == 0
    with db.transaction() as session:
        assert session.scalars(select(gallery_log.GalleryChange)).all() == []


def test_bulk_open_decrypts_like_open_template(db: Database, vault: Vault) -> None:
    dep, person = deployment(db), subject(db)
    ids = [seal(db, vault, dep, person) for _ in range(3)]
    with db.transaction() as session:
        opened = {
            o.template_id: o
            for o in vault.open_templates(session, m.Template.deployment_id == dep, batch_size=2)
        }
        assert set(opened) == set(ids)
        for template_id in ids:
            row = session.get(m.Template, template_id)
            assert row is not None
            assert np.array_equal(opened[template_id].vector, vault.open_template(session, row))
            assert opened[template_id].expires_at == EXPIRES - timedelta(0)
            assert opened[template_id].subject_id == person
