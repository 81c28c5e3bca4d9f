"""What the recognition use cases answer: plain values, ready for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Enrolment:
    template_id: str
    subject_id: str
    deployment_id: str
    model: str
    expires_at: datetime
    quality: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["expires_at"] = self.expires_at.isoformat()
        return body


@dataclass(frozen=True)
class Verification:
    """The outcome of a 1:1 check, by face or by the alternative: the same shape either way."""

    matched: bool
    subject_id: str | None
    deployment_id: str
    method: str
    distance: float | None = None
    similarity: float | None = None
    threshold: float | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FaceMatch:
    box: dict[str, int]
    subject_id: str | None
    distance: float | None
    similarity: float | None


@dataclass(frozen=True)
class Identification:
    """The faces recognised. In a consent-based deployment a face that matched nobody is not
    listed: ``unmatched`` only counts them."""

    deployment_id: str
    threshold: float
    faces: list[FaceMatch] = field(default_factory=list)
    unmatched: int = 0

    @property
    def matched(self) -> bool:
        return any(face.subject_id for face in self.faces)

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["matched"] = self.matched
        return body
