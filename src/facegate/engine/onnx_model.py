"""A face embedding model the user owns, as an ONNX file with a small manifest beside it.

The manifest (JSON) says everything facegate must know to feed the network and compare what it
returns; nothing is guessed from the graph::

    {
      "model_id": "acme-arcface-r50-v2",       # names the model and version; stored with every
                                               # template, which never mixes with other models'
      "file": "acme-arcface-r50-v2.onnx",      # relative to the manifest
      "input_size": [112, 112],                # chip width and height in pixels
      "input_layout": "NCHW",                  # or "NHWC"
      "channel_order": "RGB",                  # or "BGR"
      "normalisation": {"mean": [127.5, 127.5, 127.5], "std": [128.0, 128.0, 128.0]},
                                               # input = (pixel - mean) / std, per channel
      "alignment": {                           # where the chip puts three points (chip pixels):
        "right_eye": [38.29, 51.70],           #   the subject's right eye (image left)
        "left_eye": [73.53, 51.50],            #   the subject's left eye (image right)
        "nose": [56.03, 71.74]                 #   the tip of the nose
      },
      "embedding_size": 512,
      "metric": "cosine",                      # or "euclidean"
      "threshold": 1.24,                       # same person at or below this distance
      "calibration": "acme-arcface-r50-v2.calibration.json"   # optional, see below
    }

The chip is cut by the similarity transform (rotation, uniform scale, shift) that best maps the
detected eyes and nose onto the template's. With ``metric: cosine`` the vectors are scaled to
unit length, so facegate's Euclidean distance ``d`` relates to the cosine similarity ``s`` by
``d = sqrt(2 - 2 s)`` and the threshold is given in ``d``. The calibration table (the measured
false match and false non-match rates per threshold) is what lets a 1:N deployment derive its
threshold from a target FPIR; ``bench/identification.py --model MANIFEST`` produces it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from facegate.engine.calibration import Calibration, CalibrationError, read_calibration
from facegate.engine.types import Landmarks, RGBImage, Vector

METRICS = ("cosine", "euclidean")
LAYOUTS = ("NCHW", "NHWC")
CHANNEL_ORDERS = ("RGB", "BGR")


class ManifestError(ValueError):
    """A manifest that does not describe a usable model."""


@dataclass(frozen=True)
class Manifest:
    model_id: str
    file: Path
    input_size: tuple[int, int]  # width, height
    input_layout: str
    channel_order: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    right_eye: tuple[float, float]
    left_eye: tuple[float, float]
    nose: tuple[float, float]
    embedding_size: int
    metric: str
    threshold: float
    calibration: Path | None = None


def _pair(value: Any, what: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ManifestError(f"{what} must be a pair of numbers")
    return float(value[0]), float(value[1])


def _triple(value: Any, what: str) -> tuple[float, float, float]:
    if isinstance(value, int | float):
        return float(value), float(value), float(value)
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ManifestError(f"{what} must be a number or three numbers")
    return float(value[0]), float(value[1]), float(value[2])


def read_manifest(path: Path) -> Manifest:
    """Read and check a manifest; ``ManifestError`` says what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError("a manifest is a JSON object")
    base = Path(path).parent
    try:
        width, height = (int(v) for v in _pair(data["input_size"], "input_size"))
        alignment = data["alignment"]
        normalisation = data.get("normalisation", {})
        manifest = Manifest(
            model_id=str(data["model_id"]).strip(),
            file=base / str(data["file"]),
            input_size=(width, height),
            input_layout=str(data.get("input_layout", "NCHW")),
            channel_order=str(data.get("channel_order", "RGB")),
            mean=_triple(normalisation.get("mean", 0.0), "normalisation.mean"),
            std=_triple(normalisation.get("std", 1.0), "normalisation.std"),
            right_eye=_pair(alignment["right_eye"], "alignment.right_eye"),
            left_eye=_pair(alignment["left_eye"], "alignment.left_eye"),
            nose=_pair(alignment["nose"], "alignment.nose"),
            embedding_size=int(data["embedding_size"]),
            metric=str(data.get("metric", "cosine")),
            threshold=float(data["threshold"]),
            calibration=base / str(data["calibration"]) if data.get("calibration") else None,
        )
    except KeyError as exc:
        raise ManifestError(f"manifest {path} lacks {exc.args[0]!r}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ManifestError(f"manifest {path}: {exc}") from exc
    _check(manifest)
    return manifest


def _check(m: Manifest) -> None:
    if not m.model_id or any(c in m.model_id for c in "/\\ "):
        raise ManifestError("model_id must be a non-empty name without spaces or slashes")
    if m.model_id.startswith("dlib-"):
        raise ManifestError("model ids starting with 'dlib-' are facegate's own")
    if min(m.input_size) < 8 or max(m.input_size) > 1024:
        raise ManifestError("input_size must be between 8 and 1024 pixels a side")
    if m.input_layout not in LAYOUTS:
        raise ManifestError(f"input_layout must be one of {', '.join(LAYOUTS)}")
    if m.channel_order not in CHANNEL_ORDERS:
        raise ManifestError(f"channel_order must be one of {', '.join(CHANNEL_ORDERS)}")
    if any(s == 0 for s in m.std):
        raise ManifestError("normalisation.std must not be zero")
    if m.metric not in METRICS:
        raise ManifestError(f"metric must be one of {', '.join(METRICS)}")
    if m.embedding_size < 1:
        raise ManifestError("embedding_size must be positive")
    if m.threshold <= 0:
        raise ManifestError("threshold must be positive")
    if not m.file.is_file():
        raise ManifestError(f"the model file {m.file} does not exist")


# -- alignment ----------------------------------------------------------------------------------
def similarity_transform(
    source: npt.NDArray[np.float64], target: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """The 2x3 matrix of rotation, uniform scale and shift that best maps ``source`` points
    onto ``target`` points (least squares)."""
    rows = []
    values = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, -y, 1.0, 0.0])
        values.append(u)
        rows.append([y, x, 0.0, 1.0])
        values.append(v)
    (a, b, tx, ty), *_ = np.linalg.lstsq(np.array(rows), np.array(values), rcond=None)
    return np.array([[a, -b, tx], [b, a, ty]])


def warp(image: RGBImage, forward: npt.NDArray[np.float64], size: tuple[int, int]) -> RGBImage:
    """The chip of ``size`` (width, height) that ``forward`` maps the image onto."""
    a, b = forward[0, 0], forward[1, 0]
    shift = forward[:, 2]
    scale = a * a + b * b
    if scale <= 0:
        raise ValueError("degenerate alignment")
    inverse = np.array([[a, b], [-b, a]]) / scale  # rotation-and-scale part, inverted
    offset = -inverse @ shift
    coefficients = (
        inverse[0, 0],
        inverse[0, 1],
        offset[0],
        inverse[1, 0],
        inverse[1, 1],
        offset[1],
    )
    chip = Image.fromarray(image).transform(
        size, Image.Transform.AFFINE, coefficients, resample=Image.Resampling.BILINEAR
    )
    result: RGBImage = np.asarray(chip, dtype=np.uint8)
    return result


# -- the embedder -------------------------------------------------------------------------------
class OnnxEmbedder:
    """An ``Embedder`` over a user's ONNX model, described by its manifest."""

    def __init__(self, manifest: Manifest, *, threads: int = 1) -> None:
        import onnxruntime

        self.manifest = manifest
        self.model_id = manifest.model_id
        self.default_threshold = manifest.threshold
        self.calibration: Calibration | None = None
        if manifest.calibration is not None:
            try:
                table = read_calibration(manifest.calibration)
            except CalibrationError as exc:
                raise ManifestError(str(exc)) from exc
            if table.model_id != manifest.model_id:
                raise ManifestError(
                    f"the calibration describes {table.model_id}, not {manifest.model_id}"
                )
            self.calibration = table
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(manifest.file), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        self._template = np.array([manifest.right_eye, manifest.left_eye, manifest.nose])

    @classmethod
    def load(cls, manifest_path: Path | str) -> OnnxEmbedder:
        return cls(read_manifest(Path(manifest_path)))

    def align(self, image: RGBImage, landmarks: Landmarks) -> RGBImage:
        points = np.array([landmarks.right_eye, landmarks.left_eye, landmarks.nose])
        forward = similarity_transform(points, self._template)
        return warp(image, forward, self.manifest.input_size)

    def _tensor(self, chips: Sequence[RGBImage]) -> npt.NDArray[np.float32]:
        batch = np.stack([np.asarray(c, dtype=np.float32) for c in chips])  # N, H, W, 3 (RGB)
        if self.manifest.channel_order == "BGR":
            batch = batch[..., ::-1]
        mean = np.array(self.manifest.mean, dtype=np.float32)
        std = np.array(self.manifest.std, dtype=np.float32)
        batch = np.divide(np.subtract(batch, mean, dtype=np.float32), std, dtype=np.float32)
        if self.manifest.input_layout == "NCHW":
            batch = batch.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(batch, dtype=np.float32)

    def embed(self, chips: Sequence[RGBImage]) -> list[Vector]:
        if not chips:
            return []
        (output, *_) = self._session.run(None, {self._input: self._tensor(chips)})
        vectors = np.asarray(output, dtype=np.float32).reshape(len(chips), -1)
        if vectors.shape[1] != self.manifest.embedding_size:
            raise ManifestError(
                f"model {self.model_id} returned {vectors.shape[1]}-d vectors; the manifest "
                f"says {self.manifest.embedding_size}"
            )
        if self.manifest.metric == "cosine":
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
        return [v.astype(np.float32) for v in vectors]
