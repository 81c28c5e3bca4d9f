"""Embed many images on several cores: one engine per worker process.

Results come back in input order; a bad image yields its error instead of stopping the batch.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from facegate.engine.engine import EngineConfig, FaceEngine
from facegate.engine.errors import EngineError
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
