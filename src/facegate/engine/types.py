"""Values the engine hands out: boxes, landmarks, faces, embeddings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]
RGBImage = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Box:
    """A face rectangle in pixel coordinates of the full-resolution image."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def scaled(self, factor: float) -> Box:
        return Box(
            round(self.left * factor),
            round(self.top * factor),
            round(self.right * factor),
            round(self.bottom * factor),
        )

    def to_dict(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


Point = tuple[float, float]


@dataclass(frozen=True)
class Landmarks:
    """Five points as dlib's 5-point model gives them: two corners of each eye and the nose."""

    points: tuple[Point, ...]

    @property
    def right_eye(self) -> Point:  # the subject's right eye: image left
        (ax, ay), (bx, by) = self.points[2], self.points[3]
        return ((ax + bx) / 2, (ay + by) / 2)

    @property
    def left_eye(self) -> Point:
        (ax, ay), (bx, by) = self.points[0], self.points[1]
        return ((ax + bx) / 2, (ay + by) / 2)

    @property
    def nose(self) -> Point:
        return self.points[4]

    def to_list(self) -> list[list[float]]:
        return [[round(x, 1), round(y, 1)] for x, y in self.points]


@dataclass(frozen=True)
class Quality:
    """Measured quality of one face, and which checks it failed."""

    eye_distance: float
    box_size: int
    sharpness: float
    brightness: float
    yaw: float
    roll: float
    failed: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "eye_distance_px": round(self.eye_distance, 1),
            "box_size_px": self.box_size,
            "sharpness": round(self.sharpness, 1),
            "brightness": round(self.brightness, 1),
            "yaw": round(self.yaw, 3),
            "roll_degrees": round(self.roll, 1),
            "failed_checks": list(self.failed),
        }


@dataclass(frozen=True)
class Face:
    """One detected face: where it is, its landmarks, its quality, and the detector's score."""

    box: Box
    landmarks: Landmarks
    quality: Quality
    score: float
    detector: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "box": self.box.to_dict(),
            "landmarks": self.landmarks.to_list(),
            "quality": self.quality.to_dict(),
            "score": round(self.score, 3),
            "detector": self.detector,
        }


@dataclass(frozen=True)
class Embedding:
    """A face template: the vector and the model that made it (they are only comparable within
    one model)."""

    vector: Vector = field(repr=False)
    model: str

    def __post_init__(self) -> None:
        if self.vector.ndim != 1:
            raise ValueError("an embedding is a 1-d vector")


@dataclass(frozen=True)
class FaceEmbedding:
    """A face together with its embedding."""

    face: Face
    embedding: Embedding
