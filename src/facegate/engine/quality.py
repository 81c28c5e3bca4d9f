"""Quality checks on one detected face, each with a reason a person can act on.

Sharpness and brightness are measured on the aligned 150x150 chip, so they do not depend on
how large the face is in the photo; size and pose are measured on the full image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from facegate.engine.types import Box, Landmarks, Quality, RGBImage

HINTS = {
    "face_too_small": "the face is too small: move closer to the camera",
    "too_blurred": "the image is blurred: hold still and keep the lens clean",
    "too_dark": "the face is too dark: add light in front of the face",
    "too_bright": "the face is overexposed: reduce the light or avoid backlight",
    "pose_too_strong": "the head is turned: look straight at the camera",
    "face_cut_off": "part of the face is outside the picture: move to the centre of the frame",
}


@dataclass(frozen=True)
class QualityPolicy:
    """Thresholds; defaults suit enrolment from a cooperative person in front of a gate."""

    min_eye_distance: float = 24.0
    min_box_size: int = 64
    min_sharpness: float = 40.0
    min_brightness: float = 40.0
    max_brightness: float = 215.0
    max_yaw: float = 0.45
    max_roll_degrees: float = 30.0
    max_outside_fraction: float = 0.1


DEFAULT_POLICY = QualityPolicy()


def _grey(chip: RGBImage) -> np.ndarray:
    return chip.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low for blurred images."""
    lap = (
        grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4.0 * grey[1:-1, 1:-1]
    )
    return float(lap.var())


def pose(landmarks: Landmarks) -> tuple[float, float]:
    """(yaw, roll): yaw is the nose's sideways offset from the eyes' midpoint in units of the
    eye distance (0 for a frontal face); roll is the eye line's angle in degrees."""
    (rx, ry), (lx, ly) = landmarks.right_eye, landmarks.left_eye
    nx, _ = landmarks.nose
    eye_distance = math.hypot(lx - rx, ly - ry) or 1.0
    yaw = (nx - (rx + lx) / 2) / eye_distance
    roll = math.degrees(math.atan2(ly - ry, lx - rx))
    return yaw, roll


def assess(
    box: Box,
    landmarks: Landmarks,
    chip: RGBImage,
    policy: QualityPolicy = DEFAULT_POLICY,
    *,
    outside_fraction: float = 0.0,
) -> Quality:
    """Measure one face; ``outside_fraction`` is the share of the detector's box that lies
    outside the image (a face cut off by the frame)."""
    (rx, ry), (lx, ly) = landmarks.right_eye, landmarks.left_eye
    eye_distance = math.hypot(lx - rx, ly - ry)
    box_size = min(box.width, box.height)
    # Sharpness and brightness on the central part of the chip: the face, not the background.
    grey = _grey(chip)
    h, w = grey.shape
    centre = grey[h // 5 : h - h // 10, w // 6 : w - w // 6]
    sharpness = laplacian_variance(centre)
    brightness = float(centre.mean())
    yaw, roll = pose(landmarks)

    failed: list[str] = []
    if eye_distance < policy.min_eye_distance or box_size < policy.min_box_size:
        failed.append("face_too_small")
    if sharpness < policy.min_sharpness:
        failed.append("too_blurred")
    if brightness < policy.min_brightness:
        failed.append("too_dark")
    elif brightness > policy.max_brightness:
        failed.append("too_bright")
    if outside_fraction > policy.max_outside_fraction:
        failed.append("face_cut_off")
    if abs(yaw) > policy.max_yaw or abs(roll) > policy.max_roll_degrees:
        failed.append("pose_too_strong")
    return Quality(
        eye_distance=eye_distance,
        box_size=box_size,
        sharpness=sharpness,
        brightness=brightness,
        yaw=yaw,
        roll=roll,
        failed=tuple(failed),
        hints=tuple(HINTS[f] for f in failed),
    )
