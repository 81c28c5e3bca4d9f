"""A user's own ONNX embedding model, described by a manifest, through the engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facegate.engine import EngineConfig, FaceEngine, distance
from facegate.engine.onnx_model import (
    ManifestError,
    OnnxEmbedder,
    read_manifest,
    similarity_transform,
    warp,
)
from onnx_models import DIM, MODEL_ID, SIZE, build_tiny_model


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def tiny_engine(manifest: Path) -> FaceEngine:
    return FaceEngine(EngineConfig(model=str(manifest)))


def test_manifest_is_read_with_its_calibration(manifest: Path) -> None:
    embedder = OnnxEmbedder.load(manifest)
    assert embedder.model_id == MODEL_ID and embedder.default_threshold == 0.05
    assert embedder.calibration is not None and embedder.calibration.model_id == MODEL_ID
    assert embedder.manifest.input_size == (SIZE, SIZE)


def test_similarity_transform_maps_points_onto_the_template() -> None:
    source = np.array([[100.0, 120.0], [160.0, 110.0], [135.0, 160.0]])
    angle, scale, shift = 0.3, 0.5, np.array([5.0, -3.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = source @ rotation.T + shift
    forward = similarity_transform(source, target)
    assert np.allclose(forward[:, :2], rotation) and np.allclose(forward[:, 2], shift)

    image = np.zeros((300, 300, 3), dtype=np.uint8)
    image[118:123, 98:103] = 255  # a bright dot at (100, 120)
    chip = warp(image, similarity_transform(source, source * 0.25), (75, 75))
    y, x = np.unravel_index(np.argmax(chip[..., 0]), chip.shape[:2])
    assert abs(x - 25) <= 1 and abs(y - 30) <= 1  # (100, 120) * 0.25


def test_engine_embeds_with_the_users_model(tiny_engine: FaceEngine, fixtures_dir: Path) -> None:
    assert tiny_engine.model_id == MODEL_ID
    assert tiny_engine.threshold == 0.05
    obama = tiny_engine.single_face(fixtures_dir / "obama_1.jpg").embedding
    again = tiny_engine.single_face(fixtures_dir / "obama_1.jpg").embedding
    biden = tiny_engine.single_face(fixtures_dir / "biden.jpg").embedding
    assert obama.model == MODEL_ID and obama.vector.shape == (DIM,)
    assert np.linalg.norm(obama.vector) == pytest.approx(1.0, abs=1e-5)  # cosine: unit length
    assert distance(obama, again) == pytest.approx(0.0, abs=1e-5)
    assert distance(obama, biden) > 0.05


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metric": "manhattan"}, "metric"),
        ({"input_layout": "CHWN"}, "input_layout"),
        ({"file": "missing.onnx"}, "does not exist"),
        ({"model_id": "dlib-resnet-v1"}, "facegate's own"),
        ({"input_size": [4, 4]}, "input_size"),
        ({"normalisation": {"std": 0}}, "std"),
        ({"alignment": {"right_eye": [1, 2]}}, "left_eye"),
    ],
)
def test_bad_manifests_are_refused(
    manifest: Path, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = json.loads(manifest.read_text())
    data.update(change)
    data["file"] = str(manifest.parent / str(data["file"]))
    data.pop("calibration")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=message):
        read_manifest(bad)


def test_wrong_embedding_size_is_an_error(manifest: Path, tmp_path: Path) -> None:
    data = json.loads(manifest.read_text())
    data["embedding_size"] = DIM + 1
    data["file"] = str(manifest.parent / "tiny.onnx")
    data["calibration"] = str(manifest.parent / "tiny.calibration.json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps(data))
    embedder = OnnxEmbedder.load(wrong)
    with pytest.raises(ManifestError, match="16-d"):
        embedder.embed([np.zeros((SIZE, SIZE, 3), dtype=np.uint8)])


def test_model_card_is_known_without_loading_the_model(
    manifest: Path, tiny_engine: FaceEngine, engine: FaceEngine
) -> None:
    from facegate.engine.calibration import card_for_config, card_for_engine

    assert card_for_config(EngineConfig(model=str(manifest))) == card_for_engine(tiny_engine)
    assert card_for_config(EngineConfig()) == card_for_engine(engine)
    assert card_for_config(EngineConfig(threshold=0.5)).threshold == 0.5
