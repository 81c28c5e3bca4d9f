"""Keeps a serving process's large deployments snapshotted after deletions.

A deletion, withdrawal or sweep destroys the deployment's snapshot key in its own transaction
(crypto-shredding: the removed template is unreadable in every copy of the old file at once).
Until a new snapshot is written, a crash of the process would send the next start to the vault
(about 150 CPU s at 1M templates, most of it retraining the ANN index). The keeper is a daemon
thread, started once this process holds a deployment of at least ``GateContext.snapshot_from``
templates, that looks every few seconds for held deployments whose snapshot has no live key (or
no file) and writes a new one from the index, after the gallery has been quiet for
``GateContext.snapshot_delay`` seconds (or at the latest six delays after it noticed: a steady
stream of deletions still gets a snapshot a minute). It sees deletions made by any process on
the database, since it asks the database, not the code that deleted.

Several processes serving one data directory (SQLite's, or a host's on PostgreSQL) each run a
keeper, and all would write the same snapshot after each deletion. At most one does: a keeper
writes a deployment's snapshot only while it holds the exclusive ``flock`` of
``<snapshot dir>/<deployment>.keeper`` (taken without waiting: a keeper that finds it taken
leaves the write to its holder), and once it holds it, it asks again whether the snapshot is
still missing (another keeper may have just written it). The lock is on the directory that holds
the snapshot files, not in the database: hosts with their own snapshot directories each keep
their own files, and the operating system releases the lock of a process that dies, so no lease
can go stale.

Writing is ``refresh_snapshots_of``: the index first replays the change log up to the current
version, so the new snapshot never holds a removed template, and ``write_snapshot`` refuses
(``SnapshotStale``) when a removal committed after that version; the keeper then tries again at
its next look. The thread holds the context only weakly, and ``Gate.close`` stops it
(``refresh_snapshots``) before writing what is left.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import select

from facegate.service.context import GateContext
from facegate.store import index_snapshot
from facegate.store import models as m
from facegate.store.index_snapshot import snapshot_path
from facegate.store.snapshot_keys import SnapshotKey

log = logging.getLogger(__name__)

LONGEST = 6  # delays at most between noticing a missing snapshot and writing it
BACKOFF = 600.0  # seconds at most between two attempts that did not give a snapshot


@dataclass
class _Missing:
    noticed: float  # when the keeper first saw no usable snapshot
    version: int  # the gallery version it last saw
    since: float  # when it saw that version first


def missing_snapshots(ctx: GateContext) -> dict[str, int]:
    """The deployments this process holds, large enough for a snapshot, whose snapshot has no
    live key (a removal destroyed it) or no file: deployment id -> current gallery version."""
    if ctx.snapshot_dir is None:
        return {}
    held = [d for d in list(ctx.index_versions) if ctx.index.size(d) >= ctx.snapshot_from]
    if not held:
        return {}
    with ctx.unit(readonly=True) as session:
        live = set(
            session.scalars(
                select(SnapshotKey.deployment_id).where(
                    SnapshotKey.deployment_id.in_(held), SnapshotKey.wrapped_key.is_not(None)
                )
            )
        )
        versions = {
            row.id: row.gallery_version
            for row in session.execute(
                select(m.Deployment.id, m.Deployment.gallery_version).where(
                    m.Deployment.id.in_(held)
                )
            )
        }
    directory = ctx.snapshot_dir
    return {
        d: versions[d]
        for d in held
        if d in versions and (d not in live or not snapshot_path(directory, d).is_file())
    }


class SnapshotKeeper:
    """The daemon thread described above; ``tick`` is one look (what the tests call)."""

    def __init__(self, ctx: GateContext, delay: float) -> None:
        self.delay = delay
        self.poll = min(max(delay / 2, 0.05), 5.0)
        self.written = 0
        self._ctx = weakref.ref(ctx)
        self._missing: dict[str, _Missing] = {}
        self._attempts: dict[str, int] = {}  # writes tried since the snapshot went missing
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="facegate-snapshot-keeper", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            ctx = self._ctx()
            if ctx is None:
                return
            try:
                self.tick(ctx)
            except Exception as exc:  # a cache: log, and look again later
                log.warning("index snapshot keeper: %s", exc)
            del ctx

    def tick(self, ctx: GateContext, now: float | None = None) -> int:
        """Look once; write the snapshots that are due. How many were written."""
        from facegate.service.templates import refresh_snapshots_of

        moment = time.monotonic() if now is None else now
        missing = missing_snapshots(ctx)
        for deployment_id in set(self._missing) - set(missing):
            del self._missing[deployment_id]
        for deployment_id in set(self._attempts) - set(missing):
            del self._attempts[deployment_id]  # written: the next deletion starts afresh
        due: set[str] = set()
        for deployment_id, version in missing.items():
            seen = self._missing.get(deployment_id)
            if seen is None:
                seen = self._missing[deployment_id] = _Missing(moment, version, moment)
            elif seen.version != version:
                seen.version, seen.since = version, moment
            # A write that did not give a live snapshot (refused as stale, or failing: a full
            # disk) is tried again after twice the wait, up to BACKOFF, not every few seconds.
            wait = min(self.delay * 2 ** self._attempts.get(deployment_id, 0), BACKOFF)
            if moment - seen.since >= wait or moment - seen.noticed >= LONGEST * wait:
                due.add(deployment_id)
        if not due or self._stop.is_set():
            return 0
        written = 0
        directory = ctx.snapshot_dir
        assert directory is not None  # missing_snapshots finds none without one
        for deployment_id in sorted(due):
            del self._missing[deployment_id]
            with index_snapshot.sole_writer(directory, deployment_id, ctx) as mine:
                if not mine:
                    continue  # another process's keeper is writing it now
                if deployment_id not in missing_snapshots(ctx):
                    continue  # another process's keeper has just written it
                self._attempts[deployment_id] = self._attempts.get(deployment_id, 0) + 1
                if refresh_snapshots_of(ctx, {deployment_id}):  # its lock is re-entrant
                    del self._attempts[deployment_id]
                    written += 1
        self.written += written
        return written


def watch(ctx: GateContext, deployment_id: str) -> None:
    """Start the context's keeper once it holds a deployment large enough for a snapshot
    (``GateContext.snapshot_delay`` None: never)."""
    if ctx.snapshot_keeper is not None or ctx.snapshot_delay is None or ctx.snapshot_dir is None:
        return
    if ctx.index.size(deployment_id) < ctx.snapshot_from:
        return
    keeper = SnapshotKeeper(ctx, ctx.snapshot_delay)
    ctx.snapshot_keeper = keeper
    keeper.start()


def stop(ctx: GateContext) -> None:
    """Stop the context's keeper (waiting for a write in progress to finish) for good: a
    closing Gate starts no other."""
    keeper = ctx.snapshot_keeper
    if isinstance(keeper, SnapshotKeeper):
        keeper.stop()
    else:
        ctx.snapshot_keeper = _STOPPED


_STOPPED = object()
