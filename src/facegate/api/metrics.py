"""Prometheus metrics, in a registry of the app's own (no process-wide globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "facegate_http_requests",
            "HTTP requests by method, route template and status.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "facegate_http_request_seconds",
            "Time to answer, by method and route template.",
            ("method", "route"),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.refusals = Counter(
            "facegate_refusals",
            "Operations refused by law, by rule code.",
            ("rule",),
            registry=self.registry,
        )
        self.matches = Counter(
            "facegate_matches",
            "Recognition outcomes: operation (verify, identify, alternative) and outcome.",
            ("operation", "outcome"),
            registry=self.registry,
        )
        self.lockouts = Counter(
            "facegate_lockouts",
            "Verification lockouts after repeated failures.",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "facegate_rate_limited",
            "Requests refused by a rate limit, by scope (key, subject, address).",
            ("scope",),
            registry=self.registry,
        )
        self.security_events = Counter(
            "facegate_security_events",
            "Intrusion alerts by kind (including those not stored again within the quiet time).",
            ("kind",),
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
