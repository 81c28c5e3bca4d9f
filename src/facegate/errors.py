"""The root of every error facegate raises on purpose.

Each error carries a stable machine ``code`` (part of the public contract: the CLI's JSON,
the REST API and the tests match on it) and a message a person can act on.
"""

from __future__ import annotations

from typing import Any


class FacegateError(Exception):
    """Base class: a refusal or a bad input, never a bug."""

    code: str = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body
