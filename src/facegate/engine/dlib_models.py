"""dlib's models, as shipped in the ``face-recognition-models`` package (no download at run time).

Model files are found through the package's location on disk without importing it (its
``__init__`` needs ``pkg_resources``, which new setuptools no longer ship).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import dlib
import numpy as np

from facegate.engine.protocols import Detection
from facegate.engine.recipe import Crop
from facegate.engine.types import Box, Landmarks, RGBImage, Vector

MODELS_PACKAGE = "face_recognition_models"
FIVE_POINT_FILE = "shape_predictor_5_face_landmarks.dat"
RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"
MMOD_FILE = "mmod_human_face_detector.dat"

CHIP_SIZE = 150
CHIP_PADDING = 0.25


class ModelFilesMissing(RuntimeError):
    pass


@cache
def models_dir() -> Path:
    spec = importlib.util.find_spec(MODELS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesMissing(
            "the face-recognition-models package is not installed; `pip install facegate` brings it"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def model_path(filename: str) -> str:
    path = models_dir() / filename
    if not path.is_file():
        raise ModelFilesMissing(f"model file missing: {path}")
    return str(path)


def _shape(landmarks: Landmarks) -> Any:
    """A dlib ``full_object_detection`` of the landmarks (rounded to whole pixels, as dlib's
    predictor gives them), its rectangle their bounding box."""
    points = dlib.points()
    for x, y in landmarks.points:
        points.append(dlib.point(round(x), round(y)))
    xs = [x for x, _ in landmarks.points]
    ys = [y for _, y in landmarks.points]
    rect = dlib.rectangle(round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))
    return dlib.full_object_detection(rect, points)


def _box(rect: Any) -> Box:
    return Box(int(rect.left()), int(rect.top()), int(rect.right()), int(rect.bottom()))


class HogDetector:
    """dlib's frontal-face HOG + linear SVM detector: fast on a CPU, frontal faces."""

    name = "dlib-hog"

    def __init__(self) -> None:
        self._detector = dlib.get_frontal_face_detector()

    def detect(self, image: RGBImage, upsample: int = 0) -> list[Detection]:
        rects, scores, _ = self._detector.run(image, upsample, 0.0)
        return [Detection(_box(r), float(s)) for r, s in zip(rects, scores, strict=True)]


class CnnDetector:
    """dlib's MMOD CNN detector: slower, finds faces in poses and light where HOG does not."""

    name = "dlib-mmod"

    def __init__(self) -> None:
        self._detector = dlib.cnn_face_detection_model_v1(model_path(MMOD_FILE))

    def detect(self, image: RGBImage, upsample: int = 0) -> list[Detection]:
        found = self._detector(image, upsample)
        return [Detection(_box(d.rect), float(d.confidence)) for d in found]


class FivePointLandmarker:
    name = "dlib-5-point"

    def __init__(self) -> None:
        self._predictor = dlib.shape_predictor(model_path(FIVE_POINT_FILE))

    def landmarks(self, image: RGBImage, box: Box) -> Landmarks:
        rect = dlib.rectangle(box.left, box.top, box.right, box.bottom)
        shape = self._predictor(image, rect)
        return Landmarks(tuple((float(p.x), float(p.y)) for p in shape.parts()))


class ResNetEmbedder:
    """dlib's ResNet (99.38% on LFW as published): 150x150 aligned chips to 128-d vectors."""

    model_id = "dlib-resnet-v1"
    default_threshold = 0.6
    backend = "dlib"

    def __init__(self) -> None:
        self._model = dlib.face_recognition_model_v1(model_path(RESNET_FILE))

    def align(self, image: RGBImage, landmarks: Landmarks) -> RGBImage:
        return self.align_chip(image, landmarks)

    @staticmethod
    def align_chip(image: RGBImage, landmarks: Landmarks) -> RGBImage:
        """dlib's 150x150 face chip from five landmarks (both backends align with it)."""
        chip: RGBImage = dlib.get_face_chip(
            image, _shape(landmarks), size=CHIP_SIZE, padding=CHIP_PADDING
        )
        return chip

    def crop_chips(
        self, image: RGBImage, landmarks: Landmarks, crops: Sequence[Crop]
    ) -> list[RGBImage]:
        return self.cut_crops(image, landmarks, crops)

    @staticmethod
    def cut_crops(image: RGBImage, landmarks: Landmarks, crops: Sequence[Crop]) -> list[RGBImage]:
        """Views of the face around dlib's chip (``facegate.engine.recipe.Crop``): the chip's
        rectangle from ``get_face_chip_details``, scaled, shifted in its own frame and turned.
        The plain crop is exactly ``align_chip``'s chip."""
        details = dlib.get_face_chip_details(_shape(landmarks), CHIP_SIZE, CHIP_PADDING)
        rect, angle = details.rect, details.angle
        cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
        chips: list[RGBImage] = []
        for crop in crops:
            if crop.plain:
                chip = dlib.extract_image_chip(image, details)
            else:
                w, h = rect.width() * crop.scale, rect.height() * crop.scale
                ox, oy = crop.dx * rect.width(), crop.dy * rect.height()
                x = cx + ox * math.cos(angle) - oy * math.sin(angle)
                y = cy + ox * math.sin(angle) + oy * math.cos(angle)
                moved = dlib.drectangle(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
                dims = dlib.chip_dims(CHIP_SIZE, CHIP_SIZE)
                turned = angle + math.radians(crop.degrees)
                chip = dlib.extract_image_chip(image, dlib.chip_details(moved, dims, turned))
            chips.append(np.asarray(chip, dtype=np.uint8))
        return chips

    def embed(self, chips: Sequence[RGBImage]) -> list[Vector]:
        if not chips:
            return []
        vectors = self._model.compute_face_descriptor(list(chips))
        return [np.asarray(v, dtype=np.float32) for v in vectors]
