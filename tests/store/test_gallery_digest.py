"""The gallery's count and digest of template ids: order-independent, XOR-reversible, kept by the
change log in the statement that bumps the version, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select
from test_gallery_log import deployment, seal, subject

from facegate.store import Database, Vault, gallery_digest, gallery_log
from facegate.store import models as m

pytestmark = pytest.mark.both_databases


def test_the_digest_ignores_order_and_undoes_itself() -> None:
    ids = [m.new_id() for _ in range(1000)] + ["not-hex", "ABCDEF" * 5 + "ab", "x" * 32]
    shuffled = random.Random(3).sample(ids, len(ids))
    whole = gallery_digest.digest(ids)
    assert whole == gallery_digest.digest(shuffled)
    assert -(2**63) <= whole < 2**63
    part = gallery_digest.digest(ids[:400])
    assert gallery_digest.combine(part, gallery_digest.digest(ids[400:])) == whole
    assert gallery_digest.combine(whole, part) == gallery_digest.digest(ids[400:])
    assert gallery_digest.digest([]) == 0
    assert gallery_digest.digest(ids[1:]) != whole
    # one id hashed alone, or among 32-hex-digit ids: the same value
    assert gallery_digest.digest(["x" * 32]) == gallery_digest.digest(["x" * 32, *ids[:0]])
    assert gallery_digest.combine(*(gallery_digest.digest([i]) for i in ids)) == whole


def stored(db: Database, deployment_id: str) -> tuple[int, int, int, int]:
    """(count, digest) kept on the deployment, and those of its templates."""
    with db.transaction(readonly=True) as session:
        row = session.get(m.Deployment, deployment_id)
        assert row is not None
        ids = list(
            session.scalars(select(m.Template.id).where(m.Template.deployment_id == deployment_id))
        )
        return row.gallery_count, row.gallery_digest, len(ids), gallery_digest.digest(ids)


def test_the_log_keeps_count_and_digest_through_seals_shreds_and_set_writes(
    db: Database, vault: Vault
) -> None:
    dep, alice, bob = deployment(db), subject(db), subject(db)
    assert stored(db, dep) == (0, 0, 0, 0)
    seal(db, vault, dep, alice)
    seal(db, vault, dep, alice)
    seal(db, vault, dep, bob)
    count, value, real_count, real = stored(db, dep)
    assert (count, value) == (real_count, real) and count == 3
    with db.transaction() as session:
        assert vault.shred(session, alice, dep) == 2
    count, value, real_count, real = stored(db, dep)
    assert (count, value) == (real_count, real) and count == 1
    with db.transaction() as session:  # a set-based writer logs a set under one version
        gallery_log.log_added(session, dep, [("t1", "s1"), ("t2", "s2")])
        gallery_log.log_removed(session, dep, [("t1", "s1")])
        row = session.get(m.Deployment, dep)
        assert row is not None and row.gallery_count == 2
        assert row.gallery_digest == gallery_digest.combine(real, gallery_digest.digest(["t2"]))
