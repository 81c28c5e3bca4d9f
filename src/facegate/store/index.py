"""The in-memory gallery: 1:N search, one separate shard per deployment (no global gallery).

Each shard keeps its vectors in one growable float32 array (doubling, so ``add`` is amortised
O(1)); ``remove`` swaps the last row into the hole (O(1)); ``search`` is one vectorised pass
(Euclidean distance) that skips expired entries. The index is a cache: the vault is the truth,
and ``build_from_vault`` rebuilds it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
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


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the index needs timezone-aware datetimes")
    return moment.timestamp()


class _Shard:
    """One deployment's vectors, in rows 0..size-1 of preallocated arrays."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.size = 0
        self.vectors: Vector = np.empty((_INITIAL_CAPACITY, dim), dtype=np.float32)
        self.expires: npt.NDArray[np.float64] = np.empty(_INITIAL_CAPACITY, dtype=np.float64)
        # Squared norms, so a search is one matrix-vector product: |x-q|^2 = |x|^2 - 2x.q + |q|^2
        self.norms: npt.NDArray[np.float32] = np.empty(_INITIAL_CAPACITY, dtype=np.float32)
        self.template_ids: list[str] = []
        self.subject_ids: list[str] = []

    def append(self, template_id: str, subject_id: str, vector: Vector, expires: float) -> int:
        if self.size == len(self.vectors):
            capacity = 2 * len(self.vectors)
            vectors = np.empty((capacity, self.dim), dtype=np.float32)
            vectors[: self.size] = self.vectors[: self.size]
            expiries = np.empty(capacity, dtype=np.float64)
            expiries[: self.size] = self.expires[: self.size]
            norms = np.empty(capacity, dtype=np.float32)
            norms[: self.size] = self.norms[: self.size]
            self.vectors, self.expires, self.norms = vectors, expiries, norms
        row = self.size
        self.vectors[row] = vector
        self.expires[row] = expires
        self.norms[row] = float(np.dot(self.vectors[row], self.vectors[row]))
        self.template_ids.append(template_id)
        self.subject_ids.append(subject_id)
        self.size += 1
        return row

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
        return moved


class GalleryIndex:
    """Thread-safe in-memory 1:N index, partitioned by deployment."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._shards: dict[str, _Shard] = {}
        # template id -> (deployment id, row in that shard)
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
        expires = _timestamp(expires_at)
        with self._lock:
            self.remove_template(template_id)
            shard = self._shards.get(deployment_id)
            if shard is None:
                shard = self._shards[deployment_id] = _Shard(array.size)
            elif shard.dim != array.size:
                raise ValueError(
                    f"deployment {deployment_id} holds {shard.dim}-d vectors, not {array.size}-d"
                )
            row = shard.append(template_id, subject_id, array, expires)
            self._where[template_id] = (deployment_id, row)
            self._by_subject.setdefault(subject_id, set()).add(template_id)

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
            return True

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
            shard = self._shards.get(deployment_id)
            if shard is not None:
                for template_id in list(shard.template_ids):
                    self.remove_template(template_id)

    def size(self, deployment_id: str) -> int:
        """How many templates the deployment's shard holds (expired ones included)."""
        with self._lock:
            shard = self._shards.get(deployment_id)
            return 0 if shard is None else shard.size

    def __contains__(self, template_id: object) -> bool:
        with self._lock:
            return template_id in self._where

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
            n = shard.size
            approx, qq = _screen(shard, query)
            margin = 1e-5 * (shard.norms[:n] + qq) + 1e-6  # float32 cancellation
            screened = np.flatnonzero(
                (shard.expires[:n] > now) & (approx <= threshold * threshold + margin)
            )
            exact = _exact(shard, screened, query)
            keep = exact <= threshold
            candidates, distances = screened[keep], exact[keep]
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
            n = shard.size
            approx = np.where(shard.expires[:n] > now, _screen(shard, query)[0], np.inf)
            live = int(np.count_nonzero(np.isfinite(approx)))
            # A subject may hold several templates: widen the candidate set until it holds k
            # subjects (or everything), then measure the candidates exactly.
            take = min(live, 4 * k + 8)
            while True:
                if take == 0:
                    return []
                rows = np.argpartition(approx, take - 1)[:take] if take < n else np.arange(n)
                rows = rows[np.isfinite(approx[rows])]
                subjects = {shard.subject_ids[i] for i in rows.tolist()}
                if len(subjects) >= k or take >= live:
                    break
                take = min(live, take * 4)
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


def _screen(shard: _Shard, query: np.ndarray) -> tuple[np.ndarray, float]:
    """Approximate squared distances to every slot with one matrix-vector product
    (|x-q|^2 = |x|^2 - 2x.q + |q|^2, in float32), and |q|^2."""
    n = shard.size
    qq = float(np.dot(query, query))
    return shard.norms[:n] - 2.0 * (shard.vectors[:n] @ query) + qq, qq


def _exact(shard: _Shard, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Exact (float64) distances from the query to the templates in ``rows``."""
    diff = shard.vectors[rows].astype(np.float64) - query.astype(np.float64)
    return np.asarray(np.sqrt(np.einsum("ij,ij->i", diff, diff)))


def build_from_vault(
    session: Session, vault: Vault, at: datetime, *, batch_size: int = 500
) -> GalleryIndex:
    """A new index holding every template that has not expired at ``at``."""
    index = GalleryIndex()
    rows = session.scalars(
        select(Template).where(Template.expires_at > at).execution_options(yield_per=batch_size)
    )
    for row in rows:
        index.add(
            row.deployment_id,
            row.id,
            row.subject_id,
            vault.open_template(session, row),
            row.expires_at,
        )
    return index
