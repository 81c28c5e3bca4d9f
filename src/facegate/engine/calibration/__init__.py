"""How often a model's distances confuse two people, measured, and the thresholds that follow.

A ``Calibration`` is a model's measured table: for a grid of distance thresholds, the false
match rate per comparison (FMR: the share of different-person pairs at or below the threshold)
and the false non-match rate (FNMR: the share of same-person pairs above it). It is produced by
``bench/identification.py`` on LFW and shipped per model id as ``<model id>.json`` beside this
file; a user's own model carries its table next to its manifest.

From the table and a target, the threshold is derived rather than fixed:

* 1:1 verification makes one comparison: the threshold is the largest whose FMR is at most the
  target FMR.
* 1:N identification against a gallery of N templates makes N comparisons, so a stranger is
  falsely identified (FPIR, per probe) with probability ``1 - (1 - FMR(t))**N`` when the
  comparisons are independent. For a target FPIR the per-comparison budget is
  ``1 - (1 - FPIR)**(1/N)`` (about FPIR / N), and the threshold is the largest whose FMR fits
  it: it falls as the gallery grows. The expected FNIR is the FNMR at that threshold (the
  chance that an enrolled person's own template is not close enough; being outranked by
  someone else's template adds a little, which the benchmark measures).

Pure computation: no storage, no law. Thresholds are never looser than the caller's ceiling
(the engine's configured threshold).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facegate.engine.engine import EngineConfig
    from facegate.engine.protocols import FaceWork

CALIBRATION_PACKAGE = "facegate.engine.calibration"


class CalibrationError(ValueError):
    """A calibration table that cannot be read or does not describe a model."""


@dataclass(frozen=True)
class Calibration:
    """One model's measured FMR and FNMR on a grid of thresholds (ascending)."""

    model_id: str
    source: str
    impostor_comparisons: int
    genuine_comparisons: int
    thresholds: tuple[float, ...]
    fmr: tuple[float, ...]
    fnmr: tuple[float, ...]
    provisional: bool = False

    def __post_init__(self) -> None:
        n = len(self.thresholds)
        if n < 2 or len(self.fmr) != n or len(self.fnmr) != n:
            raise CalibrationError("a calibration needs at least two rows of threshold, fmr, fnmr")
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise CalibrationError("calibration thresholds must be strictly ascending")
        if any(not 0 <= r <= 1 for r in (*self.fmr, *self.fnmr)):
            raise CalibrationError("calibration rates must lie between 0 and 1")
        if any(b < a for a, b in zip(self.fmr, self.fmr[1:], strict=False)):
            raise CalibrationError("FMR must not fall as the threshold grows")
        if any(b > a for a, b in zip(self.fnmr, self.fnmr[1:], strict=False)):
            raise CalibrationError("FNMR must not grow as the threshold grows")
        if self.fmr[0] <= 0:
            raise CalibrationError("the first row must have a measured (non-zero) FMR")

    # -- reading the table ----------------------------------------------------------------
    @property
    def floor_fmr(self) -> float:
        """The smallest FMR the measurement supports (its first row)."""
        return self.fmr[0]

    def fmr_at(self, threshold: float) -> float:
        """FMR at ``threshold``: log-linear between rows; below the table, the first row's
        (an upper bound, since FMR only falls); above it, the last row's."""
        return math.exp(self._interpolate(threshold, [math.log(f) for f in self.fmr]))

    def fnmr_at(self, threshold: float) -> float:
        """FNMR at ``threshold``: linear between rows, clamped to the table's ends."""
        return self._interpolate(threshold, list(self.fnmr))

    def _interpolate(self, t: float, values: Sequence[float]) -> float:
        ts = self.thresholds
        if t <= ts[0]:
            return values[0]
        if t >= ts[-1]:
            return values[-1]
        hi = next(i for i, x in enumerate(ts) if x >= t)
        lo = hi - 1
        share = (t - ts[lo]) / (ts[hi] - ts[lo])
        return values[lo] + share * (values[hi] - values[lo])

    def threshold_for_fmr(self, target: float) -> float | None:
        """The largest threshold whose FMR is at most ``target``; ``None`` when the target is
        below what the table measures (the model's FMR there is unknown)."""
        if target < self.fmr[0]:
            return None
        if target >= self.fmr[-1]:
            return self.thresholds[-1]
        hi = next(i for i, f in enumerate(self.fmr) if f > target)
        lo = hi - 1
        a, b = math.log(self.fmr[lo]), math.log(self.fmr[hi])
        share = (math.log(target) - a) / (b - a)
        return self.thresholds[lo] + share * (self.thresholds[hi] - self.thresholds[lo])

    def threshold_for_fnmr(self, ceiling: float) -> float | None:
        """The smallest threshold whose FNMR is at most ``ceiling``; ``None`` if none is."""
        if self.fnmr[-1] > ceiling:
            return None
        if self.fnmr[0] <= ceiling:
            return self.thresholds[0]
        hi = next(i for i, f in enumerate(self.fnmr) if f <= ceiling)
        lo = hi - 1
        a, b = self.fnmr[lo], self.fnmr[hi]
        share = (a - ceiling) / (a - b)
        return self.thresholds[lo] + share * (self.thresholds[hi] - self.thresholds[lo])

    # -- JSON -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "source": self.source,
            "provisional": self.provisional,
            "impostor_comparisons": self.impostor_comparisons,
            "genuine_comparisons": self.genuine_comparisons,
            "columns": ["threshold", "fmr", "fnmr"],
            "rows": [
                [t, f, n] for t, f, n in zip(self.thresholds, self.fmr, self.fnmr, strict=True)
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        try:
            rows = [tuple(float(x) for x in row) for row in data["rows"]]
            return cls(
                model_id=str(data["model_id"]),
                source=str(data.get("source", "")),
                impostor_comparisons=int(data["impostor_comparisons"]),
                genuine_comparisons=int(data["genuine_comparisons"]),
                thresholds=tuple(r[0] for r in rows),
                fmr=tuple(r[1] for r in rows),
                fnmr=tuple(r[2] for r in rows),
                provisional=bool(data.get("provisional", False)),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CalibrationError(f"not a calibration table: {exc}") from exc


def read_calibration(path: Path) -> Calibration:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CalibrationError(f"cannot read calibration {path}: {exc}") from exc
    return Calibration.from_json(data)


@lru_cache(maxsize=32)
def shipped_calibration(model_id: str) -> Calibration | None:
    """The table shipped with facegate for ``model_id``, if there is one."""
    name = f"{model_id}.json"
    entry = resources.files(CALIBRATION_PACKAGE).joinpath(name)
    if "/" in model_id or not entry.is_file():
        return None
    calibration = Calibration.from_json(json.loads(entry.read_text(encoding="utf-8")))
    if calibration.model_id != model_id:
        raise CalibrationError(f"{name} describes {calibration.model_id}, not {model_id}")
    return calibration


# -- which model, known without loading it ---------------------------------------------------------
@dataclass(frozen=True)
class ModelCard:
    """What the law and the documents need of a model: its id, its configured threshold and
    its calibration. Known from the configuration alone, so that commands that touch no face
    never load the networks."""

    model_id: str
    threshold: float
    calibration: Calibration | None


def card_for_engine(engine: FaceWork, configured: ModelCard | None = None) -> ModelCard:
    """The card of a loaded engine: a plug-in embedder may carry its own calibration; a pool
    of worker processes (no embedder here) takes the ``configured`` card's when the model
    ids agree."""
    embedder = getattr(engine, "embedder", None)
    own = getattr(embedder, "calibration", None)
    if isinstance(own, Calibration):
        calibration = own if own.model_id == engine.model_id else None
    elif embedder is None and configured is not None and configured.model_id == engine.model_id:
        calibration = configured.calibration
    else:
        calibration = shipped_calibration(engine.model_id)
    return ModelCard(engine.model_id, engine.threshold, calibration)


def card_for_config(config: EngineConfig) -> ModelCard:
    """The card of the engine ``config`` would load, read from its description only."""
    if config.model:
        from facegate.engine.onnx_model import ManifestError, read_manifest

        manifest = read_manifest(Path(config.model))
        model_id = manifest.model_id
        threshold = manifest.threshold
        calibration = None
        if manifest.calibration is not None:
            try:
                calibration = read_calibration(manifest.calibration)
            except CalibrationError as exc:
                raise ManifestError(str(exc)) from exc
            if calibration.model_id != model_id:
                calibration = None
    else:
        from facegate.engine.dlib_models import ResNetEmbedder

        model_id = ResNetEmbedder.model_id
        threshold = ResNetEmbedder.default_threshold
        calibration = shipped_calibration(model_id)
    if config.threshold is not None:
        threshold = config.threshold
    return ModelCard(model_id, threshold, calibration)


# -- operating points ---------------------------------------------------------------------------
def per_comparison_budget(target_fpir: float, gallery_size: int) -> float:
    """The FMR per comparison that gives ``target_fpir`` over ``gallery_size`` comparisons."""
    n = max(1, gallery_size)
    return -math.expm1(math.log1p(-target_fpir) / n)


def fpir_of(fmr: float, gallery_size: int) -> float:
    """The chance that at least one of ``gallery_size`` comparisons falsely matches."""
    if fmr >= 1:
        return 1.0
    return -math.expm1(max(1, gallery_size) * math.log1p(-fmr))


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold and what to expect of it for one gallery size."""

    model_id: str
    gallery_size: int
    threshold: float
    fmr: float  # per comparison, at the threshold
    expected_fpir: float  # per probe, over the gallery
    expected_fnir: float
    target: float  # the target FPIR (1:N) or FMR (1:1) it was derived from
    reachable: bool  # False: the target lies below what the calibration measures
    provisional: bool  # the calibration is provisional


def identification_point(
    calibration: Calibration, gallery_size: int, target_fpir: float, max_threshold: float
) -> OperatingPoint:
    """The threshold holding ``target_fpir`` for a gallery of ``gallery_size`` templates.

    When the per-comparison budget is below the table's floor the target cannot be shown to
    hold: the point is marked unreachable and uses the table's smallest threshold.
    """
    if not 0 < target_fpir < 1:
        raise ValueError("the target FPIR lies strictly between 0 and 1")
    n = max(1, gallery_size)
    found = calibration.threshold_for_fmr(per_comparison_budget(target_fpir, n))
    threshold = calibration.thresholds[0] if found is None else found
    threshold = min(threshold, max_threshold)
    fmr = calibration.fmr_at(threshold)
    return OperatingPoint(
        model_id=calibration.model_id,
        gallery_size=gallery_size,
        threshold=round(threshold, 4),
        fmr=fmr,
        expected_fpir=fpir_of(fmr, n),
        expected_fnir=calibration.fnmr_at(threshold),
        target=target_fpir,
        reachable=found is not None,
        provisional=calibration.provisional,
    )


def verification_point(
    calibration: Calibration, target_fmr: float, max_threshold: float
) -> OperatingPoint:
    """The threshold holding ``target_fmr`` for one comparison (1:1)."""
    return identification_point(calibration, 1, target_fmr, max_threshold)


def largest_gallery(
    calibration: Calibration,
    target_fpir: float,
    fnir_ceiling: float,
    max_threshold: float,
    *,
    limit: int = 100_000_000,
) -> int:
    """The largest gallery whose operating point holds ``target_fpir`` with an expected FNIR
    at most ``fnir_ceiling`` (0 when not even one template can)."""

    def holds(n: int) -> bool:
        point = identification_point(calibration, n, target_fpir, max_threshold)
        return point.reachable and point.expected_fnir <= fnir_ceiling

    if not holds(1):
        return 0
    lo, hi = 1, 2
    while hi <= limit and holds(hi):
        lo, hi = hi, hi * 2
    if hi > limit:
        return limit
    while hi - lo > 1:  # holds(lo), not holds(hi)
        mid = (lo + hi) // 2
        if holds(mid):
            lo = mid
        else:
            hi = mid
    return lo
