"""Embedding recipes (test-time augmentation): crops of dlib's chip, mirrors, averaging."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facegate.engine import EngineConfig, FaceEngine
from facegate.engine.engine import recipe_for
from facegate.engine.recipe import MIRROR, PLAIN, Crop, Recipe, combine, with_mirrors


def test_combine_averages_at_the_plain_vectors_length() -> None:
    plain = np.array([3.0, 4.0], dtype=np.float32)  # length 5
    other = np.array([4.0, 3.0], dtype=np.float32)
    mean = combine([plain, other])
    assert mean.dtype == np.float32
    assert np.linalg.norm(mean) == pytest.approx(5.0)
    assert mean[0] == pytest.approx(mean[1])  # the direction of the mean
    assert combine([plain]) is plain


def test_with_mirrors_interleaves_each_chip_and_its_mirror_image() -> None:
    a = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    b = a + 100
    chips = with_mirrors([a, b], True)
    assert len(chips) == 4
    assert np.array_equal(chips[0], a) and np.array_equal(chips[1], a[:, ::-1])
    assert np.array_equal(chips[2], b) and np.array_equal(chips[3], b[:, ::-1])
    assert chips[1].flags["C_CONTIGUOUS"]
    assert with_mirrors([a], False)[0] is a


def test_the_plain_crop_is_dlibs_own_chip(engine: FaceEngine, fixtures_dir: Path) -> None:
    from facegate.engine.dlib_models import ResNetEmbedder

    image = engine.load(fixtures_dir / "obama_1.jpg")
    (face,) = engine.detect(image)
    plain, wider, turned = ResNetEmbedder.cut_crops(
        image, face.landmarks, (Crop(), Crop(scale=1.1), Crop(degrees=3.0))
    )
    assert np.array_equal(plain, ResNetEmbedder.align_chip(image, face.landmarks))
    assert plain.shape == wider.shape == turned.shape == (150, 150, 3)
    assert not np.array_equal(plain, wider) and not np.array_equal(plain, turned)


def test_a_recipe_with_crops_is_for_dlibs_resnet_only() -> None:
    cropped = Recipe("test-crops", crops=(Crop(), Crop(degrees=3.0)), mirror=True)
    assert cropped.chips_per_face == 4 and cropped.needs_crops
    assert MIRROR.chips_per_face == 2 and not MIRROR.needs_crops
    assert PLAIN.chips_per_face == 1


def test_the_engine_embeds_every_chip_of_every_face_in_one_call(
    fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facegate.engine import recipe as recipes

    cropped = Recipe("test-crops", crops=(Crop(), Crop(degrees=3.0)), mirror=True)
    monkeypatch.setitem(recipes.RECIPES, cropped.name, cropped)
    engine = FaceEngine(EngineConfig(recipe=cropped.name, fallback=False))
    assert engine.recipe == cropped
    assert engine.model_version == "dlib-resnet-v1; onnxruntime; test-crops"
    calls: list[int] = []
    embed = engine.embedder.embed

    def counting(chips):  # type: ignore[no-untyped-def]
        calls.append(len(chips))
        return embed(chips)

    monkeypatch.setattr(engine.embedder, "embed", counting)
    image = engine.load(fixtures_dir / "obama_1.jpg")
    (face,) = engine.detect(image)
    (embedded,) = engine.embed(image, [face])
    assert calls == [4]
    plain = FaceEngine(EngineConfig(recipe="plain", fallback=False)).embed(image, [face])[0]
    assert np.linalg.norm(embedded.embedding.vector) == pytest.approx(
        np.linalg.norm(plain.embedding.vector), rel=1e-5
    )
    assert recipe_for(EngineConfig(recipe=cropped.name), "dlib-resnet-v1") == cropped
    with pytest.raises(ValueError, match="dlib's ResNet only"):
        recipe_for(EngineConfig(recipe=cropped.name, model="mine.json"), "mine")


def test_the_recipe_from_the_config_file(tmp_path: Path) -> None:
    from facegate.config import ConfigError, load_settings

    (tmp_path / "facegate.toml").write_text('[engine]\nrecipe = "plain"\n')
    config = load_settings(tmp_path, env={}).engine
    assert config.recipe == "plain"
    assert recipe_for(config, "dlib-resnet-v1") == PLAIN
    (tmp_path / "facegate.toml").write_text('[engine]\nrecipe = "sharpen"\n')
    with pytest.raises(ConfigError, match="'recipe' must be one of plain, mirror"):
        load_settings(tmp_path, env={})
