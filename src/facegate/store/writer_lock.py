"""The queue of SQLite writers: one write transaction at a time per database file, handed over
at once instead of through SQLite's sleeping busy handler.

SQLite has one write lock per database file. A writer that finds it taken (``BEGIN IMMEDIATE``)
waits in SQLite's default busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms between
attempts: while it sleeps, the writer that just committed starts its next transaction and takes
the lock again, so two busy writer processes ran at 0.30x the throughput of one (issue 13,
``bench/scale_store.py``). Here every write transaction first takes an exclusive ``flock`` on
``<database file>-writer.lock`` (and, inside one process, a lock shared by every ``Database`` on
the same file), then begins; it releases both after its COMMIT or ROLLBACK. A waiter polls the
lock every 0.05-1 ms, so it takes over within a millisecond of the release. Reads never take it
(WAL readers do not block writers).

The wait is bounded by the busy timeout: after it, the transaction begins without the queue and
SQLite's own busy handling decides (the same "database is locked" error as before, never a
deadlock, e.g. for a write transaction opened inside another in the same thread). A database on
a network file system is not supported by SQLite's WAL mode anyway; the lock file is as local as
the database.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUFFIX = "-writer.lock"
_FIRST_PAUSE = 0.00005
_LONGEST_PAUSE = 0.001


class _FileQueue:
    """One database file's writer lock in this process: a thread lock, and the file's ``flock``
    taken on a descriptor opened for each turn (closed with it: nothing stays open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.threads = threading.Lock()
        self.waited = 0.0  # seconds this process waited for the lock (for benchmarks)
        self.held = 0.0  # seconds this process held it

    def open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


_queues: weakref.WeakValueDictionary[Path, _FileQueue] = weakref.WeakValueDictionary()
_queues_lock = threading.Lock()


def _queue(database_file: Path) -> _FileQueue:
    path = database_file.with_name(database_file.name + SUFFIX)
    with _queues_lock:
        queue = _queues.get(path)
        if queue is None:
            queue = _queues[path] = _FileQueue(path)
        return queue


class WriterQueue:
    """Serialises the write transactions on one SQLite database file across threads and
    processes (``hold()`` around each)."""

    def __init__(self, database_file: Path, *, timeout: float) -> None:
        self._queue = _queue(database_file.resolve())
        self.timeout = timeout

    @property
    def path(self) -> Path:
        return self._queue.path

    @contextmanager
    def hold(self) -> Iterator[bool]:
        """Hold the writer lock for the block; yields False when it could not be had within
        the timeout (the block then runs without it, under SQLite's busy handling)."""
        queue = self._queue
        asked = time.monotonic()
        deadline = asked + self.timeout
        if not queue.threads.acquire(timeout=self.timeout):
            yield False
            return
        try:
            fd = queue.open()
            try:
                held = _wait_for_file(fd, deadline)
                got = time.monotonic()
                queue.waited += got - asked
                try:
                    yield held
                finally:
                    queue.held += time.monotonic() - got
            finally:
                os.close(fd)  # releases the flock
        finally:
            queue.threads.release()

    def times(self) -> tuple[float, float]:
        """(seconds waited for the lock, seconds held) by this process so far."""
        return self._queue.waited, self._queue.held


def _wait_for_file(fd: int, deadline: float) -> bool:
    pause = _FIRST_PAUSE
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
        time.sleep(pause)
        pause = min(_LONGEST_PAUSE, pause * 2)
