"""Face verification accuracy on an LFW-style folder, with LFW's 10-fold protocol.

    python bench/accuracy.py DATASET_DIR [--out DIR] [--limit-folds N] [--workers 2] [--baseline]
                             [--plain]

DATASET_DIR holds ``Person/Person_0001.jpg`` images and LFW's ``pairs.txt`` (first line
"10 300", then per fold 300 matched lines ``name n1 n2`` and 300 mismatched lines
``name1 n1 name2 n2``). Without it the benchmark is skipped (exit status 0).

Every distinct image is embedded once by facegate's engine (``embed_many``). Each image gives
its single face or, when several are found, the one whose box centre is nearest the image
centre (LFW images are centred crops). A pair with an image without a usable face is scored
"different" (distance = infinity).

Reported: 10-fold accuracy (threshold chosen on the nine other folds, accuracy on the held-out
one) mean ± std, the mean chosen threshold, accuracy at the fixed default threshold 0.6, TAR at
FAR = 1e-3 over all pairs, images without a usable face, wall time; a ROC curve is written to
``--out``. ``--baseline`` also runs the face_recognition library's default path (HOG with one
upsampling, 5-point landmarks, no jitter) on the same images in the same run. The default engine
embeds each chip and its mirror image and averages the vectors (mirror TTA, the default for
dlib's ResNet); ``--plain`` embeds the chip alone (``EngineConfig(mirror=False)``, how templates
were made before) and reports it as ``facegate-plain``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from facegate.engine import EngineConfig, embed_many
from facegate.engine.types import Box

DEFAULT_THRESHOLD = 0.6
TARGET_FAR = 1e-3
LOW_FAR = 1e-4  # with LFW's 3,000 impostor pairs this means: below the closest impostor
THRESHOLDS = np.arange(0.0, 2.0, 0.001)
DEFAULT_OUT = Path(__file__).resolve().parent / "out"

FloatArray = npt.NDArray[np.float64]


# -- the pairs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    fold: int
    first: Path
    second: Path
    same: bool


def image_path(root: Path, name: str, number: str) -> Path:
    return root / name / f"{name}_{int(number):04d}.jpg"


def read_pairs(root: Path) -> list[Pair]:
    """LFW's pairs.txt: ``folds per_fold`` then, per fold, matched then mismatched lines."""
    lines = (root / "pairs.txt").read_text().split("\n")
    folds, per_fold = (int(x) for x in lines[0].split())
    rows = [line.split() for line in lines[1:] if line.strip()]
    if len(rows) != folds * 2 * per_fold:
        raise SystemExit(f"pairs.txt: expected {folds * 2 * per_fold} pairs, found {len(rows)}")
    pairs = []
    for index, row in enumerate(rows):
        fold = index // (2 * per_fold)
        if len(row) == 3:
            name, a, b = row
            pairs.append(Pair(fold, image_path(root, name, a), image_path(root, name, b), True))
        elif len(row) == 4:
            name_a, a, name_b, b = row
            pairs.append(
                Pair(fold, image_path(root, name_a, a), image_path(root, name_b, b), False)
            )
        else:
            raise SystemExit(f"pairs.txt: cannot read line {index + 2}: {' '.join(row)}")
    return pairs


# -- choosing the face of an LFW image ------------------------------------------------------------
def centre_distance(box: Box, width: int, height: int) -> float:
    cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    return float(np.hypot(cx - width / 2, cy - height / 2))


def image_shape(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


# -- embedding with facegate --------------------------------------------------------------------
def facegate_name(mirror: bool) -> str:
    return "facegate" if mirror else "facegate-plain"


@dataclass
class Embedded:
    vectors: dict[Path, FloatArray]
    missing: dict[Path, str]  # path -> reason
    several: int  # images where more than one face was found
    seconds: float


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def advance(progress: Progress, task: TaskID, console: Console) -> None:
    """One more image; when the output is not a terminal, a line every 500 images."""
    progress.advance(task)
    if not console.is_terminal:
        state = next(t for t in progress.tasks if t.id == task)
        if int(state.completed) % 500 == 0:
            elapsed = state.elapsed or 0.0
            console.print(f"  {state.description}: {int(state.completed)} images, {elapsed:.0f} s")


def embed_facegate(
    paths: Sequence[Path],
    workers: int,
    console: Console,
    *,
    mirror: bool = True,
    backend: str = "onnxruntime",
    config: EngineConfig | None = None,
) -> Embedded:
    vectors: dict[Path, FloatArray] = {}
    missing: dict[Path, str] = {}
    several = 0
    start = time.perf_counter()
    with progress_bar(console) as progress:
        task = progress.add_task(facegate_name(mirror), total=len(paths))
        config = config or EngineConfig(mirror=mirror, backend=backend)
        for item in embed_many(paths, workers=workers, config=config):
            advance(progress, task, console)
            if not item.ok:
                missing[item.path] = f"{item.error_code}: {item.error_message}"
                continue
            if not item.faces:
                missing[item.path] = "no face found"
                continue
            if len(item.faces) > 1:
                several += 1
            width, height = image_shape(item.path)
            chosen = min(item.faces, key=lambda f: centre_distance(f.face.box, width, height))
            vectors[item.path] = chosen.embedding.vector.astype(np.float64)
    return Embedded(vectors, missing, several, time.perf_counter() - start)


# -- embedding with the face_recognition library (the baseline) ---------------------------------
def _baseline_one(path: Path) -> tuple[Path, list[list[float]], list[tuple[int, int, int, int]]]:
    import face_recognition  # imported in the worker: it loads its models at import

    image = face_recognition.load_image_file(str(path))
    locations = face_recognition.face_locations(image)
    encodings = face_recognition.face_encodings(image, known_face_locations=locations)
    return path, [list(map(float, e)) for e in encodings], [tuple(loc) for loc in locations]


def _map(
    function: Callable[[Path], object], paths: Sequence[Path], workers: int
) -> Iterator[object]:
    if workers <= 1:
        yield from map(function, paths)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(function, paths, chunksize=8)


def embed_baseline(paths: Sequence[Path], workers: int, console: Console) -> Embedded:
    vectors: dict[Path, FloatArray] = {}
    missing: dict[Path, str] = {}
    several = 0
    start = time.perf_counter()
    with progress_bar(console) as progress:
        task = progress.add_task("face_recognition", total=len(paths))
        for result in _map(_baseline_one, paths, workers):
            advance(progress, task, console)
            path, encodings, locations = result  # type: ignore[misc]
            if not encodings:
                missing[path] = "no face found"
                continue
            if len(encodings) > 1:
                several += 1
            width, height = image_shape(path)
            # face_recognition's locations are (top, right, bottom, left)
            boxes = [Box(left, top, right, bottom) for top, right, bottom, left in locations]
            best = min(range(len(boxes)), key=lambda i: centre_distance(boxes[i], width, height))
            vectors[path] = np.asarray(encodings[best], dtype=np.float64)
    return Embedded(vectors, missing, several, time.perf_counter() - start)


# -- the protocol -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scores:
    distances: FloatArray  # inf where an image has no usable face
    same: npt.NDArray[np.bool_]
    folds: npt.NDArray[np.int_]


def pair_scores(pairs: Sequence[Pair], embedded: Embedded) -> Scores:
    distances = np.full(len(pairs), np.inf)
    for i, pair in enumerate(pairs):
        a, b = embedded.vectors.get(pair.first), embedded.vectors.get(pair.second)
        if a is not None and b is not None:
            distances[i] = float(np.linalg.norm(a - b))
    same = np.array([p.same for p in pairs])
    folds = np.array([p.fold for p in pairs])
    return Scores(distances, same, folds)


def accuracy_at(distances: FloatArray, same: npt.NDArray[np.bool_], threshold: float) -> float:
    return float(np.mean((distances <= threshold) == same))


def best_threshold(distances: FloatArray, same: npt.NDArray[np.bool_]) -> float:
    """The threshold of the grid with the highest accuracy (the middle of a tied plateau)."""
    accepted = distances[None, :] <= THRESHOLDS[:, None]
    accuracies = np.mean(accepted == same[None, :], axis=1)
    best = np.flatnonzero(accuracies == accuracies.max())
    return float(THRESHOLDS[best[len(best) // 2]])


@dataclass(frozen=True)
class Report:
    name: str
    fold_accuracies: list[float]
    thresholds: list[float]
    at_default: float
    tar_at_far: float
    far_threshold: float
    missing: int
    several: int
    images: int
    seconds: float
    tar_at_low_far: float = 0.0

    @property
    def mean(self) -> float:
        return float(np.mean(self.fold_accuracies))

    @property
    def std(self) -> float:
        return float(np.std(self.fold_accuracies))


def tar_at_far(scores: Scores, far: float) -> tuple[float, float]:
    """(TAR, threshold) at the largest threshold whose false accept rate is at most ``far``."""
    negatives = np.sort(scores.distances[~scores.same])
    allowed = int(np.floor(far * len(negatives)))
    threshold = negatives[allowed] if allowed < len(negatives) else np.inf
    positives = scores.distances[scores.same]
    return float(np.mean(positives < threshold)), float(threshold)


def evaluate(name: str, scores: Scores, embedded: Embedded, images: int, folds: int) -> Report:
    accuracies, thresholds = [], []
    for fold in range(folds):
        train = (scores.folds != fold) & (scores.folds < folds)
        test = scores.folds == fold
        if not train.any():  # a single fold: choose on itself (reported, but optimistic)
            train = test
        threshold = best_threshold(scores.distances[train], scores.same[train])
        thresholds.append(threshold)
        accuracies.append(accuracy_at(scores.distances[test], scores.same[test], threshold))
    used = scores.folds < folds
    all_used = Scores(scores.distances[used], scores.same[used], scores.folds[used])
    tar, far_threshold = tar_at_far(all_used, TARGET_FAR)
    tar_low, _ = tar_at_far(all_used, LOW_FAR)
    return Report(
        name=name,
        fold_accuracies=accuracies,
        thresholds=thresholds,
        at_default=accuracy_at(scores.distances[used], scores.same[used], DEFAULT_THRESHOLD),
        tar_at_far=tar,
        far_threshold=far_threshold,
        tar_at_low_far=tar_low,
        missing=len(embedded.missing),
        several=embedded.several,
        images=images,
        seconds=embedded.seconds,
    )


def roc_points(scores: Scores) -> tuple[FloatArray, FloatArray]:
    finite = np.sort(np.unique(scores.distances[np.isfinite(scores.distances)]))
    thresholds = np.concatenate([[-1.0], finite])
    positives = scores.distances[scores.same]
    negatives = scores.distances[~scores.same]
    tar = np.array([np.mean(positives <= t) for t in thresholds])
    far = np.array([np.mean(negatives <= t) for t in thresholds])
    return far, tar


def write_roc(curves: dict[str, Scores], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(6, 4.5))
    for name, scores in curves.items():
        far, tar = roc_points(scores)
        axes.plot(np.maximum(far, 1e-4), tar, label=name)
    axes.set_xscale("log")
    axes.set_xlim(1e-4, 1)
    axes.set_ylim(0.8, 1.0)
    axes.axvline(TARGET_FAR, color="grey", linestyle=":", linewidth=1)
    axes.set_xlabel("false accept rate (log)")
    axes.set_ylabel("true accept rate")
    axes.set_title("LFW verification, all 6000 pairs")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    path = out / "lfw_roc.png"
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def print_reports(console: Console, reports: Sequence[Report]) -> None:
    table = Table(title="LFW verification (10-fold protocol)")
    table.add_column("system")
    table.add_column("accuracy mean ± std", justify="right")
    table.add_column("mean threshold", justify="right")
    table.add_column(f"accuracy @ {DEFAULT_THRESHOLD}", justify="right")
    table.add_column(f"TAR @ FAR={TARGET_FAR:g}", justify="right")
    table.add_column(f"TAR @ FAR={LOW_FAR:g}", justify="right")
    table.add_column("images without face", justify="right")
    table.add_column("images with >1 face", justify="right")
    table.add_column("embedding time", justify="right")
    for r in reports:
        table.add_row(
            r.name,
            f"{r.mean:.2%} ± {r.std:.2%}",
            f"{np.mean(r.thresholds):.3f}",
            f"{r.at_default:.2%}",
            f"{r.tar_at_far:.2%}",
            f"{r.tar_at_low_far:.2%}",
            f"{r.missing} / {r.images}",
            str(r.several),
            f"{r.seconds:.0f} s ({r.images / r.seconds:.1f} img/s)",
        )
    console.print(table)
    for r in reports:
        folds = " ".join(f"{a:.2%}" for a in r.fold_accuracies)
        console.print(f"{r.name} per fold: {folds}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path, help="LFW-style folder with pairs.txt")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the ROC PNG goes")
    parser.add_argument("--limit-folds", type=int, default=10, help="use only the first N folds")
    parser.add_argument("--workers", type=int, default=2, help="processes for embedding")
    parser.add_argument(
        "--baseline", action="store_true", help="also run face_recognition's default path"
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="embed each chip alone, without its mirror image (EngineConfig(mirror=False))",
    )
    parser.add_argument(
        "--backend", default="onnxruntime", help="onnxruntime (default) or dlib (the reference)"
    )
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 170)
    command = " ".join([Path(sys.executable).name, *sys.argv])
    console.print(f"$ {command}")
    console.print(f"load average before: {os.getloadavg()}")

    root: Path = args.dataset
    if not root.is_dir() or not (root / "pairs.txt").is_file():
        console.print(f"skipped: {root} is not an LFW-style folder with a pairs.txt")
        return 0

    import dlib

    console.print(
        f"{os.cpu_count()} cores, {cpu_model()}; dlib {dlib.__version__}, numpy {np.__version__}"
    )
    pairs = read_pairs(root)
    folds = max(1, min(args.limit_folds, 10))
    pairs = [p for p in pairs if p.fold < folds]
    paths = sorted({p.first for p in pairs} | {p.second for p in pairs})
    absent = [p for p in paths if not p.is_file()]
    if absent:
        console.print(f"{len(absent)} images named in pairs.txt are absent, e.g. {absent[0]}")
    console.print(f"{len(pairs)} pairs in {folds} folds, {len(paths)} distinct images")

    name = facegate_name(not args.plain) + (
        "" if args.backend == "onnxruntime" else f"-{args.backend}"
    )
    runs: dict[str, Embedded] = {
        name: embed_facegate(
            paths, args.workers, console, mirror=not args.plain, backend=args.backend
        )
    }
    if args.baseline:
        runs["face_recognition"] = embed_baseline(paths, args.workers, console)

    reports, curves = [], {}
    for name, embedded in runs.items():
        scores = pair_scores(pairs, embedded)
        curves[name] = scores
        reports.append(evaluate(name, scores, embedded, len(paths), folds))
    print_reports(console, reports)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, embedded in runs.items():
        listing = {str(p.relative_to(root)): why for p, why in sorted(embedded.missing.items())}
        (out / f"lfw_missing_{name}.json").write_text(json.dumps(listing, indent=1) + "\n")
        np.savez_compressed(
            out / f"lfw_embeddings_{name}.npz",
            paths=np.array([str(p.relative_to(root)) for p in embedded.vectors]),
            vectors=np.array(list(embedded.vectors.values())),
        )
        if embedded.missing:
            console.print(f"{name}: images without a usable face: {', '.join(listing)}")
    roc = write_roc(curves, out)
    console.print(f"ROC curve: {roc}; lists of images without a face: {out}/lfw_missing_*.json")
    console.print(f"load average after: {os.getloadavg()}")
    return 0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


if __name__ == "__main__":
    sys.exit(main())
