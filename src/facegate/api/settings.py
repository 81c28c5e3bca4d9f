"""The REST service's own settings: rate limits, lockout, alerts and image limits.

Defaults suit one site; ``ApiSettings.from_env`` reads ``FACEGATE_API_<FIELD>`` overrides
(e.g. ``FACEGATE_API_LOCKOUT_FAILURES=3``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from facegate.config import ConfigError
from facegate.engine.image import DEFAULT_LIMITS, ImageLimits


@dataclass(frozen=True)
class ApiSettings:
    # Token buckets: sustained requests per second and burst, per API key and per subject.
    key_rate: float = 20.0
    key_burst: int = 40
    subject_rate: float = 1.0
    subject_burst: int = 10
    # Requests with a missing or bad key, per client address.
    anonymous_rate: float = 1.0
    anonymous_burst: int = 20
    # Verification lockout: this many failures for one claimed subject within the window lock
    # that subject's verification (face and alternative) for ``lockout_seconds``.
    lockout_failures: int = 5
    lockout_window_seconds: float = 180.0
    lockout_seconds: float = 300.0
    # Gallery probing: this many identification misses by one device within the window raise
    # an alert (one per window).
    probe_misses: int = 10
    probe_window_seconds: float = 60.0
    # The same alert (kind, key or address) is recorded at most once per this many seconds.
    alert_quiet_seconds: float = 10.0
    image_limits: ImageLimits = field(default_factory=lambda: DEFAULT_LIMITS)
    # Room for the multipart envelope and the other form fields, over the image itself.
    envelope_bytes: int = 64 * 1024
    # The largest body of a route that takes no photo (JSON, forms).
    max_form_bytes: int = 1024 * 1024
    # Serve the OpenAPI document and its pages (/docs, /openapi.json).
    docs: bool = True
    # The kiosk forgets the person at it after this many seconds without a touch: their
    # session ends on the server and the screen returns to the start.
    kiosk_idle_seconds: float = 30.0

    @property
    def max_body_bytes(self) -> int:
        """The largest request body accepted: a base64 image (4/3 of the bytes) plus room."""
        return (self.image_limits.max_bytes * 4) // 3 + 4 + self.envelope_bytes

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ApiSettings:
        values = dict(os.environ if env is None else env)
        settings = cls()
        changes: dict[str, Any] = {}
        for item in fields(cls):
            name = f"FACEGATE_API_{item.name.upper()}"
            if name not in values or item.name == "image_limits":
                continue
            raw = values[name]
            current = getattr(settings, item.name)
            try:
                if isinstance(current, bool):
                    changes[item.name] = raw.strip().lower() in ("1", "true", "yes", "on")
                else:
                    changes[item.name] = type(current)(raw)
            except ValueError as exc:
                raise ConfigError(f"{name} has a bad value: {raw!r}") from exc
        return replace(settings, **changes)
