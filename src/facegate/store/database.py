"""The database: an SQLAlchemy engine, transactions, and migrations to head.

Any SQLAlchemy URL works; SQLite is the default. On SQLite every connection runs in WAL mode
with a 30 s busy timeout and foreign keys on, and write transactions begin with
``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe: the driver's own transaction
handling is switched off and the ``begin`` event emits the BEGIN), so concurrent writers from
several processes queue on the lock instead of failing with "database is locked".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

DB_FILE = "facegate.db"
HOOKS = "facegate_before_commit"  # facegate.store.journal.before_commit
MIGRATIONS = "facegate.store:migrations"
BUSY_TIMEOUT_MS = 30_000
_READONLY = "facegate_readonly"


class Database:
    def __init__(self, url: str | URL, *, echo: bool = False, synchronous: bool = True) -> None:
        """``synchronous=False`` (SQLite): commits are not fsynced one by one (WAL with
        ``synchronous=NORMAL``: safe against a crash of the process, the last commits may be
        lost with the power); for state that may be lost, like rate-limit buckets."""
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine: Engine = create_engine(
                self.url, echo=echo, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
            )
            _configure_sqlite(self.engine, synchronous=synchronous)
        else:
            self.engine = create_engine(self.url, echo=echo, pool_pre_ping=True)
        self._writer = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._reader = sessionmaker(
            bind=self.engine.execution_options(**{_READONLY: True}), expire_on_commit=False
        )

    @classmethod
    def for_data_dir(cls, path: Path | str, *, echo: bool = False) -> Database:
        """SQLite in ``<path>/facegate.db`` (the directory is created if missing)."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(URL.create("sqlite", database=str(directory / DB_FILE)), echo=echo)

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        """One unit of work: commits when the block ends normally, rolls back on an exception.

        ``readonly=True`` takes no write lock on SQLite (a deferred BEGIN) and never commits;
        use it only for reads. Loaded objects stay readable after the block (no expiry on
        commit)."""
        factory = self._reader if readonly else self._writer
        with factory() as session:
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
        transaction (the sync outbox writes its events this way, in the same transaction)."""
        event.listen(self._writer, "before_flush", hook)

    def alembic_config(self, connection: Connection | None = None) -> Config:
        """Alembic configured in code: scripts inside the package, no alembic.ini."""
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.set_main_option("path_separator", "os")
        config.attributes["connection"] = connection
        return config

    def upgrade(self, revision: str = "heads") -> None:
        """Run the migrations up to ``revision`` (every branch head by default), in one
        transaction."""
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
