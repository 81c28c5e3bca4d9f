"""dlib's MMOD CNN detector on onnxruntime: the same boxes as dlib's on the fixtures."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from facegate.engine import EngineConfig, FaceEngine
from facegate.engine.dlib_models import CnnDetector
from facegate.engine.image import load_image
from facegate.engine.onnx.mmod import OnnxMmodDetector, pyramid_rects
from facegate.engine.types import Box

# A window of each photo around its face (top, bottom, left, right): full resolution, so the
# faces stay large enough for the CNN, but small enough for dlib's CNN to take well under 1 s.
PHOTOS = {
    "biden.jpg": (40, 320, 120, 400),
    "obama_1.jpg": (60, 460, 230, 630),
    "obama_2.jpg": (180, 560, 60, 460),
    "obama_3.jpg": (40, 340, 200, 480),
    "obama_partial.jpg": (60, 400, 0, 300),
    "obama_rgba.png": (60, 360, 20, 300),
}


def iou(a: Box, b: Box) -> float:
    inner_w = min(a.right, b.right) - max(a.left, b.left)
    inner_h = min(a.bottom, b.bottom) - max(a.top, b.top)
    inner = max(0, inner_w) * max(0, inner_h)
    return inner / (a.width * a.height + b.width * b.height - inner)


@pytest.fixture(scope="module")
def detectors() -> tuple[OnnxMmodDetector, CnnDetector]:
    return OnnxMmodDetector(), CnnDetector()


@pytest.mark.parametrize("name", PHOTOS)
def test_boxes_match_dlibs(
    detectors: tuple[OnnxMmodDetector, CnnDetector], fixtures_dir: Path, name: str
) -> None:
    ours, reference = detectors
    top, bottom, left, right = PHOTOS[name]
    image = np.ascontiguousarray(load_image(fixtures_dir / name)[top:bottom, left:right])
    mine = ours.detect(image)
    theirs = reference.detect(image)
    assert len(mine) == len(theirs) >= 1
    for a, b in zip(mine, theirs, strict=True):
        assert iou(a.box, b.box) >= 0.99
        assert a.score == pytest.approx(b.score, abs=1e-3)


def test_a_picture_without_a_face_gives_no_box(
    detectors: tuple[OnnxMmodDetector, CnnDetector],
) -> None:
    grey = np.full((200, 240, 3), 128, dtype=np.uint8)
    assert detectors[0].detect(grey) == []


def test_the_pyramid_layout_fits_every_level_inside_the_plane() -> None:
    rects, rows, columns = pyramid_rects(360, 288, padding=10, outer=11)
    assert rects[0] == (11, 11, 298, 370)
    assert len(rects) > 5
    for left, top, right, bottom in rects:
        assert 0 <= left <= right < columns and 0 <= top <= bottom < rows
    for first, second in pairwise(rects):
        assert second[2] - second[0] < first[2] - first[0]  # each level smaller


def test_the_engine_uses_the_onnx_cnn_by_default(fixtures_dir: Path) -> None:
    engine = FaceEngine(EngineConfig(detector="cnn", working_size=500))
    assert isinstance(engine.detector, OnnxMmodDetector)
    (face,) = engine.detect(fixtures_dir / "obama_2.jpg")
    assert face.detector == "dlib-mmod"


def test_box_sides_round_half_away_from_zero_as_dlib_does() -> None:
    """A window that starts outside the image at x.5 (LFW's Hugo_Chavez_0051.jpg: -4.5) is
    rounded as dlib 20 converts a drectangle to a rectangle: -4.5 to -5, 4.5 to 5."""
    import dlib

    from facegate.engine.onnx.mmod import _round

    for twice in range(-41, 42):
        side = twice / 2
        expected = dlib.rectangle(dlib.drectangle(side, 0.0, side + 80.0, 80.0)).left()
        assert _round(side) == expected, side
