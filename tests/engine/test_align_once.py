"""Each face is aligned once per photo: the chip ``analyse`` made for the quality checks is the
one ``embed`` embeds, with the same result as aligning again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facegate.engine import FaceEngine
from facegate.engine.protocols import Embedder
from facegate.engine.types import Landmarks, RGBImage, Vector


class CountingEmbedder:
    """The real embedder, counting how often it aligns."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.default_threshold = inner.default_threshold
        self.backend = getattr(inner, "backend", "")
        self.aligned = 0

    def align(self, image: RGBImage, landmarks: Landmarks) -> RGBImage:
        self.aligned += 1
        return self.inner.align(image, landmarks)

    def embed(self, chips: Sequence[RGBImage]) -> list[Vector]:
        return self.inner.embed(chips)


def counting_engine(engine: FaceEngine) -> tuple[FaceEngine, CountingEmbedder]:
    spy = CountingEmbedder(engine.embedder)
    counted = FaceEngine(
        engine.config,
        detector=engine.detector,
        fallback_detector=engine._cnn(),
        landmarker=engine.landmarker,
        embedder=spy,
    )
    return counted, spy


def test_each_face_is_aligned_once_and_embedded_as_if_aligned_again(
    engine: FaceEngine, fixtures_dir: Path
) -> None:
    counted, spy = counting_engine(engine)
    image = counted.load(fixtures_dir / "obama_rgba.png")
    faces = counted.faces_with_embeddings(image)
    assert len(faces) == 1
    assert spy.aligned == 1
    # Aligning again (a fresh analysis of a copy: nothing to reuse) gives the same vector.
    again = counted.embed(image.copy(), [f.face for f in faces])
    assert spy.aligned == 2
    np.testing.assert_array_equal(again[0].embedding.vector, faces[0].embedding.vector)


def test_a_chip_is_not_reused_for_another_image(engine: FaceEngine, fixtures_dir: Path) -> None:
    counted, spy = counting_engine(engine)
    first = counted.load(fixtures_dir / "obama_1.jpg")
    second = counted.load(fixtures_dir / "obama_2.jpg")
    faces = counted.analyse(first, counted.locate(first))
    spy.aligned = 0
    counted.embed(second, faces)  # the same landmarks on another image: aligned anew
    assert spy.aligned == 1
