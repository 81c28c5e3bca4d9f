"""Migrations, schema agreement with the models, and the connection settings of each backend
(SQLite; PostgreSQL on the tests' throwaway cluster)."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from facegate.store import Database
from facegate.store import models as m
from facegate.store.database import WRITER_LOCK_KEY
from facegate.store.models import GENESIS_HASH, Base

both_databases = pytest.mark.both_databases


@both_databases
def test_upgrade_creates_every_table_and_the_audit_head(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    db.upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    with db.transaction(readonly=True) as session:
        head = session.get(m.AuditHead, 1)
        assert head is not None
        assert (head.last_seq, head.last_hash) == (0, GENESIS_HASH)
    db.upgrade()  # idempotent
    db.dispose()


@both_databases
def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@both_databases
def test_downgrade_to_base_and_back(db: Database) -> None:
    with db.engine.begin() as connection:
        command.downgrade(db.alembic_config(connection), "base")
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
    db.upgrade()
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())


@pytest.mark.sqlite_only(reason="SQLite's PRAGMAs; PostgreSQL has no such settings")
def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@both_databases
def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)FOREIGN KEY"), db.transaction() as session:
        session.add(
            m.Template(
                subject_id="nobody",
                deployment_id="nowhere",
                data_key_id="none",
                engine="e",
                model_version="v",
                nonce=b"",
                ciphertext=b"",
                expires_at=m.Subject().created_at,
            )
        )


@both_databases
def test_transaction_commits_on_success_and_rolls_back_on_error(db: Database) -> None:
    with db.transaction() as session:
        session.add(m.Subject(id="kept"))
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(m.Subject(id="dropped"))
        session.flush()
        raise RuntimeError("boom")
    with db.transaction(readonly=True) as session:
        assert session.scalars(select(m.Subject.id)).all() == ["kept"]


@pytest.mark.sqlite_only(
    reason="SQLite rolls a read-only write back silently; PostgreSQL refuses it (below)"
)
def test_readonly_transaction_writes_nothing(db: Database) -> None:
    with db.transaction(readonly=True) as session:
        session.add(m.Subject(id="ghost"))
        session.flush()
    with db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(m.Subject)) == 0


@pytest.mark.sqlite_only(reason="BEGIN IMMEDIATE; PostgreSQL's advisory lock is tested below")
def test_write_transactions_take_the_write_lock_at_begin(db: Database) -> None:
    """BEGIN IMMEDIATE: while one transaction is open, even before it writes, no other
    writer can begin; a read-only transaction does not take the lock."""
    assert db.url.database is not None
    with db.transaction(readonly=True) as reader:
        reader.execute(text("SELECT 1"))
        other = sqlite3.connect(db.url.database, timeout=0.05, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        with db.transaction() as writer:
            writer.execute(text("SELECT 1"))  # no write yet, but the lock is already held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.close()


@both_databases
def test_times_come_back_aware_utc(db: Database) -> None:
    """Whatever the server's or the session's time zone (PostgreSQL: timestamptz)."""
    if db.is_postgresql:
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "ALTER DATABASE " + str(db.url.database) + " SET TimeZone TO 'Asia/Shanghai'"
            )
        db.dispose()
    with db.transaction() as session:
        session.add(m.Subject(id="s"))
    with db.transaction(readonly=True) as session:
        subject = session.get(m.Subject, "s")
        assert subject is not None
        assert subject.created_at.utcoffset() is not None
        assert subject.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.fixture
def pg(database_backend: str, db: Database) -> Database:
    assert db.is_postgresql
    return db


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
def test_postgresql_write_transactions_take_the_writer_lock_at_begin(pg: Database) -> None:
    """The equivalent of BEGIN IMMEDIATE: while one write transaction is open, even before it
    writes, no other writer can begin; a read-only transaction does not take the lock."""
    probe = f"SELECT pg_try_advisory_xact_lock({WRITER_LOCK_KEY})"
    outside = create_engine(pg.url)  # a plain connection, not one of the store's
    with outside.connect() as other:
        with pg.transaction(readonly=True) as reader:
            reader.execute(text("SELECT 1"))
            assert other.exec_driver_sql(probe).scalar() is True
            other.rollback()
            with pg.transaction() as writer:
                writer.execute(text("SELECT 1"))  # no write yet, but the lock is already held
                assert other.exec_driver_sql(probe).scalar() is False
                other.rollback()
        assert other.exec_driver_sql(probe).scalar() is True  # released at commit
        other.rollback()
    outside.dispose()


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
def test_postgresql_reads_see_one_snapshot_and_refuse_writes(pg: Database) -> None:
    with pg.transaction() as session:
        session.add(m.Subject(id="first"))
    with pg.transaction(readonly=True) as reader:
        assert reader.scalar(text("SHOW transaction_isolation")) == "repeatable read"
        assert reader.scalars(select(m.Subject.id)).all() == ["first"]
        with pg.transaction() as writer:  # commits while the read is open
            writer.add(m.Subject(id="second"))
        assert reader.scalars(select(m.Subject.id)).all() == ["first"]
    with pytest.raises(Exception, match="read-only"), pg.transaction(readonly=True) as session:
        session.add(m.Subject(id="ghost"))
        session.flush()
    with pg.transaction(readonly=True) as session:
        assert sorted(session.scalars(select(m.Subject.id))) == ["first", "second"]


@both_databases
def test_naive_datetimes_are_refused(db: Database) -> None:
    from datetime import datetime

    with pytest.raises(Exception, match="naive"), db.transaction() as session:
        session.add(m.Subject(id="s", created_at=datetime(2025, 1, 1)))
        session.flush()


def test_migrations_have_a_single_head() -> None:
    from alembic.script import ScriptDirectory

    from facegate.store.database import Database

    script = ScriptDirectory.from_config(Database("sqlite://").alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1, heads
    # Every revision leads down to the first: the history is one line from the head.
    assert {r.revision for r in script.walk_revisions()} >= {"0001", "0003_merge", heads[0]}


@both_databases
def test_before_flush_hooks_see_scoped_write_transactions_too(db: Database) -> None:
    # The sync outbox is a before_flush hook: an edge's enrolment, a write scoped to its
    # controller (its own session factory on PostgreSQL), must be reported like any other.
    flushed: list[str] = []

    def hook(session: Session, _flush: object, _instances: object) -> None:
        flushed.extend(row.id for row in session.new if isinstance(row, m.Subject))

    db.before_flush(hook)
    with db.transaction() as session:
        session.add(m.Subject(id="unscoped"))
    with db.transaction(scope="controller-1") as session:
        session.add(m.Subject(id="scoped"))
    assert flushed == ["unscoped", "scoped"]
