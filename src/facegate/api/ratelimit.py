"""Rate limits, verification lockout and gallery-probing detection, shared by every process.

Token buckets per API key, per subject and per client address; a lockout per claimed subject
after repeated verification failures (5 in 3 minutes by default, like AWS Cognito's); a
counter of identification misses per device. The state lives in the database
(``facegate.service.limits``), so a restart or a second ``serve`` process changes nothing.
"""

from __future__ import annotations

from collections.abc import Hashable

from facegate.service.limits import SharedThrottle


class RateLimiter:
    """Token buckets by key: ``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(self, store: SharedThrottle, scope: str, rate: float, burst: int) -> None:
        self.store = store
        self.scope = scope
        self.rate = rate
        self.burst = max(1, burst)

    def take(self, key: Hashable) -> float:
        """Spend one token: 0 when allowed, else the seconds until one is available."""
        return self.store.take(self.scope, key, self.rate, self.burst)


class Lockout:
    """``failures`` failed verifications of one claimed subject within ``window`` seconds lock
    that subject's verification for ``duration`` seconds. A success clears the count."""

    scope = "lockout"

    def __init__(
        self, store: SharedThrottle, failures: int, window: float, duration: float
    ) -> None:
        self.store = store
        self.failures = max(1, failures)
        self.window = window
        self.duration = duration

    def remaining(self, key: Hashable) -> float:
        """Seconds the key stays locked (0: not locked)."""
        return self.store.locked_for(self.scope, key)

    def fail(self, key: Hashable) -> bool:
        """Count a failure; True when this one locks the key."""
        return self.store.fail(
            self.scope, key, failures=self.failures, window=self.window, duration=self.duration
        )

    def succeed(self, key: Hashable) -> None:
        self.store.clear(self.scope, key)


class ProbeDetector:
    """Identification misses per device: ``misses`` within ``window`` seconds raise an alert,
    once per window."""

    scope = "probe"

    def __init__(self, store: SharedThrottle, misses: int, window: float) -> None:
        self.store = store
        self.misses = max(1, misses)
        self.window = window

    def miss(self, key: Hashable) -> bool:
        """Count a miss; True when the burst crosses the threshold (alert now)."""
        return self.store.burst(self.scope, key, count=self.misses, window=self.window)
