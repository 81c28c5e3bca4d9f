"""An edge node's sync loop: pull the control plane's facts, apply them (shredding what lost
its consent), push what happened here, on start and then every ``interval`` seconds."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from facegate.edge.client import ControlPlane, ControlPlaneError
from facegate.errors import FacegateError
from facegate.service import Gate, access
from facegate.service.sync import SyncGap, note_attempt_failed

log = logging.getLogger("facegate.edge")

MAX_ROUNDS = 50  # batches per direction in one sync (500 events each)


@dataclass(frozen=True)
class SyncReport:
    ok: bool
    pulled: int = 0
    pushed: int = 0
    shredded: int = 0
    error: str = ""  # English, for logs and engineers
    failure: FacegateError | None = None
    """The typed error that stopped the sync: interfaces render it in their reader's language
    (``messages.errors.error_text``)."""


class EdgeNode:
    def __init__(
        self, gate: Gate, control: ControlPlane, device_key: str, *, interval: float = 30.0
    ) -> None:
        self.gate = gate
        self.control = control
        self.device_key = device_key
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one sync at a time
        self._key_adopted = False

    def sync_once(self) -> SyncReport:
        """One round: down until caught up, then up until everything is acknowledged."""
        with self._lock:
            try:
                pulled, shredded = self._pull()
                pushed = self._push()
            except (ControlPlaneError, SyncGap) as exc:
                note_attempt_failed(self.gate.ctx, exc.message)
                log.warning("sync failed", extra={"event": "sync", "error": exc.message})
                return SyncReport(False, error=exc.message, failure=exc)
            except FacegateError as exc:  # e.g. an event this edge refuses to apply
                note_attempt_failed(self.gate.ctx, f"{exc.code}: {exc.message}")
                log.error("sync rejected", extra={"event": "sync", "error": exc.message})
                return SyncReport(False, error=exc.message, failure=exc)
            return SyncReport(True, pulled, pushed, shredded)

    def _pull(self) -> tuple[int, int]:
        pulled = shredded = 0
        gaps = 0
        for _ in range(MAX_ROUNDS):
            state = self.gate.edge_state()
            batch = self.control.down(state.down_applied_seq)
            try:
                result = self.gate.sync_apply_down(batch, control_url=self.control.url)
            except SyncGap:
                gaps += 1
                if gaps > 2:
                    raise
                continue  # fetch again from where this edge stands
            pulled += result.applied
            shredded += result.shredded
            if not self._key_adopted:  # the kiosk and device API here open with the same key
                access.adopt_key(
                    self.gate.ctx, self.device_key, device_id=batch.device_id, actor="sync"
                )
                self._key_adopted = True
            if result.caught_up:
                break
        return pulled, shredded

    def _push(self) -> int:
        pushed = 0
        for _ in range(MAX_ROUNDS):
            batch = self.gate.sync_up_batch()
            try:
                acknowledged = self.control.up(batch)
            except SyncGap as gap:
                # The control plane holds less than this edge thought: resend from there.
                expected = int(gap.details.get("expected", 1))
                self.gate.sync_acknowledged(max(0, expected - 1))
                continue
            self.gate.sync_acknowledged(acknowledged)
            pushed += len(batch.events)
            if self.gate.edge_state().up_pending <= 0:
                break
        return pushed

    # -- the loop ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="facegate-edge-sync", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sync_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
            self._thread = None
        self.control.close()
