"""Processing records (records.processing), derived from the hash-chained audit log.

The audit log is the single source of truth: no extra write on the hot path. Per deployment,
day (in China) and actor: enrolments, verifications, identifications, alternatives,
withdrawals, deletions, transfers, and refusals. Records are kept at least three years
(records.three_years): pruning refuses anything younger.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.documents.content import ProcessingRecords, RecordRow
from facegate.service.context import GateContext, record, require
from facegate.service.errors import BadRequest
from facegate.service.registry import get_deployment
from facegate.store import models as m

CATEGORY_OF_ACTION: Mapping[str, str] = {
    "enrol": "enrolments",
    "verify": "verifications",
    "identify": "identifications",
    "alternative.verify": "alternatives",
    "alternative.add": "alternatives",
    "consent.withdraw": "withdrawals",
    "rights.delete": "deletions",
    "retention.sweep": "deletions",
    "transfer.export": "transfers",
}
PRUNE_ACTION = "records.prune"
ALL_DEPLOYMENTS = "*"
"""The deployment of events that concern every deployment (a retention sweep, a person's
deletion of everything): they carry no deployment id."""


def china_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of [start 00:00, end+1 00:00) in China time; a range reaching past the
    calendar's ends (1 January of year 1, 31 December 9999) is clamped rather than overflowing."""
    earliest, latest = date(1970, 1, 1), date(9999, 12, 30)
    start, end = max(start, earliest), min(end, latest)
    low = datetime.combine(start, time(), law.CHINA_TZ).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time(), law.CHINA_TZ).astimezone(UTC)
    return low, high


def pruned_before(session: Session) -> date | None:
    """Records of days before this one have been pruned (the latest allowed prune)."""
    days = [
        date.fromisoformat(json.loads(objects)["before"])
        for objects in session.scalars(
            select(m.AuditEvent.objects).where(
                m.AuditEvent.action == PRUNE_ACTION, m.AuditEvent.decision == "allowed"
            )
        )
    ]
    return max(days, default=None)


def processing_records(
    ctx: GateContext, deployment_id: str | None, start: date, end: date
) -> ProcessingRecords:
    """The records of one deployment (or all, with ``None``) for the days ``start``..``end``."""
    if end < start:
        raise BadRequest(
            "the period ends before it starts", key="error.bad_request.period_reversed"
        )
    low, high = china_day_bounds(start, end)
    with ctx.db.transaction(readonly=True) as session:
        name = controller = ""
        if deployment_id is not None:
            deployment = get_deployment(session, deployment_id)
            name = deployment.name
            owner = session.get(m.Controller, deployment.controller_id)
            controller = owner.name if owner else ""
        cutoff = pruned_before(session)
        query = (
            select(
                m.AuditEvent.at,
                m.AuditEvent.actor,
                m.AuditEvent.action,
                m.AuditEvent.objects,
                m.AuditEvent.decision,
            )
            .where(
                m.AuditEvent.at >= low,
                m.AuditEvent.at < high,
                m.AuditEvent.action.in_(list(CATEGORY_OF_ACTION)),
            )
            .order_by(m.AuditEvent.seq)
        )
        if deployment_id is not None:
            query = query.where(
                m.AuditEvent.objects.contains(f'"deployment":{json.dumps(deployment_id)}')
            )
        rows: dict[tuple[date, str, str], RecordRow] = {}
        for at, actor, action, objects, decision in session.execute(query):
            day = law.china_date(at)
            if cutoff is not None and day < cutoff:
                continue
            dep = str(json.loads(objects).get("deployment", "")) or ALL_DEPLOYMENTS
            if deployment_id is not None and dep != deployment_id:
                continue
            key = (day, dep, actor)
            row = rows.setdefault(key, RecordRow(day, dep, actor))
            category = "refusals" if decision == "refused" else CATEGORY_OF_ACTION[action]
            row.counts[category] += 1
            fields = json.loads(objects)
            basis = str(fields.get("legal_basis", ""))
            if category == "transfers" and basis and basis not in row.transfer_bases:
                row.transfer_bases.append(basis)
                # Events written before the Chinese label was recorded keep their English one.
                row.transfer_bases_zh.append(str(fields.get("legal_basis_zh", "")) or basis)
    return ProcessingRecords(
        deployment_id=deployment_id,
        deployment=name,
        controller=controller,
        start=start,
        end=end,
        generated_at=ctx.now().isoformat(timespec="seconds"),
        rows=[rows[k] for k in sorted(rows)],
        pruned_before=cutoff,
    )


def prune_records(ctx: GateContext, before: date, *, actor: str) -> dict[str, str]:
    """Prune the processing records of the days before ``before``. Refused
    (records.three_years) while the newest of them is younger than three years. The audit
    chain itself stays whole: pruned days are no longer reported."""
    newest = datetime.combine(before, time(), law.CHINA_TZ) - timedelta(microseconds=1)
    objects = {"before": before.isoformat()}
    with ctx.unit() as session:
        require(
            law.check_retention_delete(newest, ctx.now()),
            actor=actor,
            action=PRUNE_ACTION,
            objects=objects,
        )
        record(
            ctx,
            session,
            actor=actor,
            action=PRUNE_ACTION,
            objects=objects,
            articles=law.rule("records.three_years").articles,
        )
    return {"pruned_before": before.isoformat()}
