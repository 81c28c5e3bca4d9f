"""dlib's ResNet on onnxruntime: read from dlib's own file, equal to dlib's embeddings."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from facegate.config import ConfigError, load_settings
from facegate.engine import EngineConfig, FaceEngine
from facegate.engine.dlib_models import RESNET_FILE, model_path
from facegate.engine.onnx import convert
from facegate.engine.onnx.dlib_format import DlibFormatError, DlibReader
from facegate.engine.onnx.dlib_net import Conv, Dense, read_network
from facegate.engine.types import RGBImage

PHOTOS = ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "obama_rgba.png", "biden.jpg")


@pytest.fixture(scope="module")
def chips(engine: FaceEngine, fixtures_dir: Path) -> dict[str, RGBImage]:
    out = {}
    for name in PHOTOS:
        image = engine.load(fixtures_dir / name)
        (face,) = engine.detect(image)
        out[name] = engine.embedder.align(image, face.landmarks)
    return out


def test_the_default_backend_is_onnxruntime_with_dlibs_model_id(engine: FaceEngine) -> None:
    assert engine.backend == "onnxruntime"
    assert engine.model_id == "dlib-resnet-v1"
    # Each face is embedded with its mirror image by default: the template records the recipe.
    assert engine.model_version == "dlib-resnet-v1; onnxruntime; mirror"


def test_embeddings_equal_dlibs_within_1e4(
    engine: FaceEngine, dlib_engine: FaceEngine, chips: dict[str, RGBImage]
) -> None:
    batch = list(chips.values())
    # Flipped and shifted chips too, so the check is not only about five pictures.
    batch += [np.ascontiguousarray(c[:, ::-1]) for c in chips.values()]
    batch += [np.ascontiguousarray(np.roll(c, 7, axis=0)) for c in chips.values()]
    ours = np.stack(engine.embedder.embed(batch))
    reference = np.stack(dlib_engine.embedder.embed(batch))
    assert ours.shape == reference.shape == (15, 128)
    assert float(np.abs(ours - reference).max()) <= 1e-4


def test_distances_and_verdicts_equal_dlibs(
    engine: FaceEngine, dlib_engine: FaceEngine, fixtures_dir: Path
) -> None:
    ours = {n: engine.single_face(fixtures_dir / n, require_quality=False) for n in PHOTOS}
    theirs = {n: dlib_engine.single_face(fixtures_dir / n, require_quality=False) for n in PHOTOS}
    for a, b in combinations(PHOTOS, 2):
        mine = engine.compare(ours[a].embedding, ours[b].embedding)
        reference = dlib_engine.compare(theirs[a].embedding, theirs[b].embedding)
        assert abs(mine.distance - reference.distance) <= 1e-4
        assert mine.same_person == reference.same_person
        # One embedding space: a template made on one backend matches a probe from the other.
        assert (
            engine.compare(ours[a].embedding, theirs[b].embedding).same_person == mine.same_person
        )


def test_the_reader_consumes_the_whole_resnet_file() -> None:
    network = read_network(Path(model_path(RESNET_FILE)).read_bytes(), convert.resnet_spec())
    assert network.loss == "loss_metric_2"
    assert network.loss_options["distance_threshold"] == pytest.approx(0.6)
    assert network.input.size == (150, 150)
    assert network.input.means == pytest.approx((122.782, 117.001, 104.298), abs=1e-3)
    convs = [op for op in network.ops if isinstance(op, Conv)]
    assert len(convs) == 29
    assert convs[0].weights.shape == (32, 3, 7, 7)
    dense = network.ops[-1]
    assert isinstance(dense, Dense)
    assert dense.weights.shape == (256, 128)
    assert dense.bias is None


def test_a_wrong_network_layout_is_a_clear_error() -> None:
    data = Path(model_path(RESNET_FILE)).read_bytes()
    with pytest.raises(DlibFormatError):
        read_network(data, convert.resnet_spec()[1:])


@pytest.mark.parametrize(
    ("encoded", "value"),
    [(b"\x00", 0), (b"\x01\x05", 5), (b"\x81\x05", -5), (b"\x02\x00\x01", 256)],
)
def test_dlib_integers(encoded: bytes, value: int) -> None:
    assert DlibReader(encoded).integer() == value


def test_dlib_scalar_floats_are_mantissa_and_exponent() -> None:
    # 0x99999a * 2**-24, the 0.6 of the ResNet's loss layer
    assert DlibReader(b"\x03\x9a\x99\x99\x81\x18").real() == pytest.approx(0.6)


def _tiny_model(data: bytes) -> onnx.ModelProto:
    del data
    node = helper.make_node("Identity", ["images"], ["output"])
    graph = helper.make_graph(
        [node],
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1])],
    )
    return helper.make_model(graph)


def test_conversion_is_cached_by_source_hash_and_converter_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def counting(data: bytes) -> onnx.ModelProto:
        calls.append(data)
        return _tiny_model(data)

    monkeypatch.setitem(convert.CONVERSIONS, "tiny.dat", convert.Conversion("tiny", counting))
    source = tmp_path / "tiny.dat"
    source.write_bytes(b"version one")
    cache = tmp_path / "cache"
    first = convert.converted(source, cache)
    assert convert.converted(source, cache) == first
    assert len(calls) == 1
    sha = convert.source_sha256(source)
    assert first.name == f"tiny-{sha[:16]}-c{convert.CONVERTER_VERSION}.onnx"
    loaded = onnx.load(str(first))
    assert {p.key: p.value for p in loaded.metadata_props}["source_sha256"] == sha

    source.write_bytes(b"version two, another file")
    assert convert.converted(source, cache) != first
    monkeypatch.setattr(convert, "CONVERTER_VERSION", convert.CONVERTER_VERSION + 1)
    convert.converted(source, cache)
    assert len(calls) == 3
    assert sorted(p.suffix for p in cache.iterdir()) == [".onnx"] * 3  # no temporary left


def test_the_cache_directory_is_configurable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FACEGATE_MODEL_CACHE", str(tmp_path))
    assert convert.cache_dir() == tmp_path
    monkeypatch.delenv("FACEGATE_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert convert.cache_dir() == tmp_path / "xdg" / "facegate" / "models"


def test_backend_from_config_file_and_environment(tmp_path: Path) -> None:
    (tmp_path / "facegate.toml").write_text(
        '[engine]\nbackend = "dlib"\nthreads = 2\nmirror = true\ntime_budget = 1.5\n'
    )
    settings = load_settings(tmp_path, env={})
    assert (settings.engine.backend, settings.engine.threads) == ("dlib", 2)
    assert (settings.engine.mirror, settings.engine.time_budget) == (True, 1.5)
    overridden = load_settings(tmp_path, env={"FACEGATE_ENGINE_BACKEND": "onnxruntime"})
    assert overridden.engine.backend == "onnxruntime"
    with pytest.raises(ConfigError):
        load_settings(tmp_path, env={"FACEGATE_ENGINE_BACKEND": "cuda-magic"})
    with pytest.raises(ValueError):
        FaceEngine(EngineConfig(backend="cuda-magic"))
