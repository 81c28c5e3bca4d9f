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
def plain_engine() -> FaceEngine:
    """The engine without mirror TTA: how templates were made before it became the default."""
    from facegate.engine import EngineConfig

    return FaceEngine(EngineConfig(mirror=False))


@pytest.fixture(scope="module")
def plain_embeddings(plain_engine: FaceEngine, fixtures_dir: Path) -> dict[str, Embedding]:
    return {
        name: plain_engine.single_face(fixtures_dir / name).embedding
        for name in (*OBAMA, "biden.jpg")
    }


def test_mirror_is_the_default_for_dlibs_resnet_under_its_own_model_id(
    engine: FaceEngine,
    plain_engine: FaceEngine,
    embeddings: dict[str, Embedding],
    plain_embeddings: dict[str, Embedding],
) -> None:
    assert engine.mirror and not plain_engine.mirror
    mirrored, plain = embeddings["obama_1.jpg"], plain_embeddings["obama_1.jpg"]
    assert mirrored.model == plain.model == engine.model_id == "dlib-resnet-v1"
    assert engine.model_version.endswith("; mirror")
    assert not plain_engine.model_version.endswith("; mirror")
    assert mirrored.vector.shape == (128,)
    assert mirrored.vector.dtype == np.float32
    # rescaled to the unmirrored vector's length, but a different vector
    assert np.linalg.norm(mirrored.vector) == pytest.approx(np.linalg.norm(plain.vector), rel=1e-5)
    assert not np.allclose(mirrored.vector, plain.vector)


@pytest.mark.parametrize("template", [*OBAMA, "biden.jpg"])
def test_templates_made_without_mirror_keep_their_verdicts_against_mirrored_probes(
    engine: FaceEngine,
    plain_engine: FaceEngine,
    embeddings: dict[str, Embedding],
    plain_embeddings: dict[str, Embedding],
    template: str,
) -> None:
    """The mirrored mean stays in the plain model's space: an old template compared with a new
    probe gives the verdict the old probe gave (on LFW: bench/template_compat.py)."""
    old = plain_embeddings[template]
    for probe in (*OBAMA, "biden.jpg"):
        before = plain_engine.compare(old, plain_embeddings[probe])
        after = engine.compare(old, embeddings[probe])
        assert after.same_person == before.same_person, probe
        if probe != template:  # the same image: 0 before, 0.07-0.11 after (still a match)
            # on LFW's 12,000 mixed pairs the change is at most 0.066
            assert after.distance == pytest.approx(before.distance, abs=0.1), probe


def test_a_user_model_is_not_mirrored_unless_asked() -> None:
    from facegate.engine import EngineConfig
    from facegate.engine.engine import recipe_for
    from facegate.engine.recipe import DEFAULT_RECIPE, MIRROR, PLAIN

    assert recipe_for(EngineConfig(), "dlib-resnet-v1") == DEFAULT_RECIPE
    assert DEFAULT_RECIPE.mirror
    assert recipe_for(EngineConfig(model="my-model.toml"), "my-model") == PLAIN
    assert recipe_for(EngineConfig(model="my-model.toml", mirror=True), "my-model") == MIRROR
    assert recipe_for(EngineConfig(mirror=False), "dlib-resnet-v1") == PLAIN
    assert recipe_for(EngineConfig(mirror=True), "dlib-resnet-v1") == MIRROR
    # ``recipe`` names it and wins over ``mirror``; an unknown name is refused
    assert recipe_for(EngineConfig(recipe="plain", mirror=True), "dlib-resnet-v1") == PLAIN
    with pytest.raises(ValueError, match="recipe must be one of"):
        recipe_for(EngineConfig(recipe="sharpen"), "dlib-resnet-v1")
