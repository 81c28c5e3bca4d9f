"""The store at scale (issue 13): search, recall, memory, cold start, deltas and writers.

    python bench/scale.py [--lfw ../shared/datasets/lfw] [--compare-size 200000]
        [--sizes 1000000] [--ten-million] [--store-size 1000000] [--queries 300]
        [--only compare,index,lists,ten,store,processes,write]

Sections (each prints a table; ``--only`` picks some):

- ``compare``: approximate-search libraries against exact brute force on the same gallery in the
  same run: faiss IVF with 8-bit codes (the part-s default; facegate now uses 4-bit fast-scan
  PQ, compared with 8-bit codes by ``--only index --codes ,SQ8``), faiss IVF-Flat, faiss HNSW and
  hnswlib HNSW, each proposing 128 candidates that are re-ranked exactly. Build CPU seconds, query
  p50/p95 (one query at a time, one thread), recall@1 against exact search, memory.
- ``index``: facegate's ``GalleryIndex`` at each ``--sizes``: ``nearest_subjects`` (what 1:N
  identification asks) approximate vs exact on the same templates, recall@1 and identical
  open-set decisions, the duplicate check of enrolment, build time and RSS.
- ``lists``: fast-scan codes at about 4, 2 and 1 sqrt(N) lists (the first of ``--sizes``), each
  probed at a few depths, on the same gallery, probes and exact truth.
- ``ten``: the same at 10M with float16 vectors (``IndexTuning(compact=True)``), generated in
  chunks of 1M.
- ``store``: a real SQLite store with ``--store-size`` sealed templates: cold start from the vault
  (bulk decryption) and from the encrypted snapshot, the per-template lookup it replaced, a delta
  replay against a reload.
- ``processes``: enrolment throughput (vault + change log + index, engine excluded) of two
  processes against one.
- ``write``: the sweep and bulk-enrolment rows of ``bench/scale_write.py`` when it exists.

Galleries: the LFW people embedded by ``bench/scale_lfw.py`` are the identities (first image
enrolled), their other images the mated probes, and LFW single-image people (never enrolled) the
non-mated probes; the gallery is padded to N with synthetic distractors drawn from a multivariate
Gaussian fitted to the real embeddings (their mean and covariance), so that distractors have the
first and second moments of real faces. Without the dataset or its cache, the identities are
synthetic too (said in the output). Figures: same-run ratios, CPU seconds, load average.
"""

from __future__ import annotations

import os

# One query at a time on one thread: OpenBLAS's threads only fight the machine's other work.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import gc
import importlib.util
import multiprocessing
import platform
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from facegate.store.index import GalleryIndex, IndexTuning, Match

HERE = Path(__file__).resolve().parent
DIM = 128
NOW = datetime(2026, 12, 1, tzinfo=UTC)
LATER = (NOW + timedelta(days=365)).timestamp()
THRESHOLD = 0.5  # an identification threshold in the range the calibration derives
DUPLICATE = 0.6  # the engine threshold enrolment's duplicate check uses
MARGIN = 0.03
Floats = npt.NDArray[np.float32]
console = Console(width=200)


# -- measurement helpers -------------------------------------------------------------------------
def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu() -> float:
    return time.process_time()


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall s, CPU s)."""
    wall, start = time.perf_counter(), cpu()
    result = fn()
    return result, time.perf_counter() - wall, cpu() - start


def percentiles(samples: list[float]) -> tuple[float, float]:
    values = np.asarray(samples) * 1e3
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


# -- the vectors ---------------------------------------------------------------------------------
@dataclass
class Faces:
    """Identities (enrolled), mated probes (their other images), non-mated probes, and the
    Gaussian the distractors are drawn from."""

    source: str
    identities: Floats
    mated: Floats
    mated_owner: npt.NDArray[np.int64]
    nonmated: Floats
    mean: Floats
    chol: Floats

    def distractors(self, count: int, rng: np.random.Generator) -> Floats:
        noise = rng.standard_normal((count, DIM), dtype=np.float32)
        return (self.mean + noise @ self.chol.T).astype(np.float32)


def fit(vectors: Floats) -> tuple[Floats, Floats]:
    mean = vectors.mean(axis=0)
    cov = np.cov(vectors, rowvar=False) + 1e-6 * np.eye(DIM)
    return mean.astype(np.float32), np.linalg.cholesky(cov).astype(np.float32)


def real_faces(root: Path | None, people: int) -> Faces:
    if root is not None and root.is_dir():
        import scale_lfw

        found = scale_lfw.cached(root, people)
        if found is not None:
            seeds = found.seeds[: len(found.seeds) - len(found.identities)]
            cut = max(
                len(seeds) - 400, len(seeds) // 2
            )  # the rest (and identities) fit the padding
            nonmated, fitted = seeds[:cut], np.concatenate([seeds[cut:], found.identities])
            mean, chol = fit(fitted)
            return Faces(
                f"LFW: {len(found.identities)} people enrolled, {len(found.probes)} mated "
                f"probes, {len(nonmated)} non-mated probes (people never enrolled); distractors "
                f"from a Gaussian fitted to {len(fitted)} real embeddings",
                found.identities,
                found.probes,
                found.probe_identity,
                nonmated,
                mean,
                chol,
            )
        why = f"no cached LFW embeddings (run bench/scale_lfw.py {root})"
    else:
        why = f"no LFW dataset at {root}"
    rng = np.random.default_rng(13)
    base = rng.normal(0, 0.09, size=(2000, DIM)).astype(np.float32)
    identities = base[:400]
    owner = np.repeat(np.arange(400), 2)
    mated = identities[owner] + rng.normal(0, 0.03, size=(800, DIM)).astype(np.float32)
    mean, chol = fit(base[600:])
    return Faces(
        f"SYNTHETIC ONLY ({why}): recall on real faces not measured",
        identities,
        mated,
        owner,
        base[400:600],
        mean,
        chol,
    )


def gallery(faces: Faces, size: int, seed: int = 0) -> Floats:
    """Identities first (rows 0..people-1), distractors after."""
    rng = np.random.default_rng(seed)
    people = len(faces.identities)
    out = np.empty((size, DIM), dtype=np.float32)
    out[:people] = faces.identities
    for start in range(people, size, 1_000_000):
        end = min(size, start + 1_000_000)
        out[start:end] = faces.distractors(end - start, rng)
    return out


def probes(faces: Faces, count: int) -> tuple[Floats, int]:
    """``count`` probes: mated first (how many returned), then non-mated."""
    mated = faces.mated[: count // 2]
    nonmated = faces.nonmated[: count - len(mated)]
    return np.concatenate([mated, nonmated]), len(mated)


def exact_top(vectors: Floats, norms: Floats, query: Floats, k: int = 1) -> npt.NDArray[np.int64]:
    scores = norms - 2.0 * (vectors @ query)
    top = np.argpartition(scores, k)[:k] if k < len(scores) else np.arange(len(scores))
    return top[np.argsort(scores[top])]


# -- compare: libraries --------------------------------------------------------------------------
class Method:
    name = ""
    note = ""

    def build(self, vectors: Floats) -> None: ...

    def propose(self, query: Floats, count: int) -> npt.NDArray[np.int64]:
        raise NotImplementedError


class FaissIvf(Method):
    def __init__(self, kind: str, nprobe: int) -> None:
        self.kind, self.nprobe = kind, nprobe
        self.name = f"faiss IVF-{kind} nprobe={nprobe}"

    def build(self, vectors: Floats) -> None:
        import faiss

        n = len(vectors)
        nlist = IndexTuning().lists_for(n)
        self.index = faiss.index_factory(DIM, f"IVF{nlist},{self.kind}", faiss.METRIC_L2)
        self.index.cp.niter = 10
        self.index.cp.max_points_per_centroid = 64
        faiss.omp_set_num_threads(2)
        self.index.train(vectors[:: max(1, n // (64 * nlist))])
        self.index.add(vectors)
        self.index.nprobe = self.nprobe
        faiss.omp_set_num_threads(1)
        self.note = f"{nlist} lists"

    def propose(self, query: Floats, count: int) -> npt.NDArray[np.int64]:
        _, found = self.index.search(query.reshape(1, -1), count)
        rows: npt.NDArray[np.int64] = found[0]
        return rows[rows >= 0]


class FaissHnsw(Method):
    def __init__(self, ef: int) -> None:
        self.ef = ef
        self.name = f"faiss HNSW32-Flat ef={ef}"

    def build(self, vectors: Floats) -> None:
        import faiss

        faiss.omp_set_num_threads(2)
        self.index = faiss.IndexHNSWFlat(DIM, 32)
        self.index.hnsw.efConstruction = 64
        self.index.add(vectors)
        self.index.hnsw.efSearch = self.ef
        faiss.omp_set_num_threads(1)

    def propose(self, query: Floats, count: int) -> npt.NDArray[np.int64]:
        _, found = self.index.search(query.reshape(1, -1), count)
        rows: npt.NDArray[np.int64] = found[0]
        return rows[rows >= 0]


class Hnswlib(Method):
    def __init__(self, ef: int) -> None:
        self.ef = ef
        self.name = f"hnswlib HNSW M=16 ef={ef}"

    def build(self, vectors: Floats) -> None:
        import hnswlib

        self.index = hnswlib.Index(space="l2", dim=DIM)
        self.index.init_index(max_elements=len(vectors), ef_construction=100, M=16)
        self.index.set_num_threads(2)
        self.index.add_items(vectors, np.arange(len(vectors)))
        self.index.set_num_threads(1)
        self.index.set_ef(self.ef)

    def propose(self, query: Floats, count: int) -> npt.NDArray[np.int64]:
        labels, _ = self.index.knn_query(query.reshape(1, -1), k=count)
        rows: npt.NDArray[np.int64] = labels[0].astype(np.int64)
        return rows


def section_compare(faces: Faces, size: int, queries: int) -> None:
    vectors = gallery(faces, size)
    norms = np.einsum("ij,ij->i", vectors, vectors)
    asked, mated = probes(faces, queries)
    truth = [int(exact_top(vectors, norms, q)[0]) for q in asked]
    exact_times, exact_cpus = [], []
    for q in asked:
        start, started = time.perf_counter(), cpu()
        exact_top(vectors, norms, q)
        exact_times.append(time.perf_counter() - start)
        exact_cpus.append(cpu() - started)
    p50_exact, p95_exact = percentiles(exact_times)
    c50_exact, _ = percentiles(exact_cpus)
    table = Table(title=f"ANN libraries at N = {size:,} (one query at a time; load {load()})")
    for column in (
        "method", "build CPU s", "memory", "p50 ms", "p95 ms", "CPU p50 ms", "CPU vs exact",
        "recall@1 mated", "recall@1 non-mated", "note",
    ):  # fmt: skip
        table.add_column(column, justify="right" if column != "method" else "left")
    table.add_row(
        "exact float32 (numpy)", "0", gib(vectors.nbytes), f"{p50_exact:.2f}",
        f"{p95_exact:.2f}", f"{c50_exact:.3f}", "1.000x", "1.0000", "1.0000", "the reference",
    )  # fmt: skip
    methods: list[Method] = [
        FaissIvf("SQ8", 64), FaissIvf("SQ8", 256), FaissIvf("SQ4", 256), FaissIvf("PQ64", 256),
        FaissHnsw(128), Hnswlib(128),
    ]  # fmt: skip
    if importlib.util.find_spec("hnswlib") is None:
        methods = [m for m in methods if not isinstance(m, Hnswlib)]
    for method in methods:
        gc.collect()
        before = rss_bytes()
        _, _, build_cpu = timed(lambda: method.build(vectors))  # noqa: B023
        memory = rss_bytes() - before
        times, cpus, hits = [], [], [0, 0]
        for n, q in enumerate(asked):
            start, started = time.perf_counter(), cpu()
            rows = method.propose(q, 128)
            diff = vectors[rows].astype(np.float64) - q
            best = int(rows[int(np.argmin(np.einsum("ij,ij->i", diff, diff)))])
            times.append(time.perf_counter() - start)
            cpus.append(cpu() - started)
            hits[0 if n < mated else 1] += best == truth[n]
        p50, p95 = percentiles(times)
        c50, _ = percentiles(cpus)
        table.add_row(
            method.name, f"{build_cpu:.1f}", gib(max(0, memory)), f"{p50:.2f}", f"{p95:.2f}",
            f"{c50:.3f}", f"{c50 / c50_exact:.3f}x", f"{hits[0] / max(1, mated):.4f}",
            f"{hits[1] / max(1, len(asked) - mated):.4f}", method.note,
        )  # fmt: skip
    console.print(table)


# -- index: facegate's GalleryIndex --------------------------------------------------------------
def hex_ids(start: int, end: int, prefix: int) -> list[str]:
    """facegate-shaped ids (32 hex digits, packed by the index into 16 bytes)."""
    return [f"{prefix:08x}{i:024x}" for i in range(start, end)]


def fill(index: GalleryIndex, vectors: Floats) -> None:
    n = len(vectors)
    for start in range(0, n, 200_000):
        end = min(n, start + 200_000)
        index.add_many(
            "dep",
            hex_ids(start, end, 1),
            hex_ids(start, end, 2),
            vectors[start:end],
            np.full(end - start, LATER),
            retune=False,
        )
    index.retune("dep")


def decision(found: list[tuple[int, float]]) -> tuple[int | None, str]:
    if not found or found[0][1] > THRESHOLD:
        return None, "no_match"
    if len(found) > 1 and found[1][1] - found[0][1] < MARGIN:
        return None, "ambiguous"
    return found[0][0], "match"


def exact_truth(held: np.ndarray, size: int, asked: Floats) -> list[list[tuple[int, float]]]:
    """The exact two nearest rows (float64 distances) of every probe, by blocked matrix
    products over the held vectors (float16 ones converted a chunk at a time)."""
    queries = asked.astype(np.float32)
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    qq = np.einsum("ij,ij->i", queries, queries)
    for start in range(0, size, 100_000):
        chunk = held[start : min(size, start + 100_000)].astype(np.float32)
        scores = np.einsum("ij,ij->i", chunk, chunk)[None, :] - 2.0 * (queries @ chunk.T)
        scores += qq[:, None]
        take = min(8, scores.shape[1] - 1)
        top = np.argpartition(scores, take, axis=1)[:, : take + 1]
        best_rows = np.concatenate([best_rows, top + start], axis=1)
        best_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, 1)], axis=1)
        keep = np.argsort(best_scores, axis=1)[:, :16]
        best_rows = np.take_along_axis(best_rows, keep, 1)
        best_scores = np.take_along_axis(best_scores, keep, 1)
    truth = []
    for n, rows in enumerate(best_rows):
        diff = held[rows].astype(np.float64) - queries[n].astype(np.float64)
        exact = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        order = np.argsort(exact, kind="stable")[:2]
        truth.append([(int(rows[i]), float(exact[i])) for i in order])
    return truth


def answer(index: GalleryIndex, found: list[Match]) -> list[tuple[int, float]]:
    return [(int(m.template_id[8:], 16), m.distance) for m in found]


@dataclass
class Setting:
    label: str
    nprobe: int
    candidates: int


def run_setting(
    index: GalleryIndex, setting: Setting, asked: Floats, mated: int, truth: list[Any]
) -> list[str]:
    shard = index._shards["dep"]
    assert shard.ann is not None
    shard.ann.nprobe = setting.nprobe
    shard.tuning = index.tuning = replace(index.tuning, candidates=setting.candidates)
    times, cpus, hits, same = [], [], [0, 0], 0
    for n, q in enumerate(asked):
        start, started = time.perf_counter(), cpu()
        found = index.nearest_subjects("dep", q, at=NOW, k=2)
        times.append(time.perf_counter() - start)
        cpus.append(cpu() - started)
        got = answer(index, found)
        hits[0 if n < mated else 1] += bool(got) and got[0][0] == truth[n][0][0]
        same += decision(got) == decision(truth[n])
    p50, p95 = percentiles(times)
    c50, _ = percentiles(cpus)
    nonmated = len(asked) - mated
    return [
        setting.label, f"{p50:.2f} / {p95:.2f}", f"{c50:.2f}",
        f"{hits[0] / max(1, mated):.4f} ({mated - hits[0]} missed of {mated})",
        f"{hits[1] / max(1, nonmated):.4f} ({nonmated - hits[1]} missed of {nonmated})",
        f"{same / len(asked):.4f} ({len(asked) - same} differ)",
    ]  # fmt: skip


def run_near(
    index: GalleryIndex,
    near_nprobe: int,
    asked: Floats,
    owners: npt.NDArray[np.int64],
    truth: list[Any],
) -> list[str]:
    """The duplicate check (``search``, k=1, t=0.6) with ``near_nprobe`` lists. Near duplicates:
    the mated probes (another photo of an enrolled person) whose exact nearest template is that
    person's, within t: how often the check returns that template; and over every probe, the
    same yes/no answer as exact search (is any template within t)."""
    shard = index._shards["dep"]
    assert shard.ann is not None
    shard.ann.near_nprobe = near_nprobe
    times, cpus, found_dup, dups, same = [], [], 0, 0, 0
    for n, q in enumerate(asked):
        start, started = time.perf_counter(), cpu()
        found = index.search("dep", q, threshold=DUPLICATE, at=NOW, k=1)
        times.append(time.perf_counter() - start)
        cpus.append(cpu() - started)
        got = answer(index, found)
        is_near = n < len(owners) and truth[n][0][0] == int(owners[n])
        is_near = is_near and truth[n][0][1] <= DUPLICATE
        dups += is_near
        found_dup += is_near and bool(got) and got[0][0] == truth[n][0][0]
        same += bool(got) == (truth[n][0][1] <= DUPLICATE)
    p50, p95 = percentiles(times)
    c50, _ = percentiles(cpus)
    return [
        f"{near_nprobe} lists", f"{p50:.3f} / {p95:.3f}", f"{c50:.3f}",
        f"{found_dup / max(1, dups):.4f} ({dups - found_dup} missed of {dups})",
        f"{same / len(asked):.4f} ({len(asked) - same} differ)",
    ]  # fmt: skip


def measure_index(
    title: str,
    faces: Faces,
    index: GalleryIndex,
    build: tuple[float, float, int],
    queries: int,
    settings: list[Setting],
    near: list[int],
) -> None:
    build_wall, build_cpu, index_rss = build
    shard = index._shards["dep"]
    assert shard.ann is not None
    own = shard.ann.nprobe, shard.ann.near_nprobe  # put back after the settings tried
    asked, mated = probes(faces, queries)
    truth, truth_wall, truth_cpu = timed(lambda: exact_truth(shard.vectors, shard.size, asked))
    # The exact path of the index on the same templates (the shard without its ANN index).
    held, shard.ann = shard.ann, None
    exact_times, exact_cpus = [], []
    for q in asked[:: max(1, len(asked) // 20)]:
        start, started = time.perf_counter(), cpu()
        index.nearest_subjects("dep", q, at=NOW, k=2)
        exact_times.append(time.perf_counter() - start)
        exact_cpus.append(cpu() - started)
    shard.ann = held
    e50, _ = percentiles(exact_times)
    ec50, _ = percentiles(exact_cpus)
    summary = Table(title=f"{title} (load {load()})")
    for column in ("metric", "value"):
        summary.add_column(column)
    codes = shard.ann.ivf.code_size
    for row in (
        ("templates", f"{shard.size:,} ({shard.vectors.dtype} vectors, {shard.ann.ivf.nlist} "
         f"lists, {index.tuning.codes} codes of {codes} bytes)"),
        ("build (vectors in memory -> searchable)",
         f"{build_wall:.1f} s wall, {build_cpu:.1f} CPU s"),
        ("index RSS (process growth while building)",
         f"{gib(index_rss)} ({index_rss / shard.size:.0f} bytes per template)"),
        ("index arrays (GalleryIndex.nbytes)",
         f"{gib(index.nbytes('dep'))} ({index.nbytes('dep') / shard.size:.0f} bytes per template)"),
        ("exact path of the same index, nearest_subjects p50",
         f"{e50:.1f} ms wall, {ec50:.1f} ms CPU ({len(exact_times)} probes)"),
        ("exact reference for recall (blocked matrix products)",
         f"{truth_wall:.0f} s wall, {truth_cpu:.0f} CPU s for {len(asked)} probes"),
    ):  # fmt: skip
        summary.add_row(*row)
    console.print(summary)
    table = Table(title=f"{title}: 1:N (nearest_subjects, k=2), {mated} mated + "
                  f"{len(asked) - mated} non-mated LFW probes, against exact search")  # fmt: skip
    for column in (
        "lists probed / candidates re-ranked", "p50 / p95 wall ms", "CPU p50 ms",
        "recall@1 mated", "recall@1 non-mated",
        f"same open-set decision (t={THRESHOLD}, margin {MARGIN})",
    ):  # fmt: skip
        table.add_column(column)
    for setting in settings:
        table.add_row(*run_setting(index, setting, asked, mated, truth))
    console.print(table)
    table = Table(title=f"{title}: enrolment's duplicate check (search, k=1, t={DUPLICATE})")
    for column in (
        "lists probed (32 candidates)", "p50 / p95 wall ms", "CPU p50 ms",
        "near duplicates found (mated probes, own identity nearest)",
        "same yes/no as exact (any template within t)",
    ):  # fmt: skip
        table.add_column(column)
    for lists in near:
        table.add_row(*run_near(index, lists, asked, faces.mated_owner[:mated], truth))
    console.print(table)
    shard.ann.nprobe, shard.ann.near_nprobe = own


# The previous default (issue 13s): 8-bit scalar codes, 256 of about 4 sqrt(N) lists, 128
# candidates.
SQ8_256 = IndexTuning(codes="SQ8", nprobe=256, candidates=128, lists_per_root=4.0)

# Fast-scan codes at three list counts (about 4, 2 and 1 sqrt(N)), each probed to about a quarter
# and three eighths of its lists (``--only lists``): the evidence for the default's sqrt(N).
LIST_GRID = (
    (4.0, [(1024, 1024), (1024, 2048), (1280, 2048)]),
    (2.0, [(512, 1024), (512, 2048), (640, 2048), (768, 2048)]),
    (1.0, [(256, 2048), (320, 2048), (384, 2048)]),
)


def section_lists(faces: Faces, size: int, queries: int) -> None:
    """Fast-scan codes at about 4, 2 and 1 sqrt(N) lists on the same gallery, probes and exact
    truth: per list visited a fast-scan search pays for a lookup table (residual codes), so
    fewer, longer lists reach the same recall for less."""
    vectors = gallery(faces, size)
    asked, mated = probes(faces, queries)
    truth = exact_truth(vectors, size, asked)
    table = Table(title=f"fast-scan codes at {size:,}: lists, lists probed and candidates, same "
                  f"gallery and probes (load {load()})")  # fmt: skip
    for column in (
        "lists / probed / candidates", "build s (wall / CPU)", "p50 / p95 wall ms", "CPU p50 ms",
        "recall@1 mated", "recall@1 non-mated", "same open-set decision",
    ):  # fmt: skip
        table.add_column(column)
    for per_root, grid in LIST_GRID:
        index = GalleryIndex(replace(IndexTuning(), lists_per_root=per_root))
        wall, cpu_s = time.perf_counter(), cpu()
        fill(index, vectors)
        wall, cpu_s = time.perf_counter() - wall, cpu() - cpu_s
        lists = index._shards["dep"].ann.ivf.nlist  # type: ignore[union-attr]
        for nprobe, candidates in grid:
            cells = run_setting(index, Setting("", nprobe, candidates), asked, mated, truth)
            table.add_row(
                f"{lists} / {nprobe} / {candidates}", f"{wall:.1f} / {cpu_s:.1f}", *cells[1:]
            )
        del index
        gc.collect()
    console.print(table)


def section_index(faces: Faces, sizes: list[int], queries: int, codes: list[str]) -> None:
    """One build per code in ``codes`` ("" is today's default, ``SQ8`` the previous one), each
    measured at its own settings, in the same run (same gallery, probes and exact truth)."""
    for size, code in ((s, c) for s in sizes for c in codes):
        tuning = (
            SQ8_256 if code == "SQ8" else replace(IndexTuning(), codes=code or IndexTuning.codes)
        )
        vectors = gallery(faces, size)
        gc.collect()
        before = rss_bytes()
        index = GalleryIndex(tuning)
        wall, cpu_s = time.perf_counter(), cpu()
        fill(index, vectors)
        wall, cpu_s = time.perf_counter() - wall, cpu() - cpu_s
        grown = rss_bytes() - before
        del vectors
        gc.collect()
        if tuning.codes == "SQ8":
            settings = [
                Setting("256 / 128 (issue 13s default)", 256, 128),
                Setting("512 / 128", 512, 128),
                Setting("1024 / 256", 1024, 256),
            ]
        else:
            probes = index._shards["dep"].ann.nprobe  # type: ignore[union-attr]
            settings = [
                Setting(f"{probes} / {tuning.candidates} (default)", probes, tuning.candidates),
                Setting("256 / 1024", 256, 1024),
                Setting("256 / 2048", 256, 2048),
                Setting("320 / 2048", 320, 2048),
                Setting("512 / 2048", 512, 2048),
            ]  # fmt: skip
        measure_index(
            f"GalleryIndex at {size:,}, {tuning.codes}", faces, index, (wall, cpu_s, grown),
            queries, settings,
            [16, 32, tuning.near_nprobe, 128, tuning.probes_for(tuning.lists_for(size))],
        )  # fmt: skip
        del index
        gc.collect()


def section_ten(faces: Faces, queries: int, size: int = 10_000_000) -> None:
    """The product's default tuning at ``size`` (``IndexTuning.at``): at 10M, float16 vectors
    (from ``compact_from``, 4M) and 8,192 lists through an HNSW quantizer (from ``large_from``,
    8M)."""
    tuning = IndexTuning()
    console.print(
        f"{size:,}: generating vectors in chunks of 1M, the default tuning at this size: "
        f"{tuning.at(size)} (load {load()})"
    )
    rng = np.random.default_rng(0)
    gc.collect()
    before = rss_bytes()
    index = GalleryIndex(tuning)
    people = len(faces.identities)
    start_wall, start_cpu = time.perf_counter(), cpu()
    for start in range(0, size, 1_000_000):
        end = min(size, start + 1_000_000)
        chunk = faces.distractors(end - start, rng)
        if start == 0:
            chunk[:people] = faces.identities
        index.add_many(
            "dep", hex_ids(start, end, 1), hex_ids(start, end, 2), chunk,
            np.full(end - start, LATER), retune=False,
        )  # fmt: skip
        del chunk
    filled = rss_bytes() - before
    console.print(f"rows held: {gib(filled)}; training and adding to the IVF (load {load()})")
    index.retune("dep")
    build = (time.perf_counter() - start_wall, cpu() - start_cpu, rss_bytes() - before)
    console.print(f"rows only (vectors, ids, map): RSS {gib(filled)}")
    tenth = max(2, queries // 2)
    ann = index._shards["dep"].ann
    assert ann is not None
    kind = "float16" if index._shards["dep"].dtype == np.float16 else "float32"
    measure_index(
        f"GalleryIndex at {size:,}, {kind} vectors", faces, index, build, tenth,
        [Setting(f"{ann.nprobe} / {tuning.candidates} (the default)", ann.nprobe,
                 tuning.candidates),
         Setting("1536 / 2048", 1536, 2048), Setting("3072 / 2048", 3072, 2048)],
        [32, tuning.near_nprobe, 128],
    )  # fmt: skip


# -- store: cold start, snapshot, deltas ---------------------------------------------------------
def section_store(faces: Faces, size: int, queries: int) -> None:
    import scale_store

    scale_store.run(console, faces.identities, faces.distractors, size, queries)


def section_processes(size: int) -> None:
    import scale_store

    scale_store.throughput(console, size)


def section_write() -> None:
    if importlib.util.find_spec("scale_write") is None:
        console.print("write: bench/scale_write.py is not here (issue 13c's sweep and bulk rows)")
        return
    import scale_write

    scale_write.main([])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lfw", type=Path, default=HERE.parent.parent / "shared/datasets/lfw")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--compare-size", type=int, default=200_000)
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--ten-million", action="store_true")
    parser.add_argument(
        "--ten-size", type=int, default=10_000_000, help="(a smaller trial of the ten section)"
    )
    parser.add_argument("--store-size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument(
        "--codes", default=",SQ8", help="index section: codes to build ('': the default, SQ8)"
    )
    parser.add_argument("--only", default="compare,index,store,processes,write")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if args.ten_million:
        only.add("ten")
    import faiss

    versions = f"faiss {faiss.__version__}"
    if importlib.util.find_spec("hnswlib") is not None:
        versions += ", hnswlib " + getattr(__import__("hnswlib"), "__version__", "0.8")
    console.print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    console.print(
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, {versions}; load average {load()}"
    )
    started = cpu()
    faces = real_faces(args.lfw, args.people)
    console.print(f"vectors: {faces.source}")
    if "compare" in only:
        section_compare(faces, args.compare_size, args.queries)
    if "index" in only:
        section_index(
            faces, [int(s) for s in args.sizes.split(",") if s], args.queries,
            args.codes.split(","),
        )  # fmt: skip
    if "lists" in only:
        section_lists(faces, int(args.sizes.split(",")[0]), args.queries)
    if "ten" in only:
        section_ten(faces, args.queries, args.ten_size)
    if "store" in only:
        section_store(faces, args.store_size, args.queries)
    if "processes" in only:
        section_processes(2_000)
    if "write" in only:
        section_write()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    console.print(
        f"total CPU {cpu() - started:.0f} s (this process), peak RSS {gib(peak)}, "
        f"load average {load()}"
    )
    return 0


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn", force=True)
    raise SystemExit(main())
