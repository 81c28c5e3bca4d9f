"""In-memory rate limits, verification lockout and gallery-probing detection (per process).

Token buckets per API key, per subject and per client address; a lockout per claimed subject
after repeated verification failures (5 in 3 minutes by default, like AWS Cognito's); a
counter of identification misses per device. Times come from an injectable monotonic clock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

Clock = Callable[[], float]
MAX_TRACKED = 100_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key: ``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(self, rate: float, burst: int, *, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: Hashable) -> float:
        """Spend one token: 0 when allowed, else the seconds until one is available."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            self._buckets[key] = bucket
            while len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate if self.rate > 0 else 3600.0


class Lockout:
    """``failures`` failed verifications of one claimed subject within ``window`` seconds lock
    that subject's verification for ``duration`` seconds. A success clears the count."""

    def __init__(
        self, failures: int, window: float, duration: float, *, clock: Clock = time.monotonic
    ) -> None:
        self.failures = max(1, failures)
        self.window = window
        self.duration = duration
        self.clock = clock
        self._failed: dict[Hashable, deque[float]] = {}
        self._until: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def remaining(self, key: Hashable) -> float:
        """Seconds the key stays locked (0: not locked)."""
        now = self.clock()
        with self._lock:
            until = self._until.get(key, 0.0)
            if until <= now:
                self._until.pop(key, None)
                return 0.0
            return until - now

    def fail(self, key: Hashable) -> bool:
        """Count a failure; True when this one locks the key."""
        now = self.clock()
        with self._lock:
            times = self._failed.setdefault(key, deque())
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.failures:
                self._until[key] = now + self.duration
                self._failed.pop(key, None)
                return True
            if len(self._failed) > MAX_TRACKED:
                self._failed.pop(next(iter(self._failed)))
            return False

    def succeed(self, key: Hashable) -> None:
        with self._lock:
            self._failed.pop(key, None)


class ProbeDetector:
    """Identification misses per device: ``misses`` within ``window`` seconds raise an alert,
    once per window."""

    def __init__(self, misses: int, window: float, *, clock: Clock = time.monotonic) -> None:
        self.misses = max(1, misses)
        self.window = window
        self.clock = clock
        self._misses: dict[Hashable, deque[float]] = {}
        self._alerted: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def miss(self, key: Hashable) -> bool:
        """Count a miss; True when the burst crosses the threshold (alert now)."""
        now = self.clock()
        with self._lock:
            times = self._misses.setdefault(key, deque())
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.misses and now - self._alerted.get(key, -1e18) >= self.window:
                self._alerted[key] = now
                return True
            return False
