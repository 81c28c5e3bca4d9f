"""The in-memory gallery: 1:N search, one separate shard per deployment (no global gallery).

Each shard keeps its templates in rows of preallocated numpy arrays (doubling, so ``add`` is
amortised O(1)): vectors, expiries, squared norms, and the template and subject ids (facegate's
hex ids packed into 16 bytes, any other id as fixed-width UTF-8). A template's row is found
through ``_RowMap`` (64-bit hashes of the ids in sorted arrays plus a small dict of recent
changes), so the index holds no Python object per template: at 10M templates the bookkeeping is
about 50 bytes a template instead of about 1 KiB. ``remove`` swaps the last row into the hole
(O(1)); a subject's templates are found by one vectorised scan of the subject column. Two ways to
search a shard:

- **exact** (brute force): one vectorised pass over every row (float32 screen, float64 re-measure).
  The reference, and the default below ``IndexTuning.ann_from`` templates, where it is faster and
  needs no training.
- **approximate with exact re-rank**, from ``ann_from`` templates up: an inverted-file index with
  compressed codes (faiss IVF; by default 4-bit fast-scan product quantisation, 16 bytes per
  128-d vector, scanned with SIMD lookup tables) proposes ``candidates`` rows (2,048) from the
  nearest of about sqrt(N) lists (1,024 at 1M; 384 of them, or a quarter when that is more:
  ``IndexTuning.probes_for``); those rows are screened in float32 and the nearest 64 measured
  exactly (float64) against the held vectors, so every distance returned is exact and only
  recall is approximate (recall@1 1.000 against the exact path at 1M on LFW probes,
  ``bench/scale.py``; the choice against 8-bit codes, more lists and HNSW is in
  docs/benchmarks.md).
  A threshold search (``search``: enrolment's duplicate check) asks a near-match question and
  visits only ``near_nprobe`` lists. The faiss id of a vector is its row. With codes laid out
  one after another (``SQ8``, ``SQ4``) the list each row went to is kept (4 bytes a row): a
  removal edits that one inverted list in place, and a row moved into a hole is renumbered in
  place. Fast-scan codes sit in blocks of 32: a removal is one ``remove_ids`` pass over the
  lists and the moved rows are re-added. A batch (``remove_templates``, ``remove_subject``)
  finds its rows with vectorised lookups of the id maps and edits the index once.

The tuning follows the shard's size (``IndexTuning.at``): from ``compact_from`` (4M templates)
it holds its vectors as float16 (half the memory; distances are then exact for the
float16-rounded vectors, within about 1e-3 of the float32 ones; ``compact=True`` asks for it at
any size), and from ``large_from`` (8M) its IVF index, when next built, has about 2 sqrt(N)
lists (8,192 at 10M) found through an HNSW coarse quantizer: the tuning measured at 10M.

The index is a cache: the vault is the truth, ``build_from_vault`` rebuilds it, and
``facegate.store.index_snapshot`` saves and restores it (``ShardState`` keeps its shape).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from facegate.store.models import Template
from facegate.store.vault import Vault

_INITIAL_CAPACITY = 16
_RERANK = 64  # candidates measured exactly in float64 after a float32 screen (``_screened``)
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
    # inverted lists visited per query; None: ``probes_for`` the index's lists
    nprobe: int | None = None
    min_probes: int = 384  # at least this many (3/8 of 1M's 1,024 lists)
    probe_share: float = 0.25  # and at least this share of the lists (2,048 of 10M's 8,192)
    candidates: int = 2048  # rows proposed by the approximate search, then re-ranked exactly
    near_nprobe: int = 64  # lists visited by a threshold search (``search``: the duplicate check)
    near_candidates: int = 32  # rows it proposes for exact measurement
    compact: bool = False  # float16 vectors (half the memory) at any size, not only large ones
    # faiss code of the IVF: ``PQ32x4fsr`` 4-bit fast-scan product quantisation, 16 bytes a
    # 128-d vector (another dimension d: d/4 sub-quantizers); ``SQ8`` 8-bit scalar, ``SQ4``...
    codes: str = "PQ32x4fsr"
    coarse: str = ""  # faiss coarse quantizer after IVF<n> ("": flat; "_HNSW32" for many lists)
    # an HNSW coarse quantizer's search breadth, when adding (a vector goes to the list found)
    # and probing: faiss's default 16 sends vectors to lists far from their nearest centroid,
    # where no probe finds them (recall@1 0.95 at 1M whatever the lists probed; 0.995 at 128)
    coarse_ef: int = 128
    # ... while a build adds the shard's vectors: 64 gave the recall of 128 at 1M (session 21)
    # and halves the build at 10M, where those adds take most of it
    coarse_build_ef: int = 64
    max_lists: int = 16384
    # about lists_per_root * sqrt(N) lists: few long lists suit fast-scan codes, whose cost per
    # list visited (a lookup table per list, residual codes) outweighs the codes scanned
    lists_per_root: float = 1.0
    train_per_list: int = 64  # training vectors per list (a sample of the shard)
    threads: int = 1  # faiss threads per query (the service runs queries in parallel itself)
    # float16 vectors from this many templates (``at``): 10M float32 vectors take 5.9 GiB
    compact_from: int = 4_000_000
    # A large gallery (from ``large_from`` templates; ``at``), as measured at 10M: twice the
    # lists per root (8,192 at 10M) found through an HNSW coarse quantizer, trained on 8 vectors
    # a list (64 a list at 8,192 lists is a k-means over 524k vectors). At 4M it was slower and
    # missed more than the flat quantizer over 2,048 lists (docs/benchmarks.md).
    large_from: int = 8_000_000
    large_lists_per_root: float = 2.0
    large_coarse: str = "_HNSW32"
    large_train_per_list: int = 8

    def at(self, size: int) -> IndexTuning:
        """The tuning of a shard of ``size`` templates: float16 vectors from ``compact_from``,
        the large-gallery lists and quantizer from ``large_from``."""
        tuning = self
        if size >= self.compact_from and not self.compact:
            tuning = replace(tuning, compact=True)
        if size >= self.large_from:
            tuning = replace(
                tuning,
                lists_per_root=self.large_lists_per_root,
                coarse=self.large_coarse,
                train_per_list=self.large_train_per_list,
            )
        return tuning

    def probes_for(self, lists: int) -> int:
        """Lists visited per query in an index of ``lists`` lists: ``nprobe`` when set, else
        the larger of ``min_probes`` and ``probe_share`` of them (never more than there are)."""
        wanted = self.nprobe
        if wanted is None:
            wanted = max(self.min_probes, round(self.probe_share * lists))
        return min(wanted, lists)

    def codes_for(self, dim: int) -> str:
        """``codes`` for ``dim``-d vectors: a product quantizer whose sub-quantizer count does
        not divide ``dim`` takes one sub-quantizer per 4 dimensions (per dimension if 4 does
        not divide it either)."""
        found = re.fullmatch(r"PQ(\d+)(x\d+.*)?", self.codes)
        if found is None or dim % int(found.group(1)) == 0:
            return self.codes
        parts = dim // 4 if dim % 4 == 0 else dim
        return f"PQ{parts}{found.group(2) or ''}"

    def lists_for(self, size: int) -> int:
        """About ``lists_per_root`` sqrt(size) inverted lists, a power of two in
        [64, max_lists]."""
        lists = 2 ** round(math.log2(max(1.0, self.lists_per_root * math.sqrt(size))))
        return int(min(self.max_lists, max(64, lists)))


def _timestamp(moment: datetime) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the index needs timezone-aware datetimes")
    return moment.timestamp()


def _faiss() -> Any:
    import faiss  # imported on first use: small deployments never load it

    return faiss


class _Ids:
    """A column of string ids held in one numpy array, not as Python objects: facegate's ids
    (32 lowercase hex digits: uuid4, UUIDv7 for templates) packed into 16 bytes each; as soon as
    any other id arrives, the column holds UTF-8 bytes of a fixed width that grows with the
    longest id."""

    def __init__(self, capacity: int) -> None:
        self.packed = True
        self.data: np.ndarray = np.empty((capacity, 16), dtype=np.uint8)

    def reserve(self, capacity: int, size: int) -> None:
        if capacity <= len(self.data):
            return
        data = np.empty((capacity, *self.data.shape[1:]), dtype=self.data.dtype)
        data[:size] = self.data[:size]
        self.data = data

    def put(self, start: int, ids: Sequence[str]) -> None:
        end = start + len(ids)
        if self.packed:
            packed = _pack(ids)
            if packed is not None:
                self.data[start:end] = packed
                return
            self._unpack(start)
        encoded = np.array([i.encode() for i in ids], dtype=np.bytes_)
        if encoded.dtype.itemsize > self.data.dtype.itemsize:
            self.data = self.data.astype(encoded.dtype)
        self.data[start:end] = encoded

    def _unpack(self, size: int) -> None:
        held = self.get_many(np.arange(size))
        width = max([32, *(len(i.encode()) for i in held)])
        data = np.empty(len(self.data), dtype=f"S{width}")
        data[:size] = np.array([i.encode() for i in held], dtype=f"S{width}")
        self.packed, self.data = False, data

    def move(self, to: int, source: int) -> None:
        self.data[to] = self.data[source]

    def get(self, row: int) -> str:
        if self.packed:
            return bytes(self.data[row]).hex()
        return bytes(self.data[row]).decode()

    def get_many(self, rows: np.ndarray) -> list[str]:
        if self.packed:
            text = self.data[rows].tobytes().hex()
            return [text[i : i + 32] for i in range(0, len(text), 32)]
        return [bytes(v).decode() for v in self.data[rows]]

    def holds(self, rows: np.ndarray, ids: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Does row ``rows[i]`` hold ``ids[i]``? One vectorised comparison."""
        if not len(ids):
            return np.zeros(0, dtype=bool)
        if self.packed:
            packed = _pack(ids)
            if packed is None:  # an id that is not packed cannot be held here
                return np.array([self.get(r) == i for r, i in zip(rows, ids, strict=True)])
            held = self.data[rows].view(np.uint64)
            want = packed.view(np.uint64)
            return np.asarray((held == want).all(axis=1))
        encoded = np.array([i.encode() for i in ids], dtype=np.bytes_)
        if encoded.dtype.itemsize > self.data.dtype.itemsize:
            return np.array([self.get(r) == i for r, i in zip(rows, ids, strict=True)])
        return np.asarray(self.data[rows] == encoded)

    def find(self, value: str, size: int) -> np.ndarray:
        """The rows (of the first ``size``) holding ``value``: one vectorised scan."""
        if self.packed:
            packed = _pack([value])
            if packed is None:
                return np.empty(0, dtype=np.int64)
            words = self.data[:size].view(np.uint64)
            want = packed.view(np.uint64)[0]
            return np.flatnonzero((words[:, 0] == want[0]) & (words[:, 1] == want[1]))
        encoded = value.encode()
        if len(encoded) > self.data.dtype.itemsize:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(self.data[:size] == np.bytes_(encoded))


def _pack(ids: Sequence[str]) -> np.ndarray | None:
    """32-hex-digit ids as an (n, 16) byte array, or None when any id is not one."""
    if not all(len(i) == 32 for i in ids):
        return None
    joined = "".join(ids)
    try:
        raw = bytes.fromhex(joined)
    except ValueError:
        return None
    if raw.hex() != joined:  # upper case, or spaces: would not come back the same
        return None
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(ids), 16)


def _keys(ids: Sequence[str]) -> npt.NDArray[np.int64]:
    """A 64-bit key per id (Python's string hash: the map is never saved)."""
    return np.fromiter((_key(i) for i in ids), dtype=np.int64, count=len(ids))


def _key(template_id: str) -> int:
    """The 64-bit key of one id (a module function, so a test can force collisions)."""
    return hash(template_id)


class _RowMap:
    """Template id -> row without a Python object per template: the keys (64-bit hashes of the
    ids) and rows of most templates in two sorted numpy arrays, recent changes in a small dict,
    merged into the arrays when it grows. A removed entry of the arrays is marked row -1. Two ids
    with one key both live here; the caller checks the id held at the row."""

    def __init__(self) -> None:
        self.keys: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self.rows: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self.recent: dict[int, list[int]] = {}
        self.pending = 0

    def _limit(self) -> int:
        return max(4096, len(self.keys) // 32)

    def add_many(self, keys: npt.NDArray[np.int64], rows: np.ndarray) -> None:
        if len(keys) >= self._limit():
            self._merge(keys, np.asarray(rows, dtype=np.int32))
            return
        for key, row in zip(keys.tolist(), np.asarray(rows).tolist(), strict=True):
            self.recent.setdefault(key, []).append(row)
        self.pending += len(keys)
        if self.pending >= self._limit():
            self._merge()

    def _merge(
        self,
        keys: npt.NDArray[np.int64] | None = None,
        rows: npt.NDArray[np.int32] | None = None,
    ) -> None:
        live = self.rows >= 0
        parts_k, parts_r = [self.keys[live]], [self.rows[live]]
        if self.recent:
            count = sum(len(v) for v in self.recent.values())
            parts_k.append(
                np.fromiter(
                    (k for k, v in self.recent.items() for _ in v), dtype=np.int64, count=count
                )
            )
            parts_r.append(
                np.fromiter((r for v in self.recent.values() for r in v), np.int32, count=count)
            )
        if keys is not None and rows is not None:
            parts_k.append(keys)
            parts_r.append(rows)
        all_keys, all_rows = np.concatenate(parts_k), np.concatenate(parts_r)
        order = np.argsort(all_keys, kind="stable")
        self.keys, self.rows = all_keys[order], all_rows[order]
        self.recent, self.pending = {}, 0

    def rows_of(self, key: int) -> list[int]:
        lo = int(np.searchsorted(self.keys, key, side="left"))
        hi = int(np.searchsorted(self.keys, key, side="right"))
        found = [int(r) for r in self.rows[lo:hi].tolist() if r >= 0]
        return found + self.recent.get(key, [])

    def lookup_many(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Which keys may be held (a superset: the caller checks the ids)."""
        hit = np.zeros(len(keys), dtype=bool)
        if len(self.keys):
            pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            hit = self.keys[pos] == keys
        if self.recent:
            hit |= np.fromiter((k in self.recent for k in keys.tolist()), bool, count=len(keys))
        return hit

    def find_many(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The one row each key maps to, -1 when it maps to none, -2 when it needs the scalar
        ``rows_of`` (a key in the recent dict, or two live entries under one key)."""
        found = np.full(len(keys), -1, dtype=np.int64)
        if len(self.keys):
            lo = np.searchsorted(self.keys, keys, side="left")
            hi = np.searchsorted(self.keys, keys, side="right")
            one = hi - lo == 1
            found[one] = self.rows[lo[one]]
            found[hi - lo > 1] = -2
        if self.recent:
            found[np.fromiter((k in self.recent for k in keys.tolist()), bool, len(keys))] = -2
        return found

    def replace_many(self, keys: npt.NDArray[np.int64], rows: np.ndarray, to: np.ndarray) -> None:
        """``replace`` for many entries: the ones alone under their key in the sorted arrays in
        one vectorised step, the others (recent, shared keys) one by one."""
        rows = np.asarray(rows, dtype=np.int64)
        to = np.asarray(to, dtype=np.int64)
        scalar = np.ones(len(keys), dtype=bool)
        if len(self.keys) and len(keys):
            lo = np.searchsorted(self.keys, keys, side="left")
            hi = np.searchsorted(self.keys, keys, side="right")
            at = np.minimum(lo, len(self.keys) - 1)
            direct = (hi - lo == 1) & (self.rows[at] == rows)
            self.rows[at[direct]] = to[direct]
            scalar = ~direct
        for key, row, target in zip(
            keys[scalar].tolist(), rows[scalar].tolist(), to[scalar].tolist(), strict=True
        ):
            self.replace(key, row, target)

    def replace(self, key: int, row: int, to: int) -> None:
        """Point the entry (key, row) at row ``to`` (-1: remove it)."""
        held = self.recent.get(key)
        if held is not None and row in held:
            if to < 0:
                held.remove(row)
                if not held:
                    del self.recent[key]
            else:
                held[held.index(row)] = to
            return
        lo = int(np.searchsorted(self.keys, key, side="left"))
        hi = int(np.searchsorted(self.keys, key, side="right"))
        for at in range(lo, hi):
            if self.rows[at] == row:
                self.rows[at] = to
                return
        raise KeyError(key)

    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.rows.nbytes)


class _Ann:
    """An IVF index with compressed codes over one shard's rows; faiss ids are row numbers.

    - Codes laid out one after another (``SQ8``, ``SQ4``, ``PQ64``): the list each row went to
      is kept in ``lists`` (4 bytes a row), so a removal edits one inverted list in place: no
      faiss direct map (a hash table of about 50 bytes a vector) and no scan of every list.
    - Fast-scan codes (``PQ32x4fsr``: 4-bit product quantisation, 16 bytes a 128-d vector,
      scanned 32 at a time with SIMD lookup tables, the default): faiss keeps them in blocks of
      32 that cannot be edited entry by entry, so a removal is one ``remove_ids`` pass over the
      lists (about a millisecond at 1M) and a moved row is re-added under its new number."""

    def __init__(self, index: Any, trained_size: int, tuning: IndexTuning) -> None:
        faiss = _faiss()
        self.index = index
        self.ivf = faiss.extract_index_ivf(index)
        self.trained_size = trained_size
        self.nprobe = tuning.probes_for(int(self.ivf.nlist))
        self.near_nprobe = min(tuning.near_nprobe, int(self.ivf.nlist))
        self.ivf.nprobe = self.nprobe
        self.lists: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._masks: npt.NDArray[np.uint8] | None = None  # fast-scan: ``_live_masks``
        self.fast = isinstance(
            faiss.downcast_InvertedLists(self.ivf.invlists), faiss.BlockInvertedLists
        )
        faiss.omp_set_num_threads(tuning.threads)
        quantizer = faiss.downcast_index(self.ivf.quantizer)
        self.hnsw: Any = getattr(quantizer, "hnsw", None)  # an HNSW coarse quantizer's graph
        if self.hnsw is not None:
            self.hnsw.efSearch = tuning.coarse_ef

    @classmethod
    def build(cls, vectors: np.ndarray, tuning: IndexTuning, seed: int = 1234) -> _Ann:
        faiss = _faiss()
        n, dim = vectors.shape
        tuning = tuning.at(n)
        nlist = tuning.lists_for(n)
        index = faiss.index_factory(
            dim, f"IVF{nlist}{tuning.coarse},{tuning.codes_for(dim)}", faiss.METRIC_L2
        )
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.niter = 10
        ivf.cp.seed = seed
        ivf.cp.max_points_per_centroid = tuning.train_per_list
        ivf.cp.min_points_per_centroid = 1  # no warning for small shards
        step = max(1, n // (tuning.train_per_list * nlist))
        faiss.omp_set_num_threads(2)  # training: both cores once
        index.train(np.ascontiguousarray(vectors[::step], dtype=np.float32))
        ann = cls(index, n, tuning)
        faiss.omp_set_num_threads(2)
        if ann.hnsw is not None:
            ann.hnsw.efSearch = tuning.coarse_build_ef
        for start in range(0, n, 65536):
            chunk = vectors[start : start + 65536]
            ann.add(np.arange(start, start + len(chunk)), chunk)
        if ann.hnsw is not None:
            ann.hnsw.efSearch = tuning.coarse_ef  # later adds and every probe
        faiss.omp_set_num_threads(tuning.threads)
        return ann

    @classmethod
    def restore(cls, blob: npt.NDArray[np.uint8], size: int, tuning: IndexTuning) -> _Ann:
        ann = cls(_faiss().deserialize_index(blob), size, tuning.at(size))
        if ann.fast:  # no list numbers kept: removal is a pass over the lists
            return ann
        invlists = ann.ivf.invlists
        for number in range(int(ann.ivf.nlist)):
            rows = ann._ids(number, int(invlists.list_size(number)))
            if len(rows):
                ann._reserve(int(rows.max()) + 1)
                ann.lists[rows] = number
        return ann

    def serialize(self) -> npt.NDArray[np.uint8]:
        blob: npt.NDArray[np.uint8] = _faiss().serialize_index(self.index)
        return blob

    def _reserve(self, needed: int) -> None:
        if needed > len(self.lists):
            lists = np.empty(max(needed, 2 * len(self.lists)), dtype=np.int32)
            lists[: len(self.lists)] = self.lists
            self.lists = lists

    def _ids(self, number: int, size: int) -> npt.NDArray[np.int64]:
        faiss = _faiss()
        if size == 0:
            return np.empty(0, dtype=np.int64)
        ids: npt.NDArray[np.int64] = faiss.rev_swig_ptr(self.ivf.invlists.get_ids(number), size)
        return ids

    def add(self, rows: np.ndarray, vectors: np.ndarray, lists: np.ndarray | None = None) -> None:
        """Add ``vectors`` under faiss ids ``rows``, to their nearest lists (or to ``lists``)."""
        faiss = _faiss()
        x = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(rows, dtype=np.int64)
        if self.fast:  # blocks of codes: faiss assigns the lists and encodes
            self.ivf.add_with_ids(x, ids)
            return
        if lists is None:
            _, assigned = self.ivf.quantizer.search(x, 1)
            lists = assigned[:, 0]
        lists = np.ascontiguousarray(lists, dtype=np.int64)
        self.ivf.add_core(len(x), faiss.swig_ptr(x), faiss.swig_ptr(ids), faiss.swig_ptr(lists))
        self._reserve(int(ids.max()) + 1)
        self.lists[ids] = lists

    def _offset(self, row: int) -> tuple[int, int, npt.NDArray[np.int64]]:
        number = int(self.lists[row])
        size = int(self.ivf.invlists.list_size(number))
        ids = self._ids(number, size)
        where = np.flatnonzero(ids == row)
        if not len(where):
            raise KeyError(row)
        return number, int(where[0]), ids

    def remove(self, row: int) -> None:
        """Drop ``row``'s entry: the list's last entry moves into its place (fast-scan codes: a
        pass of ``remove_ids``)."""
        if self.fast:
            self.remove_many(np.array([row]))
            return
        number, offset, ids = self._offset(row)
        invlists = self.ivf.invlists
        last = len(ids) - 1
        if offset != last:
            invlists.update_entry(
                number, offset, int(ids[last]), invlists.get_single_code(number, last)
            )
        invlists.resize(number, last)
        self.ivf.ntotal -= 1

    def remove_many(self, rows: np.ndarray) -> None:
        """Drop many rows' entries in one pass over the lists (a batch: a sweep's chunk)."""
        if not self.fast:
            self.index.remove_ids(np.ascontiguousarray(rows, dtype=np.int64))
            return
        before = self._sizes()
        self.index.remove_ids(np.ascontiguousarray(rows, dtype=np.int64))
        for number in np.flatnonzero(self._sizes() != before).tolist():
            self._clear_tail(number)

    def _sizes(self) -> npt.NDArray[np.int64]:
        count = int(self.ivf.nlist)
        return np.fromiter(map(self.ivf.invlists.list_size, range(count)), np.int64, count)

    def _clear_tail(self, number: int) -> None:
        """Zero the slots past the end of fast-scan list ``number``'s last block. faiss packs
        4-bit codes into a block by OR-ing them in, and its ``remove_ids`` leaves the codes
        it moved or dropped in the slots past the new end: a later add into those slots would
        mix them with the new codes (faiss 1.15: a vector added after a removal is then not
        found). One AND with the mask of the live slots' nibbles (``_live_masks``)."""
        faiss = _faiss()
        invlists = faiss.downcast_InvertedLists(self.ivf.invlists)
        size = int(invlists.list_size(number))
        per_block, block_size = int(invlists.n_per_block), int(invlists.block_size)
        if size % per_block == 0:
            return  # the slots past the end are whole blocks, which a later add re-zeroes
        if self._masks is None:
            self._masks = self._live_masks(invlists)
        last = size // per_block
        codes = faiss.rev_swig_ptr(invlists.get_codes(number), (last + 1) * block_size)
        codes[last * block_size :] &= self._masks[size % per_block]

    @staticmethod
    def _live_masks(invlists: Any) -> npt.NDArray[np.uint8]:
        """Row r: the bits of a block that hold the codes of its first r slots (found by
        packing an all-ones code into each slot of an empty block)."""
        faiss = _faiss()
        packer = invlists.packer
        per_block, block_size = int(invlists.n_per_block), int(invlists.block_size)
        ones = np.full(int(packer.code_size), 255, dtype=np.uint8)
        masks = np.zeros((per_block + 1, block_size), dtype=np.uint8)
        for slot in range(per_block):
            block = np.zeros(block_size, dtype=np.uint8)
            packer.pack_1_c(faiss.swig_ptr(ones), slot, faiss.swig_ptr(block))
            masks[slot + 1] = masks[slot] | block
        return masks

    def renumber(self, source: int, to: int) -> None:
        """The vector at row ``source`` now lives at row ``to`` (a swap-remove of the shard).
        Not for fast-scan codes (the shard removes and re-adds the moved row instead)."""
        number, offset, ids = self._offset(source)
        ids[offset] = to
        self.lists[to] = number

    def propose(self, query: np.ndarray, count: int, nprobe: int) -> np.ndarray:
        params = _faiss().SearchParametersIVF(nprobe=nprobe)
        _, found = self.index.search(query.reshape(1, -1).astype(np.float32), count, params=params)
        rows: np.ndarray = found[0]
        return rows[rows >= 0]

    def nbytes(self) -> int:
        """Memory of the codes, ids and list numbers (the centroids excluded)."""
        ivf = self.ivf
        return int(ivf.ntotal) * (int(ivf.code_size) + 8) + int(self.lists.nbytes)


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
    """One deployment's templates, in rows 0..size-1 of preallocated numpy arrays: vectors,
    expiries, norms, template and subject ids; ``rows`` finds a template's row."""

    def __init__(self, dim: int, tuning: IndexTuning) -> None:
        self.dim = dim
        self.tuning = tuning
        self.dtype = np.float16 if tuning.compact else np.float32
        self.size = 0
        self.vectors: np.ndarray = np.empty((_INITIAL_CAPACITY, dim), dtype=self.dtype)
        self.expires: npt.NDArray[np.float64] = np.empty(_INITIAL_CAPACITY, dtype=np.float64)
        # Squared norms, so a search is one matrix-vector product: |x-q|^2 = |x|^2 - 2x.q + |q|^2
        self.norms: npt.NDArray[np.float32] = np.empty(_INITIAL_CAPACITY, dtype=np.float32)
        self.template_ids = _Ids(_INITIAL_CAPACITY)
        self.subject_ids = _Ids(_INITIAL_CAPACITY)
        self.rows = _RowMap()
        self.ann: _Ann | None = None

    def _reserve(self, needed: int) -> None:
        """Room for ``needed`` rows; float16 vectors from the size the tuning says (``at``)."""
        halve = self.dtype != np.float16 and self.tuning.at(needed).compact
        if needed <= len(self.vectors) and not halve:
            return
        capacity = (
            len(self.vectors) if needed <= len(self.vectors) else max(needed, 2 * len(self.vectors))
        )
        if halve:
            self.dtype = np.float16
        vectors = np.empty((capacity, self.dim), dtype=self.dtype)
        vectors[: self.size] = self.vectors[: self.size]
        expiries = np.empty(capacity, dtype=np.float64)
        expiries[: self.size] = self.expires[: self.size]
        norms = np.empty(capacity, dtype=np.float32)
        if vectors.dtype == self.vectors.dtype:
            norms[: self.size] = self.norms[: self.size]
        else:  # the norms of the rounded vectors, which the searches measure
            norms[: self.size] = _squared_norms(vectors[: self.size])
        self.vectors, self.expires, self.norms = vectors, expiries, norms
        self.template_ids.reserve(capacity, self.size)
        self.subject_ids.reserve(capacity, self.size)

    def row_of(self, template_id: str) -> int | None:
        for row in self.rows.rows_of(_key(template_id)):
            if self.template_ids.get(row) == template_id:
                return row
        return None

    def held(self, template_ids: Sequence[str]) -> list[str]:
        """Which of ``template_ids`` this shard holds (one vectorised lookup)."""
        found = self.rows_of_many(template_ids)
        return [t for t, r in zip(template_ids, found.tolist(), strict=True) if r >= 0]

    def rows_of_many(self, template_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """The row of each of ``template_ids`` (-1 when not held): the map's sorted arrays and
        the ids held at the rows compared vectorised; only ids in the map's recent dict (or
        sharing a 64-bit key) are looked up one by one."""
        if not self.size or not len(template_ids):
            return np.full(len(template_ids), -1, dtype=np.int64)
        found = self.rows.find_many(_keys(template_ids))
        direct = np.flatnonzero(found >= 0)
        if len(direct):
            rows = found[direct]
            inside = rows < self.size
            same = np.zeros(len(direct), dtype=bool)
            same[inside] = self.template_ids.holds(
                rows[inside], [template_ids[i] for i in direct[inside].tolist()]
            )
            found[direct[~same]] = -1
        for i in np.flatnonzero(found == -2).tolist():
            row = self.row_of(template_ids[i])
            found[i] = -1 if row is None else row
        return found

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
        self.norms[first:end] = _squared_norms(held)
        self.template_ids.put(first, template_ids)
        self.subject_ids.put(first, subject_ids)
        self.rows.add_many(_keys(template_ids), np.arange(first, end))
        self.size = end
        if self.ann is not None:
            self.ann.add(np.arange(first, end), held)
        if retune:
            self.retune()
        return first

    def pop(self, row: int, template_id: str) -> None:
        """Remove ``row`` (holding ``template_id``) by moving the last row into it."""
        if self.ann is not None and self.ann.fast:  # fast-scan codes: removal is a batch
            self.pop_many([row])
            return
        last = self.size - 1
        self.rows.replace(_key(template_id), row, -1)
        if self.ann is not None:
            self.ann.remove(row)
        if row != last:
            moved = self.template_ids.get(last)
            self.rows.replace(_key(moved), last, row)
            self.vectors[row] = self.vectors[last]
            self.expires[row] = self.expires[last]
            self.norms[row] = self.norms[last]
            self.template_ids.move(row, last)
            self.subject_ids.move(row, last)
            if self.ann is not None:
                self.ann.renumber(last, row)
        self.size = last

    def pop_many(self, rows: Sequence[int] | np.ndarray) -> None:
        """Remove ``rows`` at once, filling the holes below the new size with the last rows
        (as ``pop`` does one at a time): one gather per array, one pass of the ANN index to
        remove, and the moved rows re-added under their new numbers."""
        doomed = np.unique(np.asarray(rows, dtype=np.int64))
        if not len(doomed):
            return
        end = self.size - len(doomed)
        holes = doomed[doomed < end]
        tail = np.arange(end, self.size, dtype=np.int64)
        movers = tail[~np.isin(tail, doomed, assume_unique=True)]
        self.rows.replace_many(
            _keys(self.template_ids.get_many(doomed)), doomed, np.full(len(doomed), -1)
        )
        self.rows.replace_many(_keys(self.template_ids.get_many(movers)), movers, holes)
        if len(holes):
            self.vectors[holes] = self.vectors[movers]
            self.expires[holes] = self.expires[movers]
            self.norms[holes] = self.norms[movers]
            self.template_ids.data[holes] = self.template_ids.data[movers]
            self.subject_ids.data[holes] = self.subject_ids.data[movers]
        self.size = end
        if self.ann is None:
            return
        if not self.ann.fast and len(doomed) <= max(16, end >> 12):
            # a few (one subject): edit their lists in place
            for row in doomed.tolist():
                self.ann.remove(row)
            for mover, hole in zip(movers.tolist(), holes.tolist(), strict=True):
                self.ann.renumber(mover, hole)
            return
        # a pass over every list; movers go back where they were
        lists = None if self.ann.fast else self.ann.lists[movers]
        self.ann.remove_many(np.concatenate([holes, tail]))
        if len(holes):
            self.ann.add(holes, self.vectors[holes].astype(np.float32), lists)

    def retune(self) -> None:
        """Build the ANN index once the shard reaches ``ann_from``; rebuild it when the shard
        has grown 4x (or shrunk 4x) since, so its lists stay about ``lists_for(N)``; drop it below
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
        every = np.arange(self.size)
        return ShardState(
            self.template_ids.get_many(every),
            self.subject_ids.get_many(every),
            self.vectors[: self.size].copy(),
            self.expires[: self.size].copy(),
            None if self.ann is None else self.ann.serialize(),
            0 if self.ann is None else self.ann.trained_size,
        )

    def nbytes(self) -> int:
        """Memory held for the rows in use (vectors, norms, expiries, ids, map, ANN codes)."""
        per_row = (
            self.vectors.itemsize * self.dim
            + 4
            + 8
            + self.template_ids.data[:1].nbytes
            + self.subject_ids.data[:1].nbytes
        )
        return self.size * per_row + self.rows.nbytes() + (self.ann.nbytes() if self.ann else 0)


class GalleryIndex:
    """Thread-safe in-memory 1:N index, partitioned by deployment. Per template it holds no
    Python object: ids, rows and vectors live in numpy arrays (``_Shard``)."""

    def __init__(self, tuning: IndexTuning | None = None) -> None:
        self.tuning = tuning or IndexTuning()
        self._lock = threading.RLock()
        self._shards: dict[str, _Shard] = {}

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
        if len(set(template_ids)) != len(template_ids):  # the last one of an id wins
            last = {t: n for n, t in enumerate(template_ids)}
            keep = sorted(last.values())
            template_ids = [template_ids[n] for n in keep]
            subject_ids = [subject_ids[n] for n in keep]
            array, stamps = array[keep], stamps[keep]
        with self._lock:
            shard = self._shards.get(deployment_id)
            if shard is not None and shard.dim != array.shape[1]:
                raise ValueError(
                    f"deployment {deployment_id} holds {shard.dim}-d vectors, "
                    f"not {array.shape[1]}-d"
                )
            replaced = [t for other in self._shards.values() for t in other.held(template_ids)]
            if replaced:
                self.remove_templates(replaced)
            shard = self._shards.get(deployment_id)
            if shard is None:
                shard = self._shards[deployment_id] = _Shard(array.shape[1], self.tuning)
            shard.extend(template_ids, subject_ids, array, stamps, retune=retune)

    def _remove_row(self, deployment_id: str, shard: _Shard, row: int, template_id: str) -> None:
        shard.pop(row, template_id)
        if shard.size == 0:
            del self._shards[deployment_id]
        else:
            shard.retune()

    def remove_template(self, template_id: str) -> bool:
        """Forget one template; False when it was not held."""
        with self._lock:
            for deployment_id, shard in list(self._shards.items()):
                row = shard.row_of(template_id)
                if row is not None:
                    self._remove_row(deployment_id, shard, row, template_id)
                    return True
            return False

    def remove_templates(self, template_ids: Iterable[str]) -> int:
        """Forget many templates at once (a sweep's chunk, a delta's removals): per shard one
        batched ``pop_many`` and one retune; how many were held."""
        wanted = list(dict.fromkeys(template_ids))
        with self._lock:
            removed = 0
            for deployment_id, shard in list(self._shards.items()):
                rows = shard.rows_of_many(wanted)
                rows = rows[rows >= 0]
                if not len(rows):
                    continue
                shard.pop_many(rows)
                removed += len(rows)
                if shard.size == 0:
                    del self._shards[deployment_id]
                else:
                    shard.retune()
            return removed

    def remove_subject(self, subject_id: str, deployment_id: str | None = None) -> int:
        """Forget the subject's templates (in one deployment, or all); how many were held."""
        with self._lock:
            removed = 0
            for dep, shard in list(self._shards.items()):
                if deployment_id is not None and dep != deployment_id:
                    continue
                rows = shard.subject_ids.find(subject_id, shard.size)
                if not len(rows):
                    continue
                shard.pop_many(rows)
                removed += len(rows)
                if shard.size == 0:
                    del self._shards[dep]
                else:
                    shard.retune()
            return removed

    def clear(self, deployment_id: str | None = None) -> None:
        """Forget one deployment's templates, or everything."""
        with self._lock:
            if deployment_id is None:
                self._shards.clear()
            else:
                self._shards.pop(deployment_id, None)

    def size(self, deployment_id: str) -> int:
        """How many templates the deployment's shard holds (expired ones included)."""
        with self._lock:
            shard = self._shards.get(deployment_id)
            return 0 if shard is None else shard.size

    def nbytes(self, deployment_id: str) -> int:
        """Bytes the deployment's shard holds for its templates (what ``bench/scale.py``
        compares with the process's RSS)."""
        with self._lock:
            shard = self._shards.get(deployment_id)
            return 0 if shard is None else shard.nbytes()

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
            live = np.flatnonzero(shard.expires[: shard.size] > now)
            return set(shard.template_ids.get_many(live))

    def approximate(self, deployment_id: str) -> bool:
        """Is the deployment's shard searched approximately (with exact re-rank)?"""
        with self._lock:
            shard = self._shards.get(deployment_id)
            return shard is not None and shard.ann is not None

    def __contains__(self, template_id: object) -> bool:
        if not isinstance(template_id, str):
            return False
        with self._lock:
            return any(s.row_of(template_id) is not None for s in self._shards.values())

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
        distance, inclusive), nearest first. Under an ANN index this near-match question
        visits only ``IndexTuning.near_nprobe`` lists (a match within the threshold lies in
        one of the query's nearest lists; recall measured by ``bench/scale.py``)."""
        query = np.asarray(vector, dtype=np.float32)
        now = _timestamp(at)
        if k <= 0:
            return []
        with self._lock:
            shard = self._shard(deployment_id, query)
            if shard is None:
                return []
            if shard.ann is not None:
                want = max(self.tuning.near_candidates, 4 * k)
                rows = _live(shard, shard.ann.propose(query, want, shard.ann.near_nprobe), now)
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
            chosen = candidates[order]
            return [
                Match(t, s, float(d))
                for t, s, d in zip(
                    shard.template_ids.get_many(chosen),
                    shard.subject_ids.get_many(chosen),
                    distances[order].tolist(),
                    strict=True,
                )
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
            if shard.ann is not None:  # an approximate index: its own search
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
                            shard.template_ids.get(row), shard.subject_ids.get(row), exact
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
            rows = _screened(shard, rows, query, k)
            exact = _exact(shard, rows, query)
            order = rows[np.argsort(exact, kind="stable")]
            distances = np.sort(exact, kind="stable")
            subjects = shard.subject_ids.get_many(order)
            found: list[Match] = []
            seen: set[str] = set()
            for n, subject in enumerate(subjects):
                if subject in seen:
                    continue
                seen.add(subject)
                row = int(order[n])
                found.append(Match(shard.template_ids.get(row), subject, float(distances[n])))
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
            rows = _live(shard, shard.ann.propose(query, want, shard.ann.nprobe), now)
            subjects = set(shard.subject_ids.get_many(rows))
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
        subjects = set(shard.subject_ids.get_many(rows))
        if len(subjects) >= k or take >= live:
            return rows
        take = min(live, take * 4)


def _screened(shard: _Shard, rows: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """The ``_RERANK`` of ``rows`` nearest the query by a float32 screen (the exact float64
    measure then orders only those), or all of ``rows`` when the screened ones hold fewer
    than ``k`` subjects."""
    if len(rows) <= _RERANK:
        return rows
    held = shard.vectors[rows].astype(np.float32)
    approx = shard.norms[rows] - 2.0 * (held @ query.astype(np.float32))
    kept = rows[np.argpartition(approx, _RERANK - 1)[:_RERANK]]
    if len(set(shard.subject_ids.get_many(kept))) < k:
        return rows
    return kept


def _squared_norms(held: np.ndarray) -> npt.NDArray[np.float32]:
    """|x|^2 of each held row, in float32 (of the stored, possibly float16-rounded, values)."""
    rows = held.astype(np.float32, copy=False)
    return np.asarray(np.einsum("ij,ij->i", rows, rows), dtype=np.float32)


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
