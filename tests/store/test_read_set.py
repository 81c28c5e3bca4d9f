"""The read set: a decision's reads replayed in a later transaction tell whether anything it
read has changed (enrolment's re-validation inside the write transaction, issue 13)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from store_rows import add_deployment, add_subject

from facegate.store import Database, gallery_log
from facegate.store import models as m
from facegate.store.read_set import recording

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def _decide(db: Database, deployment_id: str):  # type: ignore[no-untyped-def]
    """A 'decision' reading the deployment (ORM) and counting its subjects (Core)."""
    with db.transaction(readonly=True) as session, recording(session) as reads:
        row = session.get(m.Deployment, deployment_id)
        assert row is not None
        session.execute(select(func.count()).select_from(m.Subject)).scalar()
    return reads


def _unchanged(db: Database, reads) -> bool:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return reads.unchanged(session)


def test_nothing_changed_is_unchanged(db: Database) -> None:
    with db.transaction() as session:
        deployment_id = add_deployment(session).id
    reads = _decide(db, deployment_id)
    assert len(reads) == 2
    assert _unchanged(db, reads)


def test_gallery_version_alone_is_not_a_change(db: Database) -> None:
    """Every enrolment bumps the gallery's version, count and digest; no legal decision reads
    them."""
    with db.transaction() as session:
        deployment_id = add_deployment(session).id
    reads = _decide(db, deployment_id)
    with db.transaction() as session:
        gallery_log.bump_version(session, deployment_id, count=1, digest=12345)
    assert _unchanged(db, reads)


def test_a_changed_column_is_a_change(db: Database) -> None:
    with db.transaction() as session:
        deployment_id = add_deployment(session).id
    reads = _decide(db, deployment_id)
    with db.transaction() as session:
        session.execute(
            update(m.Deployment).where(m.Deployment.id == deployment_id).values(status="suspended")
        )
    assert not _unchanged(db, reads)


def test_a_new_row_is_a_change(db: Database) -> None:
    with db.transaction() as session:
        deployment_id = add_deployment(session).id
    reads = _decide(db, deployment_id)
    with db.transaction() as session:
        add_subject(session)
    assert not _unchanged(db, reads)
