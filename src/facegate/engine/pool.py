"""Face work in a pool of worker processes, each with its own engine.

Concurrent requests use every core, and a slow photo holds one worker, not the site. The
queue is bounded: when every worker is busy and ``queue`` more photos wait, the next one is
refused at once with ``EngineBusy`` (``engine_busy``, with a retry delay) instead of waiting
without bound. Errors raised in a worker (``NoFace``, ``FaceQualityTooLow``...) reach the
caller as the same typed errors.

The pool offers the face verbs the Gate uses (``examine``, ``single_face``,
``faces_with_embeddings``, ``detect``, ``compare`` and the model's identity), so it stands in for
a ``FaceEngine``. ``examine`` is the one that scales: the photo's bytes go to a worker, which
decodes, searches, checks liveness and embeds, so the service process does none of the per-photo
CPU work and N workers serve N photos at once.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from facegate.engine.compare import Comparison, compare
from facegate.engine.dlib_models import ResNetEmbedder
from facegate.engine.engine import EngineConfig, FaceEngine, model_version, recipe_for
from facegate.engine.errors import EngineError, ImageUnreadable
from facegate.engine.image import ImageSource, load_image
from facegate.engine.liveness.passive import PassiveLiveness
from facegate.engine.photo import Examination, PhotoRequest
from facegate.engine.protocols import Detection
from facegate.engine.types import Embedding, Face, FaceEmbedding, RGBImage

T = TypeVar("T")

_worker: FaceEngine | None = None


class EngineBusy(EngineError):
    """Every face worker is busy and the queue is full: try again shortly."""

    code = "engine_busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


def _init(config: EngineConfig, parent: int) -> None:
    global _worker
    _die_with_parent(parent)
    _worker = FaceEngine(config)
    _worker.passive_liveness()  # loaded now, not on the time of the first photo


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel sends this worker SIGTERM when the service that started it dies, so
    a killed service leaves no workers behind. A service killed while this worker was still
    starting (before the request was made) is caught by looking at the parent afterwards."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:  # the service died before the request: nobody to serve
        os._exit(0)


def _identity() -> tuple[str, str, float]:
    assert _worker is not None
    return _worker.model_id, _worker.model_version, _worker.threshold


def _call(verb: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, Any]:
    """Run one verb in the worker; a typed error comes back as data (its class and fields),
    since errors with their own constructors do not survive pickling as themselves."""
    assert _worker is not None
    try:
        return "ok", getattr(_worker, verb)(*args, **kwargs)
    except EngineError as exc:
        return "error", (type(exc), exc.message, exc.__dict__)


def _rebuild(kind: type[EngineError], message: str, fields: dict[str, Any]) -> EngineError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    error.__dict__.update(fields)
    return error


class FacePool:
    """``workers`` processes (default: one per core), at most ``queue`` photos waiting."""

    concurrent = True  # safe to call from many threads at once: no lock around it needed

    def __init__(
        self, config: EngineConfig | None = None, *, workers: int = 0, queue: int | None = None
    ) -> None:
        self.config = config or EngineConfig()
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.queue = self.workers * 2 if queue is None else max(0, queue)
        self._slots = threading.BoundedSemaphore(self.workers + self.queue)
        self._lock = threading.Lock()
        self._executor = self._start()
        # Every worker starts loading its models now, in the background, not on the time of
        # the first photos; the model's identity is known without loading it here.
        self._warming = [self._executor.submit(_identity) for _ in range(self.workers)]
        if self.config.model:  # a user's own model: ask a worker what it is
            self.model_id, self.model_version, self._threshold = self._warming[0].result()
        else:
            self.model_id = ResNetEmbedder.model_id
            recipe = recipe_for(self.config, self.model_id)
            self.model_version = model_version(self.model_id, self.config.backend, recipe)
            self._threshold = ResNetEmbedder.default_threshold

    def wait_ready(self) -> None:
        """Block until every worker has loaded its models (and check they agree with us)."""
        for future in self._warming:
            model_id, model_version, _ = future.result()
            assert (model_id, model_version) == (self.model_id, self.model_version)

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(self.config, os.getpid()),
        )

    @property
    def threshold(self) -> float:
        return self.config.threshold if self.config.threshold is not None else self._threshold

    @property
    def backend(self) -> str:
        return self.config.backend

    def close(self) -> None:
        """Stop at once: queued photos are cancelled, workers (even mid-photo or still loading
        their models) are terminated, so a service stops promptly."""
        processes = list(getattr(self._executor, "_processes", {}).values())
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)

    # -- the verbs --------------------------------------------------------------------------
    def examine(
        self,
        source: ImageSource | RGBImage,
        request: PhotoRequest,
        *,
        liveness: PassiveLiveness | None = None,
    ) -> Examination:
        """One photo's whole face work in one worker (see ``facegate.engine.photo``). Pass the
        photo's bytes, not decoded pixels, so decoding runs in the worker too. ``liveness`` is
        not used: each worker holds its own check, judged at ``request.liveness``."""
        result: Examination = self._run("examine", source, request=request)
        return result

    def load(self, source: ImageSource) -> RGBImage:
        """Decode here (bounded and thread-safe): the pixels then go to a worker."""
        return load_image(source, self.config.limits)

    def locate(self, image: RGBImage) -> list[Detection]:
        result: list[Detection] = self._run("locate", image)
        return result

    def single_face(
        self, source: ImageSource | RGBImage, *, require_quality: bool = True
    ) -> FaceEmbedding:
        result: FaceEmbedding = self._run("single_face", source, require_quality=require_quality)
        return result

    def faces_with_embeddings(self, source: ImageSource | RGBImage) -> list[FaceEmbedding]:
        result: list[FaceEmbedding] = self._run("faces_with_embeddings", source)
        return result

    def faces_at(self, image: RGBImage, located: Sequence[Detection]) -> list[FaceEmbedding]:
        result: list[FaceEmbedding] = self._run("faces_at", image, located=list(located))
        return result

    def detect(self, source: ImageSource | RGBImage) -> list[Face]:
        result: list[Face] = self._run("detect", source)
        return result

    def compare(self, a: Embedding, b: Embedding) -> Comparison:
        return compare(a, b, self.threshold)

    # -- running ----------------------------------------------------------------------------
    def _run(self, verb: str, source: ImageSource | RGBImage, **kwargs: Any) -> Any:
        if isinstance(source, memoryview | bytearray):
            source = bytes(source)
        if not self._slots.acquire(blocking=False):
            raise EngineBusy(
                f"all {self.workers} face workers are busy and {self.queue} photos are waiting; "
                "try again in a moment",
                retry_after=1,
            )
        try:
            executor, future = self._submit(_call, verb, (source,), kwargs)
            try:
                status, value = future.result()
            except BrokenProcessPool:
                self._restart(executor)
                raise ImageUnreadable(
                    "the face engine's worker stopped while processing this image"
                ) from None
        finally:
            self._slots.release()
        if status == "error":
            raise _rebuild(*value)
        return value

    def _submit(
        self, function: Callable[..., T], *args: Any
    ) -> tuple[ProcessPoolExecutor, Future[T]]:
        with self._lock:
            executor = self._executor
        try:
            return executor, executor.submit(function, *args)
        except BrokenProcessPool:
            executor = self._restart(executor)
            return executor, executor.submit(function, *args)

    def _restart(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A worker died (killed, out of memory): a fresh pool for the next photos."""
        with self._lock:
            if self._executor is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self._executor = self._start()
            return self._executor

    def __enter__(self) -> FacePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
