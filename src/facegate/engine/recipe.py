"""The embedding recipe: which chips of a face are embedded and how their vectors become one.

Test-time augmentation (TTA): besides dlib's aligned chip, embed slightly different views of
the same face (its mirror image; the chip cut a little wider or narrower, shifted or turned)
and average the vectors. The mean is rescaled to the length of the plain chip's vector, so
distances keep the plain model's scale and the threshold its meaning; it stays in the plain
model's embedding space (measured on LFW with ``bench/template_compat.py``), so a recipe keeps
the model id and templates made with another recipe of the same model keep matching. Each
template records its recipe in ``model_version``.

Crops other than the plain chip are cut by dlib's own chip geometry (``get_face_chip_details``
then a scaled, shifted or rotated ``chip_details``), so they need an embedder that aligns as
dlib does (``crop_chips``); a user's own model gets the plain chip and, if asked, its mirror.
The recipes were compared on LFW by ``bench/accuracy_variants.py`` (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from facegate.engine.types import RGBImage, Vector


@dataclass(frozen=True)
class Crop:
    """A view of the aligned face: ``scale`` > 1 shows more around it, ``dx``/``dy`` shift it
    by fractions of the chip's width in the chip's own frame, ``degrees`` turns it."""

    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0
    degrees: float = 0.0

    @property
    def plain(self) -> bool:
        return self == Crop()


@dataclass(frozen=True)
class Recipe:
    """``crops`` (the first is the plain chip), each also mirrored when ``mirror``."""

    name: str
    crops: tuple[Crop, ...] = (Crop(),)
    mirror: bool = False

    @property
    def chips_per_face(self) -> int:
        return len(self.crops) * (2 if self.mirror else 1)

    @property
    def needs_crops(self) -> bool:
        return any(not c.plain for c in self.crops)


PLAIN = Recipe("plain")
MIRROR = Recipe("mirror", mirror=True)
DEFAULT_RECIPE = MIRROR
RECIPES = {recipe.name: recipe for recipe in (PLAIN, MIRROR)}


def mirrored(chip: RGBImage) -> RGBImage:
    """The chip flipped left to right (contiguous, as dlib needs)."""
    flipped: RGBImage = np.ascontiguousarray(chip[:, ::-1])
    return flipped


def with_mirrors(chips: Sequence[RGBImage], mirror: bool) -> list[RGBImage]:
    """``[c0, m0, c1, m1, ...]`` when ``mirror``, else the chips."""
    if not mirror:
        return list(chips)
    return [c for chip in chips for c in (chip, mirrored(chip))]


def combine(vectors: Sequence[Vector]) -> Vector:
    """The mean of one face's vectors, at the length of the first (the plain chip's)."""
    if len(vectors) == 1:
        return vectors[0]
    plain = vectors[0]
    mean = np.mean([v.astype(np.float64) for v in vectors], axis=0)
    length = float(np.linalg.norm(mean))
    if length > 0:
        mean *= float(np.linalg.norm(plain.astype(np.float64))) / length
    result: Vector = mean.astype(plain.dtype)
    return result
