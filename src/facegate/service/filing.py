"""Record-filing obligations (filing.threshold, filing.change, filing.cancel) and the data of
the filing package (filing.materials).

The threshold obligation is opened on the hot path by ``service.individuals``; the change
and cancellation detectors run after deployment updates and stops (``Gate``) and on
``check``; every transition is audited.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate import law
from facegate.documents.content import FilingPackageData, PipiaEntry
from facegate.law import filing as rules
from facegate.law.calendar import DueDate, HolidayOverrides, add_working_days
from facegate.service.assessments import security_facts
from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, Conflict, NotFound
from facegate.service.holidays import load_overrides
from facegate.service.individuals import restart_threshold, stored_count
from facegate.service.registry import get_controller, get_deployment
from facegate.service.seams import pipia_report_html, pipia_status
from facegate.service.templates import shred_templates
from facegate.store import models as m
from facegate.store.obligation_models import FilingChecklistItem, FilingObligation

FILED = (rules.FilingStatus.SUBMITTED, rules.FilingStatus.ACCEPTED)


def due_from(start: date, overrides: HolidayOverrides | None = None) -> DueDate:
    """30 working days after ``start`` (the start day not counted)."""
    return add_working_days(start, rules.FILING_WORKING_DAYS, overrides)


def obligation_view(row: FilingObligation) -> dict[str, Any]:
    return {
        "id": row.id,
        "controller_id": row.controller_id,
        "kind": row.kind,
        "rule": rules.RULE_OF_KIND[rules.FilingKind(row.kind)],
        "status": row.status,
        "triggered_on": row.triggered_on.isoformat(),
        "individuals": row.individuals,
        "due": row.due.isoformat(),
        "provisional": row.due_provisional,
        "due_source": row.due_source,
        "reference": row.reference,
        "changes": list(row.changes),
        "submitted_at": row.submitted_at.isoformat() if row.submitted_at else None,
        "accepted_at": row.accepted_at.isoformat() if row.accepted_at else None,
        "disposed_at": row.disposed_at.isoformat() if row.disposed_at else None,
        "templates_destroyed": row.templates_destroyed,
    }


def _obligations(session: Session, controller_id: str) -> list[FilingObligation]:
    return list(
        session.scalars(
            select(FilingObligation)
            .where(FilingObligation.controller_id == controller_id)
            .order_by(FilingObligation.created_at, FilingObligation.id)
        )
    )


def get_obligation(session: Session, obligation_id: str) -> FilingObligation:
    row = session.get(FilingObligation, obligation_id)
    if row is None:
        raise NotFound(f"no filing obligation {obligation_id!r}")
    return row


def status(ctx: GateContext) -> list[dict[str, Any]]:
    """Per controller: stored individuals, the threshold, and its filing obligations."""
    with ctx.db.transaction(readonly=True) as session:
        return [
            {
                "controller_id": c.id,
                "controller": c.name,
                "individuals": stored_count(session, c.id),
                "threshold": rules.THRESHOLD,
                "obligations": [obligation_view(o) for o in _obligations(session, c.id)],
            }
            for c in session.scalars(select(m.Controller).order_by(m.Controller.created_at))
        ]


# -- transitions -------------------------------------------------------------------------------


def _current_snapshot(session: Session, controller_id: str) -> dict[str, Any]:
    controller = get_controller(session, controller_id)
    deployments = session.scalars(
        select(m.Deployment).where(
            m.Deployment.controller_id == controller_id, m.Deployment.status != "stopped"
        )
    )
    return rules.filed_snapshot(
        {k: getattr(controller, k) for k in rules.CONTROLLER_FILED_FIELDS},
        [_filed_deployment(session, d) for d in deployments],
    )


def _filed_deployment(session: Session, d: m.Deployment) -> dict[str, Any]:
    """What the filing states about one deployment, including where its face information is
    kept and the security measures in force."""
    places = sorted(
        {
            f"{row.location_type}: {row.location_description}"
            for row in session.scalars(
                select(m.Device).where(m.Device.deployment_id == d.id, m.Device.active)
            )
        }
    )
    storage = {"mode": d.transfer_mode, "devices": places}
    security = asdict(security_facts(d))
    security.pop("entrusted_processor", None)
    values = {
        k: getattr(d, k)
        for k in rules.DEPLOYMENT_FILED_FIELDS
        if k not in ("storage_location", "security_measures")
    }
    return {"id": d.id, **values, "storage_location": storage, "security_measures": security}


def _audit(
    ctx: GateContext, session: Session, row: FilingObligation, action: str, actor: str
) -> None:
    record(
        ctx,
        session,
        actor=actor,
        action=action,
        objects={"controller": row.controller_id, "filing": row.id, "kind": row.kind},
        articles=law.rule(rules.RULE_OF_KIND[rules.FilingKind(row.kind)]).articles,
    )


def submit(ctx: GateContext, obligation_id: str, reference: str, *, actor: str) -> dict[str, Any]:
    """open -> submitted, with the office's reference; the filed information is kept so that
    later substantive changes can be detected."""
    if not reference.strip():
        raise BadRequest("a submitted filing needs the office's reference")
    with ctx.unit() as session:
        row = get_obligation(session, obligation_id)
        new_status = _transition(row, "submit")
        if row.kind == rules.FilingKind.CANCEL and row.disposed_at is None:
            raise Conflict(
                "dispose of the face data first (facegate filing dispose)",
                key="error.conflict.dispose_first",
            )
        if row.kind != rules.FilingKind.CANCEL:
            row.filed_snapshot = _current_snapshot(session, row.controller_id)
        else:  # the filing ends: the threshold counts afresh from here
            restart_threshold(session, row.controller_id)
        row.status = new_status
        row.reference = reference.strip()
        row.submitted_at = ctx.now()
        _audit(ctx, session, row, "filing.submit", actor)
        return obligation_view(row)


def accept(ctx: GateContext, obligation_id: str, *, actor: str) -> dict[str, Any]:
    """submitted -> accepted (the office has put the filing on record)."""
    with ctx.unit() as session:
        row = get_obligation(session, obligation_id)
        row.status = _transition(row, "accept")
        row.accepted_at = ctx.now()
        _audit(ctx, session, row, "filing.accept", actor)
        return obligation_view(row)


def _transition(row: FilingObligation, action: str) -> str:
    try:
        return rules.next_status(row.status, action)
    except ValueError as exc:
        raise Conflict(str(exc)) from exc


def _open(
    ctx: GateContext,
    session: Session,
    controller_id: str,
    kind: rules.FilingKind,
    key: str,
    changes: list[str],
    actor: str,
) -> FilingObligation:
    today = law.china_date(ctx.now())
    due = rules.follow_up_due(today, load_overrides())
    row = FilingObligation(
        controller_id=controller_id,
        kind=kind,
        trigger_key=key,
        triggered_on=today,
        individuals=stored_count(session, controller_id),
        due=due.due,
        due_provisional=due.provisional,
        due_source=due.source,
        changes=changes,
    )
    session.add(row)
    session.flush()
    _audit(ctx, session, row, "filing.open", actor)
    return row


def _last_filed(session: Session, controller_id: str) -> FilingObligation | None:
    """The filing on record: the newest submitted threshold or change filing, unless a
    cancellation was filed after it."""
    cancelled = session.scalar(
        select(func.max(FilingObligation.submitted_at)).where(
            FilingObligation.controller_id == controller_id,
            FilingObligation.kind == rules.FilingKind.CANCEL,
            FilingObligation.status.in_(FILED),
        )
    )
    filed = _last_filing(session, controller_id)
    if filed is None or (
        cancelled is not None and filed.submitted_at is not None and filed.submitted_at <= cancelled
    ):
        return None
    return filed


def _last_filing(session: Session, controller_id: str) -> FilingObligation | None:
    return session.scalars(
        select(FilingObligation)
        .where(
            FilingObligation.controller_id == controller_id,
            FilingObligation.kind.in_([rules.FilingKind.THRESHOLD, rules.FilingKind.CHANGE]),
            FilingObligation.status.in_(FILED),
        )
        .order_by(FilingObligation.submitted_at.desc())
        .limit(1)
    ).first()


def detect_changes(ctx: GateContext, controller_id: str, *, actor: str) -> dict[str, Any] | None:
    """``filing.change``: after a filing was submitted, a substantive change of the filed
    information opens a change obligation (an open one gathers further changes)."""
    with ctx.unit() as session:
        filed = _last_filed(session, controller_id)
        if filed is None or filed.filed_snapshot is None:
            return None
        current = _current_snapshot(session, controller_id)
        if not current["deployments"]:
            return None  # stopped altogether: that is a cancellation
        changes = rules.substantive_changes(filed.filed_snapshot, current)
        if not changes:
            return None
        pending = session.scalars(
            select(FilingObligation).where(
                FilingObligation.controller_id == controller_id,
                FilingObligation.kind == rules.FilingKind.CHANGE,
                FilingObligation.status == rules.FilingStatus.OPEN,
            )
        ).first()
        if pending is not None:
            pending.changes = changes
            return obligation_view(pending)
        key = rules.snapshot_hash(current)
        row = _open(ctx, session, controller_id, rules.FilingKind.CHANGE, key, changes, actor)
        return obligation_view(row)


def note_stopped(ctx: GateContext, deployment_id: str, *, actor: str) -> dict[str, Any] | None:
    """``filing.cancel``: when the controller's last deployment stops and a filing is on
    record, open the cancellation (once per filing)."""
    with ctx.unit() as session:
        controller_id = get_deployment(session, deployment_id).controller_id
        running = session.scalar(
            select(func.count())
            .select_from(m.Deployment)
            .where(m.Deployment.controller_id == controller_id, m.Deployment.status != "stopped")
        )
        filed = _last_filed(session, controller_id)
        if running or filed is None:
            return None
        key = f"cancel:{filed.id}"
        exists = session.scalar(
            select(FilingObligation.id).where(
                FilingObligation.controller_id == controller_id,
                FilingObligation.kind == rules.FilingKind.CANCEL,
                FilingObligation.trigger_key == key,
            )
        )
        if exists is not None:
            return None
        row = _open(ctx, session, controller_id, rules.FilingKind.CANCEL, key, [], actor)
        return obligation_view(row)


def _destroyed_on_stop(session: Session, deployment_ids: set[str]) -> int:
    """Templates destroyed when these deployments were stopped (from the audit log)."""
    total = 0
    for event in session.scalars(
        select(m.AuditEvent).where(m.AuditEvent.action == "deployment.stopped")
    ):
        objects = event.object_ids()
        if objects.get("deployment") in deployment_ids:
            total += int(objects.get("templates_destroyed", "0") or 0)
    return total


def dispose(ctx: GateContext, controller_id: str, *, actor: str) -> dict[str, Any]:
    """Dispose of the face data of a controller that stopped face recognition: every data key
    destroyed (crypto-shredding); recorded on its cancellation and in the audit log."""
    with ctx.unit() as session:
        get_controller(session, controller_id)
        deployments = list(
            session.scalars(select(m.Deployment).where(m.Deployment.controller_id == controller_id))
        )
        if any(d.status != "stopped" for d in deployments):
            raise Conflict(
                "stop every deployment of the controller before disposing of its data",
                key="error.conflict.stop_first",
            )
        pairs = session.execute(
            select(m.Template.subject_id, m.Template.deployment_id)
            .where(m.Template.deployment_id.in_([d.id for d in deployments]))
            .distinct()
        ).all()
        destroyed = sum(shred_templates(ctx, session, s, d) for s, d in pairs)
        # Stopping a deployment already destroyed its templates (PIPL47): they count as
        # disposed of too.
        destroyed += _destroyed_on_stop(session, {d.id for d in deployments})
        cancel = session.scalars(
            select(FilingObligation).where(
                FilingObligation.controller_id == controller_id,
                FilingObligation.kind == rules.FilingKind.CANCEL,
                FilingObligation.disposed_at.is_(None),
            )
        ).first()
        if cancel is not None:
            cancel.disposed_at = ctx.now()
            cancel.templates_destroyed = destroyed
        record(
            ctx,
            session,
            actor=actor,
            action="filing.dispose",
            objects={
                "controller": controller_id,
                "filing": cancel.id if cancel else "",
                "templates_destroyed": str(destroyed),
            },
            articles=law.rule("filing.cancel").articles,
        )
    for subject_id, deployment_id in pairs:
        ctx.index.remove_subject(subject_id, deployment_id)
    return {
        "controller_id": controller_id,
        "templates_destroyed": destroyed,
        "filing": cancel.id if cancel else None,
    }


def check(ctx: GateContext, *, actor: str) -> list[dict[str, Any]]:
    """Run the change and cancellation detectors for every controller; what they opened."""
    with ctx.db.transaction(readonly=True) as session:
        controllers = list(session.scalars(select(m.Controller.id)))
        stopped = {
            c: d
            for c, d in session.execute(
                select(m.Deployment.controller_id, m.Deployment.id).where(
                    m.Deployment.status == "stopped"
                )
            )
        }
    opened = []
    for controller_id in controllers:
        change = detect_changes(ctx, controller_id, actor=actor)
        if change is not None:
            opened.append(change)
        if controller_id in stopped:
            cancel = note_stopped(ctx, stopped[controller_id], actor=actor)
            if cancel is not None:
                opened.append(cancel)
    return opened


# -- the checklist of scans ------------------------------------------------------------------


def checklist(ctx: GateContext, controller_id: str) -> list[dict[str, Any]]:
    with ctx.db.transaction(readonly=True) as session:
        get_controller(session, controller_id)
        return _checklist(session, controller_id)


def _checklist(session: Session, controller_id: str) -> list[dict[str, Any]]:
    ticked = {
        row.item: row
        for row in session.scalars(
            select(FilingChecklistItem).where(FilingChecklistItem.controller_id == controller_id)
        )
    }
    return [
        {
            "item": item.key,
            "en": item.en,
            "zh": item.zh,
            "ticked": item.key in ticked,
            "ticked_by": ticked[item.key].ticked_by if item.key in ticked else None,
            "ticked_at": ticked[item.key].ticked_at.isoformat() if item.key in ticked else None,
        }
        for item in rules.CHECKLIST
    ]


def tick(
    ctx: GateContext, controller_id: str, item: str, *, ticked: bool = True, actor: str
) -> list[dict[str, Any]]:
    """Tick (or untick) one scanned document as ready."""
    if item not in rules.CHECKLIST_KEYS:
        raise BadRequest(
            f"unknown checklist item {item!r}; one of {', '.join(m.key for m in rules.CHECKLIST)}"
        )
    with ctx.unit() as session:
        get_controller(session, controller_id)
        row = session.get(FilingChecklistItem, (controller_id, item))
        if ticked and row is None:
            session.add(
                FilingChecklistItem(
                    controller_id=controller_id, item=item, ticked_by=actor, ticked_at=ctx.now()
                )
            )
        elif not ticked and row is not None:
            session.delete(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="filing.checklist",
            objects={"controller": controller_id, "item": item, "ticked": str(ticked).lower()},
            articles=law.rule("filing.materials").articles,
            decision="info",
        )
        return _checklist(session, controller_id)


# -- the package's data ------------------------------------------------------------------------


def package_data(ctx: GateContext, controller_id: str) -> FilingPackageData:
    with ctx.db.transaction(readonly=True) as session:
        controller = get_controller(session, controller_id)
        deployments = list(
            session.scalars(
                select(m.Deployment)
                .where(m.Deployment.controller_id == controller_id)
                .order_by(m.Deployment.created_at)
            )
        )
        stored: dict[str, int] = dict(
            session.execute(
                select(m.Template.deployment_id, func.count(func.distinct(m.Template.subject_id)))
                .where(m.Template.deployment_id.in_([d.id for d in deployments]))
                .group_by(m.Template.deployment_id)
            ).all()
        )
        devices: dict[str, int] = dict(
            session.execute(
                select(m.Device.deployment_id, func.count())
                .where(m.Device.deployment_id.in_([d.id for d in deployments]))
                .group_by(m.Device.deployment_id)
            ).all()
        )
        pipia = [
            PipiaEntry(
                d.id,
                d.name,
                pipia_status(session, d.id) or "unknown: the PIPIA feature is not installed",
                {
                    lang: html
                    for lang in ("zh", "en")
                    if (html := pipia_report_html(session, d.id, lang)) is not None
                },
            )
            for d in deployments
        ]
        return FilingPackageData(
            generated_at=ctx.now().isoformat(timespec="seconds"),
            controller={
                "id": controller.id,
                "name": controller.name,
                "contact": controller.contact,
                "address": controller.address,
                "dpo": controller.dpo,
            },
            deployments=[
                {
                    "id": d.id,
                    "name": d.name,
                    "purpose_type": d.purpose_type,
                    "purpose": d.purpose,
                    "necessity": d.necessity,
                    "method": d.method,
                    "why_not_verify": d.why_not_verify,
                    "location_type": d.location_type,
                    "public_place": d.public_place,
                    "retention_days": d.retention_days,
                    "alternatives": list(d.alternatives),
                    "transfer_mode": d.transfer_mode,
                    "lawful_basis": d.lawful_basis,
                    "written_consent_required": d.written_consent_required,
                    "mlps_level": d.mlps_level,
                    "entrusted_processor": d.entrusted_processor,
                    "liveness": d.liveness,
                    "english": dict(d.english or {}),
                    # settings other parts of facegate add, when this build has them
                    "capture_mode": str(getattr(d, "capture_mode", "") or ""),
                    "processing": str(getattr(d, "processing", "") or ""),
                    "status": d.status,
                    "stored": int(stored.get(d.id, 0)),
                    "devices": int(devices.get(d.id, 0)),
                }
                for d in deployments
            ],
            individuals=stored_count(session, controller_id),
            threshold=rules.THRESHOLD,
            obligations=[obligation_view(o) for o in _obligations(session, controller_id)],
            pipia=pipia,
            checklist=_checklist(session, controller_id),
        )
