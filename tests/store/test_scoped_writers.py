"""Scoped write transactions (``Database.transaction(scope=...)``, an enrolment's): on
PostgreSQL they exclude the writers of their own scope and every unscoped writer, not the
writers of other scopes; SQLite (one writer per file) runs them as any write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from store_rows import add_subject

from facegate.store import Database
from facegate.store import models as m
from facegate.store.database import WRITER_LOCK_KEY, scope_lock_key

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def test_a_scoped_write_commits(db: Database) -> None:
    with db.transaction(scope="controller-a") as session:
        add_subject(session)
    with db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(m.Subject)) == 1


def test_a_scoped_write_excludes_its_scope_and_unscoped_writers_only(
    db: Database, database_url: str
) -> None:
    if not db.is_postgresql:
        pytest.skip("PostgreSQL's advisory locks; SQLite has one writer per file")
    # A writer that takes no store lock, to probe the locks held (pg_try_*: never waits).
    probe = Database(database_url, serialised=False)
    try:
        with db.transaction(scope="controller-a") as session:
            session.execute(select(1))
            with probe.transaction() as other:

                def taken(call: str, key: int) -> bool:
                    return not other.connection().exec_driver_sql(f"SELECT {call}({key})").scalar()

                assert taken("pg_try_advisory_xact_lock", scope_lock_key("controller-a"))
                assert not taken("pg_try_advisory_xact_lock", scope_lock_key("controller-b"))
                assert not taken("pg_try_advisory_xact_lock_shared", WRITER_LOCK_KEY)
                assert taken("pg_try_advisory_xact_lock", WRITER_LOCK_KEY)
                other.rollback()
    finally:
        probe.dispose()


def test_scope_lock_keys_differ() -> None:
    keys = {scope_lock_key(f"controller-{i}") for i in range(1000)}
    assert len(keys) == 1000 and WRITER_LOCK_KEY not in keys
