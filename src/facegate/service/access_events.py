"""The access-event log: per device and day (Beijing time), how many attempts at the door
matched, did not match, used the non-face alternative, or were refused by the law.

Derived from the hash-chained audit log, as the processing records are (``service.records``):
the audit log already holds one event per attempt (``verify``, ``identify``,
``alternative.verify``, each naming its device), so counting needs no write on the hot path.
Only counts leave this module: never an image, never a subject id, and nothing about a face
that matched nobody beyond the fact that an attempt did not match (``capture.opt_in``: a
non-match is discarded at once; its count is all the audit log keeps).

An edge node's attempts are in its own audit log. With every sync it reports its device's
counts for the last ``REPORT_DAYS`` Beijing days (``edge_report``), and the control plane keeps
them (``record_edge_report``, table ``edge_access_counts``), so the control plane's log shows
every device, edges included, without a face or an identity crossing the network.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.service.context import GateContext
from facegate.service.errors import BadRequest
from facegate.service.records import china_day_bounds
from facegate.store import models as m
from facegate.store.sync_models import EdgeAccessCount, SyncPeer

OUTCOMES = ("match", "no_match", "alternative", "refused")
"""What an attempt at a device came to, in the order the console shows them."""

ACCESS_ACTIONS = ("verify", "identify", "alternative.verify")
MAX_DAYS = 366
"""The longest range one view counts (a year, leap day included)."""
REPORT_DAYS = 31
"""How many Beijing days (today included) an edge reports with each sync: a month offline and
its counts still arrive whole."""


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

    def add(day: date, device: str, outcome: str, count: int = 1) -> None:
        cells.setdefault((day, device), _zero())[outcome] += count
        per_day.setdefault(day, _zero())[outcome] += count

    with ctx.db.transaction(readonly=True) as session:
        for at, action, objects, decision in session.execute(query):
            fields = {str(k): str(v) for k, v in json.loads(objects).items()}
            outcome = outcome_of(action, decision, fields)
            device = fields.get("device", "")
            if outcome is None or (device_id and device != device_id):
                continue
            add(law.china_date(at), device, outcome)
        reported = select(EdgeAccessCount).where(
            EdgeAccessCount.day >= start, EdgeAccessCount.day <= end
        )
        if device_id:
            reported = reported.where(EdgeAccessCount.device_id == device_id)
        for row in session.scalars(reported):  # what the edges counted in their own logs
            for outcome in OUTCOMES:
                if getattr(row, outcome):
                    add(row.day, row.device_id, outcome, int(getattr(row, outcome)))
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


# -- edges report their counts with every sync --------------------------------------------------
def edge_report(ctx: GateContext) -> tuple[dict[str, Any], ...]:
    """On an edge node: its device's counts for each of the last ``REPORT_DAYS`` Beijing days
    that had an attempt (``{"day": "2026-11-30", "match": 3, ...}``); nothing before it knows
    its device."""
    with ctx.db.transaction(readonly=True) as session:
        state = session.get(SyncPeer, 1)
        device_id = state.device_id if state else ""
        if not device_id or session.get(m.Device, device_id) is None:
            return ()
    today = law.china_date(ctx.now())
    log = access_log(ctx, today - timedelta(days=REPORT_DAYS - 1), today, device_id=device_id)
    return tuple({"day": r.day.isoformat(), **r.counts} for r in log.rows)


def parse_report(rows: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], ...]:
    """An edge's report as received: a day and four non-negative whole counts per row;
    ``ValueError`` for anything else."""
    parsed = []
    for row in rows:
        extra = set(row) - {"day", *OUTCOMES}
        if extra:
            raise ValueError(f"unknown count fields: {', '.join(sorted(extra))}")
        day = date.fromisoformat(str(row["day"]))
        counts = {key: int(row.get(key, 0)) for key in OUTCOMES}
        if any(v < 0 for v in counts.values()):
            raise ValueError("a count is negative")
        parsed.append({"day": day.isoformat(), **counts})
    if len({r["day"] for r in parsed}) != len(parsed):
        raise ValueError("a day is reported twice")
    return tuple(parsed)


def record_edge_report(
    session: Session, device_id: str, rows: Iterable[Mapping[str, Any]], now: datetime
) -> int:
    """On the control plane, in the sync's transaction: the edge's counts replace what was
    held for those days of its device (a replayed report changes nothing). Days outside the
    report's window (older, or after today in Beijing) are ignored. The rows written."""
    today = law.china_date(now)
    first = today - timedelta(days=REPORT_DAYS - 1)
    written = 0
    for row in rows:
        day = date.fromisoformat(str(row["day"]))
        if not first <= day <= today:
            continue
        held = session.get(EdgeAccessCount, (device_id, day))
        if held is None:
            held = EdgeAccessCount(device_id=device_id, day=day)
            session.add(held)
        for key in OUTCOMES:
            setattr(held, key, int(row[key]))
        held.reported_at = now
        written += 1
    return written
