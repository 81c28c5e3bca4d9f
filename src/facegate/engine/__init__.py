"""The face engine: images in, faces and embeddings out (no storage, no law, no HTTP).

A newcomer needs five names::

    from facegate.engine import FaceEngine
    engine = FaceEngine()                     # dlib's HOG + 5-point + ResNet, from PyPI packages
    faces = engine.detect("photo.jpg")         # boxes, landmarks, quality
    probe = engine.single_face("photo.jpg")    # exactly one good face, embedded
    engine.compare(probe.embedding, other.embedding).same_person
"""

from facegate.engine.batch import BatchItem, embed_many
from facegate.engine.compare import Comparison, ModelMismatch, compare, distance, similarity
from facegate.engine.engine import EngineConfig, FaceEngine
from facegate.engine.errors import (
    EngineError,
    FaceQualityTooLow,
    FaceSearchTimeout,
    ImageAspectRatio,
    ImageTooLarge,
    ImageUnreadable,
    MultipleFaces,
    NoFace,
    UnsupportedFormat,
)
from facegate.engine.image import DEFAULT_LIMITS, ImageLimits, load_image
from facegate.engine.protocols import Detection, Detector, Embedder, Landmarker
from facegate.engine.quality import DEFAULT_POLICY, QualityPolicy
from facegate.engine.types import Box, Embedding, Face, FaceEmbedding, Landmarks, Quality

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_POLICY",
    "BatchItem",
    "Box",
    "Comparison",
    "Detection",
    "Detector",
    "Embedder",
    "Embedding",
    "EngineConfig",
    "EngineError",
    "Face",
    "FaceEmbedding",
    "FaceEngine",
    "FaceQualityTooLow",
    "FaceSearchTimeout",
    "ImageAspectRatio",
    "ImageLimits",
    "ImageTooLarge",
    "ImageUnreadable",
    "Landmarker",
    "Landmarks",
    "ModelMismatch",
    "MultipleFaces",
    "NoFace",
    "Quality",
    "QualityPolicy",
    "UnsupportedFormat",
    "compare",
    "distance",
    "embed_many",
    "load_image",
    "similarity",
]
