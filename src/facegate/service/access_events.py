"""The access-event log: per device and day (Beijing time), how many attempts at the door
matched, did not match, used the non-face alternative, or were refused by the law.

Derived from the hash-chained audit log, as the processing records are (``service.records``):
the audit log already holds one event per attempt (``verify``, ``identify``,
``alternative.verify``, each naming its device), so counting needs no write on the hot path.
Only counts leave this module: never an image, never a subject id, and nothing about a face
that matched nobody beyond the fact that an attempt did not match (``capture.opt_in``: a
non-match is discarded at once; its count is all the audit log keeps).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from facegate import law
from facegate.service.context import GateContext
from facegate.service.errors import BadRequest
from facegate.service.records import china_day_bounds
from facegate.store import models as m

OUTCOMES = ("match", "no_match", "alternative", "refused")
"""What an attempt at a device came to, in the order the console shows them."""

ACCESS_ACTIONS = ("verify", "identify", "alternative.verify")
MAX_DAYS = 366
"""The longest range one view counts (a year, leap day included)."""


def outcome_of(action: str, decision: str, objects: Mapping[str, str]) -> str | None:
    """The outcome an audit event records, or None when it is not an attempt at a device.

    A refusal (no consent, no PIPIA, a failed liveness check, a device out of sync, ...) is
    ``refused`` whatever the action; an allowed ``alternative.verify`` is ``alternative``
    (passed or not: the person was offered the other way in); an allowed ``verify`` matched
    when its outcome says so; an allowed ``identify`` matched when it named somebody."""
    if action not in ACCESS_ACTIONS or "device" not in objects:
        return None
    if decision == "refused":
        return "refused"
    if decision != "allowed":
        return None
    if action == "alternative.verify":
        return "alternative"
    if action == "verify":
        return "match" if objects.get("outcome") == "match" else "no_match"
    return "match" if objects.get("matched") else "no_match"


def _zero() -> dict[str, int]:
    return dict.fromkeys(OUTCOMES, 0)


@dataclass(frozen=True)
class DeviceDay:
    """One device's counts for one day (Beijing time)."""

    day: date
    device_id: str
    device: str
    deployment: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class DayTotal:
    """Every selected device together, one day; days without an attempt are zeros."""

    day: date
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class DeviceChoice:
    id: str
    name: str
    deployment: str


@dataclass(frozen=True)
class AccessLog:
    start: date
    end: date
    device_id: str
    rows: list[DeviceDay]
    days: list[DayTotal]
    devices: list[DeviceChoice]
    totals: dict[str, int] = field(default_factory=_zero)

    @property
    def total(self) -> int:
        return sum(self.totals.values())


def devices(ctx: GateContext) -> list[DeviceChoice]:
    """Every registered device, by deployment then name: the log's device filter."""
    with ctx.db.transaction(readonly=True) as session:
        rows = session.execute(
            select(m.Device.id, m.Device.name, m.Deployment.name)
            .join(m.Deployment, m.Deployment.id == m.Device.deployment_id)
            .order_by(m.Deployment.name, m.Device.name, m.Device.id)
        )
        return [DeviceChoice(str(i), str(n), str(d)) for i, n, d in rows]


def access_log(ctx: GateContext, start: date, end: date, *, device_id: str = "") -> AccessLog:
    """The counts of every device (or one, ``device_id``) for the Beijing days
    ``start``..``end`` (both included)."""
    if end < start:
        raise BadRequest("the period ends before it starts")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadRequest(f"choose a period of at most {MAX_DAYS} days")
    choices = devices(ctx)
    names = {d.id: d for d in choices}
    if device_id and device_id not in names:
        raise BadRequest(f"no device {device_id!r}")
    low, high = china_day_bounds(start, end)
    query = (
        select(m.AuditEvent.at, m.AuditEvent.action, m.AuditEvent.objects, m.AuditEvent.decision)
        .where(
            m.AuditEvent.at >= low,
            m.AuditEvent.at < high,
            m.AuditEvent.action.in_(ACCESS_ACTIONS),
        )
        .order_by(m.AuditEvent.seq)
    )
    if device_id:  # narrowed in SQL; checked again on the parsed objects below
        query = query.where(m.AuditEvent.objects.contains(f'"device":{json.dumps(device_id)}'))
    cells: dict[tuple[date, str], dict[str, int]] = {}
    per_day: dict[date, dict[str, int]] = {}
    with ctx.db.transaction(readonly=True) as session:
        for at, action, objects, decision in session.execute(query):
            fields = {str(k): str(v) for k, v in json.loads(objects).items()}
            outcome = outcome_of(action, decision, fields)
            device = fields.get("device", "")
            if outcome is None or (device_id and device != device_id):
                continue
            day = law.china_date(at)
            cells.setdefault((day, device), _zero())[outcome] += 1
            per_day.setdefault(day, _zero())[outcome] += 1
    rows = []
    for (day, device), counts in sorted(cells.items()):
        choice = names.get(device)
        rows.append(
            DeviceDay(
                day,
                device,
                choice.name if choice else device,
                choice.deployment if choice else "",
                counts,
            )
        )
    days = [
        DayTotal(start + timedelta(days=i), per_day.get(start + timedelta(days=i), _zero()))
        for i in range((end - start).days + 1)
    ]
    totals = _zero()
    for item in days:
        for key, value in item.counts.items():
            totals[key] += value
    return AccessLog(start, end, device_id, rows, days, choices, totals)
