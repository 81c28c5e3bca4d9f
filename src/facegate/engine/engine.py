"""The face engine: images in, faces and embeddings out. Pure computation.

Detection runs on a copy downscaled to a working resolution and the boxes are mapped back;
landmarks, alignment and embedding run on the full-resolution image. When the fast detector
finds nothing, a fallback chain tries harder (more upsampling, then dlib's CNN detector).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from facegate.engine.compare import Comparison, compare
from facegate.engine.errors import FaceQualityTooLow, MultipleFaces, NoFace
from facegate.engine.image import DEFAULT_LIMITS, ImageLimits, ImageSource, load_image
from facegate.engine.protocols import Detection, Detector, Embedder, Landmarker
from facegate.engine.quality import DEFAULT_POLICY, QualityPolicy, assess
from facegate.engine.types import Box, Embedding, Face, FaceEmbedding, RGBImage, Vector


@dataclass(frozen=True)
class EngineConfig:
    """How hard and at what size to look for faces, and when two faces are the same person.

    ``detector``: ``"hog"`` (fast, frontal) or ``"cnn"`` (dlib's MMOD CNN: slower, more poses).
    ``working_size``: longest side of the copy detection runs on (0 = full resolution).
    ``fallback``: when nothing is found, retry with one upsampling, then the CNN detector on a
    copy whose longest side is at most ``cnn_size``.
    ``threshold``: distance at or below which two faces are the same person (None: the
    embedder's default, 0.6 for dlib's ResNet).
    ``mirror``: test-time augmentation: also embed the horizontally mirrored chip and use the
    mean of the two vectors, rescaled to the unmirrored vector's length (so distances keep the
    plain model's scale and the default threshold stays meaningful). About doubles the
    embedding cost. The embeddings get their own model id (``<model>+mirror``): they are not
    comparable with plain ones.
    ``backend``: what runs the networks: ``"onnxruntime"`` (dlib's own models converted to ONNX
    at first use; the default) or ``"dlib"`` (the reference). Both give the same embeddings
    within float rounding, so they share the model id; templates record the backend apart.
    ``threads``: onnxruntime threads per network (1: scale with processes instead).
    ``model``: the manifest of a user's own ONNX embedding model (see
    ``facegate.engine.onnx_model``); empty for dlib's ResNet.
    """

    detector: str = "hog"
    backend: str = "onnxruntime"
    threads: int = 1
    working_size: int = 960
    upsample: int = 0
    fallback: bool = True
    cnn_size: int = 640
    threshold: float | None = None
    mirror: bool = False
    model: str = ""
    quality: QualityPolicy = field(default_factory=lambda: DEFAULT_POLICY)
    limits: ImageLimits = field(default_factory=lambda: DEFAULT_LIMITS)


DETECTORS = ("hog", "cnn")
BACKENDS = ("onnxruntime", "dlib")
MIRROR_SUFFIX = "+mirror"
# Below this many pixels on a side no detector can find a face (and dlib's CNN fails outright).
MIN_IMAGE_SIDE = 20


def downscale(image: RGBImage, longest_side: int) -> tuple[RGBImage, float]:
    """A copy whose longest side is at most ``longest_side``, and the factor applied."""
    height, width = image.shape[:2]
    longest = max(height, width)
    if longest_side <= 0 or longest <= longest_side:
        return image, 1.0
    factor = longest_side / longest
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    small = Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(small), factor


def _clip(box: Box, image: RGBImage) -> Box:
    height, width = image.shape[:2]
    return Box(
        max(0, box.left), max(0, box.top), min(width - 1, box.right), min(height - 1, box.bottom)
    )


def _area(box: Box) -> int:
    return max(0, box.width) * max(0, box.height)


def mirrored(chip: RGBImage) -> RGBImage:
    """The chip flipped left to right (contiguous, as dlib needs)."""
    flipped: RGBImage = np.ascontiguousarray(chip[:, ::-1])
    return flipped


def mirror_mean(plain: Vector, flipped: Vector) -> Vector:
    """The mean of a chip's vector and its mirror image's, at the plain vector's length."""
    mean = (plain.astype(np.float64) + flipped.astype(np.float64)) / 2
    length = float(np.linalg.norm(mean))
    if length > 0:
        mean *= float(np.linalg.norm(plain.astype(np.float64))) / length
    result: Vector = mean.astype(plain.dtype)
    return result


class FaceEngine:
    """Detect, align, embed and compare faces with one model (dlib's by default)."""

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        detector: Detector | None = None,
        fallback_detector: Detector | None = None,
        landmarker: Landmarker | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        if self.config.detector not in DETECTORS:
            raise ValueError(f"detector must be one of {', '.join(DETECTORS)}")
        if self.config.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}")
        if detector is None or landmarker is None or embedder is None:
            from facegate.engine import dlib_models

            if detector is None:
                detector = (
                    dlib_models.CnnDetector()
                    if self.config.detector == "cnn"
                    else dlib_models.HogDetector()
                )
            landmarker = landmarker or dlib_models.FivePointLandmarker()
            if embedder is None and self.config.model:
                from facegate.engine.onnx_model import OnnxEmbedder

                embedder = OnnxEmbedder.load(self.config.model)
            embedder = embedder or self._default_embedder()
        self.detector: Detector = detector
        self.landmarker: Landmarker = landmarker
        self.embedder: Embedder = embedder
        self._fallback_detector = fallback_detector
        # dlib's models are not safe to call from several threads at once.
        self._lock = threading.RLock()

    def _default_embedder(self) -> Embedder:
        if self.config.backend == "dlib":
            from facegate.engine.dlib_models import ResNetEmbedder

            return ResNetEmbedder()
        from facegate.engine.onnx.embedder import OnnxResNetEmbedder

        return OnnxResNetEmbedder(threads=self.config.threads)

    # -- identity of the model ------------------------------------------------------------
    @property
    def backend(self) -> str:
        """What runs the embedding network (``onnxruntime``, ``dlib``, or the plug-in's own)."""
        return str(getattr(self.embedder, "backend", type(self.embedder).__name__))

    @property
    def model_version(self) -> str:
        """The model id and the backend that computed it, as templates record it."""
        return f"{self.model_id}; {self.backend}"

    @property
    def model_id(self) -> str:
        if self.config.mirror:
            return self.embedder.model_id + MIRROR_SUFFIX
        return self.embedder.model_id

    @property
    def threshold(self) -> float:
        if self.config.threshold is not None:
            return self.config.threshold
        return self.embedder.default_threshold

    # -- stages ---------------------------------------------------------------------------
    def load(self, source: ImageSource) -> RGBImage:
        return load_image(source, self.config.limits)

    def locate(self, image: RGBImage) -> list[Detection]:
        """Face boxes in full-resolution coordinates, largest first."""
        if min(image.shape[:2]) < MIN_IMAGE_SIDE:
            return []
        with self._lock:
            return self._locate(image)

    def _locate(self, image: RGBImage) -> list[Detection]:
        small, factor = downscale(image, self.config.working_size)
        found = self.detector.detect(small, self.config.upsample)
        if not found and self.config.fallback:
            found = self._fallback(small)
        if not found and self.config.fallback:
            cnn_image, cnn_factor = downscale(small, self.config.cnn_size)
            found = [
                Detection(d.box.scaled(1 / cnn_factor), d.score)
                for d in self._cnn().detect(cnn_image, 1)
            ]
        boxes = [Detection(d.box.scaled(1 / factor), d.score) for d in found]
        return sorted(boxes, key=lambda d: d.box.width * d.box.height, reverse=True)

    def _fallback(self, small: RGBImage) -> list[Detection]:
        if max(small.shape[:2]) <= 1200:
            return self.detector.detect(small, self.config.upsample + 1)
        return []

    def _cnn(self) -> Detector:
        if self._fallback_detector is None:
            from facegate.engine.dlib_models import CnnDetector

            self._fallback_detector = CnnDetector()
        return self._fallback_detector

    def analyse(self, image: RGBImage, detections: Sequence[Detection]) -> list[Face]:
        """Landmarks and quality for each detection (boxes are clipped to the image here)."""
        with self._lock:
            return self._analyse(image, detections)

    def _analyse(self, image: RGBImage, detections: Sequence[Detection]) -> list[Face]:
        faces = []
        for detection in detections:
            box = _clip(detection.box, image)
            outside = 1.0 - _area(box) / max(1, _area(detection.box))
            landmarks = self.landmarker.landmarks(image, detection.box)
            chip = self.embedder.align(image, landmarks)
            quality = assess(box, landmarks, chip, self.config.quality, outside_fraction=outside)
            faces.append(Face(box, landmarks, quality, detection.score, self.detector.name))
        return faces

    def embed(self, image: RGBImage, faces: Sequence[Face]) -> list[FaceEmbedding]:
        with self._lock:
            chips = [self.embedder.align(image, face.landmarks) for face in faces]
            if self.config.mirror:
                # One call for every chip and its mirror image: [c0, m0, c1, m1, ...].
                both = self.embedder.embed([c for chip in chips for c in (chip, mirrored(chip))])
                vectors = [mirror_mean(a, b) for a, b in zip(both[::2], both[1::2], strict=True)]
            else:
                vectors = self.embedder.embed(chips)
        return [
            FaceEmbedding(face, Embedding(vector, self.model_id))
            for face, vector in zip(faces, vectors, strict=True)
        ]

    # -- the verbs ------------------------------------------------------------------------
    def detect(self, source: ImageSource | RGBImage) -> list[Face]:
        """Every face in the image with its box, landmarks and quality, largest first."""
        image = self._image(source)
        return self.analyse(image, self.locate(image))

    def faces_with_embeddings(self, source: ImageSource | RGBImage) -> list[FaceEmbedding]:
        """Every face and its embedding (for identification, where several faces may appear)."""
        image = self._image(source)
        return self.embed(image, self.detect(image))

    def single_face(
        self, source: ImageSource | RGBImage, *, require_quality: bool = True
    ) -> FaceEmbedding:
        """The one face of the image, embedded; the enrolment path.

        Raises ``NoFace``, ``MultipleFaces`` or (with ``require_quality``) ``FaceQualityTooLow``.
        """
        image = self._image(source)
        faces = self.detect(image)
        if not faces:
            raise NoFace("no face found: face the camera in good light, one person at a time")
        if len(faces) > 1:
            raise MultipleFaces(len(faces))
        face = faces[0]
        if require_quality and not face.quality.ok:
            raise FaceQualityTooLow(face.quality.failed, face.quality.hints)
        return self.embed(image, [face])[0]

    def compare(self, a: Embedding, b: Embedding) -> Comparison:
        return compare(a, b, self.threshold)

    def compare_images(self, a: ImageSource | RGBImage, b: ImageSource | RGBImage) -> Comparison:
        """Compare the single face of each image (quality is reported, not enforced)."""
        first = self.single_face(a, require_quality=False)
        second = self.single_face(b, require_quality=False)
        return self.compare(first.embedding, second.embedding)

    def _image(self, source: ImageSource | RGBImage) -> RGBImage:
        if isinstance(source, np.ndarray):
            return source
        return self.load(source)
