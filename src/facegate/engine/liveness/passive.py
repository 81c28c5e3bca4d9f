"""Passive liveness: is the face in one RGB image a live person, or a print or a screen?

Two MiniFASNets (Silent-Face, Apache-2.0) look at the face at two context scales (2.7x and 4x
the face box); their softmax outputs are averaged, as upstream does, and the live class's
probability is the score. A face is live when the score reaches the threshold.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from facegate.engine.engine import FaceEngine
from facegate.engine.errors import MultipleFaces, NoFace
from facegate.engine.image import ImageSource
from facegate.engine.liveness.checkpoint import load_state_dict
from facegate.engine.liveness.crop import patch
from facegate.engine.liveness.minifasnet import LIVE_CLASS, NetSpec, build_model
from facegate.engine.types import Box, RGBImage

MODEL_ID = "minifasnet-v2+v1se"
# On NUAA every threshold from 0.1 to 0.7 gives APCER 0.17%, BPCER 0% (ACER 0.09%); 0.5 is the
# middle of the gap between attacks (< 0.04) and live faces (>= 0.75), and makes "live" the most
# likely class, as upstream's argmax does. See docs/benchmarks.md and bench/liveness.py.
DEFAULT_THRESHOLD = 0.5

_NAME = re.compile(
    r"^(?P<scale>\d+(\.\d+)?)_.*?(?P<h>\d+)x(?P<w>\d+)_(?P<type>MiniFASNet\w+)\.pth$"
)


@dataclass(frozen=True)
class Checkpoint:
    """One shipped network: its file, the context scale around the face box and input size."""

    path: Path
    scale: float
    input_size: tuple[int, int]
    kind: str

    @classmethod
    def from_path(cls, path: Path) -> Checkpoint:
        """Upstream names files ``<scale>_..._<h>x<w>_<type>.pth`` and reads the scale from
        the first field (``2.7_80x80_MiniFASNetV2.pth``: 2.7; ``4_0_0_80x80_MiniFASNetV1SE.pth``:
        4)."""
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"{path.name}: not a <scale>_<h>x<w>_<MiniFASNet...>.pth file name")
        return cls(path, float(match["scale"]), (int(match["h"]), int(match["w"])), match["type"])


def shipped_checkpoints() -> list[Checkpoint]:
    """The checkpoints that ship in the package (``weights/``), in name order."""
    folder = Path(str(resources.files("facegate.engine.liveness") / "weights"))
    return [Checkpoint.from_path(p) for p in sorted(folder.glob("*.pth"))]


@dataclass(frozen=True)
class LivenessResult:
    live: bool
    score: float
    threshold: float
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "live": self.live,
            "score": round(self.score, 6),
            "threshold": self.threshold,
            "model": self.model,
        }


class PassiveLiveness:
    """Score faces for liveness with the MiniFASNet pair on onnxruntime (thread-safe)."""

    def __init__(
        self,
        checkpoints: Sequence[Checkpoint] | None = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        threads: int = 1,
    ) -> None:
        self.checkpoints = list(checkpoints or shipped_checkpoints())
        if not self.checkpoints:
            raise ValueError("no liveness checkpoints")
        self.threshold = threshold
        self.model_id = MODEL_ID
        nets = [
            NetSpec(f"patch_{i}", load_state_dict(c.path), c.input_size)
            for i, c in enumerate(self.checkpoints)
        ]
        model = build_model(nets)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def patches(self, image: RGBImage, box: Box) -> list[np.ndarray[Any, np.dtype[np.float32]]]:
        """Each network's input for the face at ``box``: (1, 3, h, w) float32, BGR, 0-255."""
        out = []
        for c in self.checkpoints:
            bgr = patch(image, box, c.scale, c.input_size)[:, :, ::-1]
            out.append(np.ascontiguousarray(bgr.transpose(2, 0, 1)[None], dtype=np.float32))
        return out

    def probabilities(
        self, image: RGBImage, boxes: Sequence[Box]
    ) -> np.ndarray[Any, np.dtype[np.float32]]:
        """(faces, 3) mean softmax over (print, live, replay) for each box."""
        if not boxes:
            return np.zeros((0, 3), dtype=np.float32)
        per_box = [self.patches(image, box) for box in boxes]
        feeds = {
            f"patch_{i}": np.concatenate([p[i] for p in per_box])
            for i in range(len(self.checkpoints))
        }
        with self._lock:
            probabilities = self._session.run(["probabilities"], feeds)[0]
        return np.asarray(probabilities, dtype=np.float32)

    def score(self, image: RGBImage, box: Box) -> float:
        return float(self.probabilities(image, [box])[0, LIVE_CLASS])

    def check(self, image: RGBImage, box: Box) -> LivenessResult:
        return self.check_many(image, [box])[0]

    def check_many(self, image: RGBImage, boxes: Sequence[Box]) -> list[LivenessResult]:
        """One verdict per face box, scored in one batch."""
        scores = self.probabilities(image, boxes)[:, LIVE_CLASS]
        return [
            LivenessResult(float(s) >= self.threshold, float(s), self.threshold, self.model_id)
            for s in scores
        ]


def check_single_face(
    engine: FaceEngine, liveness: PassiveLiveness, source: ImageSource | RGBImage
) -> LivenessResult:
    """Liveness of the one face in an image (``NoFace`` or ``MultipleFaces`` otherwise)."""
    image = source if isinstance(source, np.ndarray) else engine.load(source)
    found = engine.locate(image)
    if not found:
        raise NoFace("no face found: face the camera in good light, one person at a time")
    if len(found) > 1:
        raise MultipleFaces(len(found))
    return liveness.check(image, found[0].box)
