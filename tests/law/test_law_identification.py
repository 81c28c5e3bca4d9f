"""1:N only where the model can hold the deployment's target error rates (M4, M9)."""

from __future__ import annotations

from facegate.law import Method
from facegate.law.catalogue import format_articles
from facegate.law.identification import (
    AccuracyFacts,
    accuracy_statement,
    check_identification_accuracy,
)


def facts(**changes: object) -> AccuracyFacts:
    values: dict[str, object] = {
        "model_id": "dlib-resnet-v1",
        "calibrated": True,
        "gallery_size": 1000,
        "target_fpir": 1e-3,
        "fnir_ceiling": 0.10,
        "threshold": 0.412,
        "expected_fpir": 1e-3,
        "expected_fnir": 0.61,
        "reachable": True,
        "largest_gallery": 3,
    }
    values.update(changes)
    return AccuracyFacts(**values)  # type: ignore[arg-type]


def test_purpose_specific_necessary_refused_when_the_gallery_is_too_large_for_the_target() -> None:
    decision = check_identification_accuracy(Method.IDENTIFY, facts())
    assert not decision.allowed
    [reason] = decision.reasons
    assert reason.code == "purpose.specific_necessary"
    assert {"M4", "M9"} <= set(reason.articles)
    assert "Measures art. 4, 9" in format_articles(reason.articles)
    text = reason.message
    for number in ("1,000 people", "0.001", "0.412", "61.0%", "10.0%", "at most 3 people"):
        assert number in text, number
    for way_out in ("split the gallery", "1:1 verification", "card + face", "stronger model"):
        assert way_out in text, way_out


def test_purpose_specific_necessary_refused_when_the_target_is_below_the_calibration() -> None:
    decision = check_identification_accuracy(
        Method.IDENTIFY, facts(reachable=False, largest_gallery=0, gallery_size=10**6)
    )
    assert not decision.allowed
    assert "below what model dlib-resnet-v1 has been measured to reach" in decision.explain()
    assert "cannot hold that target even for one person" in decision.explain()


def test_purpose_specific_necessary_refused_for_an_uncalibrated_model() -> None:
    decision = check_identification_accuracy(
        Method.IDENTIFY, facts(calibrated=False, model_id="my-model")
    )
    assert not decision.allowed
    assert "my-model has no calibration" in decision.explain()
    assert "bench/identification.py --model" in decision.explain()


def test_purpose_specific_necessary_allowed_when_the_target_holds() -> None:
    held = facts(gallery_size=3, threshold=0.55, expected_fnir=0.08, largest_gallery=3)
    assert held.holds
    assert check_identification_accuracy(Method.IDENTIFY, held).allowed


def test_purpose_specific_necessary_allowed_for_verification_whatever_the_gallery() -> None:
    assert check_identification_accuracy(Method.VERIFY, facts(gallery_size=10**6)).allowed


def test_accuracy_statement_states_fpir_and_fnir_in_both_languages() -> None:
    statement = accuracy_statement(facts(gallery_size=3, expected_fpir=9e-4, expected_fnir=0.08))
    assert "false positive identification rate 0.0009 per probe" in statement.en
    assert "false negative identification rate 8.0%" in statement.en
    assert "FPIR" in statement.zh and "8.0%" in statement.zh and "3 人" in statement.zh
    unknown = accuracy_statement(facts(calibrated=False, threshold=None))
    assert "no calibration" in unknown.en and "未经标定" in unknown.zh
