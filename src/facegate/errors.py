"""The root of every error facegate raises on purpose.

Each error carries a stable machine ``code`` (part of the public contract: the CLI's JSON,
the REST API and the tests match on it) and a message a person can act on. ``message`` is
English; what a person reads in Chinese (or in the catalogue's English) comes from the message
catalogue (:mod:`facegate.messages.errors`): ``error.<code>`` by default, or the sentence
``key`` (with ``params``) that the raise site names when the code alone says too little.
"""

from __future__ import annotations

from typing import Any


class FacegateError(Exception):
    """Base class: a refusal or a bad input, never a bug."""

    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        key: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.key = key  # a catalogue key (error.*) for this raise site's sentence
        self.params: dict[str, Any] = dict(params or {})

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body
