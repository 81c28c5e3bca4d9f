"""One photo's whole face work in one call: decode, find faces within the search budget, score
liveness, align and embed.

This is the unit a pool worker takes (``FacePool.examine``): the service sends the photo's bytes
and gets back boxes, liveness scores and embeddings, so the per-photo CPU (decoding included)
runs in the worker and N workers serve N photos at once. In a process, ``FaceEngine.examine``
runs the same function.

What is processed follows the caller's rules, given as data (the engine knows no law): in a
whole frame with more than ``embed_at_most`` faces, no face is scored or embedded (the boxes
only come back); a face is embedded only when every face found passed the liveness check (when
one was asked for), otherwise the examination carries the boxes and scores only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from facegate.engine.engine import NO_FACE_MESSAGE, FaceEngine, SearchClock
from facegate.engine.errors import MultipleFaces, NoFace
from facegate.engine.image import ImageSource
from facegate.engine.liveness.passive import LivenessResult, PassiveLiveness
from facegate.engine.protocols import Detection
from facegate.engine.types import Box, FaceEmbedding, RGBImage


@dataclass(frozen=True)
class PhotoRequest:
    """What the caller wants from one photo.

    ``one_face``: the enrolment and verification path: exactly one face (``NoFace``,
    ``MultipleFaces`` otherwise), analysed and embedded; its quality is reported, not enforced.
    Otherwise every face is located and (within ``embed_at_most``) embedded: identification.
    ``liveness``: the passive check's threshold, applied to every face found; ``None``: no check.
    ``embed_at_most``: score and embed a frame's faces only when there are at most this many
    (``None``: any number), e.g. 1 where only the person who presented themselves may be
    processed.
    """

    one_face: bool = True
    liveness: float | None = None
    embed_at_most: int | None = None


@dataclass(frozen=True)
class Examination:
    """What one photo gave: the boxes found (largest first), the liveness verdict of each
    (empty when not asked for) and the embedded faces (empty when the rules said not to)."""

    located: tuple[Detection, ...]
    liveness: tuple[LivenessResult, ...] = ()
    faces: tuple[FaceEmbedding, ...] = field(default=())

    @property
    def boxes(self) -> list[Box]:
        return [d.box for d in self.located]

    @property
    def live(self) -> bool:
        """Did every face pass the liveness check (true when none was asked for)?"""
        return all(r.live for r in self.liveness)


def examine(
    engine: FaceEngine,
    source: ImageSource | RGBImage,
    request: PhotoRequest,
    liveness: PassiveLiveness | None = None,
) -> Examination:
    """Run ``request`` on one photo with ``engine`` (and ``liveness``, loaded by the engine at
    first use when not given). Decoding counts against the engine's search budget."""
    clock = SearchClock(engine.config.time_budget)
    image = engine._image(source)
    located = engine.locate(image, clock)
    if request.one_face:
        return _one_face(engine, image, located, request, liveness)
    if request.embed_at_most is not None and len(located) > request.embed_at_most:
        return Examination(tuple(located))  # boxes only: no face is scored or embedded
    checks = _liveness(engine, image, [d.box for d in located], request, liveness)
    embed = bool(located) and all(r.live for r in checks)
    faces = engine.faces_at(image, located) if embed else []
    return Examination(tuple(located), tuple(checks), tuple(faces))


def _one_face(
    engine: FaceEngine,
    image: RGBImage,
    located: Sequence[Detection],
    request: PhotoRequest,
    liveness: PassiveLiveness | None,
) -> Examination:
    faces = engine.analyse(image, located)
    if not faces:
        raise NoFace(NO_FACE_MESSAGE)
    if len(faces) > 1:
        raise MultipleFaces(len(faces))
    # Liveness on the box as analysed (clipped to the image), as the Gate always scored it.
    checks = _liveness(engine, image, [faces[0].box], request, liveness)
    if not all(r.live for r in checks):
        return Examination(tuple(located), tuple(checks))
    return Examination(tuple(located), tuple(checks), tuple(engine.embed(image, faces)))


def _liveness(
    engine: FaceEngine,
    image: RGBImage,
    boxes: Sequence[Box],
    request: PhotoRequest,
    liveness: PassiveLiveness | None,
) -> list[LivenessResult]:
    if request.liveness is None or not boxes:
        return []
    checker = liveness or engine.passive_liveness()
    threshold = request.liveness
    return [
        LivenessResult(r.score >= threshold, r.score, threshold, r.model)
        for r in checker.check_many(image, boxes)
    ]
