"""Passive liveness: the shipped MiniFASNet pair, read without PyTorch, run on onnxruntime."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from minifasnet_numpy import forward
from PIL import Image
from typer.testing import CliRunner

import photos
from facegate.cli import app
from facegate.engine import FaceEngine, MultipleFaces, NoFace
from facegate.engine.liveness import (
    DEFAULT_THRESHOLD,
    PassiveLiveness,
    check_single_face,
    shipped_checkpoints,
)
from facegate.engine.liveness.checkpoint import CheckpointError, load_state_dict
from facegate.engine.liveness.crop import patch, scaled_box
from facegate.engine.types import Box
from shared_data import SAMPLES

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared samples absent")
runner = CliRunner()

SHA256 = {
    "2.7_80x80_MiniFASNetV2.pth": (
        "a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0"
    ),
    "4_0_0_80x80_MiniFASNetV1SE.pth": (
        "84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990"
    ),
}


def test_shipped_weights_are_the_upstream_files_with_licence_and_provenance() -> None:
    checkpoints = shipped_checkpoints()
    assert {c.path.name for c in checkpoints} == set(SHA256)
    for c in checkpoints:
        assert hashlib.sha256(c.path.read_bytes()).hexdigest() == SHA256[c.path.name]
        provenance = (c.path.parent / "PROVENANCE.md").read_text(encoding="utf-8")
        assert SHA256[c.path.name] in provenance
    assert "Apache License" in (checkpoints[0].path.parent / "LICENSE").read_text()
    assert [(c.scale, c.input_size, c.kind) for c in checkpoints] == [
        (2.7, (80, 80), "MiniFASNetV2"),
        (4.0, (80, 80), "MiniFASNetV1SE"),
    ]


def test_checkpoint_reader_gives_the_state_dict_without_the_module_prefix() -> None:
    state = load_state_dict(shipped_checkpoints()[1].path)
    assert state["conv1.conv.weight"].shape == (32, 3, 3, 3)
    assert state["conv1.conv.weight"].dtype == np.float32
    assert state["conv_3.model.3.se_module.fc1.weight"].shape == (16, 64, 1, 1)
    assert state["prob.weight"].shape == (3, 128)
    assert int(state["conv1.bn.num_batches_tracked"]) > 0
    assert not any(k.startswith("module.") for k in state)


@pytest.fixture
def fake_torch() -> Iterator[types.ModuleType]:
    """Just enough of ``torch`` for pickle to write a checkpoint the way torch does."""
    utils = types.ModuleType("torch._utils")
    torch = types.ModuleType("torch")

    def _rebuild_tensor_v2(*args: object) -> None: ...

    class FloatStorage: ...

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    FloatStorage.__module__ = "torch"
    FloatStorage.__qualname__ = "FloatStorage"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    torch.FloatStorage = FloatStorage  # type: ignore[attr-defined]
    torch._utils = utils  # type: ignore[attr-defined]
    sys.modules.update({"torch": torch, "torch._utils": utils})
    yield torch
    del sys.modules["torch"], sys.modules["torch._utils"]


class _Tensor:
    def __init__(self, torch: types.ModuleType, key: str, shape: tuple[int, ...]) -> None:
        self.torch, self.key, self.shape = torch, key, shape

    def __reduce__(self) -> tuple[object, ...]:
        stride = tuple(int(np.prod(self.shape[i + 1 :])) for i in range(len(self.shape)))
        storage = ("storage", self.torch.FloatStorage, self.key, "cpu", int(np.prod(self.shape)))
        return (self.torch._utils._rebuild_tensor_v2, (_Storage(storage), 0, self.shape, stride))


class _Storage:
    def __init__(self, pid: tuple[object, ...]) -> None:
        self.pid = pid


class _TorchPickler(pickle.Pickler):
    def persistent_id(self, obj: object) -> object:
        return obj.pid if isinstance(obj, _Storage) else None


def _pickled(obj: object) -> bytes:
    buffer = io.BytesIO()
    _TorchPickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


def test_checkpoint_reader_reads_the_zip_layout_too(fake_torch: types.ModuleType) -> None:
    values = np.arange(6, dtype="<f4")
    state = OrderedDict([("module.w", _Tensor(fake_torch, "0", (2, 3)))])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", _pickled(state))
        archive.writestr("archive/data/0", values.tobytes())
    loaded = load_state_dict(buffer.getvalue())
    assert list(loaded) == ["w"]
    np.testing.assert_array_equal(loaded["w"], values.reshape(2, 3))


def test_checkpoint_reader_reads_the_legacy_layout(fake_torch: types.ModuleType) -> None:
    values = np.linspace(-1, 1, 4, dtype="<f4")
    state = OrderedDict([("module.w", _Tensor(fake_torch, "94", (4,)))])
    data = b"".join(
        pickle.dumps(x, protocol=2) for x in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True})
    )
    data += _pickled(state) + pickle.dumps(["94"], protocol=2)
    data += struct.pack("<q", 4) + values.tobytes()
    np.testing.assert_array_equal(load_state_dict(data)["w"], values)
    with pytest.raises(CheckpointError, match="truncated"):
        load_state_dict(data[:-3])


class _Exploit:
    def __reduce__(self) -> tuple[object, ...]:
        import os

        return (os.system, ("echo pwned",))


@pytest.mark.parametrize("layout", ["legacy", "zip"])
def test_checkpoint_reader_refuses_code_in_the_pickle(layout: str) -> None:
    payload = pickle.dumps({"w": _Exploit()}, protocol=2)
    if layout == "legacy":
        data = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(1001)
        data += pickle.dumps({}) + payload
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("archive/data.pkl", payload)
        data = buffer.getvalue()
    with pytest.raises(CheckpointError, match="not allowed"):
        load_state_dict(data)


def test_checkpoint_reader_refuses_garbage() -> None:
    with pytest.raises(CheckpointError):
        load_state_dict(b"not a checkpoint at all")


@needs_samples
def test_onnx_graph_matches_a_plain_numpy_forward_pass(
    liveness: PassiveLiveness, engine: FaceEngine
) -> None:
    """The ONNX graph (BatchNorm folded, PReLU, SE, depthwise groups) against the reference
    layers computed one by one in float64, on the real patches of a live and an attack photo."""
    states = [load_state_dict(c.path) for c in liveness.checkpoints]
    for name in ("image_T1.jpg", "image_F1.jpg"):
        image = engine.load(SAMPLES / name)
        box = engine.locate(image)[0].box
        patches = liveness.patches(image, box)
        expected = np.mean([forward(s, p) for s, p in zip(states, patches, strict=True)], axis=0)
        np.testing.assert_allclose(liveness.probabilities(image, [box]), expected, atol=1e-5)


def test_patch_follows_the_reference_crop() -> None:
    # A box scaled 2.7x around its centre, inside a large image: no shifting.
    assert scaled_box(640, 480, Box(300, 200, 339, 239), 2.7) == (266, 166, 374, 274)
    # Near the top-left corner it is shifted back inside, keeping its size.
    assert scaled_box(640, 480, Box(0, 0, 39, 39), 2.7) == (0, 0, 108, 108)
    # Too large for the image: the scale shrinks to fit.
    left, top, right, bottom = scaled_box(480, 640, Box(100, 150, 299, 349), 4.0)
    assert (left, right) == (0, 479) and top >= 0 and bottom <= 639
    image = np.zeros((640, 480, 3), dtype=np.uint8)
    assert patch(image, Box(100, 150, 299, 349), 4.0, (80, 80)).shape == (80, 80, 3)


@needs_samples
@pytest.mark.parametrize(
    ("name", "live"),
    [("image_T1.jpg", True), ("image_F1.jpg", False), ("image_F2.jpg", False)],
)
def test_upstream_samples_live_one_live_both_attacks_refused(
    liveness: PassiveLiveness, engine: FaceEngine, name: str, live: bool
) -> None:
    result = check_single_face(engine, liveness, SAMPLES / name)
    assert result.live is live
    assert (result.score >= DEFAULT_THRESHOLD) is live
    assert result.model == "minifasnet-v2+v1se"


def test_fixture_photos_score_live(
    liveness: PassiveLiveness, engine: FaceEngine, fixtures_dir: Path
) -> None:
    """The public-domain portraits the other tests enrol are camera photos of people."""
    for name in ("obama_1.jpg", "obama_2.jpg", "obama_3.jpg", "biden.jpg"):
        assert check_single_face(engine, liveness, fixtures_dir / name).live, name


def tiny_image() -> bytes:
    """Too small for any face (the engine answers at once, without its slow CNN fallback)."""
    return photos.encode(Image.new("RGB", (16, 16), "grey"), "PNG")


def test_liveness_needs_exactly_one_face(liveness: PassiveLiveness, engine: FaceEngine) -> None:
    with pytest.raises(NoFace):
        check_single_face(engine, liveness, tiny_image())
    with pytest.raises(MultipleFaces):
        check_single_face(engine, liveness, photos.two_people())


def test_several_faces_score_in_one_batch(liveness: PassiveLiveness, engine: FaceEngine) -> None:
    image = engine.load(photos.two_people())
    boxes = [d.box for d in engine.locate(image)]
    together = liveness.probabilities(image, boxes)
    alone = np.concatenate([liveness.probabilities(image, [b]) for b in boxes])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(together.sum(axis=1), 1.0, atol=1e-5)


@needs_samples
@pytest.mark.parametrize(
    ("name", "exit_code", "live"),
    [("image_T1.jpg", 0, True), ("image_F1.jpg", 1, False), ("image_F2.jpg", 1, False)],
)
def test_cli_liveness_json_is_exactly_the_documented_object(
    name: str, exit_code: int, live: bool
) -> None:
    result = runner.invoke(app, ["liveness", str(SAMPLES / name), "--json"])
    assert result.exit_code == exit_code, result.output
    body = json.loads(result.stdout)
    assert list(body) == ["live", "score", "threshold", "model"]
    assert body["live"] is live
    assert isinstance(body["score"], float) and 0.0 <= body["score"] <= 1.0
    assert body["threshold"] == DEFAULT_THRESHOLD
    assert body["model"] == "minifasnet-v2+v1se"


def test_cli_liveness_bad_input_exits_2_with_the_engine_code(tmp_path: Path) -> None:
    for data, code in ((photos.corrupt(), "image_unreadable"), (tiny_image(), "no_face")):
        bad = tmp_path / "bad.img"
        bad.write_bytes(data)
        result = runner.invoke(app, ["liveness", str(bad), "--json"])
        assert result.exit_code == 2
        assert json.loads(result.stdout)["error"]["code"] == code


def test_cli_liveness_human_output(fixtures_dir: Path) -> None:
    result = runner.invoke(app, ["liveness", str(fixtures_dir / "obama_1.jpg")])
    assert result.exit_code == 0
    assert "live: score" in result.stdout


def test_liveness_threshold_is_a_setting(tmp_path: Path) -> None:
    from facegate.config import ConfigError, load_settings

    assert load_settings(tmp_path, env={}).liveness_threshold == DEFAULT_THRESHOLD
    env = {"FACEGATE_LIVENESS_THRESHOLD": "0.8"}
    assert load_settings(tmp_path, env=env).liveness_threshold == 0.8
    with pytest.raises(ConfigError):
        load_settings(tmp_path, env={"FACEGATE_LIVENESS_THRESHOLD": "2"})


def test_resize_samples_pixel_centres_without_anti_aliasing() -> None:
    from facegate.engine.liveness.crop import resize_bilinear

    ramp = np.tile(np.arange(0, 240, 3, dtype=np.uint8)[None, :, None], (8, 1, 3))  # 80 wide
    assert np.array_equal(resize_bilinear(ramp, 80, 8), ramp)
    # Halving: each output pixel is the mean of the two source pixels around its centre.
    half = resize_bilinear(ramp, 40, 8)[0, :, 0].astype(float)
    np.testing.assert_allclose(
        half, (ramp[0, 0::2, 0] + ramp[0, 1::2, 0].astype(float)) / 2, atol=0.5
    )
    # Quartering: still two source pixels (4i+1, 4i+2), not the mean of four (no pre-filter).
    quarter = resize_bilinear(ramp, 20, 8)[0, :, 0].astype(float)
    np.testing.assert_allclose(
        quarter, (ramp[0, 1::4, 0] + ramp[0, 2::4, 0].astype(float)) / 2, atol=0.5
    )
