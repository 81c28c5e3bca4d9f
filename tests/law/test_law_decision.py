"""Decisions, reasons and the Refused error render as the CLI and API expect."""

from __future__ import annotations

import pytest

from facegate.errors import FacegateError
from facegate.law import Decision, Reason, Refused, rule

NO_CONSENT = Reason.of("consent.separate", "no valid separate consent for this deployment")
NO_SIGNS = Reason.of("location.public_place", "no signs")
INACTIVE = Reason.of("deployment.inactive", "deployment dep-1 is draft, not active")


def test_reason_of_looks_up_articles() -> None:
    assert NO_CONSENT.articles == rule("consent.separate").articles


def test_reason_of_operational_code_has_no_articles() -> None:
    assert INACTIVE.articles == ()


def test_reason_of_unknown_code_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unknown reason code"):
        Reason.of("consent.seperate", "typo")


def test_decision_allow_and_refuse() -> None:
    assert Decision.allow().allowed
    assert Decision.allow("records.processing", "records.processing").obligations == (
        "records.processing",
    )
    refused = Decision.refuse(NO_CONSENT)
    assert not refused.allowed and refused.codes == ("consent.separate",)


@pytest.mark.parametrize(
    ("allowed", "reasons"), [(True, (NO_CONSENT,)), (False, ())], ids=["allowed", "refused"]
)
def test_decision_rejects_inconsistent_construction(
    allowed: bool, reasons: tuple[Reason, ...]
) -> None:
    with pytest.raises(ValueError):
        Decision(allowed, reasons)


def test_decision_combine() -> None:
    combined = Decision.combine(
        Decision.allow("a"),
        Decision.refuse(NO_SIGNS),
        Decision.allow("b", "a"),
        Decision.refuse(NO_CONSENT, NO_SIGNS),
    )
    assert not combined.allowed
    assert combined.reasons == (NO_SIGNS, NO_CONSENT, NO_SIGNS)
    assert combined.codes == ("location.public_place", "consent.separate")
    assert combined.obligations == ("a", "b")
    assert combined.articles == (
        "M13",
        "PIPL26",
        "M6",
        "PIPL14",
        "PIPL29",
        "NDSR22",
        "SPC2(3)",
        "SPC4",
    )


def test_decision_combine_all_allowed_and_empty() -> None:
    assert Decision.combine(Decision.allow("a"), Decision.allow("b")) == Decision.allow("a", "b")
    assert Decision.combine().allowed


def test_decision_explain_refused() -> None:
    reason = Reason(
        "consent.separate", ("M6", "PIPL14"), "no valid separate consent for this deployment"
    )
    assert Decision.refuse(reason).explain() == (
        "refused (Measures art. 6; PIPL art. 14): no valid separate consent for this deployment"
    )


def test_decision_explain_several_reasons_and_operational() -> None:
    text = Decision.refuse(INACTIVE, NO_SIGNS).explain()
    assert text == (
        "refused: deployment dep-1 is draft, not active; "
        "refused (Measures art. 13; PIPL art. 26): no signs"
    )


def test_decision_explain_allowed() -> None:
    assert Decision.allow().explain() == "allowed"
    assert Decision.allow("records.processing").explain() == (
        "allowed; obligations: records.processing"
    )


def test_refused_carries_decision_and_reasons() -> None:
    decision = Decision.refuse(NO_CONSENT, INACTIVE)
    error = Refused(decision)
    assert isinstance(error, FacegateError)
    assert error.code == "refused" and error.decision is decision
    assert error.message == str(error) == decision.explain()
    assert error.to_dict() == {
        "code": "refused",
        "message": decision.explain(),
        "reasons": [
            {
                "code": "consent.separate",
                "articles": ["M6", "PIPL14", "PIPL29", "NDSR22", "SPC2(3)", "SPC4"],
                "message": "no valid separate consent for this deployment",
            },
            {"code": "deployment.inactive", "articles": [], "message": INACTIVE.message},
        ],
    }


def test_refused_needs_a_refusal() -> None:
    with pytest.raises(ValueError):
        Refused(Decision.allow())
