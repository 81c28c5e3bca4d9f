"""Typed errors of the face engine, each with a stable machine code."""

from __future__ import annotations

from collections.abc import Sequence

from facegate.errors import FacegateError


class EngineError(FacegateError):
    """Something about the input image prevents face processing."""

    code = "engine_error"


class ImageUnreadable(EngineError):
    code = "image_unreadable"


class ImageTooLarge(EngineError):
    code = "image_too_large"


class ImageAspectRatio(EngineError):
    """One side is many times the other: not a photo of a face (and costly to search)."""

    code = "image_aspect_ratio"


class FaceSearchTimeout(EngineError):
    """The search for a face used up its CPU budget before it could say there is none."""

    code = "face_search_timeout"


class UnsupportedFormat(EngineError):
    code = "unsupported_format"


class NoFace(EngineError):
    code = "no_face"


class MultipleFaces(EngineError):
    code = "multiple_faces"

    def __init__(self, count: int) -> None:
        super().__init__(
            f"{count} faces found; exactly one is needed. Photograph one person at a time.",
            details={"faces": count},
        )
        self.count = count


class FaceQualityTooLow(EngineError):
    code = "face_quality_too_low"

    def __init__(self, failed: Sequence[str], hints: Sequence[str]) -> None:
        super().__init__(
            "face quality too low: " + "; ".join(hints),
            details={"failed_checks": list(failed)},
        )
        self.failed = tuple(failed)
