"""Open-set identification (1:N) on LFW: FPIR and FNIR against gallery size, and calibration.

    python bench/identification.py DATASET_DIR [--out DIR] [--workers 2] [--baseline]
                                   [--model MODEL.onnx] [--embed-only] [--write-calibration]

(placeholder docstring: the protocol is described below, in ``PROTOCOL``)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import Embedded, cpu_model, embed_baseline, embed_facegate

DEFAULT_OUT = Path(__file__).resolve().parent / "out"
BASELINE_ID = "face_recognition-1.3.0"
CHUNK = 500

FloatArray = npt.NDArray[np.float64]


# -- the images ---------------------------------------------------------------------------------
def list_images(root: Path) -> list[Path]:
    """Every ``Person/Person_0001.jpg`` under ``root``, sorted."""
    return sorted(p for p in root.glob("*/*.jpg") if p.is_file())


def identity_of(path: Path) -> str:
    return path.parent.name


# -- the embedding cache (bench/out/, keyed by model id) ------------------------------------------
def cache_file(out: Path, model_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", model_id)
    return out / f"ident_embeddings_{safe}.npz"


@dataclass
class Cache:
    vectors: dict[str, FloatArray]  # path relative to the dataset -> embedding
    missing: dict[str, str]  # path -> why it has no usable face
    seconds: float  # embedding time spent so far (wall)

    def has(self, rel: str) -> bool:
        return rel in self.vectors or rel in self.missing


def load_cache(path: Path) -> Cache:
    if not path.is_file():
        return Cache({}, {}, 0.0)
    data = np.load(path, allow_pickle=False)
    vectors = {
        str(p): v.astype(np.float64) for p, v in zip(data["paths"], data["vectors"], strict=True)
    }
    missing = {
        str(p): str(w) for p, w in zip(data["missing_paths"], data["missing_why"], strict=True)
    }
    return Cache(vectors, missing, float(data["seconds"]))


def save_cache(path: Path, cache: Cache) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    paths = sorted(cache.vectors)
    dim = len(next(iter(cache.vectors.values()))) if cache.vectors else 0
    np.savez_compressed(
        tmp,
        paths=np.array(paths, dtype=str),
        vectors=np.array([cache.vectors[p] for p in paths]).reshape(len(paths), dim),
        missing_paths=np.array(sorted(cache.missing), dtype=str),
        missing_why=np.array([cache.missing[p] for p in sorted(cache.missing)], dtype=str),
        seconds=np.array(cache.seconds),
    )
    tmp.replace(path)


def embed_cached(
    name: str,
    model_id: str,
    root: Path,
    paths: Sequence[Path],
    embed: Callable[[Sequence[Path]], Embedded],
    out: Path,
    console: Console,
    *,
    embed_missing: bool = True,
) -> Cache:
    """Embed what the cache lacks, ``CHUNK`` images at a time, saving after each chunk."""
    file = cache_file(out, model_id)
    cache = load_cache(file)
    todo = [p for p in paths if not cache.has(str(p.relative_to(root)))]
    console.print(
        f"{name} ({model_id}): {len(paths) - len(todo)} of {len(paths)} images cached in {file}"
    )
    if not embed_missing:
        todo = []
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        console.print(f"{name}: embedding images {start + 1}-{start + len(chunk)} of {len(todo)}")
        embedded = embed(chunk)
        for p, v in embedded.vectors.items():
            cache.vectors[str(p.relative_to(root))] = v
        for p, why in embedded.missing.items():
            cache.missing[str(p.relative_to(root))] = why
        cache.seconds += embedded.seconds
        save_cache(file, cache)
    return cache


def facegate_model_id() -> str:
    from facegate.engine.dlib_models import ResNetEmbedder

    return str(ResNetEmbedder.model_id)


# -- the open-set protocol ----------------------------------------------------------------------
SEED = 16
SIZES = (100, 1_000, 10_000)
MATED_IDENTITIES = 1_000
CLUSTERS = 32
TARGETS = (1e-3, 1e-2)
DEFAULT_THRESHOLD = 0.6
GRID = np.round(np.arange(0.0, 1.5005, 0.001), 3)


@dataclass
class Split:
    """Who is enrolled, who probes, and what pads the gallery (same for every system)."""

    mated: list[str]  # identities enrolled with their first image, in a seeded order
    nonmated: list[str]  # identities never enrolled: every image of theirs is a probe
    distractors: list[str]  # identities enrolled (first image) only to pad the largest galleries


def split_identities(images: dict[str, list[str]]) -> Split:
    """``images``: identity -> its usable images (sorted). Identities with several images are
    shuffled; the first ``MATED_IDENTITIES`` are the mated ones. All others are shuffled and
    halved: non-mated probes and real distractors."""
    rng = np.random.default_rng(SEED)
    several = sorted(i for i, paths in images.items() if len(paths) >= 2)
    rng.shuffle(several)
    mated = several[:MATED_IDENTITIES]
    rest = sorted(set(images) - set(mated))
    rng.shuffle(rest)
    half = len(rest) // 2
    return Split(mated=mated, nonmated=rest[:half], distractors=rest[half:])


@dataclass
class Gallery:
    size: int
    vectors: FloatArray  # size x dim
    labels: list[str]  # identity of each row ("" for a synthetic distractor)
    real_distractors: int
    synthetic: int


def synthetic_distractors(pool: FloatArray, count: int, rng: np.random.Generator) -> FloatArray:
    """Vectors drawn around real distractor faces: k-means clusters of the pool, then a
    Gaussian per cluster (its mean and its covariance, shrunk towards the pool's), so the
    synthetic faces keep the clumps of the real ones (a single Gaussian spreads them out and
    gives too few near misses)."""
    k = max(1, min(CLUSTERS, len(pool) // 40))
    centres = pool[rng.choice(len(pool), size=k, replace=False)]
    for _ in range(20):
        assignment = np.argmin(((pool[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        centres = np.array(
            [
                pool[assignment == c].mean(axis=0) if np.any(assignment == c) else centres[c]
                for c in range(k)
            ]
        )
    overall = np.cov(pool, rowvar=False)
    sizes = np.bincount(assignment, minlength=k)
    chosen = rng.choice(k, size=count, p=sizes / sizes.sum())
    out = np.empty((count, pool.shape[1]))
    for c in range(k):
        rows = np.flatnonzero(chosen == c)
        if not len(rows):
            continue
        members = pool[assignment == c]
        own = np.cov(members, rowvar=False) if len(members) > 1 else overall
        share = min(1.0, len(members) / (2 * pool.shape[1]))
        covariance = share * own + (1 - share) * overall * (np.trace(own) / np.trace(overall))
        out[rows] = rng.multivariate_normal(centres[c], covariance, size=len(rows))
    return out


def build_gallery(
    size: int, split: Split, images: dict[str, list[str]], vectors: dict[str, FloatArray]
) -> Gallery:
    rows: list[FloatArray] = []
    labels: list[str] = []
    mated = split.mated[: min(size, len(split.mated))]
    for identity in mated:
        rows.append(vectors[images[identity][0]])
        labels.append(identity)
    # Every image of a distractor identity pads the gallery (none of them ever probes).
    pool_pairs = [(i, p) for i in split.distractors for p in images[i]]
    real = pool_pairs[: max(0, size - len(labels))]
    for identity, path in real:
        rows.append(vectors[path])
        labels.append(identity)
    missing = size - len(labels)
    matrix = np.array(rows)
    synthetic = 0
    if missing > 0:
        pool = np.array([vectors[p] for _, p in pool_pairs])
        extra = synthetic_distractors(pool, missing, np.random.default_rng(SEED + size))
        matrix = np.vstack([matrix, extra])
        labels.extend([""] * missing)
        synthetic = missing
    return Gallery(size, matrix, labels, len(real), synthetic)


def nearest_two(probes: FloatArray, gallery: FloatArray) -> tuple[FloatArray, FloatArray, Any]:
    """For each probe: the nearest and second-nearest distances and the nearest row."""
    first = np.empty(len(probes))
    second = np.empty(len(probes))
    rows = np.empty(len(probes), dtype=np.int64)
    gg = np.einsum("ij,ij->i", gallery, gallery)
    for start in range(0, len(probes), 512):
        chunk = probes[start : start + 512]
        squared = np.einsum("ij,ij->i", chunk, chunk)[:, None] - 2 * chunk @ gallery.T + gg[None]
        squared = np.maximum(squared, 0.0)
        two = np.argpartition(squared, 1, axis=1)[:, :2] if gallery.shape[0] > 1 else None
        if two is None:
            first[start : start + len(chunk)] = np.sqrt(squared[:, 0])
            second[start : start + len(chunk)] = np.inf
            rows[start : start + len(chunk)] = 0
            continue
        pair = np.take_along_axis(squared, two, axis=1)
        order = np.argsort(pair, axis=1)
        pair = np.take_along_axis(pair, order, axis=1)
        two = np.take_along_axis(two, order, axis=1)
        first[start : start + len(chunk)] = np.sqrt(pair[:, 0])
        second[start : start + len(chunk)] = np.sqrt(pair[:, 1])
        rows[start : start + len(chunk)] = two[:, 0]
    return first, second, rows


@dataclass
class Searched:
    """Every probe searched against one gallery."""

    gallery: Gallery
    mated_best: FloatArray  # nearest distance of each mated probe
    mated_second: FloatArray
    mated_correct: npt.NDArray[np.bool_]  # the nearest row is the probe's own identity
    nonmated_best: FloatArray
    nonmated_second: FloatArray
    nonmated_vectors: FloatArray

    def fnir(self, threshold: float, margin: float = 0.0) -> float:
        hit = self.mated_correct & (self.mated_best <= threshold)
        if margin > 0:
            hit &= (self.mated_second - self.mated_best) >= margin
        return float(1 - hit.mean())

    def fpir(self, threshold: float, margin: float = 0.0) -> float:
        false = self.nonmated_best <= threshold
        if margin > 0:
            false &= (self.nonmated_second - self.nonmated_best) >= margin
        return float(false.mean())

    def threshold_for_fpir(self, target: float) -> float:
        """The largest threshold whose measured FPIR is at most ``target``."""
        ordered = np.sort(self.nonmated_best)
        allowed = int(np.floor(target * len(ordered)))
        if allowed >= len(ordered):
            return float(ordered[-1])
        return float(np.nextafter(ordered[allowed], -np.inf))


def search(
    gallery: Gallery,
    split: Split,
    images: dict[str, list[str]],
    vectors: dict[str, FloatArray],
) -> Searched:
    enrolled = set(split.mated[: min(gallery.size, len(split.mated))])
    mated_paths = [(i, p) for i in split.mated if i in enrolled for p in images[i][1:]]
    nonmated_paths = [p for i in split.nonmated for p in images[i]]
    mated = np.array([vectors[p] for _, p in mated_paths])
    nonmated = np.array([vectors[p] for p in nonmated_paths])
    best, second, rows = nearest_two(mated, gallery.vectors)
    correct = np.array(
        [gallery.labels[r] == i for r, (i, _) in zip(rows.tolist(), mated_paths, strict=True)]
    )
    n_best, n_second, _ = nearest_two(nonmated, gallery.vectors)
    return Searched(gallery, best, second, correct, n_best, n_second, nonmated)


# -- the per-comparison calibration (all pairs) --------------------------------------------------
@dataclass
class PairCounts:
    impostor: npt.NDArray[np.int64]  # per bin of GRID_BINS
    genuine: npt.NDArray[np.int64]


BIN = 0.001
BINS = 2000  # distances 0 .. 2


def all_pairs(paths: list[str], vectors: dict[str, FloatArray]) -> PairCounts:
    """Histograms of every pair's distance, same-person and different-person."""
    matrix = np.array([vectors[p] for p in paths])
    labels = np.array([identity_of(Path(p)) for p in paths])
    _, codes = np.unique(labels, return_inverse=True)
    impostor = np.zeros(BINS + 1, dtype=np.int64)
    genuine = np.zeros(BINS + 1, dtype=np.int64)
    norms = np.einsum("ij,ij->i", matrix, matrix)
    for start in range(0, len(matrix), 256):
        block = matrix[start : start + 256]
        squared = norms[start : start + 256, None] - 2 * block @ matrix.T + norms[None]
        dist = np.sqrt(np.maximum(squared, 0.0))
        i = np.arange(start, start + len(block))[:, None]
        upper = np.arange(len(matrix))[None, :] > i
        same = codes[start : start + len(block), None] == codes[None, :]
        index = np.minimum((dist / BIN).astype(np.int64), BINS)
        impostor += np.bincount(index[upper & ~same], minlength=BINS + 1)
        genuine += np.bincount(index[upper & same], minlength=BINS + 1)
    return PairCounts(impostor, genuine)


def calibration_table(model_id: str, counts: PairCounts, images: int, *, step: float = 0.005):
    """The shipped calibration: FMR and FNMR on a grid of thresholds, from the first grid
    point with at least 10 different-person pairs at or under it up to FMR 0.5."""
    from facegate.engine.calibration import Calibration

    n_imp, n_gen = int(counts.impostor.sum()), int(counts.genuine.sum())
    # counts at or below threshold t: bins whose upper edge is <= t, i.e. index < t / BIN
    cum_imp = np.cumsum(counts.impostor)
    cum_gen = np.cumsum(counts.genuine)
    rows = []
    t = step
    while t <= 2.0:
        k = round(t / BIN) - 1  # bins 0..k hold distances < t (up to bin width)
        imp, gen = int(cum_imp[k]), int(cum_gen[k])
        if imp >= 10:
            rows.append((round(t, 3), imp / n_imp, 1 - gen / n_gen))
            if imp / n_imp >= 0.5:
                break
        t += step
    return Calibration(
        model_id=model_id,
        source=(
            f"bench/identification.py on LFW: all pairs of {images:,} images "
            f"({n_imp:,} different-person, {n_gen:,} same-person)"
        ),
        impostor_comparisons=n_imp,
        genuine_comparisons=n_gen,
        thresholds=tuple(r[0] for r in rows),
        fmr=tuple(r[1] for r in rows),
        fnmr=tuple(r[2] for r in rows),
    )


# -- one system ----------------------------------------------------------------------------------
@dataclass
class SystemResult:
    name: str
    model_id: str
    images: int
    missing: int
    embed_seconds: float
    searched: dict[int, Searched]
    calibration: Any  # facegate.engine.calibration.Calibration


def evaluate_system(
    name: str, model_id: str, root: Path, paths: list[Path], cache: Cache, split: Split | None
) -> tuple[SystemResult, Split]:
    rels = [str(p.relative_to(root)) for p in paths]
    usable = [r for r in rels if r in cache.vectors]
    images: dict[str, list[str]] = {}
    for rel in usable:
        images.setdefault(identity_of(Path(rel)), []).append(rel)
    if split is None:
        split = split_identities(images)
    else:  # the same split for every system; identities a system cannot use drop out
        split = Split(
            [i for i in split.mated if len(images.get(i, [])) >= 2],
            [i for i in split.nonmated if images.get(i)],
            [i for i in split.distractors if images.get(i)],
        )
    searched = {}
    for size in SIZES:
        gallery = build_gallery(size, split, images, cache.vectors)
        searched[size] = search(gallery, split, images, cache.vectors)
    counts = all_pairs(usable, cache.vectors)
    table = calibration_table(model_id, counts, len(usable))
    result = SystemResult(
        name, model_id, len(rels), len(rels) - len(usable), cache.seconds, searched, table
    )
    return result, split


# -- output ---------------------------------------------------------------------------------------
def fmt_rate(rate: float) -> str:
    return f"{rate:.2%}" if rate >= 0.01 else f"{rate:.1e}" if rate > 0 else "0"


def print_tables(console: Console, results: list[SystemResult], margin: float) -> list[str]:
    """The rich table, and the same rows as Markdown for docs/benchmarks.md."""
    from rich.table import Table

    from facegate.engine.calibration import identification_point

    table = Table(title="Open-set identification on LFW (FPIR per non-mated probe)")
    headers = [
        "system",
        "N",
        "mated / non-mated probes",
        f"FPIR @ {DEFAULT_THRESHOLD}",
        f"FNIR @ {DEFAULT_THRESHOLD}",
        "t @ FPIR 1e-3",
        "FNIR @ FPIR 1e-3",
        "t @ FPIR 1e-2",
        "FNIR @ FPIR 1e-2",
        "derived t (1e-2)",
        "measured FPIR / FNIR there",
        f"+ margin {margin}",
    ]
    for h in headers:
        table.add_column(h, justify="right")
    markdown = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for result in results:
        for size, s in result.searched.items():
            t3, t2 = s.threshold_for_fpir(1e-3), s.threshold_for_fpir(1e-2)
            point = identification_point(result.calibration, size, 1e-2, DEFAULT_THRESHOLD)
            row = [
                result.name,
                f"{size:,}",
                f"{len(s.mated_best):,} / {len(s.nonmated_best):,}",
                fmt_rate(s.fpir(DEFAULT_THRESHOLD)),
                fmt_rate(s.fnir(DEFAULT_THRESHOLD)),
                f"{t3:.3f}",
                fmt_rate(s.fnir(t3)),
                f"{t2:.3f}",
                fmt_rate(s.fnir(t2)),
                f"{point.threshold:.3f}" + ("" if point.reachable else " (floor)"),
                f"{fmt_rate(s.fpir(point.threshold))} / {fmt_rate(s.fnir(point.threshold))}",
                f"{fmt_rate(s.fpir(point.threshold, margin))} / "
                f"{fmt_rate(s.fnir(point.threshold, margin))}",
            ]
            table.add_row(*row)
            markdown.append("| " + " | ".join(row) + " |")
    console.print(table)
    return markdown


def write_det(results: list[SystemResult], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 5))
    styles = {100: ":", 1_000: "--", 10_000: "-"}
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for colour, result in zip(colours, results, strict=False):
        for size, s in result.searched.items():
            fpir = np.array([s.fpir(t) for t in GRID])
            fnir = np.array([s.fnir(t) for t in GRID])
            keep = fpir > 0
            axes.plot(
                fpir[keep],
                fnir[keep],
                styles[size],
                color=colour,
                label=f"{result.name}, N={size:,}",
            )
            axes.plot([s.fpir(DEFAULT_THRESHOLD)], [s.fnir(DEFAULT_THRESHOLD)], "o", color=colour)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(1e-4, 1)
    axes.set_ylim(5e-3, 1)
    for target in TARGETS:
        axes.axvline(target, color="grey", linestyle=":", linewidth=1)
    axes.set_xlabel("FPIR (non-mated probe returns someone)")
    axes.set_ylabel("FNIR (mated probe missed or wrong)")
    axes.set_title("Open-set 1:N on LFW; dots: threshold 0.6")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="lower left")
    figure.tight_layout()
    path = out / "identification_det.png"
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def print_calibration(console: Console, result: SystemResult) -> None:
    from facegate.engine.calibration import largest_gallery

    c = result.calibration
    console.print(
        f"{result.name} ({result.model_id}) per comparison, {c.impostor_comparisons:,} "
        f"different-person and {c.genuine_comparisons:,} same-person pairs:"
    )
    for t in (0.4, 0.45, 0.476, 0.5, 0.55, 0.6):
        console.print(f"  t={t:.3f}  FMR {c.fmr_at(t):.3g}  TMR {1 - c.fnmr_at(t):.1%}")
    for target in TARGETS:
        largest = largest_gallery(c, target, 0.10, DEFAULT_THRESHOLD)
        console.print(
            f"  largest gallery holding FPIR {target:g} at FNIR <= 10%: {largest:,} templates"
        )


def synthetic_check(console: Console, result: SystemResult) -> None:
    """How faithful the synthetic distractors are: the non-mated probes searched against the
    real distractors only, and against as many synthetic ones."""
    s = result.searched[max(SIZES)]
    g = s.gallery
    n = min(g.real_distractors, g.synthetic)
    if n == 0:
        return
    real_rows = np.array([label != "" for label in g.labels])
    reals = g.vectors[real_rows][-n:]  # the real distractors are the last labelled rows
    fakes = g.vectors[~real_rows][:n]
    console.print(f"{result.name}: non-mated probes against {n:,} distractors only:")
    for name, rows in (("real", reals), ("synthetic", fakes)):
        best, _, _ = nearest_two(s.nonmated_vectors, rows)
        console.print(
            f"  {name:9s} FPIR @ 0.60 {fmt_rate(float(np.mean(best <= 0.6)))}, "
            f"@ 0.55 {fmt_rate(float(np.mean(best <= 0.55)))}, "
            f"@ 0.50 {fmt_rate(float(np.mean(best <= 0.5)))}; "
            f"median nearest distance {float(np.median(best)):.3f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("dataset", type=Path, help="LFW-style folder (Person/Person_0001.jpg)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--baseline", action="store_true", help="also face_recognition's default path"
    )
    parser.add_argument("--model", type=Path, help="a user's ONNX model manifest to calibrate")
    parser.add_argument("--embed-only", action="store_true", help="fill the cache and stop")
    parser.add_argument(
        "--cached-only", action="store_true", help="use only cached embeddings (a quick look)"
    )
    parser.add_argument("--margin", type=float, default=0.03, help="ambiguity margin to report")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    root: Path = args.dataset
    paths = list_images(root)
    if not paths:
        console.print(f"skipped: no Person/Person_0001.jpg images under {root}")
        return 0
    import os

    console.print(f"{os.cpu_count()} cores, {cpu_model()}; load average {os.getloadavg()}")
    started = time.process_time()
    systems: list[tuple[str, str, Cache]] = []
    if args.model:
        from facegate.engine import EngineConfig
        from facegate.engine.onnx_model import read_manifest

        manifest = read_manifest(args.model)
        config = EngineConfig(model=str(args.model.resolve()))
        cache = embed_cached(
            manifest.model_id,
            manifest.model_id,
            root,
            paths,
            lambda chunk: embed_facegate(chunk, args.workers, console, config=config),
            args.out,
            console,
            embed_missing=not args.cached_only,
        )
        systems.append((manifest.model_id, manifest.model_id, cache))
    else:
        model_id = facegate_model_id()
        cache = embed_cached(
            "facegate",
            model_id,
            root,
            paths,
            lambda chunk: embed_facegate(chunk, args.workers, console),
            args.out,
            console,
            embed_missing=not args.cached_only,
        )
        systems.append(("facegate", model_id, cache))
    if args.baseline:
        cache = embed_cached(
            "face_recognition",
            BASELINE_ID,
            root,
            paths,
            lambda chunk: embed_baseline(chunk, args.workers, console),
            args.out,
            console,
            embed_missing=not args.cached_only,
        )
        systems.append(("face_recognition", BASELINE_ID, cache))
    if args.embed_only:
        console.print(f"CPU seconds (this process): {time.process_time() - started:.1f}")
        return 0

    analysis_started = time.process_time()
    results: list[SystemResult] = []
    split: Split | None = None
    for name, model_id, cache in systems:
        result, split = evaluate_system(name, model_id, root, paths, cache, split)
        results.append(result)
    assert split is not None
    first = results[0].searched[max(SIZES)].gallery
    console.print(
        f"identities: {len(split.mated):,} mated (first image enrolled, the others probe), "
        f"{len(split.nonmated):,} non-mated (every image probes), "
        f"{len(split.distractors):,} distractor identities; N={max(SIZES):,} adds "
        f"{first.real_distractors:,} real and {first.synthetic:,} synthetic distractors"
    )
    markdown = print_tables(console, results, args.margin)
    for result in results:
        print_calibration(console, result)
        synthetic_check(console, result)
    args.out.mkdir(parents=True, exist_ok=True)
    for result in results:
        file = args.out / f"calibration_{re.sub(r'[^A-Za-z0-9_.+-]', '_', result.model_id)}.json"
        file.write_text(json.dumps(result.calibration.to_json(), indent=1) + "\n")
        console.print(f"calibration table: {file}")
    det = write_det(results, args.out)
    (args.out / "identification_table.md").write_text("\n".join(markdown) + "\n")
    console.print(f"DET plot: {det}; Markdown table: {args.out / 'identification_table.md'}")
    for result in results:
        console.print(
            f"{result.name}: {result.missing} of {result.images} images without a usable face; "
            f"embedding {result.embed_seconds:.0f} s wall (cached)"
        )
    console.print(
        f"analysis CPU seconds: {time.process_time() - analysis_started:.1f}; "
        f"total CPU seconds (this process): {time.process_time() - started:.1f}; "
        f"load average {os.getloadavg()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
