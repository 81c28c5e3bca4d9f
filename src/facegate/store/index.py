"""The in-memory gallery: 1:N search, one separate shard per deployment (no global gallery).

Each shard keeps its vectors in one growable array (doubling, so ``add`` is amortised O(1));
``remove`` swaps the last row into the hole (O(1)). Two ways to search a shard:

- **exact** (brute force): one vectorised pass over every row (float32 screen, float64 re-measure).
  The reference, and the default below ``IndexTuning.ann_from`` templates, where it is faster and
  needs no training.
- **approximate with exact re-rank**, from ``ann_from`` templates up: an inverted-file index with
  8-bit scalar-quantised codes (faiss ``IndexIVFScalarQuantizer``, 128 bytes per 128-d vector)
  proposes ``candidates`` rows from the ``nprobe`` nearest of about 4 sqrt(N) lists; those rows are
  then measured exactly against the held vectors, so every distance returned is exact and only
  recall is approximate (measured against the exact path by ``bench/scale.py``). The faiss id of a
  vector is its row; when a removal moves the last row into a hole, the moved vector is
  re-added under its new row.

``compact=True`` holds the vectors as float16 (half the memory; distances are then exact for the
float16-rounded vectors, within about 1e-3 of the float32 ones): the mode for very large
galleries (10M), measured by the benchmark. The index is a cache: the vault is the truth,
``build_from_vault`` rebuilds it, and ``facegate.store.index_snapshot`` saves and restores it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from facegate.store.models import Template
from facegate.store.vault import Vault

_INITIAL_CAPACITY = 16
_BLOCK_CELLS = 1 << 22  # distances per block of ``search_many`` (16 MiB of float32)
Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Match:
    template_id: str
    subject_id: str
    distance: float


@dataclass(frozen=True)
class IndexTuning:
    """When and how a shard is searched approximately (figures in docs/benchmarks.md)."""

    ann_from: int = 100_000  # shards below this size are searched exactly (brute force)
    nprobe: int = 256  # inverted lists visited per query (6% of 1M's 4,096 lists)
    candidates: int = 128  # rows proposed by the approximate search, then measured exactly
    compact: bool = False  # float16 vectors (half the memory) instead of float32
    max_lists: int = 4096
    threads: int = 1  # faiss threads per query (the service runs queries in parallel itself)

    def lists_for(self, size: int) -> int:
        """About 4 sqrt(size) inverted lists, a power of two in [64, max_lists]."""
        lists = 2 ** round(math.log2(max(1.0, 4 * math.sqrt(size))))
        return int(min(self.max_lists, max(64, lists)))


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the index needs timezone-aware datetimes")
    return moment.timestamp()


def _faiss() -> Any:
    import faiss  # imported on first use: small deployments never load it

    return faiss


class _Ann:
    """An IVF index with 8-bit codes over one shard's rows; faiss ids are row numbers."""

    def __init__(self, index: Any, trained_size: int, tuning: IndexTuning) -> None:
        self.index = index
        self.trained_size = trained_size
        self.index.nprobe = min(tuning.nprobe, int(index.nlist))
        _faiss().omp_set_num_threads(tuning.threads)

    @classmethod
    def build(cls, vectors: np.ndarray, tuning: IndexTuning, seed: int = 1234) -> _Ann:
        faiss = _faiss()
        n, dim = vectors.shape
        nlist = tuning.lists_for(n)
        quantizer = faiss.IndexFlatL2(dim)
        index = faiss.IndexIVFScalarQuantizer(
            quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2
        )
        index.cp.niter = 10
        index.cp.seed = seed
        index.cp.max_points_per_centroid = 64
        index.cp.min_points_per_centroid = 1  # no warning for small shards
        step = max(1, n // (64 * nlist))
        faiss.omp_set_num_threads(2)  # training: both cores once
        index.train(np.ascontiguousarray(vectors[::step], dtype=np.float32))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        for start in range(0, n, 65536):
            chunk = np.ascontiguousarray(vectors[start : start + 65536], dtype=np.float32)
            index.add_with_ids(chunk, np.arange(start, start + len(chunk), dtype=np.int64))
        return cls(index, n, tuning)

    @classmethod
    def restore(cls, blob: npt.NDArray[np.uint8], size: int, tuning: IndexTuning) -> _Ann:
        faiss = _faiss()
        index = faiss.deserialize_index(blob)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        return cls(index, size, tuning)

    def serialize(self) -> npt.NDArray[np.uint8]:
        blob: npt.NDArray[np.uint8] = _faiss().serialize_index(self.index)
        return blob

    def add(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        self.index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(rows, dtype=np.int64)
        )

    def remove(self, rows: Sequence[int] | npt.NDArray[np.int64]) -> None:
        self.index.remove_ids(np.asarray(rows, dtype=np.int64))

    def propose(self, query: np.ndarray, count: int) -> np.ndarray:
        _, found = self.index.search(query.reshape(1, -1).astype(np.float32), count)
        rows: np.ndarray = found[0]
        return rows[rows >= 0]


@dataclass
class ShardState:
    """A shard's content, as saved in a snapshot: rows and (when it has one) its ANN index."""

    template_ids: list[str]
    subject_ids: list[str]
    vectors: np.ndarray
    expires: npt.NDArray[np.float64]
    ann: npt.NDArray[np.uint8] | None = None
    ann_trained_size: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class _Shard:
    """One deployment's vectors, in rows 0..size-1 of preallocated arrays."""

    def __init__(self, dim: int, tuning: IndexTuning) -> None:
        self.dim = dim
        self.tuning = tuning
        self.dtype = np.float16 if tuning.compact else np.float32
        self.size = 0
        self.vectors: np.ndarray = np.empty((_INITIAL_CAPACITY, dim), dtype=self.dtype)
        self.expires: npt.NDArray[np.float64] = np.empty(_INITIAL_CAPACITY, dtype=np.float64)
        # Squared norms, so a search is one matrix-vector product: |x-q|^2 = |x|^2 - 2x.q + |q|^2
        self.norms: npt.NDArray[np.float32] = np.empty(_INITIAL_CAPACITY, dtype=np.float32)
        self.template_ids: list[str] = []
        self.subject_ids: list[str] = []
        self.ann: _Ann | None = None

    def _reserve(self, needed: int) -> None:
        if needed <= len(self.vectors):
            return
        capacity = max(needed, 2 * len(self.vectors))
        vectors = np.empty((capacity, self.dim), dtype=self.dtype)
        vectors[: self.size] = self.vectors[: self.size]
        expiries = np.empty(capacity, dtype=np.float64)
        expiries[: self.size] = self.expires[: self.size]
        norms = np.empty(capacity, dtype=np.float32)
        norms[: self.size] = self.norms[: self.size]
        self.vectors, self.expires, self.norms = vectors, expiries, norms

    def extend(
        self,
        template_ids: Sequence[str],
        subject_ids: Sequence[str],
        vectors: np.ndarray,
        expires: npt.NDArray[np.float64],
        *,
        retune: bool = True,
    ) -> int:
        """Append rows; the first new row's number. ``retune=False`` leaves building the ANN
        index to a later ``retune()`` (a bulk load builds it once, at the end)."""
        first, count = self.size, len(template_ids)
        self._reserve(first + count)
        end = first + count
        self.vectors[first:end] = vectors
        self.expires[first:end] = expires
        held = self.vectors[first:end].astype(np.float32)
        self.norms[first:end] = np.einsum("ij,ij->i", held, held)
        self.template_ids.extend(template_ids)
        self.subject_ids.extend(subject_ids)
        self.size = end
        if self.ann is not None:
            self.ann.add(np.arange(first, end), held)
        if retune:
            self.retune()
        return first

    def pop(self, row: int) -> str | None:
        """Remove ``row`` by moving the last row into it; the moved template's id, if any."""
        last = self.size - 1
        moved: str | None = None
        if row != last:
            self.vectors[row] = self.vectors[last]
            self.expires[row] = self.expires[last]
            self.norms[row] = self.norms[last]
            self.template_ids[row] = self.template_ids[last]
            self.subject_ids[row] = self.subject_ids[last]
            moved = self.template_ids[row]
        self.template_ids.pop()
        self.subject_ids.pop()
        self.size = last
        if self.ann is not None:
            self.ann.remove([row, last] if moved is not None else [row])
            if moved is not None:
                self.ann.add(np.array([row]), self.vectors[row : row + 1].astype(np.float32))
        return moved

    def pop_many(self, rows: Sequence[int]) -> list[tuple[str, int]]:
        """Remove ``rows`` at once, filling the holes below the new size with the last rows
        (as ``pop`` does one at a time): one gather per array and one ANN removal and addition
        for the lot. The moved templates' (id, new row)."""
        doomed = np.unique(np.asarray(rows, dtype=np.int64))
        if not len(doomed):
            return []
        end = self.size - len(doomed)
        holes = doomed[doomed < end]
        tail = np.arange(end, self.size, dtype=np.int64)
        movers = tail[~np.isin(tail, doomed, assume_unique=True)]
        moved: list[tuple[str, int]] = []
        if len(holes):
            self.vectors[holes] = self.vectors[movers]
            self.expires[holes] = self.expires[movers]
            self.norms[holes] = self.norms[movers]
            template_ids, subject_ids = self.template_ids, self.subject_ids
            for hole, mover in zip(holes.tolist(), movers.tolist(), strict=True):
                template_ids[hole] = template_ids[mover]
                subject_ids[hole] = subject_ids[mover]
                moved.append((template_ids[hole], hole))
        del self.template_ids[end:]
        del self.subject_ids[end:]
        self.size = end
        if self.ann is not None:
            self.ann.remove(np.concatenate([holes, tail]))
            if len(holes):
                self.ann.add(holes, self.vectors[holes].astype(np.float32))
        return moved

    def retune(self) -> None:
        """Build the ANN index once the shard reaches ``ann_from``; rebuild it when the shard
        has grown 4x (or shrunk 4x) since, so its lists stay about 4 sqrt(N); drop it below
        half of ``ann_from`` (the exact path is faster there)."""
        threshold = self.tuning.ann_from
        if self.ann is None:
            if self.size >= threshold:
                self.ann = _Ann.build(self.vectors[: self.size], self.tuning)
            return
        if self.size < threshold // 2:
            self.ann = None
        elif not self.ann.trained_size / 4 <= self.size <= 4 * self.ann.trained_size:
            self.ann = _Ann.build(self.vectors[: self.size], self.tuning)

    def state(self) -> ShardState:
        return ShardState(
            list(self.template_ids),
            list(self.subject_ids),
            self.vectors[: self.size].copy(),
            self.expires[: self.size].copy(),
            None if self.ann is None else self.ann.serialize(),
            0 if self.ann is None else self.ann.trained_size,
        )


class GalleryIndex:
    """Thread-safe in-memory 1:N index, partitioned by deployment."""

    def __init__(self, tuning: IndexTuning | None = None) -> None:
        self.tuning = tuning or IndexTuning()
        self._lock = threading.RLock()
        self._shards: dict[str, _Shard] = {}
        # template id -> deployment id (the row is found in the shard's own map)
        self._where: dict[str, tuple[str, int]] = {}
        # subject id -> template ids
        self._by_subject: dict[str, set[str]] = {}

    def add(
        self,
        deployment_id: str,
        template_id: str,
        subject_id: str,
        vector: npt.ArrayLike,
        expires_at: datetime,
    ) -> None:
        """Add (or replace) a template. All vectors of a deployment share one dimension."""
        array = np.asarray(vector, dtype=np.float32)
        if array.ndim != 1 or array.size == 0:
            raise ValueError("a vector is a non-empty one-dimensional array")
        self.add_many(
            deployment_id,
            [template_id],
            [subject_id],
            array.reshape(1, -1),
            np.array([_timestamp(expires_at)]),
        )

    def add_many(
        self,
        deployment_id: str,
        template_ids: Sequence[str],
        subject_ids: Sequence[str],
        vectors: npt.ArrayLike,
        expires: npt.ArrayLike,
        *,
        retune: bool = True,
    ) -> None:
        """Add (or replace) many templates of one deployment at once: ``vectors`` is (n, dim),
        ``expires`` POSIX timestamps (seconds, UTC). ``retune=False``: a bulk load in several
        calls, followed by ``retune(deployment_id)``."""
        array = np.asarray(vectors)
        stamps = np.asarray(expires, dtype=np.float64)
        if array.ndim != 2 or array.shape[1] == 0:
            raise ValueError("vectors are an (n, dim) array")
        if not len(template_ids) == len(subject_ids) == len(array) == len(stamps):
            raise ValueError("one id, subject, vector and expiry per template")
        if not len(template_ids):
            return
        with self._lock:
            for template_id in template_ids:
                if template_id in self._where:
                    self.remove_template(template_id)
            shard = self._shards.get(deployment_id)
            if shard is None:
                shard = self._shards[deployment_id] = _Shard(array.shape[1], self.tuning)
            elif shard.dim != array.shape[1]:
                raise ValueError(
                    f"deployment {deployment_id} holds {shard.dim}-d vectors, "
                    f"not {array.shape[1]}-d"
                )
            first = shard.extend(template_ids, subject_ids, array, stamps, retune=retune)
            where, by_subject = self._where, self._by_subject
            for offset, (template_id, subject_id) in enumerate(
                zip(template_ids, subject_ids, strict=True)
            ):
                where[template_id] = (deployment_id, first + offset)
                held = by_subject.get(subject_id)
                if held is None:
                    by_subject[subject_id] = {template_id}
                else:
                    held.add(template_id)

    def remove_template(self, template_id: str) -> bool:
        """Forget one template; False when it was not held."""
        with self._lock:
            place = self._where.pop(template_id, None)
            if place is None:
                return False
            deployment_id, row = place
            shard = self._shards[deployment_id]
            subject_id = shard.subject_ids[row]
            moved = shard.pop(row)
            if moved is not None:
                self._where[moved] = (deployment_id, row)
            templates = self._by_subject.get(subject_id)
            if templates is not None:
                templates.discard(template_id)
                if not templates:
                    del self._by_subject[subject_id]
            if shard.size == 0:
                del self._shards[deployment_id]
            else:
                shard.retune()
            return True

    def remove_templates(self, template_ids: Iterable[str]) -> int:
        """Forget many templates at once (a sweep's chunk, a delta's removals): per shard one
        batched ``pop_many`` and one retune; how many were held."""
        with self._lock:
            rows: dict[str, list[int]] = {}
            for template_id in template_ids:
                place = self._where.pop(template_id, None)
                if place is None:
                    continue
                deployment_id, row = place
                rows.setdefault(deployment_id, []).append(row)
                subject_id = self._shards[deployment_id].subject_ids[row]
                templates = self._by_subject.get(subject_id)
                if templates is not None:
                    templates.discard(template_id)
                    if not templates:
                        del self._by_subject[subject_id]
            for deployment_id, doomed in rows.items():
                shard = self._shards[deployment_id]
                for template_id, row in shard.pop_many(doomed):
                    self._where[template_id] = (deployment_id, row)
                if shard.size == 0:
                    del self._shards[deployment_id]
                else:
                    shard.retune()
            return sum(len(r) for r in rows.values())

    def remove_subject(self, subject_id: str, deployment_id: str | None = None) -> int:
        """Forget the subject's templates (in one deployment, or all); how many were held."""
        with self._lock:
            held = list(self._by_subject.get(subject_id, ()))
            removed = 0
            for template_id in held:
                if deployment_id is None or self._where[template_id][0] == deployment_id:
                    removed += self.remove_template(template_id)
            return removed

    def clear(self, deployment_id: str | None = None) -> None:
        """Forget one deployment's templates, or everything."""
        with self._lock:
            if deployment_id is None:
                self._shards.clear()
                self._where.clear()
                self._by_subject.clear()
                return
            shard = self._shards.pop(deployment_id, None)
            if shard is None:
                return
            for template_id, subject_id in zip(shard.template_ids, shard.subject_ids, strict=True):
                self._where.pop(template_id, None)
                templates = self._by_subject.get(subject_id)
                if templates is not None:
                    templates.discard(template_id)
                    if not templates:
                        del self._by_subject[subject_id]

    def size(self, deployment_id: str) -> int:
        """How many templates the deployment's shard holds (expired ones included)."""
        with self._lock:
            shard = self._shards.get(deployment_id)
            return 0 if shard is None else shard.size

    def retune(self, deployment_id: str) -> None:
        """Build (or drop) the deployment's ANN index for its current size."""
        with self._lock:
            shard = self._shards.get(deployment_id)
            if shard is not None:
                shard.retune()

    def live_ids(self, deployment_id: str, at: datetime) -> set[str]:
        """The ids of the deployment's templates not expired at ``at``."""
        now = _timestamp(at)
        with self._lock:
            shard = self._shards.get(deployment_id)
            if shard is None:
                return set()
            live = shard.expires[: shard.size] > now
            return {t for t, keep in zip(shard.template_ids, live.tolist(), strict=True) if keep}

    def approximate(self, deployment_id: str) -> bool:
        """Is the deployment's shard searched approximately (with exact re-rank)?"""
        with self._lock:
            shard = self._shards.get(deployment_id)
            return shard is not None and shard.ann is not None

    def __contains__(self, template_id: object) -> bool:
        with self._lock:
            return template_id in self._where

    # -- snapshots -------------------------------------------------------------------------

    def shard_state(self, deployment_id: str) -> ShardState | None:
        """A copy of the deployment's shard (rows and ANN index), for a snapshot."""
        with self._lock:
            shard = self._shards.get(deployment_id)
            return None if shard is None else shard.state()

    def load_shard(self, deployment_id: str, state: ShardState) -> None:
        """Replace the deployment's shard by a saved one (its ANN index restored, not rebuilt)."""
        with self._lock:
            self.clear(deployment_id)
            if not state.template_ids:
                return
            self.add_many(
                deployment_id,
                state.template_ids,
                state.subject_ids,
                state.vectors,
                state.expires,
                retune=False,
            )
            shard = self._shards[deployment_id]
            if state.ann is not None:
                shard.ann = _Ann.restore(state.ann, state.ann_trained_size, self.tuning)
            shard.retune()

    # -- search ----------------------------------------------------------------------------

    def search(
        self,
        deployment_id: str,
        vector: npt.ArrayLike,
        *,
        threshold: float,
        at: datetime,
        k: int = 1,
    ) -> list[Match]:
        """Up to ``k`` unexpired templates of this deployment within ``threshold`` (Euclidean
        distance, inclusive), nearest first."""
        query = np.asarray(vector, dtype=np.float32)
        now = _timestamp(at)
        if k <= 0:
            return []
        with self._lock:
            shard = self._shard(deployment_id, query)
            if shard is None:
                return []
            if shard.ann is not None:
                want = max(self.tuning.candidates, 4 * k)
                rows = _live(shard, shard.ann.propose(query, want), now)
            else:
                n = shard.size
                approx, qq = _screen(shard, query)
                margin = 1e-5 * (shard.norms[:n] + qq) + 1e-6  # float32 cancellation
                rows = np.flatnonzero(
                    (shard.expires[:n] > now) & (approx <= threshold * threshold + margin)
                )
            exact = _exact(shard, rows, query)
            keep = exact <= threshold
            candidates, distances = rows[keep], exact[keep]
            order = np.argsort(distances, kind="stable")[:k]
            return [
                Match(shard.template_ids[i], shard.subject_ids[i], float(d))
                for i, d in zip(candidates[order].tolist(), distances[order].tolist(), strict=True)
            ]

    def search_many(
        self,
        deployment_id: str,
        queries: npt.ArrayLike,
        *,
        threshold: float,
        at: datetime,
    ) -> list[Match | None]:
        """For each row of ``queries``, its nearest unexpired template of this deployment
        within ``threshold`` (as ``search`` with ``k=1``), or None: one matrix product per
        block of queries instead of one pass per query (bulk enrolment's duplicate check)."""
        block = np.asarray(queries, dtype=np.float32)
        if block.ndim != 2:
            raise ValueError("queries are a two-dimensional array, one vector per row")
        found: list[Match | None] = [None] * len(block)
        now = _timestamp(at)
        with self._lock:
            shard = self._shards.get(deployment_id)
            if shard is None or not len(block):
                return found
            if block.shape[1] != shard.dim:
                raise ValueError(f"expected {shard.dim}-d vectors, got {block.shape[1]}-d")
            if getattr(shard, "ann", None) is not None:  # an approximate index: its own search
                return [
                    next(iter(self.search(deployment_id, q, threshold=threshold, at=at)), None)
                    for q in block
                ]
            n = shard.size
            live = shard.expires[:n] > now
            step = max(1, _BLOCK_CELLS // max(n, 1))
            limit = threshold * threshold + 1e-3  # float32 cancellation; exact check after
            for start in range(0, len(block), step):
                part = block[start : start + step]
                qq = np.einsum("ij,ij->i", part, part)
                approx = shard.norms[:n][None, :] - 2.0 * (part @ shard.vectors[:n].T)
                approx += qq[:, None]
                approx[:, ~live] = np.inf
                nearest = np.argmin(approx, axis=1)
                for offset, row in enumerate(nearest.tolist()):
                    if not approx[offset, row] <= limit:
                        continue
                    exact = float(_exact(shard, np.array([row]), part[offset])[0])
                    if exact <= threshold:
                        found[start + offset] = Match(
                            shard.template_ids[row], shard.subject_ids[row], exact
                        )
        return found

    def _shard(self, deployment_id: str, query: np.ndarray) -> _Shard | None:
        """The deployment's shard (None when it has none), checking the query's dimension.
        Called with the lock held."""
        shard = self._shards.get(deployment_id)
        if shard is not None and query.shape != (shard.dim,):
            raise ValueError(f"expected a {shard.dim}-d vector, got shape {query.shape}")
        return shard

    def nearest_subjects(
        self, deployment_id: str, vector: npt.ArrayLike, *, at: datetime, k: int = 2
    ) -> list[Match]:
        """The nearest unexpired template of each of the ``k`` nearest subjects, nearest
        first, however far they are (for the best and second-best distances of 1:N)."""
        query = np.asarray(vector, dtype=np.float32)
        now = _timestamp(at)
        if k <= 0:
            return []
        with self._lock:
            shard = self._shard(deployment_id, query)
            if shard is None:
                return []
            rows = _nearest_rows(shard, query, now, k)
            if rows is None:
                return []
            exact = _exact(shard, rows, query)
            found: list[Match] = []
            seen: set[str] = set()
            for i in np.argsort(exact, kind="stable").tolist():
                row = int(rows[i])
                subject = shard.subject_ids[row]
                if subject in seen:
                    continue
                seen.add(subject)
                found.append(Match(shard.template_ids[row], subject, float(exact[i])))
                if len(found) == k:
                    break
            return found


def _nearest_rows(shard: _Shard, query: np.ndarray, now: float, k: int) -> np.ndarray | None:
    """Candidate rows holding at least ``k`` subjects (or every live row): from the ANN index
    when the shard has one, else from an exact float32 screen of every row."""
    n = shard.size
    take = 4 * k + 8
    if shard.ann is not None:
        # A subject may hold several templates: widen until the candidates hold k subjects.
        want = max(shard.tuning.candidates, take)
        while True:
            rows = _live(shard, shard.ann.propose(query, want), now)
            subjects = {shard.subject_ids[i] for i in rows.tolist()}
            if len(subjects) >= k or want >= n:
                return rows
            if want >= 16 * max(shard.tuning.candidates, take):
                break  # a pathological shard (few subjects, many templates): search exactly
            want *= 4
    approx = np.where(shard.expires[:n] > now, _screen(shard, query)[0], np.inf)
    live = int(np.count_nonzero(np.isfinite(approx)))
    take = min(live, take)
    while True:
        if take == 0:
            return None
        rows = np.argpartition(approx, take - 1)[:take] if take < n else np.arange(n)
        rows = rows[np.isfinite(approx[rows])]
        subjects = {shard.subject_ids[i] for i in rows.tolist()}
        if len(subjects) >= k or take >= live:
            return rows
        take = min(live, take * 4)


def _live(shard: _Shard, rows: np.ndarray, now: float) -> np.ndarray:
    rows = rows[rows < shard.size]
    kept: np.ndarray = rows[shard.expires[rows] > now]
    return kept


def _screen(shard: _Shard, query: np.ndarray) -> tuple[np.ndarray, float]:
    """Approximate squared distances to every slot with one matrix-vector product
    (|x-q|^2 = |x|^2 - 2x.q + |q|^2, in float32), and |q|^2."""
    n = shard.size
    qq = float(np.dot(query, query))
    held = shard.vectors[:n]
    products = held @ query.astype(held.dtype) if held.dtype == np.float32 else held @ query
    return shard.norms[:n] - 2.0 * products.astype(np.float32) + qq, qq


def _exact(shard: _Shard, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Exact (float64) distances from the query to the templates in ``rows``."""
    diff = shard.vectors[rows].astype(np.float64) - query.astype(np.float64)
    return np.asarray(np.sqrt(np.einsum("ij,ij->i", diff, diff)))


def build_from_vault(
    session: Session, vault: Vault, at: datetime, *, batch_size: int = 2000
) -> GalleryIndex:
    """A new index holding every template that has not expired at ``at`` (decrypted in bulk)."""
    index = GalleryIndex()
    for opened in vault.open_templates(session, Template.expires_at > at, batch_size=batch_size):
        index.add(
            opened.deployment_id,
            opened.template_id,
            opened.subject_id,
            opened.vector,
            opened.expires_at,
        )
    return index
