"""The face engine: images in, faces and embeddings out. Pure computation.

Detection runs on a copy downscaled to a working resolution and the boxes are mapped back;
landmarks, alignment and embedding run on the full-resolution image. When the fast detector
finds nothing, a fallback chain tries harder (more upsampling, then dlib's CNN detector).
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from facegate.engine.compare import Comparison, compare
from facegate.engine.errors import FaceQualityTooLow, FaceSearchTimeout, MultipleFaces, NoFace
from facegate.engine.image import DEFAULT_LIMITS, ImageLimits, ImageSource, load_image
from facegate.engine.protocols import Detection, Detector, Embedder, Landmarker
from facegate.engine.quality import DEFAULT_POLICY, QualityPolicy, assess
from facegate.engine.types import (
    Box,
    Embedding,
    Face,
    FaceEmbedding,
    Landmarks,
    RGBImage,
    Vector,
)

if TYPE_CHECKING:
    from facegate.engine.liveness.passive import PassiveLiveness
    from facegate.engine.photo import Examination, PhotoRequest


@dataclass(frozen=True)
class EngineConfig:
    """How hard and at what size to look for faces, and when two faces are the same person.

    ``detector``: ``"hog"`` (fast, frontal) or ``"cnn"`` (dlib's MMOD CNN: slower, more poses).
    ``working_size``: longest side of the copy detection runs on (0 = full resolution).
    ``fallback``: when nothing is found, retry with one upsampling, then the CNN detector on a
    copy whose longest side is at most ``cnn_size``.
    ``threshold``: distance at or below which two faces are the same person (None: the
    embedder's default, 0.6 for dlib's ResNet).
    ``mirror``: test-time augmentation (``None``: on for dlib's ResNet, where it was measured,
    off for a user's own model): also embed the horizontally mirrored chip and use the mean of
    the two vectors, rescaled to the unmirrored vector's length, so distances keep the plain
    model's scale and the threshold its meaning. It costs one more embedding per face (about
    5 ms on onnxruntime). The mean stays in the plain model's embedding space, so it keeps the
    model id and templates enrolled without it keep matching: on LFW, 99.07% with it against
    98.90% without, and 99.02% for templates made without it against probes made with it
    (``bench/template_compat.py``). ``model_version`` records it (``...; mirror``), so each
    template says how it was made.
    ``backend``: what runs the networks: ``"onnxruntime"`` (dlib's own models converted to ONNX
    at first use; the default) or ``"dlib"`` (the reference). Both give the same embeddings
    within float rounding, so they share the model id; templates record the backend apart.
    ``threads``: onnxruntime threads per network (1: scale with processes instead).
    ``time_budget``: CPU seconds to decode a photo and search it for faces, fallbacks included
    (0: no limit). Each fallback step runs only if its estimated cost fits what is left (the CNN
    on a smaller copy if need be); a photo in which no face was found before the budget ran
    out is a ``FaceSearchTimeout`` (``face_search_timeout``), never a stall.
    ``model``: the manifest of a user's own ONNX embedding model (see
    ``facegate.engine.onnx_model``); empty for dlib's ResNet.
    """

    detector: str = "hog"
    backend: str = "onnxruntime"
    threads: int = 1
    time_budget: float = 0.8
    working_size: int = 640
    upsample: int = 0
    fallback: bool = True
    cnn_size: int = 640
    threshold: float | None = None
    mirror: bool | None = None
    model: str = ""
    quality: QualityPolicy = field(default_factory=lambda: DEFAULT_POLICY)
    limits: ImageLimits = field(default_factory=lambda: DEFAULT_LIMITS)


DETECTORS = ("hog", "cnn")
BACKENDS = ("onnxruntime", "dlib")
MIRROR_RECIPE = "mirror"
DLIB_RESNET_ID = "dlib-resnet-v1"  # dlib_models.ResNetEmbedder.model_id (not imported: dlib)
# Below this many pixels on a side no detector can find a face (and dlib's CNN fails outright).
MIN_IMAGE_SIDE = 20
# The CNN's smallest useful input (its window is 80 px) and its cost per pixel of its tiled
# pyramid relative to HOG's per pixel, measured on this project's 2-core machine.
MIN_CNN_SIDE = 160
# CPU per pixel of the CNN's tiled pyramid plane over HOG's per image pixel (measured).
CNN_COST_PER_HOG_COST = {"onnxruntime": 2.8, "dlib": 20.0}
PYRAMID_PIXELS_PER_PIXEL = 3.9  # plane / image pixels when the detector cannot say exactly
HOG_UPSAMPLED_COST = 4.5  # HOG with one more upsampling, relative to without
NO_FACE_MESSAGE = "no face found: face the camera in good light, one person at a time"


class SearchClock:
    """CPU seconds spent on one photo (this thread only) against the engine's budget."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.started = time.thread_time()
        self.cut_short = False

    def spent(self) -> float:
        return time.thread_time() - self.started

    def affords(self, seconds: float) -> bool:
        if self.budget <= 0 or self.spent() + seconds <= self.budget:
            return True
        self.cut_short = True
        return False

    def left(self) -> float:
        return float("inf") if self.budget <= 0 else self.budget - self.spent()


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


def mirror_default(config: EngineConfig, model_id: str) -> bool:
    """``config.mirror``, or when unset: on for dlib's ResNet (measured on LFW), off for any
    other model."""
    if config.mirror is not None:
        return config.mirror
    return not config.model and model_id == DLIB_RESNET_ID


def model_version(model_id: str, backend: str, *, mirror: bool) -> str:
    """What a template records of the engine that made it: ``dlib-resnet-v1; onnxruntime``,
    with ``; mirror`` when each face was embedded with its mirror image."""
    return f"{model_id}; {backend}" + (f"; {MIRROR_RECIPE}" if mirror else "")


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
                    self._cnn_detector()
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
        if self.config.fallback:
            self._cnn()  # loaded now, not on the clock of the first photo that needs it
        # dlib's models are not safe to call from several threads at once.
        self._lock = threading.RLock()
        self._liveness: PassiveLiveness | None = None
        # The chips the last ``analyse`` aligned (for its quality checks), kept for ``embed`` of
        # the same image so that no face is aligned twice; the image is only weakly referenced.
        self._chips: tuple[weakref.ref[RGBImage] | None, dict[Landmarks, RGBImage]] = (None, {})

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
        """The model id, the backend that computed it and the recipe (``mirror``), as templates
        record it."""
        return model_version(self.model_id, self.backend, mirror=self.mirror)

    @property
    def model_id(self) -> str:
        return self.embedder.model_id

    @property
    def mirror(self) -> bool:
        """Is each face embedded with its mirror image (see ``EngineConfig.mirror``)?"""
        return mirror_default(self.config, self.embedder.model_id)

    @property
    def threshold(self) -> float:
        if self.config.threshold is not None:
            return self.config.threshold
        return self.embedder.default_threshold

    # -- stages ---------------------------------------------------------------------------
    def load(self, source: ImageSource) -> RGBImage:
        return load_image(source, self.config.limits)

    def locate(self, image: RGBImage, clock: SearchClock | None = None) -> list[Detection]:
        """Face boxes in full-resolution coordinates, largest first.

        Raises ``FaceSearchTimeout`` when nothing was found and the budget cut the search short.
        """
        if min(image.shape[:2]) < MIN_IMAGE_SIDE:
            return []
        clock = clock or SearchClock(self.config.time_budget)
        with self._lock:
            found = self._locate(image, clock)
        if not found and clock.cut_short:
            raise FaceSearchTimeout(
                f"no face found within the search budget ({self.config.time_budget:g} s of CPU): "
                "send a smaller, well-lit photo with the face large in the frame",
                details={"budget_seconds": self.config.time_budget},
            )
        return found

    def _locate(self, image: RGBImage, clock: SearchClock) -> list[Detection]:
        small, factor = downscale(image, self.config.working_size)
        started = clock.spent()
        found = self.detector.detect(small, self.config.upsample)
        # What one pixel costs the fast detector on this machine, now: the fallbacks' estimates.
        per_pixel = max(clock.spent() - started, 1e-4) / max(1, small.shape[0] * small.shape[1])
        if not found and self.config.fallback:
            found = self._fallback(small, clock, per_pixel)
        if not found and self.config.fallback:
            found = self._cnn_fallback(small, clock, per_pixel)
        boxes = [Detection(d.box.scaled(1 / factor), d.score) for d in found]
        return sorted(boxes, key=lambda d: d.box.width * d.box.height, reverse=True)

    def _fallback(self, small: RGBImage, clock: SearchClock, per_pixel: float) -> list[Detection]:
        if max(small.shape[:2]) > 1200:
            return []
        pixels = small.shape[0] * small.shape[1]
        if not clock.affords(per_pixel * pixels * HOG_UPSAMPLED_COST):
            return []
        return self.detector.detect(small, self.config.upsample + 1)

    def _cnn_fallback(
        self, small: RGBImage, clock: SearchClock, per_pixel: float
    ) -> list[Detection]:
        """dlib's CNN on a copy upsampled once (longest side at most twice ``cnn_size``), or
        the largest copy whose estimated cost fits the budget that is left.

        The search counts as complete (no face: ``NoFace``) when the CNN could look at a copy
        at least ``cnn_size`` (or the image's own size) on its longest side; below that, the
        budget cut it short (``FaceSearchTimeout``)."""
        cnn = self._cnn()
        height, width = small.shape[:2]
        longest = max(height, width)
        target = 2 * min(longest, self.config.cnn_size)
        enough = min(longest, self.config.cnn_size)
        side = target
        left = clock.left()
        if math.isfinite(left):
            ratio = CNN_COST_PER_HOG_COST.get(str(getattr(cnn, "backend", "dlib")), 20.0)
            plane = getattr(cnn, "plane_pixels", None)

            def cost(side: int) -> float:
                rows, columns = round(height * side / longest), round(width * side / longest)
                pixels = plane(rows, columns) if callable(plane) else 0
                pixels = pixels or PYRAMID_PIXELS_PER_PIXEL * rows * columns
                return float(per_pixel * ratio * pixels)

            while side >= MIN_CNN_SIDE and cost(side) > left:
                side = int(side * 0.9)
        if side < enough:
            clock.cut_short = True
        if side < MIN_CNN_SIDE:
            return []
        scale = side / longest
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        resample = Image.Resampling.BILINEAR
        copy = np.asarray(Image.fromarray(small).resize(size, resample))
        return [Detection(d.box.scaled(1 / scale), d.score) for d in cnn.detect(copy, 0)]

    def _cnn(self) -> Detector:
        if self._fallback_detector is None:
            self._fallback_detector = self._cnn_detector()
        return self._fallback_detector

    def _cnn_detector(self) -> Detector:
        """dlib's MMOD CNN on the configured backend."""
        if self.config.backend == "dlib":
            from facegate.engine.dlib_models import CnnDetector

            return CnnDetector()
        from facegate.engine.onnx.mmod import OnnxMmodDetector

        return OnnxMmodDetector(threads=self.config.threads)

    def analyse(self, image: RGBImage, detections: Sequence[Detection]) -> list[Face]:
        """Landmarks and quality for each detection (boxes are clipped to the image here)."""
        with self._lock:
            return self._analyse(image, detections)

    def _analyse(self, image: RGBImage, detections: Sequence[Detection]) -> list[Face]:
        faces = []
        chips = {}
        for detection in detections:
            box = _clip(detection.box, image)
            outside = 1.0 - _area(box) / max(1, _area(detection.box))
            landmarks = self.landmarker.landmarks(image, detection.box)
            chip = chips[landmarks] = self.embedder.align(image, landmarks)
            quality = assess(box, landmarks, chip, self.config.quality, outside_fraction=outside)
            faces.append(Face(box, landmarks, quality, detection.score, self.detector.name))
        self._chips = (weakref.ref(image), chips)
        return faces

    def _aligned(self, image: RGBImage, landmarks: Landmarks) -> RGBImage:
        """The chip at ``landmarks``: the one ``analyse`` aligned for this image, else a new
        one (the same pixels either way)."""
        source, chips = self._chips
        chip = chips.get(landmarks) if source is not None and source() is image else None
        return self.embedder.align(image, landmarks) if chip is None else chip

    def embed(self, image: RGBImage, faces: Sequence[Face]) -> list[FaceEmbedding]:
        with self._lock:
            chips = [self._aligned(image, face.landmarks) for face in faces]
            self._chips = (None, {})
            if self.mirror:
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
        return self._detect(source)[1]

    def _detect(self, source: ImageSource | RGBImage) -> tuple[RGBImage, list[Face]]:
        clock = SearchClock(self.config.time_budget)  # decoding counts against the budget
        image = self._image(source)
        return image, self.analyse(image, self.locate(image, clock))

    def faces_with_embeddings(self, source: ImageSource | RGBImage) -> list[FaceEmbedding]:
        """Every face and its embedding (for identification, where several faces may appear)."""
        image, faces = self._detect(source)
        return self.embed(image, faces)

    def faces_at(self, image: RGBImage, located: Sequence[Detection]) -> list[FaceEmbedding]:
        """The faces at boxes that :meth:`locate` found in ``image``, analysed and embedded,
        without searching the image again (identification locates first, to decide what may be
        embedded at all)."""
        return self.embed(image, self.analyse(image, located))

    def single_face(
        self, source: ImageSource | RGBImage, *, require_quality: bool = True
    ) -> FaceEmbedding:
        """The one face of the image, embedded; the enrolment path.

        Raises ``NoFace``, ``MultipleFaces`` or (with ``require_quality``) ``FaceQualityTooLow``.
        """
        image, faces = self._detect(source)
        if not faces:
            raise NoFace(NO_FACE_MESSAGE)
        if len(faces) > 1:
            raise MultipleFaces(len(faces))
        face = faces[0]
        if require_quality and not face.quality.ok:
            raise FaceQualityTooLow(face.quality.failed, face.quality.hints)
        return self.embed(image, [face])[0]

    def examine(
        self,
        source: ImageSource | RGBImage,
        request: PhotoRequest,
        *,
        liveness: PassiveLiveness | None = None,
    ) -> Examination:
        """One photo's whole face work (decode, find, liveness, embed) as ``request`` asks:
        see ``facegate.engine.photo``. ``liveness``: a loaded check to use (else the engine's
        own, loaded at first use)."""
        from facegate.engine.photo import examine

        return examine(self, source, request, liveness)

    def passive_liveness(self) -> PassiveLiveness:
        """The engine's own passive liveness check (the shipped MiniFASNet pair), loaded at
        first use; its verdicts are re-judged at each request's threshold."""
        with self._lock:
            if self._liveness is None:
                from facegate.engine.liveness.passive import PassiveLiveness

                self._liveness = PassiveLiveness(threads=self.config.threads)
            return self._liveness

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
