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
    """One face of a 1:N search. ``distance`` is the nearest subject's, ``second_distance``
    the next subject's; ``reason`` is "" for a match, else ``no_match`` or ``ambiguous`` (the
    two were closer than the deployment's margin, so neither is trusted)."""

    box: dict[str, int]
    subject_id: str | None
    distance: float | None
    similarity: float | None
    second_distance: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class Identification:
    """The answer of a 1:N search, with what it can be trusted for: the threshold derived
    for this gallery's size, the size, and the error rates expected there. In a consent-based
    deployment a face that matched nobody is not listed: ``unmatched`` only counts them."""

    deployment_id: str
    threshold: float
    faces: list[FaceMatch] = field(default_factory=list)
    gallery_size: int = 0
    model: str = ""
    ambiguity_margin: float | None = None
    expected_fpir: float | None = None
    expected_fnir: float | None = None
    unmatched: int = 0

    @property
    def matched(self) -> bool:
        return any(face.subject_id for face in self.faces)

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["matched"] = self.matched
        return body
