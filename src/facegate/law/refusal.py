"""The error the service raises when the law refuses an operation."""

from __future__ import annotations

from typing import Any

from facegate.errors import FacegateError
from facegate.law.decision import Decision


class Refused(FacegateError):
    """The law refuses this operation; ``decision`` says why and under which articles."""

    code = "refused"

    def __init__(self, decision: Decision) -> None:
        if decision.allowed:
            raise ValueError("Refused needs a refused decision")
        super().__init__(decision.explain())
        self.decision = decision

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["reasons"] = [
            {"code": r.code, "articles": list(r.articles), "message": r.message}
            for r in self.decision.reasons
        ]
        return body
