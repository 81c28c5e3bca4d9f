"""Embed many images on several cores: one engine per worker process.

Results come back in input order; a bad image yields its error instead of stopping the batch.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facegate.engine.engine import EngineConfig, FaceEngine
from facegate.engine.errors import EngineError
from facegate.engine.liveness import PassiveLiveness
from facegate.engine.types import FaceEmbedding

_worker_engine: FaceEngine | None = None


@dataclass(frozen=True)
class BatchItem:
    """The faces of one image, or the error that stopped it."""

    path: Path
    faces: tuple[FaceEmbedding, ...] = ()
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None


def _init_worker(config: EngineConfig) -> None:
    global _worker_engine
    _worker_engine = FaceEngine(config)


def _process(path: Path) -> BatchItem:
    assert _worker_engine is not None, "worker not initialised"
    return process_one(_worker_engine, path)


def process_one(engine: FaceEngine, path: Path) -> BatchItem:
    try:
        return BatchItem(path, tuple(engine.faces_with_embeddings(path)))
    except EngineError as exc:
        return BatchItem(path, error_code=exc.code, error_message=exc.message)


def embed_many(
    paths: Sequence[Path],
    *,
    workers: int = 2,
    config: EngineConfig | None = None,
    on_done: Callable[[BatchItem], None] | None = None,
) -> Iterator[BatchItem]:
    """Yield a ``BatchItem`` for each path, in order, using ``workers`` processes.

    ``workers=1`` runs in this process (no pool start-up cost).
    """
    config = config or EngineConfig()
    if workers <= 1:
        engine = FaceEngine(config)
        for path in paths:
            item = process_one(engine, path)
            if on_done:
                on_done(item)
            yield item
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(config,)
    ) as pool:
        for item in pool.map(_process, paths, chunksize=1):
            if on_done:
                on_done(item)
            yield item


# -- photos for enrolment ---------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolmentPhoto:
    """One photo prepared for enrolment as ``Gate.enrol`` prepares it: its one face embedded,
    the face's quality, and (when asked) its passive liveness verdict; or the engine's error
    (unreadable, no face, several faces). Embeddings only: the pixels stay in the worker."""

    key: int  # the caller's index of the photo
    path: Path
    vector: npt.NDArray[np.float32] | None = None
    quality_failed: tuple[str, ...] = ()
    quality_hints: tuple[str, ...] = ()
    live: bool | None = None
    live_score: float | None = None
    model_id: str = ""
    model_version: str = ""
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None


_worker_liveness: PassiveLiveness | None = None


def _init_enrolment_worker(config: EngineConfig, liveness_threshold: float | None) -> None:
    global _worker_engine, _worker_liveness
    _worker_engine = FaceEngine(config)
    if liveness_threshold is not None:
        _worker_liveness = PassiveLiveness(threshold=liveness_threshold)


def _prepare(job: tuple[int, Path]) -> EnrolmentPhoto:
    assert _worker_engine is not None, "worker not initialised"
    return prepare_photo(_worker_engine, _worker_liveness, *job)


def prepare_photo(
    engine: FaceEngine, liveness: PassiveLiveness | None, key: int, path: Path
) -> EnrolmentPhoto:
    """Load, find the one face, score its liveness (before quality, as enrolment does: an
    attack is an attack whatever its quality), measure its quality, embed it."""
    try:
        pixels = engine.load(path)
        found = engine.single_face(pixels, require_quality=False)
        live = score = None
        if liveness is not None:
            verdict = liveness.check_many(pixels, [found.face.box])[0]
            live, score = verdict.live, verdict.score
        quality = found.face.quality
        return EnrolmentPhoto(
            key,
            path,
            np.asarray(found.embedding.vector, dtype=np.float32),
            quality_failed=tuple(quality.failed),
            quality_hints=tuple(quality.hints),
            live=live,
            live_score=score,
            model_id=engine.model_id,
            model_version=engine.model_version,
        )
    except EngineError as exc:
        return EnrolmentPhoto(key, path, error_code=exc.code, error_message=exc.message)


def prepare_photos(
    jobs: Sequence[tuple[int, Path]],
    *,
    workers: int,
    config: EngineConfig | None = None,
    liveness_threshold: float | None = None,
) -> Iterator[EnrolmentPhoto]:
    """``prepare_photo`` for each (key, path) on ``workers`` processes (one engine each, and a
    liveness check when ``liveness_threshold`` is given), yielded in the order of ``jobs`` (a CSV
    import enrols rows in file order, so which of two photos of one person is refused as the
    duplicate does not depend on which worker finished first). ``workers=1`` runs here."""
    config = config or EngineConfig()
    if workers <= 1:
        engine = FaceEngine(config)
        liveness = (
            None if liveness_threshold is None else PassiveLiveness(threshold=liveness_threshold)
        )
        for key, path in jobs:
            yield prepare_photo(engine, liveness, key, path)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_enrolment_worker,
        initargs=(config, liveness_threshold),
    ) as pool:
        pending = [pool.submit(_prepare, job) for job in jobs]
        for future in pending:
            yield future.result()
