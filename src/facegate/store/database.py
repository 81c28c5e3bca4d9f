"""The database: an SQLAlchemy engine, transactions, and migrations to head.

SQLite is the default; PostgreSQL (``postgresql+psycopg://``) is the other tested backend.
Both give the same guarantee to the code above: **write transactions run one at a time** (on
PostgreSQL a *scoped* one, below, only among those of its scope), and a read-only transaction
sees one consistent snapshot.

On SQLite every connection runs in WAL mode with a 30 s busy timeout and foreign keys on, and
write transactions begin with ``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe:
the driver's own transaction handling is switched off and the ``begin`` event emits the BEGIN),
so concurrent writers from several processes queue on the lock instead of failing with
"database is locked". Before it begins, a write transaction on a database file takes its place
in the file's writer queue (``facegate.store.writer_lock``: a ``flock`` handed over within a
millisecond) and leaves it after COMMIT or ROLLBACK, so writers wait their turn there rather than
in SQLite's sleeping busy handler.

On PostgreSQL a write transaction's first statement takes a transaction-scoped advisory lock
(``pg_advisory_xact_lock``), the equivalent of ``BEGIN IMMEDIATE``: writers from every process
queue on it, and as each statement of a READ COMMITTED transaction reads the latest committed
data, a writer that holds the lock reads what the writers before it committed. The stores'
read-modify-write steps (gallery versions, the audit chain's head, individual counts, key
bindings) are therefore as safe as on SQLite; the few hot rows also lock themselves with
``SELECT ... FOR UPDATE``. Read-only transactions run concurrently at REPEATABLE READ, READ
ONLY: one snapshot, like a deferred SQLite read, and a write inside one is an error instead of
a silent rollback. An enrolment's write is *scoped* to its controller: it takes the global lock
shared and the controller's own lock exclusive, so enrolments for different controllers write at
once, while every other writer still excludes them all.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from facegate.store.writer_lock import WriterQueue

DB_FILE = "facegate.db"
HOOKS = "facegate_before_commit"  # facegate.store.journal.before_commit
MIGRATIONS = "facegate.store:migrations"
BUSY_TIMEOUT_MS = 30_000
_READONLY = "facegate_readonly"
_UNSERIALISED = "facegate_unserialised"
_SCOPED = "facegate_scoped"
# pg_advisory_xact_lock's key for "a facegate write transaction" (any bigint; this one is
# the ASCII of "facegate" read as a big-endian integer, so it will not collide by accident).
WRITER_LOCK_KEY = int.from_bytes(b"facegate", "big") - (1 << 63)


def scope_lock_key(scope: str) -> int:
    """The advisory lock key of a write scope (``Database.transaction(scope=...)``): the first
    8 bytes of the scope's SHA-256, as a signed bigint."""
    return int.from_bytes(
        hashlib.sha256(b"facegate-scope|" + scope.encode()).digest()[:8], "big", signed=True
    )


@dataclass
class WriteTimes:
    """CPU and wall seconds this process spent inside write transactions (after the SQLite
    writer queue let it in; on PostgreSQL, the advisory lock is taken at the first statement):
    the serialised part of the work, for benchmarks."""

    cpu: float = 0.0
    wall: float = 0.0
    count: int = 0

    def since(self, cpu: float, wall: float) -> None:
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall
        self.count += 1


class Database:
    def __init__(
        self,
        url: str | URL,
        *,
        echo: bool = False,
        synchronous: bool = True,
        serialised: bool = True,
    ) -> None:
        """``synchronous=False`` (SQLite): commits are not fsynced one by one (WAL with
        ``synchronous=NORMAL``: safe against a crash of the process, the last commits may be
        lost with the power); for state that may be lost, like rate-limit buckets.

        ``serialised=False`` (PostgreSQL): write transactions do not queue behind every other
        writer; only for tables whose writers lock the rows they change themselves (the
        rate-limit buckets)."""
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.is_postgresql = self.url.get_backend_name() == "postgresql"
        reader_options: dict[str, Any] = {_READONLY: True}
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                self.url, echo=echo, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
            )
            _configure_sqlite(self.engine, synchronous=synchronous)
        else:
            self.engine = create_engine(self.url, echo=echo, pool_pre_ping=True)
            if self.is_postgresql:
                _configure_postgresql(self.engine)
                reader_options["isolation_level"] = "REPEATABLE READ"
                reader_options["postgresql_readonly"] = True
        writer_engine = self.engine
        if not serialised:
            writer_engine = self.engine.execution_options(**{_UNSERIALISED: True})
        self._writer = sessionmaker(bind=writer_engine, expire_on_commit=False)
        self._scoped = sessionmaker(
            bind=self.engine.execution_options(**{_SCOPED: True}), expire_on_commit=False
        )
        self._reader = sessionmaker(
            bind=self.engine.execution_options(**reader_options), expire_on_commit=False
        )
        self.writers: WriterQueue | None = None
        self.write_times = WriteTimes()
        database = self.url.database if self.is_sqlite else None
        if database and database != ":memory:" and not database.startswith("file:"):
            self.writers = WriterQueue(Path(database), timeout=BUSY_TIMEOUT_MS / 1000)

    @classmethod
    def for_data_dir(cls, path: Path | str, *, echo: bool = False) -> Database:
        """SQLite in ``<path>/facegate.db`` (the directory is created if missing)."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(URL.create("sqlite", database=str(directory / DB_FILE)), echo=echo)

    @contextmanager
    def transaction(self, *, readonly: bool = False, scope: str | None = None) -> Iterator[Session]:
        """One unit of work: commits when the block ends normally, rolls back on an exception.

        ``readonly=True`` takes no write lock on SQLite (a deferred BEGIN) and never commits;
        use it only for reads. Loaded objects stay readable after the block (no expiry on
        commit).

        ``scope`` (a write on PostgreSQL; SQLite has one writer per file and ignores it): the
        transaction queues only behind the writers of the same scope and behind every unscoped
        writer, not behind writers of other scopes (the global advisory lock taken shared, the
        scope's own exclusive). For a writer whose rows belong to the scope (an enrolment: its
        controller's gallery, data keys and filing count); rows shared with other scopes must
        lock themselves (the audit chain's head: ``SELECT ... FOR UPDATE``)."""
        scoped = scope is not None and not readonly and self.is_postgresql
        factory = self._reader if readonly else self._scoped if scoped else self._writer
        with ExitStack() as queued:
            if not readonly and self.writers is not None:
                queued.enter_context(self.writers.hold())
            if not readonly:
                queued.callback(self.write_times.since, time.process_time(), time.perf_counter())
            with factory() as session:
                if scoped:
                    session.connection().exec_driver_sql(
                        f"SELECT pg_advisory_xact_lock_shared({WRITER_LOCK_KEY}), "
                        f"pg_advisory_xact_lock({scope_lock_key(str(scope))})"
                    )
                try:
                    yield session
                    if not readonly:
                        _run_before_commit(session)
                        session.commit()
                    # A read-only session is closed without commit: its connection is rolled
                    # back on return to the pool, and the objects it loaded stay readable.
                except BaseException:
                    session.info.clear()
                    session.rollback()
                    raise

    def before_flush(self, hook: Any) -> None:
        """Call ``hook(session, flush_context, instances)`` before every flush of a write
        transaction, scoped or not (the sync outbox writes its events this way, in the same
        transaction)."""
        for writer in (self._writer, self._scoped):
            event.listen(writer, "before_flush", hook)

    def alembic_config(self, connection: Connection | None = None) -> Config:
        """Alembic configured in code: scripts inside the package, no alembic.ini."""
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.set_main_option("path_separator", "os")
        config.attributes["connection"] = connection
        return config

    def revisions(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the revisions the database is at, the head revisions of the migrations)."""
        config = self.alembic_config()
        heads = tuple(sorted(ScriptDirectory.from_config(config).get_heads()))
        with self.engine.connect() as connection:
            current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
            connection.rollback()
        return current, heads

    def upgrade(self, revision: str = "heads") -> None:
        """Run the migrations up to ``revision`` (every branch head by default), in one
        transaction."""
        with ExitStack() as queued:
            if self.writers is not None:
                queued.enter_context(self.writers.hold())
            with self.engine.begin() as connection:
                command.upgrade(self.alembic_config(connection), revision)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _run_before_commit(session: Session) -> None:
    """Flush, then run the hooks registered with ``facegate.store.journal.before_commit``
    (each may add more work; they run until none is left), then flush what they changed."""
    session.flush()
    while hooks := session.info.pop(HOOKS, None):
        for hook in hooks:
            hook(session)
        session.flush()


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if options.get(_READONLY) or options.get(_UNSERIALISED) or options.get(_SCOPED):
            return  # a scoped writer takes its locks itself (Database.transaction)
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def _configure_sqlite(engine: Engine, *, synchronous: bool = True) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Stop pysqlite from issuing BEGIN (and COMMIT before DDL) itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            # Overwrite deleted content (e.g. shredded ciphertext) instead of leaving it in
            # free pages; crypto-shredding does not rely on it, it is defence in depth.
            cursor.execute("PRAGMA secure_delete = ON")
            # 32 MiB of page cache (SQLite's default is 2 MiB), taken only as it is used: a
            # set-based sweep or bulk load touches many index pages, and re-reading them from
            # the OS tripled the sweep's system time (bench/scale_write.py).
            cursor.execute("PRAGMA cache_size = -32768")
            if not synchronous:
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        readonly = bool(connection.get_execution_options().get(_READONLY))
        connection.exec_driver_sql("BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE")
