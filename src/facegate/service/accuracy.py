"""Thresholds from targets, and whether a deployment's 1:N search can hold its target.

The engine's calibration (measured FMR and FNMR per threshold, per model id) and the
deployment's declared targets give the threshold for its gallery's current size; the law
decides whether the expected error rates are acceptable (``law.identification``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate import law
from facegate.engine.calibration import (
    Calibration,
    OperatingPoint,
    identification_point,
    largest_gallery,
    verification_point,
)
from facegate.law.identification import (
    AccuracyFacts,
    accuracy_statement,
    check_identification_accuracy,
)
from facegate.service.context import GateContext
from facegate.service.errors import BadRequest
from facegate.store import models as m


def calibration_for(ctx: GateContext) -> Calibration | None:
    """The engine's calibration: its own (a user's model carries one) or the shipped table."""
    return ctx.model_card.calibration


def gallery_size(session: Session, deployment_id: str, at: datetime, model_id: str) -> int:
    """Unexpired templates of the deployment made by ``model_id``: each is one comparison of
    a 1:N search (another model's templates are never searched)."""
    count = session.scalar(
        select(func.count())
        .select_from(m.Template)
        .where(
            m.Template.deployment_id == deployment_id,
            m.Template.expires_at > at,
            m.Template.engine == model_id,
        )
    )
    return int(count or 0)


def identification_operating_point(
    ctx: GateContext, row: m.Deployment, size: int
) -> OperatingPoint | None:
    calibration = calibration_for(ctx)
    if calibration is None:
        return None
    return identification_point(calibration, size, row.target_fpir, ctx.model_card.threshold)


def verification_threshold(ctx: GateContext, row: m.Deployment) -> float:
    """1:1: the threshold holding the deployment's target FMR, never looser than the engine's;
    the engine's own threshold when no target is declared or the model is not calibrated."""
    card = ctx.model_card
    if row.target_fmr is None or card.calibration is None:
        return card.threshold
    return verification_point(card.calibration, row.target_fmr, card.threshold).threshold


def accuracy_facts(ctx: GateContext, row: m.Deployment, size: int) -> AccuracyFacts:
    card = ctx.model_card
    calibration = card.calibration
    if calibration is None:
        return AccuracyFacts(
            model_id=card.model_id,
            calibrated=False,
            gallery_size=size,
            target_fpir=row.target_fpir,
            fnir_ceiling=row.fnir_ceiling,
        )
    point = identification_point(calibration, size, row.target_fpir, card.threshold)
    return AccuracyFacts(
        model_id=calibration.model_id,
        calibrated=True,
        gallery_size=size,
        target_fpir=row.target_fpir,
        fnir_ceiling=row.fnir_ceiling,
        threshold=point.threshold,
        expected_fpir=point.expected_fpir,
        expected_fnir=point.expected_fnir,
        reachable=point.reachable,
        largest_gallery=largest_gallery(
            calibration, row.target_fpir, row.fnir_ceiling, card.threshold
        ),
        provisional=calibration.provisional,
    )


def planned_size(
    ctx: GateContext, session: Session, row: m.Deployment, at: datetime, *, adding: int = 0
) -> int:
    """The gallery size to judge: the planned size, or the stored one plus ``adding``."""
    stored = gallery_size(session, row.id, at, ctx.model_card.model_id)
    return max(row.planned_gallery_size, stored + adding)


def accuracy_decision(
    ctx: GateContext, session: Session, row: m.Deployment, *, adding: int = 0
) -> law.Decision:
    """Refused when a 1:N deployment cannot hold its target FPIR at its gallery's size
    (activation: ``adding=0``; enrolment of one more template: ``adding=1``)."""
    method = law.Method(row.method)
    if method != law.Method.IDENTIFY:
        return law.Decision.allow()
    size = planned_size(ctx, session, row, ctx.now(), adding=adding)
    return check_identification_accuracy(method, accuracy_facts(ctx, row, size))


@dataclass(frozen=True)
class AccuracyView:
    """What ``deployment show``, the console and the PIPIA state of the expected errors."""

    method: str
    model_id: str
    gallery_size: int
    threshold: float | None
    target_fpir: float | None
    expected_fpir: float | None
    fnir_ceiling: float | None
    expected_fnir: float | None
    target_fmr: float | None
    expected_fmr: float | None  # 1:1, per comparison
    expected_fnmr: float | None  # 1:1
    holds: bool
    largest_gallery: int | None
    ambiguity_margin: float | None
    provisional: bool
    statement_en: str
    statement_zh: str

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def accuracy_view(ctx: GateContext, session: Session, row: m.Deployment) -> AccuracyView:
    at = ctx.now()
    card = ctx.model_card
    if law.Method(row.method) != law.Method.IDENTIFY:
        threshold = verification_threshold(ctx, row)
        calibration = card.calibration
        fmr = calibration.fmr_at(threshold) if calibration else None
        fnmr = calibration.fnmr_at(threshold) if calibration else None
        en = f"1:1 verification with model {card.model_id}, threshold {threshold:.3f}: " + (
            f"expected false match rate {fmr:.2g} per comparison, expected false "
            f"non-match rate {fnmr:.1%}."
            if fmr is not None and fnmr is not None
            else "the model is not calibrated, so its error rates are unknown."
        )
        zh = f"一对一验证（模型 {card.model_id}，阈值 {threshold:.3f}）：" + (
            f"预计每次比对误匹配率 {fmr:.2g}，误拒率 {fnmr:.1%}。"
            if fmr is not None and fnmr is not None
            else "模型未经标定，误差率未知。"
        )
        return AccuracyView(
            method=row.method,
            model_id=card.model_id,
            gallery_size=gallery_size(session, row.id, at, card.model_id),
            threshold=threshold,
            target_fpir=None,
            expected_fpir=None,
            fnir_ceiling=None,
            expected_fnir=None,
            target_fmr=row.target_fmr,
            expected_fmr=fmr,
            expected_fnmr=fnmr,
            holds=True,
            largest_gallery=None,
            ambiguity_margin=None,
            provisional=bool(calibration and calibration.provisional),
            statement_en=en,
            statement_zh=zh,
        )
    facts = accuracy_facts(ctx, row, planned_size(ctx, session, row, at))
    statement = accuracy_statement(facts)
    return AccuracyView(
        method=row.method,
        model_id=facts.model_id,
        gallery_size=facts.gallery_size,
        threshold=facts.threshold,
        target_fpir=facts.target_fpir,
        expected_fpir=facts.expected_fpir,
        fnir_ceiling=facts.fnir_ceiling,
        expected_fnir=facts.expected_fnir,
        target_fmr=row.target_fmr,
        expected_fmr=None,
        expected_fnmr=None,
        holds=facts.holds,
        largest_gallery=facts.largest_gallery if facts.calibrated else None,
        ambiguity_margin=row.ambiguity_margin,
        provisional=facts.provisional,
        statement_en=statement.en,
        statement_zh=statement.zh,
    )


def deployment_accuracy(ctx: GateContext, deployment_id: str) -> AccuracyView:
    """Read function for interfaces: the expected error rates of one deployment."""
    from facegate.service.registry import get_deployment

    with ctx.unit(readonly=True) as session:
        return accuracy_view(ctx, session, get_deployment(session, deployment_id))


def check_targets(values: dict[str, Any]) -> None:
    """Bad input, not law: rates lie strictly between 0 and 1, margins and sizes are >= 0."""
    for key in ("target_fpir", "fnir_ceiling", "target_fmr"):
        value = values.get(key)
        if value is not None and not 0 < float(value) < 1:
            raise BadRequest(f"{key} must lie strictly between 0 and 1; {value} was given")
    margin = values.get("ambiguity_margin")
    if margin is not None and not 0 <= float(margin) < 1:
        raise BadRequest(f"ambiguity_margin must lie between 0 and 1; {margin} was given")
    planned = values.get("planned_gallery_size")
    if planned is not None and int(planned) < 0:
        raise BadRequest(f"planned_gallery_size cannot be negative; {planned} was given")
