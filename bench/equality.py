"""The onnxruntime backend against dlib, the reference, on LFW images.

    python bench/equality.py [DATASET_DIR] [--images 500] [--detector-images 500]

DATASET_DIR (default ``../shared/datasets/lfw``) holds ``Person/Person_0001.jpg`` images and
LFW's ``pairs.txt``; without it the benchmark says so and exits 0. The first ``--images``
distinct images named in ``pairs.txt`` are used (so same-person pairs are among them).

Embeddings: each image is decoded, its face found (HOG, nearest the centre when several),
landmarked and aligned once; the same chip is embedded by dlib's ``face_recognition_model_v1``
and by the ONNX graph converted from the same file. Reported: max-abs difference over all
values, the largest difference in distance over every pair of images, and the verdicts at 0.6
that differ between the backends (goal 0), with CPU seconds per backend. The same again for the
default recipe, mirror TTA (each chip and its mirror image embedded, the two vectors averaged
by ``mirror_mean``), which is what templates hold now.

Detector: dlib's MMOD CNN and the ONNX one on the first ``--detector-images`` images (no
upsampling): images where the number of boxes differs, the smallest IoU of matched boxes, the
largest score difference, and CPU seconds per backend.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

from facegate.engine import EngineConfig, FaceEngine
from facegate.engine.dlib_models import CnnDetector, ResNetEmbedder
from facegate.engine.engine import mirror_mean, mirrored
from facegate.engine.onnx.embedder import OnnxResNetEmbedder
from facegate.engine.onnx.mmod import OnnxMmodDetector
from facegate.engine.types import Box, RGBImage

DEFAULT_DATASET = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "lfw"
THRESHOLD = 0.6
console = Console(width=None if sys.stdout.isatty() else 130)


def lfw_images(root: Path, count: int) -> list[Path]:
    lines = (root / "pairs.txt").read_text().split("\n")[1:]
    seen: dict[Path, None] = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            names = [(parts[0], parts[1]), (parts[0], parts[2])]
        elif len(parts) == 4:
            names = [(parts[0], parts[1]), (parts[2], parts[3])]
        else:
            continue
        for name, number in names:
            seen.setdefault(root / name / f"{name}_{int(number):04d}.jpg", None)
        if len(seen) >= count:
            break
    return list(seen)[:count]


def iou(a: Box, b: Box) -> float:
    inner = max(0, min(a.right, b.right) - max(a.left, b.left)) * max(
        0, min(a.bottom, b.bottom) - max(a.top, b.top)
    )
    return inner / (a.width * a.height + b.width * b.height - inner)


def central_chip(engine: FaceEngine, path: Path) -> RGBImage | None:
    image = engine.load(path)
    faces = engine.detect(image)
    if not faces:
        return None
    height, width = image.shape[:2]

    def off_centre(box: Box) -> float:
        return float(
            ((box.left + box.right) / 2 - width / 2) ** 2
            + ((box.top + box.bottom) / 2 - height / 2) ** 2
        )

    face = min(faces, key=lambda f: off_centre(f.box))
    return engine.embedder.align(image, face.landmarks)


def distances(vectors: np.ndarray) -> np.ndarray:
    v = vectors.astype(np.float64)
    squared = (v**2).sum(axis=1)
    d2 = squared[:, None] + squared[None, :] - 2 * v @ v.T
    return np.sqrt(np.maximum(d2, 0.0))


def embeddings(root: Path, paths: list[Path]) -> Table:
    engine = FaceEngine(EngineConfig(backend="dlib"))
    chips = []
    for path in track(paths, description="aligning", console=console):
        chip = central_chip(engine, path)
        if chip is not None:
            chips.append(chip)
    reference, ours = ResNetEmbedder(), OnnxResNetEmbedder()
    ours.embed(chips[:2])  # warm-up, outside the timing
    start = time.process_time()
    theirs_v = np.stack(reference.embed(chips))
    dlib_cpu = time.process_time() - start
    start = time.process_time()
    ours_v = np.stack(ours.embed(chips))
    onnx_cpu = time.process_time() - start
    # The default recipe: each chip with its mirror image, the two vectors averaged.
    flipped = [mirrored(c) for c in chips]
    theirs_m = np.stack(
        [mirror_mean(a, b) for a, b in zip(theirs_v, reference.embed(flipped), strict=True)]
    )
    ours_m = np.stack([mirror_mean(a, b) for a, b in zip(ours_v, ours.embed(flipped), strict=True)])
    table = Table(title=f"ResNet embeddings: {len(chips)} faces of {len(paths)} LFW images")
    for column in ("measure", "plain chip", "mirror TTA (the default)"):
        table.add_column(column)
    rows = [compare_vectors(ours_v, theirs_v), compare_vectors(ours_m, theirs_m)]
    labels = (
        "max-abs difference (128-d vectors)",
        "pairs compared (all pairs) / same-person at 0.6 (dlib)",
        "max distance difference",
        "verdicts at 0.6 that differ (goal 0)",
    )
    for label, plain, mirror in zip(labels, *rows, strict=True):
        table.add_row(label, plain, mirror)
    table.add_row(
        "embedding CPU s: dlib / onnxruntime (1 thread)", f"{dlib_cpu:.2f} / {onnx_cpu:.2f}", ""
    )
    table.add_row("ratio dlib / onnxruntime", f"{dlib_cpu / onnx_cpu:.1f}x", "")
    return table


def compare_vectors(ours: np.ndarray, theirs: np.ndarray) -> tuple[str, str, str, str]:
    """(max-abs, pairs / same-person, max distance difference, verdict flips) as text."""
    max_abs = float(np.abs(ours - theirs).max())
    d_ours, d_theirs = distances(ours), distances(theirs)
    upper = np.triu_indices(len(ours), k=1)
    diff = float(np.abs(d_ours[upper] - d_theirs[upper]).max())
    flips = int(((d_ours[upper] <= THRESHOLD) != (d_theirs[upper] <= THRESHOLD)).sum())
    same = int((d_theirs[upper] <= THRESHOLD).sum())
    return f"{max_abs:.2e}", f"{len(upper[0]):,} / {same:,}", f"{diff:.2e}", str(flips)


def detector(paths: list[Path]) -> Table:
    engine = FaceEngine(EngineConfig(backend="dlib"))
    reference, ours = CnnDetector(), OnnxMmodDetector()
    images = [engine.load(p) for p in paths]
    ours.detect(images[0])  # warm-up
    count_mismatch = 0
    worst_iou, worst_score = 1.0, 0.0
    boxes = identical = 0
    worst_at = ""
    dlib_cpu = onnx_cpu = 0.0
    for path, image in track(
        list(zip(paths, images, strict=True)), description="detecting", console=console
    ):
        start = time.process_time()
        theirs = reference.detect(image)
        middle = time.process_time()
        mine = ours.detect(image)
        onnx_cpu += time.process_time() - middle
        dlib_cpu += middle - start
        if len(mine) != len(theirs):
            count_mismatch += 1
            continue
        for a, b in zip(mine, theirs, strict=True):
            boxes += 1
            identical += a.box == b.box
            if iou(a.box, b.box) < worst_iou:
                worst_iou, worst_at = iou(a.box, b.box), f"{path.name}: {a.box} vs dlib {b.box}"
            worst_score = max(worst_score, abs(a.score - b.score))
    table = Table(title=f"MMOD CNN detector: {len(images)} LFW images, no upsampling")
    for column in ("measure", "value"):
        table.add_column(column)
    table.add_row("images where the number of boxes differs", str(count_mismatch))
    table.add_row("boxes compared", str(boxes))
    table.add_row("boxes identical to dlib's (all four sides)", f"{identical} of {boxes}")
    table.add_row("smallest IoU (goal >= 0.99)", f"{worst_iou:.4f}")
    if worst_at:
        table.add_row("where", worst_at)
    table.add_row("largest score difference", f"{worst_score:.2e}")
    table.add_row(
        "detector CPU s: dlib / onnxruntime (1 thread)", f"{dlib_cpu:.1f} / {onnx_cpu:.1f}"
    )
    table.add_row("ratio dlib / onnxruntime", f"{dlib_cpu / onnx_cpu:.1f}x")
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", nargs="?", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--detector-images", type=int, default=500)
    args = parser.parse_args()
    root = args.dataset.resolve()
    if not (root / "pairs.txt").is_file():
        console.print(f"no LFW folder at {root} (pairs.txt missing): skipped")
        return 0
    paths = lfw_images(root, max(args.images, args.detector_images))
    console.print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    console.print(f"load average before: {os.getloadavg()}")
    console.print(embeddings(root, paths[: args.images]))
    if args.detector_images:
        console.print(detector(paths[: args.detector_images]))
    console.print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
