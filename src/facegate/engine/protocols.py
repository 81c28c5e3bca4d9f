"""The contract another face model must meet to plug into the engine.

A model is three parts: a ``Detector`` (image -> boxes), a ``Landmarker`` (image + box -> five
points) and an ``Embedder`` (image + landmarks -> vector). Each names itself so every embedding
records the model that made it; embeddings of different models are never compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from facegate.engine.compare import Comparison
from facegate.engine.image import ImageSource
from facegate.engine.types import Box, Embedding, Face, FaceEmbedding, Landmarks, RGBImage, Vector

if TYPE_CHECKING:
    from facegate.engine.liveness.passive import PassiveLiveness
    from facegate.engine.photo import Examination, PhotoRequest


@dataclass(frozen=True)
class Detection:
    box: Box
    score: float


@runtime_checkable
class Detector(Protocol):
    name: str

    def detect(self, image: RGBImage, upsample: int = 0) -> list[Detection]: ...


@runtime_checkable
class Landmarker(Protocol):
    name: str

    def landmarks(self, image: RGBImage, box: Box) -> Landmarks: ...


@runtime_checkable
class Embedder(Protocol):
    """Aligns and embeds faces. ``model_id`` names model and version, e.g. ``dlib-resnet-v1``."""

    model_id: str
    default_threshold: float

    def align(self, image: RGBImage, landmarks: Landmarks) -> RGBImage: ...

    def embed(self, chips: Sequence[RGBImage]) -> list[Vector]: ...


@runtime_checkable
class FaceWork(Protocol):
    """The face verbs the Gate uses: a ``FaceEngine`` in this process, or a ``FacePool`` of
    worker processes (``facegate serve``)."""

    @property
    def model_id(self) -> str: ...

    @property
    def model_version(self) -> str: ...

    @property
    def threshold(self) -> float: ...

    def load(self, source: ImageSource) -> RGBImage: ...

    def examine(
        self,
        source: ImageSource | RGBImage,
        request: PhotoRequest,
        *,
        liveness: PassiveLiveness | None = None,
    ) -> Examination: ...

    def locate(self, image: RGBImage) -> list[Detection]: ...

    def single_face(
        self, source: ImageSource | RGBImage, *, require_quality: bool = True
    ) -> FaceEmbedding: ...

    def faces_with_embeddings(self, source: ImageSource | RGBImage) -> list[FaceEmbedding]: ...

    def faces_at(self, image: RGBImage, located: Sequence[Detection]) -> list[FaceEmbedding]: ...

    def detect(self, source: ImageSource | RGBImage) -> list[Face]: ...

    def compare(self, a: Embedding, b: Embedding) -> Comparison: ...
