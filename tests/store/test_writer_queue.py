"""The SQLite writers' queue: one write transaction at a time per database file, across
threads, ``Database`` objects and processes; a wait that cannot end (a write transaction opened
inside another in the same thread) gives up after the timeout instead of deadlocking."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
import time
from pathlib import Path

from facegate.store import Database
from facegate.store.writer_lock import SUFFIX, WriterQueue


def _hold_in_another_process(
    lock_file: str, started: object, releasing: object, seconds: float
) -> None:
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    started.set()  # type: ignore[attr-defined]
    time.sleep(seconds)
    releasing.set()  # type: ignore[attr-defined]
    os.close(fd)


def test_a_writer_waits_for_another_process_then_takes_its_turn(tmp_path: Path) -> None:
    database = tmp_path / "facegate.db"
    context = multiprocessing.get_context("spawn")
    started, releasing = context.Event(), context.Event()
    holder = context.Process(
        target=_hold_in_another_process, args=(str(database) + SUFFIX, started, releasing, 0.5)
    )
    holder.start()
    assert started.wait(30)
    with WriterQueue(database, timeout=30).hold() as held:
        assert held
        assert releasing.is_set(), "the turn came only after the other process let go"
    holder.join()


def test_writers_of_one_file_take_turns_across_threads_and_databases(tmp_path: Path) -> None:
    db_file = tmp_path / "facegate.db"
    first, second = Database(f"sqlite:///{db_file}"), Database(f"sqlite:///{db_file}")
    inside = 0
    most = 0
    lock = threading.Lock()

    def write(db: Database) -> None:
        nonlocal inside, most
        for _ in range(20):
            with db.transaction():
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.001)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=write, args=(db,)) for db in (first, second) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    first.dispose()
    second.dispose()


def test_a_write_opened_inside_another_gives_up_instead_of_deadlocking(tmp_path: Path) -> None:
    database = tmp_path / "facegate.db"
    outer, inner = WriterQueue(database, timeout=0.2), WriterQueue(database, timeout=0.2)
    with outer.hold() as held:
        assert held
        with inner.hold() as nested:
            assert not nested  # SQLite's own busy handling decides, as before the queue
    with inner.hold() as held:
        assert held
    assert not list(tmp_path.glob("*.lock")) or all(
        p.name.endswith(SUFFIX) for p in tmp_path.glob("*.lock")
    )
