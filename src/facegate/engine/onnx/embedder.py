"""dlib's ResNet face embedder on onnxruntime: the same network and weights as dlib's
``face_recognition_model_v1``, converted from ``dlib_face_recognition_resnet_model_v1.dat``.

Alignment is dlib's own ``get_face_chip`` (so the chips are identical); only the network runs on
onnxruntime. The embeddings are dlib's within float rounding, so they share its model id.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from facegate.engine.dlib_models import RESNET_FILE, ResNetEmbedder, model_path
from facegate.engine.onnx.convert import converted
from facegate.engine.onnx.runtime import session
from facegate.engine.recipe import Crop
from facegate.engine.types import Landmarks, RGBImage, Vector

BATCH = 16


class OnnxResNetEmbedder:
    model_id = ResNetEmbedder.model_id
    default_threshold = ResNetEmbedder.default_threshold
    backend = "onnxruntime"

    def __init__(self, *, threads: int = 1, cache: Path | None = None) -> None:
        self._session = session(converted(Path(model_path(RESNET_FILE)), cache), threads)

    def align(self, image: RGBImage, landmarks: Landmarks) -> RGBImage:
        return ResNetEmbedder.align_chip(image, landmarks)

    def crop_chips(
        self, image: RGBImage, landmarks: Landmarks, crops: Sequence[Crop]
    ) -> list[RGBImage]:
        return ResNetEmbedder.cut_crops(image, landmarks, crops)

    def embed(self, chips: Sequence[RGBImage]) -> list[Vector]:
        vectors: list[Vector] = []
        for start in range(0, len(chips), BATCH):
            batch = np.stack([np.asarray(c, dtype=np.uint8) for c in chips[start : start + BATCH]])
            (out,) = self._session.run(None, {"images": batch})
            vectors.extend(np.asarray(row, dtype=np.float32) for row in out)
        return vectors
