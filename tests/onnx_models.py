"""A tiny ONNX face embedder built in the test itself (a fixed random projection of the aligned
chip), with its manifest and, optionally, a calibration table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 64
DIM = 16
MODEL_ID = "tiny-projection-v1"


def build_tiny_model(folder: Path, *, calibrated: bool = True, threshold: float = 0.05) -> Path:
    """Write ``tiny.onnx``, ``tiny.json`` (the manifest) and maybe its calibration; the
    manifest's path."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = np.random.default_rng(16).normal(size=(3 * SIZE * SIZE, DIM)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["chip"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "weights"], ["embedding"]),
        ],
        "tiny",
        [helper.make_tensor_value_info("chip", TensorProto.FLOAT, ["n", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", DIM])],
        [numpy_helper.from_array(weights, "weights")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, folder / "tiny.onnx")
    scale = SIZE / 112
    manifest = {
        "model_id": MODEL_ID,
        "file": "tiny.onnx",
        "input_size": [SIZE, SIZE],
        "input_layout": "NCHW",
        "channel_order": "RGB",
        "normalisation": {"mean": [127.5, 127.5, 127.5], "std": [128.0, 128.0, 128.0]},
        "alignment": {
            "right_eye": [38.2946 * scale, 51.6963 * scale],
            "left_eye": [73.5318 * scale, 51.5014 * scale],
            "nose": [56.0252 * scale, 71.7366 * scale],
        },
        "embedding_size": DIM,
        "metric": "cosine",
        "threshold": threshold,
    }
    if calibrated:
        table = {
            "model_id": MODEL_ID,
            "source": "synthetic, for tests",
            "impostor_comparisons": 1_000_000,
            "genuine_comparisons": 1000,
            "rows": [[0.01, 1e-6, 0.05], [0.03, 1e-4, 0.02], [0.05, 1e-3, 0.01], [0.2, 1e-1, 0.0]],
        }
        (folder / "tiny.calibration.json").write_text(json.dumps(table))
        manifest["calibration"] = "tiny.calibration.json"
    path = folder / "tiny.json"
    path.write_text(json.dumps(manifest, indent=1))
    return path
