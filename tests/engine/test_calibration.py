"""Thresholds derived from a target rate and a model's measured calibration table."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from facegate.engine.calibration import (
    Calibration,
    CalibrationError,
    fpir_of,
    identification_point,
    largest_gallery,
    per_comparison_budget,
    read_calibration,
    shipped_calibration,
    verification_point,
)

# A table shaped like dlib's on LFW: FMR falls about tenfold per 0.05 of distance.
TABLE = Calibration(
    model_id="test-model",
    source="synthetic",
    impostor_comparisons=10_000_000,
    genuine_comparisons=10_000,
    thresholds=(0.40, 0.45, 0.50, 0.55, 0.60, 0.70),
    fmr=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1),
    fnmr=(0.60, 0.40, 0.20, 0.08, 0.02, 0.005),
)


def test_per_comparison_budget_is_about_target_over_n() -> None:
    assert per_comparison_budget(1e-3, 1) == pytest.approx(1e-3)
    assert per_comparison_budget(1e-3, 1000) == pytest.approx(1e-6, rel=1e-3)
    assert fpir_of(per_comparison_budget(0.01, 5000), 5000) == pytest.approx(0.01)


def test_fmr_interpolates_log_linearly_and_inverts() -> None:
    assert TABLE.fmr_at(0.525) == pytest.approx(math.sqrt(1e-4 * 1e-3))
    for target in (1e-6, 3e-6, 1e-4, 5e-3, 0.05):
        threshold = TABLE.threshold_for_fmr(target)
        assert threshold is not None
        assert TABLE.fmr_at(threshold) == pytest.approx(target)
    assert TABLE.threshold_for_fmr(1e-7) is None  # below what was measured


@pytest.mark.parametrize("target", [1e-3, 1e-2])
def test_threshold_derivation_monotone_in_gallery_size(target: float) -> None:
    """The larger the gallery, the stricter (never looser) the threshold, the higher the FNIR,
    and the FPIR stays at or under the target while the table can vouch for it."""
    sizes = [1, 2, 5, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
    points = [identification_point(TABLE, n, target, max_threshold=0.6) for n in sizes]
    thresholds = [p.threshold for p in points]
    assert thresholds == sorted(thresholds, reverse=True)
    assert len(set(thresholds)) > 3  # it really moves
    fnirs = [p.expected_fnir for p in points]
    assert fnirs == sorted(fnirs)
    for point in points:
        if point.reachable:
            assert point.expected_fpir <= target * (1 + 1e-6)
    assert not points[-1].reachable  # 1e-2 / 1e6 = 1e-8 per comparison: never measured


def test_threshold_never_looser_than_the_engine_ceiling() -> None:
    point = identification_point(TABLE, 1, 0.05, max_threshold=0.6)
    assert point.threshold == 0.6
    assert point.expected_fpir == pytest.approx(1e-2)


def test_verification_point_holds_the_target_fmr() -> None:
    point = verification_point(TABLE, 1e-4, max_threshold=0.6)
    assert point.threshold == pytest.approx(0.50)
    assert point.fmr == pytest.approx(1e-4)
    assert point.expected_fnir == pytest.approx(0.20)


def test_largest_gallery_is_the_boundary_of_what_holds() -> None:
    largest = largest_gallery(TABLE, 1e-2, 0.10, 0.6)
    assert largest > 1

    def holds(n: int) -> bool:
        point = identification_point(TABLE, n, 1e-2, 0.6)
        return point.reachable and point.expected_fnir <= 0.10

    assert holds(largest) and not holds(largest + 1)
    assert largest_gallery(TABLE, 1e-2, 0.001, 0.6) == 0  # FNIR 0.1% is out of reach


def test_shipped_calibration_of_dlib() -> None:
    table = shipped_calibration("dlib-resnet-v1")
    assert table is not None and table.model_id == "dlib-resnet-v1"
    # LFW, each face with its mirror image (issue 9): 7.88e-3; plain embeddings gave 5.75e-3
    assert table.fmr_at(0.6) == pytest.approx(7.88e-3, rel=0.25)
    assert shipped_calibration("no-such-model") is None
    assert shipped_calibration("../dlib-resnet-v1") is None


def test_calibration_json_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "table.json"
    path.write_text(json.dumps(TABLE.to_json()))
    assert read_calibration(path) == TABLE


@pytest.mark.parametrize(
    "change",
    [
        {"thresholds": (0.5, 0.4, 0.6, 0.7, 0.8, 0.9)},  # not ascending
        {"fmr": (1e-5, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1)},  # FMR falls
        {"fnmr": (0.6, 0.7, 0.2, 0.08, 0.02, 0.005)},  # FNMR grows
        {"fmr": (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1)},  # no measured floor
        {"fnmr": (0.6, 0.4)},  # ragged
    ],
)
def test_bad_tables_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(CalibrationError):
        dataclasses.replace(TABLE, **change)  # type: ignore[arg-type]
    with pytest.raises(CalibrationError):
        Calibration.from_json({"model_id": "x", "rows": [[0.5, "many", 0.1]]})
