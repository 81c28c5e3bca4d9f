"""Intrusion alerts: counted, logged, and stored (security events and the audit log, through
``facegate.service.access``) at most once per quiet time for the same kind and caller, so that
a flood of bad requests cannot flood the audit chain."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from facegate.api.metrics import Metrics
from facegate.service import Gate
from facegate.service.access import Principal, record_security_event

log = logging.getLogger("facegate.api.alerts")

KINDS = (
    "unknown_key",
    "revoked_key",
    "role_denied",
    "out_of_scope",
    "gallery_probing",
    "image_too_large",
    "lockout",
)


class Alerts:
    def __init__(
        self,
        gate: Gate,
        metrics: Metrics,
        *,
        quiet_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gate = gate
        self.metrics = metrics
        self.quiet = quiet_seconds
        self.clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def raise_alert(
        self,
        kind: str,
        *,
        principal: Principal | None = None,
        subject_id: str = "",
        source: str = "",
        detail: str = "",
    ) -> bool:
        """Record the alert; False when an identical one was stored within the quiet time."""
        if kind not in KINDS:
            raise ValueError(f"unknown alert kind {kind!r}")
        self.metrics.security_events.labels(kind).inc()
        who = principal.key_id if principal else source
        log.warning(
            "security alert",
            extra={
                "event": "security",
                "kind": kind,
                "key_id": principal.key_id if principal else None,
                "role": principal.role if principal else None,
                "source": source or None,
            },
        )
        now = self.clock()
        with self._lock:
            last = self._last.get((kind, who))
            if last is not None and now - last < self.quiet:
                return False
            self._last[(kind, who)] = now
            if len(self._last) > 100_000:
                self._last.clear()
        record_security_event(
            self.gate.ctx,
            kind,
            principal=principal,
            subject_id=subject_id,
            source=source,
            detail=detail,
        )
        return True
