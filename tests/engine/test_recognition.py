"""Recognition with the real dlib model on the fixture portraits."""

from __future__ import annotations

from itertools import combinations, pairwise
from pathlib import Path

import numpy as np
import pytest

from facegate.engine import Embedding, FaceEngine, ModelMismatch, similarity

OBAMA = ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "obama_rgba.png")


@pytest.fixture(scope="module")
def embeddings(engine: FaceEngine, fixtures_dir: Path) -> dict[str, Embedding]:
    return {
        name: engine.single_face(fixtures_dir / name).embedding for name in (*OBAMA, "biden.jpg")
    }


@pytest.mark.parametrize(("a", "b"), list(combinations(OBAMA, 2)))
def test_same_person_pairs_are_below_threshold(
    engine: FaceEngine, embeddings: dict[str, Embedding], a: str, b: str
) -> None:
    result = engine.compare(embeddings[a], embeddings[b])
    assert result.distance < engine.threshold
    assert result.same_person
    assert result.similarity > 0.5


@pytest.mark.parametrize("a", OBAMA)
def test_different_people_are_above_threshold(
    engine: FaceEngine, embeddings: dict[str, Embedding], a: str
) -> None:
    result = engine.compare(embeddings[a], embeddings["biden.jpg"])
    assert result.distance > engine.threshold
    assert not result.same_person
    assert result.similarity < 0.5


def test_embedding_records_the_model(embeddings: dict[str, Embedding]) -> None:
    embedding = embeddings["obama_1.jpg"]
    assert embedding.model == "dlib-resnet-v1"
    assert embedding.vector.shape == (128,)
    assert embedding.vector.dtype == np.float32


def test_embeddings_of_different_models_are_not_compared(
    engine: FaceEngine, embeddings: dict[str, Embedding]
) -> None:
    other = Embedding(embeddings["obama_2.jpg"].vector, "some-other-model")
    with pytest.raises(ModelMismatch):
        engine.compare(embeddings["obama_1.jpg"], other)


def test_compare_images_reads_files(engine: FaceEngine, fixtures_dir: Path) -> None:
    result = engine.compare_images(fixtures_dir / "obama_1.jpg", fixtures_dir / "obama_3.jpg")
    assert result.same_person
    assert result.model == "dlib-resnet-v1"


def test_threshold_is_overridable(fixtures_dir: Path) -> None:
    from facegate.engine import EngineConfig

    strict = FaceEngine(EngineConfig(threshold=0.2))
    result = strict.compare_images(fixtures_dir / "obama_1.jpg", fixtures_dir / "obama_3.jpg")
    assert result.threshold == 0.2
    assert not result.same_person


def test_similarity_is_monotone_and_half_at_threshold() -> None:
    distances = np.linspace(0.0, 2.0, 201)
    scores = [similarity(float(d), 0.6) for d in distances]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(a > b for a, b in pairwise(scores) if a > 1e-12)
    assert similarity(0.6, 0.6) == pytest.approx(0.5)
    assert similarity(1e6, 0.6) == 0.0


# -- test-time augmentation by mirroring ---------------------------------------------------------
@pytest.fixture(scope="module")
def mirror_engine() -> FaceEngine:
    from facegate.engine import EngineConfig

    return FaceEngine(EngineConfig(mirror=True))


@pytest.fixture(scope="module")
def mirror_embeddings(mirror_engine: FaceEngine, fixtures_dir: Path) -> dict[str, Embedding]:
    return {
        name: mirror_engine.single_face(fixtures_dir / name).embedding
        for name in (*OBAMA, "biden.jpg")
    }


def test_mirror_keeps_the_verdicts(
    mirror_engine: FaceEngine, mirror_embeddings: dict[str, Embedding]
) -> None:
    assert mirror_engine.threshold == 0.6
    for a, b in combinations(OBAMA, 2):
        result = mirror_engine.compare(mirror_embeddings[a], mirror_embeddings[b])
        assert result.distance < mirror_engine.threshold, (a, b)
        assert result.same_person
    for a in OBAMA:
        result = mirror_engine.compare(mirror_embeddings[a], mirror_embeddings["biden.jpg"])
        assert result.distance > mirror_engine.threshold, a
        assert not result.same_person


def test_mirror_embedding_has_its_own_model_and_the_plain_length(
    engine: FaceEngine,
    mirror_engine: FaceEngine,
    embeddings: dict[str, Embedding],
    mirror_embeddings: dict[str, Embedding],
) -> None:
    mirrored = mirror_embeddings["obama_1.jpg"]
    plain = embeddings["obama_1.jpg"]
    assert mirror_engine.model_id == mirrored.model == "dlib-resnet-v1+mirror"
    assert mirrored.vector.shape == (128,)
    assert mirrored.vector.dtype == np.float32
    # rescaled to the unmirrored vector's length, but a different vector
    assert np.linalg.norm(mirrored.vector) == pytest.approx(np.linalg.norm(plain.vector), rel=1e-5)
    assert not np.allclose(mirrored.vector, plain.vector)
    with pytest.raises(ModelMismatch):
        engine.compare(plain, mirrored)
    with pytest.raises(ModelMismatch):
        mirror_engine.compare(mirrored, plain)
