"""What the routes share, made once per app and passed through ``app.state`` (no globals)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import Request

from facegate.api.alerts import Alerts
from facegate.api.metrics import Metrics
from facegate.api.ratelimit import Lockout, ProbeDetector, RateLimiter
from facegate.api.settings import ApiSettings
from facegate.service import Gate
from facegate.service.limits import SharedThrottle

T = TypeVar("T")


@dataclass
class ApiState:
    gate: Gate
    settings: ApiSettings
    metrics: Metrics
    alerts: Alerts
    key_limits: RateLimiter
    subject_limits: RateLimiter
    anonymous_limits: RateLimiter
    lockout: Lockout
    probes: ProbeDetector
    # An engine in this process runs face operations one at a time (dlib's models are not
    # thread-safe); a pool of worker processes (``FacePool``) takes them concurrently.
    face_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, gate: Gate, settings: ApiSettings) -> ApiState:
        metrics = Metrics()
        shared = SharedThrottle(gate.ctx.db)  # every process on this database sees the same
        return cls(
            gate=gate,
            settings=settings,
            metrics=metrics,
            alerts=Alerts(gate, metrics, quiet_seconds=settings.alert_quiet_seconds),
            key_limits=RateLimiter(shared, "key", settings.key_rate, settings.key_burst),
            subject_limits=RateLimiter(
                shared, "subject", settings.subject_rate, settings.subject_burst
            ),
            anonymous_limits=RateLimiter(
                shared, "address", settings.anonymous_rate, settings.anonymous_burst
            ),
            lockout=Lockout(
                shared,
                settings.lockout_failures,
                settings.lockout_window_seconds,
                settings.lockout_seconds,
            ),
            probes=ProbeDetector(shared, settings.probe_misses, settings.probe_window_seconds),
        )

    def with_faces(self, call: Callable[[], T]) -> T:
        """Run a Gate call that uses the face engine: alone, unless the engine is a pool."""
        if getattr(self.gate.ctx.engine, "concurrent", False):
            return call()
        with self.face_lock:
            return call()


def api_state(request: Request) -> ApiState:
    state = request.app.state.api
    assert isinstance(state, ApiState)
    return state


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
