"""Legal bases a controller relies on instead of consent: the ones listed in ``law`` (cited by
code), and the ones it writes down itself (a law and its article), which take effect only once
its data protection officer approved them (cited as ``approved:<id>``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.law.legal_bases import APPROVED_PREFIX, is_approved_reference
from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, NotFound
from facegate.service.facts import iso
from facegate.store.legal_models import LegalBasisRecord

APPROVER_ROLE = "dpo"

_RULE_OF_USE = {
    law.BasisUse.TRANSFER: "storage.on_device",
    law.BasisUse.NO_ALTERNATIVE: "alternative.required",
}


class UnknownLegalBasis(NotFound):
    code = "unknown_legal_basis"


def _use(value: str) -> law.BasisUse:
    try:
        return law.BasisUse(value)
    except ValueError:
        choices = ", ".join(u.value for u in law.BasisUse)
        raise BadRequest(f"a legal basis is for one of: {choices}") from None


def approved_reference_reasons(
    session: Session, code: str, use: law.BasisUse, controller_id: str
) -> list[law.Reason]:
    """For ``approved:<id>``: the basis exists, belongs to the controller, is for this use and
    has been approved. Other codes are the law's to judge (``law.check_basis``)."""
    if not is_approved_reference(code):
        return []
    basis_id = code.strip()[len(APPROVED_PREFIX) :]
    row = session.get(LegalBasisRecord, basis_id)
    rule_code = _RULE_OF_USE[use]
    if row is None or row.controller_id != controller_id:
        return [law.Reason.of(rule_code, f"no legal basis {basis_id} of this controller")]
    if row.use != use.value:
        return [law.Reason.of(rule_code, f"legal basis {basis_id} is for {row.use}, not {use}")]
    if row.approved_at is None:
        return [
            law.Reason.of(
                rule_code,
                f"legal basis {basis_id} ({row.law} {row.article}) has not been approved by the "
                "data protection officer; it takes effect only once approved",
            )
        ]
    return []


def approved_basis_decision(session: Session, facts: law.DeploymentFacts) -> law.Decision:
    """The approved bases a deployment cites exist and are approved for their use."""
    return law.Decision.from_reasons(
        [
            *approved_reference_reasons(
                session, facts.transfer_legal_basis, law.BasisUse.TRANSFER, facts.controller_id
            ),
            *approved_reference_reasons(
                session,
                facts.alternative_legal_basis,
                law.BasisUse.NO_ALTERNATIVE,
                facts.controller_id,
            ),
        ]
    )


def basis_label(session: Session, code: str) -> str:
    """How records show a basis: the law and article, never only a code."""
    text = code.strip()
    listed = law.legal_basis(text)
    if listed is not None:
        return f"{listed.label('en')} ({listed.code})"
    if is_approved_reference(text):
        row = session.get(LegalBasisRecord, text[len(APPROVED_PREFIX) :])
        if row is not None:
            return f"{row.law} {row.article} (approved by {row.approved_by or 'nobody yet'})"
    return text


@dataclass(frozen=True)
class BasisSpec:
    use: str
    law: str
    article: str
    explanation: str = ""


def propose_basis(
    ctx: GateContext, controller_id: str, spec: BasisSpec, *, actor: str
) -> LegalBasisRecord:
    """Write down a legal basis (a law and its article); it is not in force until approved."""
    from facegate.service.registry import get_controller

    use = _use(spec.use)
    if not spec.law.strip() or not spec.article.strip():
        raise BadRequest("a legal basis names a law and the article in it")
    with ctx.unit() as session:
        get_controller(session, controller_id)
        row = LegalBasisRecord(
            controller_id=controller_id,
            use=use.value,
            law=spec.law.strip(),
            article=spec.article.strip(),
            explanation=spec.explanation.strip(),
            proposed_by=actor,
            proposed_at=ctx.now(),
        )
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="legal_basis.propose",
            objects={"controller": controller_id, "basis": row.id, "use": use.value},
            decision="info",
        )
        return row


def approve_basis(
    ctx: GateContext, basis_id: str, *, approver: str, role: str, actor: str
) -> LegalBasisRecord:
    """The data protection officer approves a basis; only then can it be cited."""
    if role != APPROVER_ROLE:
        raise BadRequest("only the data protection officer (role dpo) approves a legal basis")
    if not approver.strip():
        raise BadRequest("an approval names the person who approves it")
    with ctx.unit() as session:
        row = session.get(LegalBasisRecord, basis_id)
        if row is None:
            raise UnknownLegalBasis(f"no legal basis {basis_id!r}")
        if row.approved_at is None:
            row.approved_by = approver.strip()
            row.approved_at = ctx.now()
            record(
                ctx,
                session,
                actor=actor,
                action="legal_basis.approve",
                objects={"basis": row.id, "law": row.law, "article": row.article},
            )
        return row


def basis_view(row: LegalBasisRecord) -> dict[str, Any]:
    return {
        "code": f"{APPROVED_PREFIX}{row.id}",
        "id": row.id,
        "use": row.use,
        "law": row.law,
        "article": row.article,
        "explanation": row.explanation,
        "approved": row.approved_at is not None,
        "approved_by": row.approved_by,
        "approved_at": iso(row.approved_at),
    }


def list_bases(ctx: GateContext, controller_id: str | None = None) -> list[dict[str, Any]]:
    """Every basis a controller may cite: the listed ones, and its own (approved or not)."""
    listed = [
        {
            "code": b.code,
            "use": ",".join(sorted(u.value for u in b.uses)),
            "law": b.law_en,
            "article": b.article_en,
            "label_zh": b.label("zh"),
            "explanation": b.summary_en,
            "approved": True,
        }
        for b in law.LEGAL_BASES
    ]
    with ctx.db.transaction(readonly=True) as session:
        query = select(LegalBasisRecord).order_by(LegalBasisRecord.proposed_at)
        if controller_id is not None:
            query = query.where(LegalBasisRecord.controller_id == controller_id)
        own = [basis_view(row) for row in session.scalars(query)]
    return listed + own
