"""Several processes migrating one new database and appending to its audit log at once: no
lock errors, one chain; on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, select

from facegate.store import AuditLog, Database
from facegate.store import models as m

PROCESSES = 4
EVENTS = 50


def _append_events(url: str, worker: int, start: object) -> None:
    db = Database(url)
    start.wait()  # type: ignore[attr-defined]
    db.upgrade()  # every process migrates at start, as the service does
    log = AuditLog()
    for i in range(EVENTS):
        with db.transaction() as session:
            log.append(
                session,
                actor=f"worker-{worker}",
                action="test.append",
                objects={"i": str(i)},
                decision="info",
            )
    db.dispose()


@pytest.mark.both_databases
def test_four_processes_append_at_once(empty_database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [
        context.Process(target=_append_events, args=(empty_database_url, n, start))
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES

    db = Database(empty_database_url)
    with db.transaction(readonly=True) as session:
        total = session.scalar(select(func.count()).select_from(m.AuditEvent))
        actors = session.scalars(select(m.AuditEvent.actor).distinct()).all()
        result = AuditLog().verify(session)
    db.dispose()
    assert total == PROCESSES * EVENTS
    assert sorted(actors) == [f"worker-{n}" for n in range(PROCESSES)]
    assert (result.ok, result.checked) == (True, PROCESSES * EVENTS)
