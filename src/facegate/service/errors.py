"""Errors of the use cases that are not the law's refusals (those are ``facegate.law.Refused``)."""

from __future__ import annotations

from facegate.errors import FacegateError


class NotFound(FacegateError):
    code = "not_found"


class UnknownController(NotFound):
    code = "unknown_controller"


class UnknownDeployment(NotFound):
    code = "unknown_deployment"


class UnknownDevice(NotFound):
    code = "unknown_device"


class UnknownSubject(NotFound):
    code = "unknown_subject"


class BadRequest(FacegateError):
    code = "bad_request"


class ChineseRequired(BadRequest):
    """Free text that people read in the notice and the PIPIA was given without Chinese."""

    code = "chinese_required"

    def __init__(self, fields: list[str]) -> None:
        super().__init__(
            "write these in Chinese (English may be given beside them, under english): "
            + ", ".join(fields)
        )
        self.fields = fields


class Conflict(FacegateError):
    code = "conflict"


class DuplicateIdentity(Conflict):
    code = "duplicate_identity"
