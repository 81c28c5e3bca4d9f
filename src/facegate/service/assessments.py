"""Impact assessments (PIPIA): create a pre-filled draft, edit it, approve it, delete it after
three years; and the activation check that keeps processing behind an approved one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate import law
from facegate.documents.pipia import PipiaDocument, render_pipia_html
from facegate.law.pipia import (
    ASPECT_KEYS,
    Aspect,
    Conclusion,
    PipiaFacts,
    PipiaStatus,
    RiskLevel,
    Statement,
    check_approval,
    check_pipia,
    purpose_snapshot,
    report_date,
    snapshot_hash,
    unconfirmed,
)
from facegate.law.pipia_draft import SecurityFacts, draft_aspects, draft_conclusion
from facegate.service.accuracy import accuracy_view
from facegate.service.context import GateContext, record, require
from facegate.service.errors import BadRequest, Conflict, NotFound
from facegate.service.facts import aware, deployment_facts
from facegate.service.registry import get_controller, get_deployment
from facegate.service.staleness import mark_pipias_stale
from facegate.store import models as m
from facegate.store.assessment_models import Assessment
from facegate.store.keys import KEY_BYTES


class UnknownAssessment(NotFound):
    code = "unknown_assessment"


def security_facts(row: m.Deployment) -> SecurityFacts:
    """The protective measures facegate applies, as they are in this build."""
    return SecurityFacts(
        template_cipher=f"AES-{KEY_BYTES * 8}-GCM",
        per_subject_keys=True,
        audit_hash_chained=True,
        raw_images_kept=False,
        identity_separated=True,
        index_per_deployment=True,
        entrusted_processor=row.entrusted_processor,
        mlps_level=row.mlps_level,
    )


def _statements(items: Any) -> tuple[Statement, ...]:
    # A statement stored without the mark (before drafts were reviewed) counts as unconfirmed.
    return tuple(
        Statement(str(i.get("en", "")), str(i.get("zh", "")), bool(i.get("confirmed", False)))
        for i in items or ()
    )


def _statement_json(items: Sequence[Statement]) -> list[dict[str, Any]]:
    return [{"en": s.en, "zh": s.zh, "confirmed": s.confirmed} for s in items]


def conclusion_of(row: Assessment) -> Conclusion | None:
    value = row.conclusion
    if not value:
        return None
    return Conclusion(
        RiskLevel(value.get("risk_level", "high")),
        bool(value.get("may_proceed", False)),
        _statements(value.get("conditions")),
        bool(value.get("confirmed", False)),
    )


def conclusion_json(c: Conclusion) -> dict[str, Any]:
    return {
        "risk_level": c.risk_level.value,
        "may_proceed": c.may_proceed,
        "conditions": _statement_json(c.conditions),
        "confirmed": c.confirmed,
    }


def aspects_of(row: Assessment) -> dict[str, Aspect]:
    return {
        key: Aspect(_statements(value.get("findings")), _statements(value.get("measures")))
        for key, value in (row.aspects or {}).items()
    }


def aspects_json(aspects: dict[str, Aspect]) -> dict[str, Any]:
    return {
        key: {"findings": _statement_json(a.findings), "measures": _statement_json(a.measures)}
        for key, a in aspects.items()
    }


def pipia_facts(row: Assessment) -> PipiaFacts:
    created_at = aware(row.created_at)
    assert created_at is not None
    return PipiaFacts(
        id=row.id,
        deployment_id=row.deployment_id,
        number=row.number,
        snapshot_hash=row.snapshot_hash,
        status=PipiaStatus(row.status),
        aspects=aspects_of(row),
        created_at=created_at,
        approved_at=aware(row.approved_at),
        approver=row.approver,
        stale_at=aware(row.stale_at),
        stale_reason=row.stale_reason,
        conclusion=conclusion_of(row),
    )


def latest(session: Session, deployment_id: str) -> Assessment | None:
    return session.scalar(
        select(Assessment)
        .where(Assessment.deployment_id == deployment_id)
        .order_by(Assessment.number.desc())
        .limit(1)
    )


def current_hash(row: m.Deployment) -> str:
    return snapshot_hash(purpose_snapshot(deployment_facts(row)))


def pipia_decision(session: Session, deployment: m.Deployment, at: datetime) -> law.Decision:
    """The activation check (an ``ActivationCheck``): an approved assessment of the current
    purpose and method (``pipia.before``, ``pipia.renew``)."""
    del at
    rows = session.execute(
        select(
            Assessment.id,
            Assessment.number,
            Assessment.snapshot_hash,
            Assessment.status,
            Assessment.created_at,
            Assessment.stale_at,
            Assessment.stale_reason,
        ).where(Assessment.deployment_id == deployment.id)
    ).all()
    # Only what the rule reads: this runs before every face operation.
    facts = [
        PipiaFacts(
            id=r.id,
            deployment_id=deployment.id,
            number=r.number,
            snapshot_hash=r.snapshot_hash,
            status=PipiaStatus(r.status),
            aspects={},
            created_at=r.created_at,
            stale_at=aware(r.stale_at),
            stale_reason=r.stale_reason,
        )
        for r in rows
    ]
    return check_pipia(current_hash(deployment), facts)


def with_accuracy(
    aspects: dict[str, Aspect], ctx: GateContext, session: Session, deployment: m.Deployment
) -> dict[str, Aspect]:
    """The draft's risk aspect (M9) also states the face checks' expected error rates: for
    1:N, the false positive and false negative identification rates at the gallery's size."""
    view = accuracy_view(ctx, session, deployment)
    risks = aspects["risks"]
    statement = Statement(view.statement_en, view.statement_zh)
    return {**aspects, "risks": Aspect((*risks.findings, statement), risks.measures)}


def create_pipia(ctx: GateContext, deployment_id: str, *, actor: str) -> Assessment:
    """A new draft of the deployment's current purpose and method, pre-filled from its
    configuration and the security settings in force. Refused (Conflict) while a draft of the
    same purpose and method exists: edit or approve that one."""
    with ctx.unit() as session:
        deployment = get_deployment(session, deployment_id)
        facts = deployment_facts(deployment)
        snapshot = purpose_snapshot(facts)
        digest = snapshot_hash(snapshot)
        newest = latest(session, deployment_id)
        if newest is not None and newest.status == "draft" and newest.snapshot_hash == digest:
            raise Conflict(
                f"assessment {newest.number} of deployment {deployment_id} is a draft of the "
                "current purpose and method; edit or approve it",
                details={"assessment": newest.id},
                key="error.conflict.pipia_draft_exists",
                params={"number": newest.number},
            )
        number = (session.scalar(
            select(func.max(Assessment.number)).where(Assessment.deployment_id == deployment_id)
        ) or 0) + 1  # fmt: skip
        draft = draft_aspects(facts, security_facts(deployment))
        row = Assessment(
            deployment_id=deployment_id,
            number=number,
            snapshot_hash=digest,
            snapshot=snapshot,
            aspects=aspects_json(with_accuracy(draft, ctx, session, deployment)),
            conclusion=conclusion_json(draft_conclusion(facts, security_facts(deployment))),
            status=PipiaStatus.DRAFT.value,
            created_by=actor,
            created_at=ctx.now(),
        )
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="pipia.create",
            objects={"deployment": deployment_id, "assessment": row.id},
            articles=law.rule("pipia.before").articles,
        )
        return row


def _draft(session: Session, deployment_id: str) -> Assessment:
    get_deployment(session, deployment_id)
    row = latest(session, deployment_id)
    if row is None:
        raise UnknownAssessment(f"deployment {deployment_id} has no impact assessment yet")
    if row.status != PipiaStatus.DRAFT.value:
        raise Conflict(
            f"assessment {row.number} is {row.status}; only a draft can be changed — "
            "create a new assessment",
            key="error.conflict.pipia_not_draft",
            params={"number": row.number},
        )
    return row


def edit_pipia(
    ctx: GateContext,
    deployment_id: str,
    aspect: str,
    *,
    findings: Sequence[Statement] | None = None,
    measures: Sequence[Statement] | None = None,
    actor: str,
) -> Assessment:
    """Replace the findings and/or measures of one aspect of the draft."""
    if aspect not in ASPECT_KEYS:
        raise BadRequest(f"unknown aspect {aspect!r}; one of {', '.join(ASPECT_KEYS)}")
    with ctx.unit() as session:
        row = _draft(session, deployment_id)
        aspects = aspects_of(row)
        old = aspects.get(aspect, Aspect((), ()))
        aspects[aspect] = Aspect(
            tuple(findings) if findings is not None else old.findings,
            tuple(measures) if measures is not None else old.measures,
        )
        row.aspects = aspects_json(aspects)
        record(
            ctx,
            session,
            actor=actor,
            action="pipia.edit",
            objects={"deployment": deployment_id, "assessment": row.id, "aspect": aspect},
        )
        return row


def confirm_pipia(
    ctx: GateContext, deployment_id: str, refs: Sequence[str], *, actor: str
) -> Assessment:
    """A person confirms drafted statements of the draft, one by one: ``purpose.findings.2``
    (aspect, part, 1-based number) or ``conclusion``. Unknown references are bad input."""
    if not refs:
        raise BadRequest(
            "name the statements you confirm, e.g. purpose.findings.1",
            key="error.bad_request.pipia_confirm_none",
        )
    with ctx.unit() as session:
        row = _draft(session, deployment_id)
        aspects = aspects_of(row)
        conclusion = conclusion_of(row)
        for ref in dict.fromkeys(r.strip() for r in refs):
            if ref == "conclusion" and conclusion is not None:
                conclusion = replace(conclusion, confirmed=True)
                continue
            aspect, _, rest = ref.partition(".")
            part, _, number = rest.partition(".")
            old = aspects.get(aspect)
            items = list(getattr(old, part)) if old and part in ("findings", "measures") else []
            if not number.isdigit() or not 1 <= int(number) <= len(items):
                raise BadRequest(
                    f"no statement {ref!r}; references look like purpose.findings.1, "
                    "safeguards.measures.2 or conclusion"
                )
            assert old is not None
            items[int(number) - 1] = replace(items[int(number) - 1], confirmed=True)
            aspects[aspect] = replace(old, **{part: tuple(items)})
        row.aspects = aspects_json(aspects)
        if conclusion is not None:
            row.conclusion = conclusion_json(conclusion)
        record(
            ctx,
            session,
            actor=actor,
            action="pipia.confirm",
            objects={
                "deployment": deployment_id,
                "assessment": row.id,
                "statements": ",".join(refs),
            },
        )
        return row


def conclude_pipia(
    ctx: GateContext,
    deployment_id: str,
    *,
    risk_level: str,
    may_proceed: bool,
    conditions: Sequence[Statement],
    actor: str,
) -> Assessment:
    """Write the report's overall conclusion (a person's own: confirmed)."""
    try:
        level = RiskLevel(risk_level)
    except ValueError:
        raise BadRequest(
            f"risk level is one of {', '.join(r.value for r in RiskLevel)}, not {risk_level!r}"
        ) from None
    kept = tuple(replace(c, confirmed=True) for c in conditions if not c.blank)
    if may_proceed and not kept:
        raise BadRequest(
            "processing may proceed only on stated conditions; name at least one",
            key="error.bad_request.pipia_conditions",
        )
    with ctx.unit() as session:
        row = _draft(session, deployment_id)
        row.conclusion = conclusion_json(Conclusion(level, may_proceed, kept, confirmed=True))
        record(
            ctx,
            session,
            actor=actor,
            action="pipia.conclude",
            objects={"deployment": deployment_id, "assessment": row.id, "risk": level.value},
        )
        return row


def pending_statements(ctx: GateContext, deployment_id: str) -> list[str]:
    """The drafted statements of the newest assessment nobody has confirmed yet."""
    with ctx.db.transaction(readonly=True) as session:
        get_deployment(session, deployment_id)
        row = latest(session, deployment_id)
        if row is None:
            raise UnknownAssessment(f"deployment {deployment_id} has no impact assessment yet")
        return unconfirmed(pipia_facts(row))


def approve_pipia(
    ctx: GateContext, deployment_id: str, *, approver: str, role: str = "dpo", actor: str
) -> Assessment:
    """Approve the draft: refused unless it assesses the current purpose and method, every
    aspect has findings or measures, and the approver is named."""
    with ctx.unit() as session:
        row = _draft(session, deployment_id)
        deployment = get_deployment(session, deployment_id)
        facts = pipia_facts(row)
        if facts.conclusion is not None and not facts.conclusion.may_proceed:
            raise Conflict(
                "the assessment concludes that processing may not proceed; it cannot be "
                "approved as the basis of processing",
                key="error.conflict.pipia_may_not_proceed",
            )
        require(
            check_approval(facts, current_hash(deployment), approver),
            actor=actor,
            action="pipia.approve",
            objects={"deployment": deployment_id, "assessment": row.id},
        )
        row.status = PipiaStatus.APPROVED.value
        row.approver = approver.strip()
        row.approver_role = role.strip()
        row.approved_at = ctx.now()
        record(
            ctx,
            session,
            actor=actor,
            action="pipia.approve",
            objects={"deployment": deployment_id, "assessment": row.id, "role": row.approver_role},
            articles=law.rule("pipia.before").articles,
        )
        return row


def mark_stale(session: Session, deployment_id: str, reason: str) -> list[str]:
    """Make the deployment's live assessments stale, in the caller's transaction (a major
    incident, ``pipia.renew``); the ids made stale. The caller audits. See
    :func:`facegate.service.staleness.mark_pipias_stale` to pass the time."""
    return mark_pipias_stale(session, deployment_id, reason)


def stale_assessments(
    ctx: GateContext, deployment_id: str, reason: str, *, actor: str
) -> list[str]:
    """Make the deployment's live assessments stale, in a transaction of its own, audited."""
    with ctx.unit() as session:
        get_deployment(session, deployment_id)
        staled = mark_pipias_stale(session, deployment_id, reason, at=ctx.now())
        record(
            ctx,
            session,
            actor=actor,
            action="pipia.stale",
            objects={"deployment": deployment_id, "assessments": ",".join(staled)},
            articles=law.rule("pipia.renew").articles,
            decision="info",
        )
        return staled


def pipia_status(session: Session, deployment_id: str) -> str:
    """One line for other documents (the filing package): the state of the newest
    assessment."""
    row = latest(session, deployment_id)
    if row is None:
        return "none"
    if row.status == PipiaStatus.APPROVED.value and row.approved_at is not None:
        approved = aware(row.approved_at)
        assert approved is not None
        return (
            f"approved (no. {row.number}, {approved.date().isoformat()}, "
            f"{row.approver}, {row.approver_role})"
        )
    if row.status == PipiaStatus.STALE.value:
        return f"stale (no. {row.number}): {row.stale_reason}"
    return f"{row.status} (no. {row.number})"


def report_html(session: Session, deployment_id: str, lang: str) -> str | None:
    """The newest assessment's report as HTML (``zh`` or ``en``), or ``None`` without one."""
    row = latest(session, deployment_id)
    if row is None:
        return None
    deployment = get_deployment(session, deployment_id)
    controller = get_controller(session, deployment.controller_id)
    return render_pipia_html(pipia_document(row, deployment, controller), lang=lang)


def delete_pipia(ctx: GateContext, assessment_id: str, *, actor: str) -> None:
    """Delete an assessment report: refused before three years from its date
    (``records.three_years``)."""
    with ctx.unit() as session:
        row = session.get(Assessment, assessment_id)
        if row is None:
            raise UnknownAssessment(f"no assessment {assessment_id!r}")
        objects = {"deployment": row.deployment_id, "assessment": row.id}
        require(
            law.check_retention_delete(report_date(pipia_facts(row)), ctx.now()),
            actor=actor,
            action="pipia.delete",
            objects=objects,
        )
        session.delete(row)
        record(
            ctx,
            session,
            actor=actor,
            action="pipia.delete",
            objects=objects,
            articles=law.rule("records.three_years").articles,
        )


def pipia_document(
    row: Assessment, deployment: m.Deployment, controller: m.Controller
) -> PipiaDocument:
    """What the report shows, as plain values for ``documents.pipia``."""
    facts = pipia_facts(row)
    return PipiaDocument(
        controller_name=controller.name,
        controller_contact=controller.contact,
        deployment_id=deployment.id,
        deployment_name=deployment.name,
        number=row.number,
        status=row.status,
        stale_reason=row.stale_reason,
        created_on=law.china_date(facts.created_at),
        approver=row.approver,
        approver_role=row.approver_role,
        approved_on=law.china_date(facts.approved_at) if facts.approved_at else None,
        snapshot_hash=row.snapshot_hash,
        snapshot={k: str(v) for k, v in (row.snapshot or {}).items()},
        aspects=facts.aspects,
        keep_until=law.china_date(law.add_years(report_date(facts), law.RECORD_KEEPING_YEARS)),
        conclusion=facts.conclusion,
    )


@dataclass(frozen=True)
class PipiaReport:
    """An assessment with what its report is rendered from."""

    assessment: Assessment
    deployment: m.Deployment
    controller: m.Controller
    decision: law.Decision


def pipia_report(ctx: GateContext, deployment_id: str) -> PipiaReport:
    """The newest assessment of the deployment, and whether processing may rely on it now."""
    with ctx.db.transaction(readonly=True) as session:
        deployment = get_deployment(session, deployment_id)
        row = latest(session, deployment_id)
        if row is None:
            raise UnknownAssessment(f"deployment {deployment_id} has no impact assessment yet")
        controller = get_controller(session, deployment.controller_id)
        decision = pipia_decision(session, deployment, ctx.now())
        session.expunge_all()
        return PipiaReport(row, deployment, controller, decision)
