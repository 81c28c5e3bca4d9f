"""What the documents show: plain values that the service fills from live data and the
renderers turn into HTML, PDF, CSV and ZIP. No storage, no rules here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "enrolments",
    "verifications",
    "identifications",
    "alternatives",
    "withdrawals",
    "deletions",
    "transfers",
    "refusals",
)


@dataclass
class RecordRow:
    day: date
    deployment_id: str
    actor: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    # The legal basis of each transfer (a law and article, or the persons' transfer consent).
    transfer_bases: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "deployment_id": self.deployment_id,
            "actor": self.actor,
            **self.counts,
            "transfer_bases": list(self.transfer_bases),
        }


@dataclass(frozen=True)
class ProcessingRecords:
    deployment_id: str | None
    deployment: str
    controller: str
    start: date
    end: date
    generated_at: str
    rows: list[RecordRow]
    pruned_before: date | None

    @property
    def totals(self) -> dict[str, int]:
        return {c: sum(r.counts[c] for r in self.rows) for c in CATEGORIES}


@dataclass(frozen=True)
class PipiaEntry:
    deployment_id: str
    deployment: str
    status: str
    report_html: dict[str, str] = field(default_factory=dict)  # lang -> HTML, when available


@dataclass(frozen=True)
class FilingPackageData:
    """Everything the filing package says, read from live data."""

    generated_at: str
    controller: dict[str, str]
    deployments: list[dict[str, Any]]
    individuals: int
    threshold: int
    obligations: list[dict[str, Any]]
    pipia: list[PipiaEntry]
    checklist: list[dict[str, Any]]
