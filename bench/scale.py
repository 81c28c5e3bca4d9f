"""The store at scale (issue 13): search, recall, memory, cold start, deltas and writers.

    python bench/scale.py [--lfw ../shared/datasets/lfw] [--compare-size 200000]
        [--sizes 1000000] [--ten-million] [--store-size 1000000] [--queries 300]
        [--only compare,index,ten,store,processes,write]

Sections (each prints a table; ``--only`` picks some):

- ``compare``: approximate-search libraries against exact brute force on the same gallery in the
  same run: faiss IVF with 8-bit codes (what facegate uses), faiss IVF-Flat, faiss HNSW and
  hnswlib HNSW, each proposing 128 candidates that are re-ranked exactly. Build CPU seconds, query
  p50/p95 (one query at a time, one thread), recall@1 against exact search, memory.
- ``index``: facegate's ``GalleryIndex`` at each ``--sizes``: ``nearest_subjects`` (what 1:N
  identification asks) approximate vs exact on the same templates, recall@1 and identical
  open-set decisions, the duplicate check of enrolment, build time and RSS.
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
from dataclasses import dataclass
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
            nonmated, fitted = seeds[:200], np.concatenate([seeds[200:], found.identities])
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
        quantizer = faiss.IndexFlatL2(DIM)
        if self.kind == "SQ8":
            self.index = faiss.IndexIVFScalarQuantizer(
                quantizer, DIM, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_L2
            )
        else:
            self.index = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_L2)
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
        FaissIvf("SQ8", 64), FaissIvf("SQ8", 256), FaissHnsw(128), Hnswlib(128),
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
def fill(index: GalleryIndex, vectors: Floats, owners: list[str] | None = None) -> None:
    n = len(vectors)
    for start in range(0, n, 200_000):
        end = min(n, start + 200_000)
        index.add_many(
            "dep",
            [f"t{i}" for i in range(start, end)],
            owners[start:end] if owners else [f"s{i}" for i in range(start, end)],
            vectors[start:end],
            np.full(end - start, LATER),
            retune=False,
        )
    index.retune("dep")


def decision(found: list[Match]) -> tuple[str | None, str]:
    if not found or found[0].distance > THRESHOLD:
        return None, "no_match"
    if len(found) > 1 and found[1].distance - found[0].distance < MARGIN:
        return None, "ambiguous"
    return found[0].subject_id, "match"


def measure_index(
    title: str, faces: Faces, vectors: Floats, tuning: IndexTuning, queries: int, exact_queries: int
) -> None:
    gc.collect()
    before = rss_bytes()
    ann = GalleryIndex(tuning)
    _, build_wall, build_cpu = timed(lambda: fill(ann, vectors))
    index_rss = rss_bytes() - before
    assert ann.approximate("dep")
    asked, mated = probes(faces, queries)
    times: list[float] = []
    cpus: list[float] = []
    answers = []
    for q in asked:
        start, started = time.perf_counter(), cpu()
        answers.append(ann.nearest_subjects("dep", q, at=NOW, k=2))
        times.append(time.perf_counter() - start)
        cpus.append(cpu() - started)
    dup_times = []
    for q in asked[:mated]:
        start = time.perf_counter()
        ann.search("dep", q, threshold=0.6, at=NOW, k=1)
        dup_times.append(time.perf_counter() - start)
    # The exact path on the same templates: the shard without its ANN index.
    shard = ann._shards["dep"]
    held, shard.ann = shard.ann, None
    exact_times, agree, same_decision, checked = [], [0, 0], 0, min(len(asked), exact_queries)
    exact_cpus: list[float] = []
    picks = np.linspace(0, len(asked) - 1, checked).astype(int)
    for n in picks.tolist():
        start, started = time.perf_counter(), cpu()
        truth = ann.nearest_subjects("dep", asked[n], at=NOW, k=2)
        exact_times.append(time.perf_counter() - start)
        exact_cpus.append(cpu() - started)
        agree[0 if n < mated else 1] += bool(truth) and truth[0] == answers[n][0]
        same_decision += decision(truth) == decision(answers[n])
    shard.ann = held
    mated_checked = int(np.count_nonzero(picks < mated))
    nonmated_checked = checked - mated_checked
    p50, p95 = percentiles(times)
    c50, _ = percentiles(cpus)
    e50, _ = percentiles(exact_times)
    ec50, _ = percentiles(exact_cpus)
    d50, _ = percentiles(dup_times)
    table = Table(title=f"{title} (load {load()})")
    for column in ("metric", "value"):
        table.add_column(column)
    rows = [
        ("templates", f"{len(vectors):,} ({'float16' if tuning.compact else 'float32'} vectors)"),
        ("build (vectors in memory -> searchable)",
         f"{build_wall:.1f} s wall, {build_cpu:.1f} CPU s"),
        ("index RSS (process growth while building)", gib(index_rss)),
        ("nearest_subjects p50 / p95 wall (approximate, exact re-rank)",
         f"{p50:.2f} / {p95:.2f} ms (CPU p50 {c50:.2f} ms)"),
        ("nearest_subjects p50 wall, exact path, same index",
         f"{e50:.2f} ms, CPU {ec50:.2f} ms ({ec50 / max(c50, 1e-6):.0f}x the CPU)"),
        ("duplicate check (search k=1, t=0.6) p50", f"{d50:.3f} ms"),
        ("recall@1 vs exact, mated probes",
         f"{agree[0] / max(1, mated_checked):.4f} of {mated_checked}"),
        ("recall@1 vs exact, non-mated probes",
         f"{agree[1] / max(1, nonmated_checked):.4f} of {nonmated_checked}"),
        (f"same open-set decision (t={THRESHOLD}, margin {MARGIN})",
         f"{same_decision / checked:.4f} of {checked}"),
    ]  # fmt: skip
    for row in rows:
        table.add_row(*row)
    console.print(table)


def section_index(faces: Faces, sizes: list[int], queries: int) -> None:
    for size in sizes:
        vectors = gallery(faces, size)
        measure_index(f"GalleryIndex at {size:,}", faces, vectors, IndexTuning(), queries, queries)
        del vectors
        gc.collect()


def section_ten(faces: Faces, queries: int) -> None:
    size = 10_000_000
    console.print(f"10M: generating {size:,} vectors in chunks of 1M (float16 held) ...")
    rng = np.random.default_rng(0)
    gc.collect()
    before = rss_bytes()
    index = GalleryIndex(IndexTuning(compact=True))
    people = len(faces.identities)
    start_wall, start_cpu = time.perf_counter(), cpu()
    for start in range(0, size, 1_000_000):
        end = min(size, start + 1_000_000)
        chunk = faces.distractors(end - start, rng)
        if start == 0:
            chunk[:people] = faces.identities
        index.add_many(
            "dep",
            [f"t{i}" for i in range(start, end)],
            [f"s{i}" for i in range(start, end)],
            chunk,
            np.full(end - start, LATER),
            retune=False,
        )
        del chunk
    filled = rss_bytes() - before
    index.retune("dep")
    build_wall, build_cpu = time.perf_counter() - start_wall, cpu() - start_cpu
    index_rss = rss_bytes() - before
    asked, _ = probes(faces, queries)
    times, answers = [], []
    for q in asked:
        start = time.perf_counter()
        answers.append(index.nearest_subjects("dep", q, at=NOW, k=2))
        times.append(time.perf_counter() - start)
    shard = index._shards["dep"]
    held, shard.ann = shard.ann, None
    checked = min(40, len(asked))
    picks = np.linspace(0, len(asked) - 1, checked).astype(int)
    agree = sum(
        index.nearest_subjects("dep", asked[n], at=NOW, k=2)[0] == answers[n][0]
        for n in picks.tolist()
    )
    shard.ann = held
    p50, p95 = percentiles(times)
    table = Table(title=f"GalleryIndex at 10,000,000, float16 vectors (load {load()})")
    table.add_column("metric")
    table.add_column("value")
    for row in (
        ("build (generate + add + train)", f"{build_wall:.0f} s wall, {build_cpu:.0f} CPU s"),
        ("RSS: rows only (vectors, ids, maps)", gib(filled)),
        ("RSS: whole index (rows + IVF-SQ8)", gib(index_rss)),
        ("nearest_subjects p50 / p95", f"{p50:.2f} / {p95:.2f} ms"),
        ("recall@1 vs exact (float16 exact path)", f"{agree / checked:.4f} of {checked}"),
    ):
        table.add_row(*row)
    console.print(table)


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
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--compare-size", type=int, default=200_000)
    parser.add_argument("--sizes", default="1000000")
    parser.add_argument("--ten-million", action="store_true")
    parser.add_argument("--store-size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
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
        section_index(faces, [int(s) for s in args.sizes.split(",") if s], args.queries)
    if "ten" in only:
        section_ten(faces, args.queries)
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
