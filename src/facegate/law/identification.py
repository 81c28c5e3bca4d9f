"""Whether 1:N identification can be trusted at the gallery's size (M4, M9).

Measures art. 4 asks for the least intrusive method that is *effective*; art. 9 asks the impact
assessment to weigh the risks to people. A 1:N search compares a stranger with every enrolled
template, so its false positive identification rate (FPIR: a person who is not enrolled is
taken for someone who is) grows with the gallery. A deployment declares the FPIR it accepts
per probe and the false negative identification rate (FNIR: an enrolled person is missed) it
can live with; when the model's measured error rates cannot give both at the gallery's size,
activation and further enrolment are refused, with the numbers and the ways out.

The measured rates come from the engine's calibration (``facegate.engine.calibration``); this
module only decides on them. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from facegate.law.catalogue import rule
from facegate.law.decision import Decision, Reason
from facegate.law.facts import Method
from facegate.law.pipia import Statement

DEFAULT_TARGET_FPIR = 0.01
"""Per probe: one stranger in a hundred may be taken for an enrolled person. An access gate
that strangers walk up to should declare less (1e-3)."""
DEFAULT_FNIR_CEILING = 0.10
"""An enrolled person may be missed one time in ten (they use the alternative)."""
DEFAULT_AMBIGUITY_MARGIN = 0.03
"""Distance units: a best match closer than this to the second-best subject is not trusted."""

ACCURACY_CODE = "purpose.specific_necessary"
ACCURACY_ARTICLES: tuple[str, ...] = (*rule(ACCURACY_CODE).articles, "M9")
"""Refusals cite art. 4 (least intrusive *and effective*) and art. 9 (the PIPIA's risk aspect
records the expected error rates). measures.md has no row of its own for this control, so it
is filed under ``purpose.specific_necessary`` with art. 9 added."""


@dataclass(frozen=True)
class AccuracyFacts:
    """What the engine's calibration says of a deployment's 1:N search at a gallery size."""

    model_id: str
    calibrated: bool
    gallery_size: int
    target_fpir: float
    fnir_ceiling: float
    threshold: float | None = None
    expected_fpir: float | None = None
    expected_fnir: float | None = None
    reachable: bool = False  # the target FPIR lies within what the calibration measures
    largest_gallery: int = 0  # the largest gallery that holds the target at the ceiling
    provisional: bool = False

    @property
    def holds(self) -> bool:
        return (
            self.calibrated
            and self.reachable
            and self.expected_fnir is not None
            and self.expected_fnir <= self.fnir_ceiling
        )


def _pct(rate: float) -> str:
    if rate >= 0.00995:  # 1% and above (rounding included) as a percentage
        return f"{rate:.1%}"
    return f"{rate:.2g}"


def _people(n: int) -> str:
    return f"{n:,} {'person' if n == 1 else 'people'}"


def _reason(message: str) -> Reason:
    return Reason(ACCURACY_CODE, ACCURACY_ARTICLES, message)


WAYS_OUT = (
    "split the gallery into smaller groups (one per entrance, building or shift), "
    "use 1:1 verification against a claimed identity (card + face, or PIN + face), "
    "or use a stronger model"
)


def check_identification_accuracy(method: Method, a: AccuracyFacts) -> Decision:
    """Allowed for 1:1 deployments and for 1:N searches whose target FPIR holds at the FNIR
    ceiling; otherwise refused with the numbers and the ways out."""
    if method != Method.IDENTIFY or a.holds:
        return Decision.allow()
    if not a.calibrated:
        return Decision.refuse(
            _reason(
                f"model {a.model_id} has no calibration of its error rates, so nobody can say "
                f"how often a 1:N search of {_people(a.gallery_size)} would take a stranger "
                "for an enrolled person; calibrate it (bench/identification.py --model PATH) "
                f"or {WAYS_OUT.split(', or ')[0]}"
            )
        )
    fits = (
        f"this model holds that target for at most {_people(a.largest_gallery)}"
        if a.largest_gallery > 0
        else "this model cannot hold that target even for one person"
    )
    if not a.reachable:
        what = (
            f"the false match rate per comparison this needs is below what model {a.model_id} "
            "has been measured to reach"
        )
    else:
        what = (
            f"the threshold that would ({a.threshold:.3f}) misses an estimated "
            f"{_pct(a.expected_fnir or 0.0)} of enrolled people (FNIR), above the "
            f"{_pct(a.fnir_ceiling)} this deployment accepts"
        )
    return Decision.refuse(
        _reason(
            f"a 1:N search of {_people(a.gallery_size)} cannot hold a false positive "
            f"identification rate (FPIR) of {_pct(a.target_fpir)} per probe: {what}; {fits}. "
            f"Ways out: {WAYS_OUT}"
        )
    )


def accuracy_statement(a: AccuracyFacts) -> Statement:
    """The expected error rates, for the PIPIA's risk aspect, the console and the CLI."""
    if not a.calibrated or a.threshold is None:
        return Statement(
            f"Identification errors: model {a.model_id} has no calibration, so the rate at "
            f"which a stranger is taken for one of {_people(a.gallery_size)} is unknown.",
            f"识别误差：模型 {a.model_id} 未经标定，"
            f"无法说明在 {a.gallery_size:,} 人中将陌生人误识为已登记者的概率。",
        )
    fpir = a.expected_fpir or 0.0
    fnir = a.expected_fnir or 0.0
    verdict_en = (
        "within the targets"
        if a.holds
        else f"the target cannot be held: at most {_people(a.largest_gallery)} can"
    )
    verdict_zh = "符合目标" if a.holds else f"无法达到目标：该模型最多支持 {a.largest_gallery:,} 人"
    measured = " (provisional calibration)" if a.provisional else ""
    measured_zh = "（临时标定）" if a.provisional else ""
    return Statement(
        f"Identification errors with model {a.model_id}{measured}, gallery of "
        f"{_people(a.gallery_size)}, threshold {a.threshold:.3f}: expected false positive "
        f"identification rate {_pct(fpir)} per probe (target {_pct(a.target_fpir)}), expected "
        f"false negative identification rate {_pct(fnir)} (accepted up to "
        f"{_pct(a.fnir_ceiling)}); {verdict_en}.",
        f"识别误差（模型 {a.model_id}{measured_zh}，登记 {a.gallery_size:,} 人，阈值 "
        f"{a.threshold:.3f}）：预计陌生人被误识为已登记者的比例（FPIR）为每次 {_pct(fpir)}"
        f"（目标 {_pct(a.target_fpir)}），已登记者未被识别的比例（FNIR）为 {_pct(fnir)}"
        f"（可接受上限 {_pct(a.fnir_ceiling)}）；{verdict_zh}。",
    )
