"""Detection, quality and the enrolment path's errors, on real and derived photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import photos
from facegate.engine import (
    EngineConfig,
    FaceEngine,
    FaceQualityTooLow,
    MultipleFaces,
    NoFace,
)


def test_one_face_found_with_five_landmarks(engine: FaceEngine, fixtures_dir: Path) -> None:
    faces = engine.detect(fixtures_dir / "obama_1.jpg")
    assert len(faces) == 1
    face = faces[0]
    assert len(face.landmarks.points) == 5
    assert face.quality.ok
    # The nose lies between the eyes horizontally and below them.
    (rx, ry), (lx, ly), (nx, ny) = (
        face.landmarks.right_eye,
        face.landmarks.left_eye,
        face.landmarks.nose,
    )
    assert rx < nx < lx
    assert ny > max(ry, ly)


def test_boxes_are_in_full_resolution_coordinates(fixtures_dir: Path) -> None:
    full = FaceEngine(EngineConfig(working_size=0)).detect(fixtures_dir / "obama_1.jpg")[0].box
    small = FaceEngine(EngineConfig(working_size=400)).detect(fixtures_dir / "obama_1.jpg")[0].box
    assert abs(full.left - small.left) < 0.1 * full.width
    assert abs(full.width - small.width) < 0.15 * full.width


def test_no_face(engine: FaceEngine) -> None:
    assert engine.detect(photos.no_face()) == []
    with pytest.raises(NoFace) as error:
        engine.single_face(photos.no_face())
    assert error.value.code == "no_face"


def test_multiple_faces_refused_for_enrolment(engine: FaceEngine) -> None:
    with pytest.raises(MultipleFaces) as error:
        engine.single_face(photos.two_people())
    assert error.value.code == "multiple_faces"
    assert error.value.details == {"faces": 2}


def test_identification_accepts_several_faces(engine: FaceEngine, fixtures_dir: Path) -> None:
    found = engine.faces_with_embeddings(photos.two_people())
    assert len(found) == 2
    obama = engine.single_face(fixtures_dir / "obama_2.jpg").embedding
    verdicts = [engine.compare(obama, f.embedding).same_person for f in found]
    assert sorted(verdicts) == [False, True]


@pytest.mark.parametrize(
    ("image", "check"),
    [
        (photos.blurred, "too_blurred"),
        (photos.dark, "too_dark"),
        (lambda: (photos.FIXTURES / "obama_partial.jpg").read_bytes(), "face_cut_off"),
    ],
    ids=["blurred", "dark", "cut_off"],
)
def test_face_quality_too_low(engine: FaceEngine, image: object, check: str) -> None:
    assert callable(image)
    with pytest.raises(FaceQualityTooLow) as error:
        engine.single_face(image())
    assert error.value.code == "face_quality_too_low"
    assert check in error.value.failed
    assert error.value.details["failed_checks"] == list(error.value.failed)


def test_small_face_is_too_small(engine: FaceEngine) -> None:
    from PIL import Image

    tiny = photos.photo("obama_1.jpg")
    tiny = tiny.resize((tiny.width // 6, tiny.height // 6), Image.Resampling.LANCZOS)
    faces = engine.detect(np.asarray(tiny))
    assert faces, "the fallback detector should still find the small face"
    assert "face_too_small" in faces[0].quality.failed


def test_quality_is_not_enforced_when_comparing(engine: FaceEngine) -> None:
    face = engine.single_face(photos.blurred(), require_quality=False)
    assert not face.face.quality.ok


def test_exif_rotated_photo_still_finds_its_face(engine: FaceEngine) -> None:
    # Without the EXIF tag the same sideways pixels hold no frontal face for HOG...
    sideways = FaceEngine(EngineConfig(fallback=False))
    assert sideways.detect(photos.rotated_without_exif()) == []
    # ...with it, the image is turned upright before detection.
    faces = engine.detect(photos.rotated_with_exif())
    assert len(faces) == 1
    assert faces[0].quality.ok


def test_cnn_detector_is_selectable(fixtures_dir: Path) -> None:
    cnn = FaceEngine(EngineConfig(detector="cnn", working_size=480))
    faces = cnn.detect(fixtures_dir / "biden.jpg")
    assert len(faces) == 1
    assert faces[0].detector == "dlib-mmod"


def test_unknown_detector_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="detector must be one of"):
        FaceEngine(EngineConfig(detector="magic"))


@pytest.mark.parametrize("size", [(1, 1), (3, 40), (19, 19)])
def test_tiny_images_hold_no_face(engine: FaceEngine, size: tuple[int, int]) -> None:
    pixels = np.full((*size, 3), 128, dtype=np.uint8)
    assert engine.detect(pixels) == []
    with pytest.raises(NoFace):
        engine.single_face(pixels)


def test_engine_is_safe_to_share_between_threads(engine: FaceEngine, fixtures_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    photos_in = [fixtures_dir / "obama_1.jpg", fixtures_dir / "biden.jpg"] * 4
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(engine.faces_with_embeddings, photos_in))
    assert [len(faces) for faces in found] == [1] * len(photos_in)
    expected = engine.single_face(fixtures_dir / "biden.jpg").embedding.vector
    assert np.allclose(found[1][0].embedding.vector, expected, atol=1e-5)
