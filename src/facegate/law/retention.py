"""How long face data and records are kept (M8, M9, PIPL19, PIPL56)."""

from __future__ import annotations

from datetime import datetime, timedelta

from facegate.law.dates import add_years
from facegate.law.decision import Decision, Reason
from facegate.law.facts import PurposeType, TemplateFacts

MAX_RETENTION_DAYS = 3650
"""The longest retention period a deployment may declare (ten years)."""

RECORD_KEEPING_YEARS = 3
"""PIPIA reports and processing records are kept at least this long (M9, PIPL56)."""


def template_expires_at(created_at: datetime, retention_days: int) -> datetime:
    """The instant a template stops being usable: ``retention_days`` after its creation."""
    return created_at + timedelta(days=retention_days)


def is_expired(expires_at: datetime, at: datetime) -> bool:
    """Expired from the expiry instant on; the second before, it is still usable."""
    return at >= expires_at


def template_usable(template: TemplateFacts, consent_valid: bool, at: datetime) -> bool:
    """A template may be matched only while it is within retention and its consent stands."""
    return consent_valid and not is_expired(template.expires_at, at)


def check_retention_delete(record_created_at: datetime, at: datetime) -> Decision:
    """May a PIPIA report or processing record be deleted? Not before three full years."""
    keep_until = add_years(record_created_at, RECORD_KEEPING_YEARS)
    if at >= keep_until:
        return Decision.allow()
    return Decision.refuse(
        Reason.of(
            "records.three_years",
            "impact assessment reports and processing records must be kept for at least "
            f"{RECORD_KEEPING_YEARS} years; this one may be deleted from "
            f"{keep_until.isoformat()}",
        )
    )


DEFAULT_RETENTION_DAYS: dict[PurposeType, int] = {
    PurposeType.ACCESS_CONTROL: 365,  # residents and staff: reviewed yearly, ends on moving out
    PurposeType.ATTENDANCE: 365,  # the employment, reviewed yearly
    PurposeType.PAYMENT: 365,
    PurposeType.HOTEL_CHECKIN: 30,  # the stay
    PurposeType.PUBLIC_SAFETY: 30,
    PurposeType.DRIVING_SAFETY: 365,
    PurposeType.OTHER: 90,
}
"""The longest retention each purpose type needs without a written justification (M8 "the
shortest time necessary", PIPL19). Above it, the deployment records why."""

FALLBACK_RETENTION_DAYS = 90


def default_retention_days(purpose_type: PurposeType) -> int:
    return DEFAULT_RETENTION_DAYS.get(purpose_type, FALLBACK_RETENTION_DAYS)


def retention_warning(purpose_type: PurposeType, days: int) -> str:
    """What the deployment wizard shows when ``days`` is above the purpose's default; empty
    otherwise."""
    default = default_retention_days(purpose_type)
    if days <= default:
        return ""
    return (
        f"{days} days is longer than the {default} days that {purpose_type} usually needs; "
        "face data must be kept no longer than the purpose needs (Measures art. 8): write why "
        "this purpose needs longer, or shorten the period"
    )
