"""Engine speed: facegate's stages and throughput, against the face_recognition library.

    python bench/engine.py [--repeat 5] [--rounds 20]

Times are CPU milliseconds of this process (``time.process_time``: every thread; the networks
run on one thread), not wall time: the machine is shared and wall time swings with the load
average, which is printed before and after. Every figure that matters is a ratio between two
systems measured in the same run on the same photos.

On the fixture photos (tests/fixtures), after one warm-up pass:

* facegate (default: onnxruntime backend), per photo and stage, median CPU ms over ``--repeat``
  runs: decode (``engine.load``),
  detect (``engine.locate``), landmarks (the landmarker on each box), quality (align + checks,
  part of ``engine.detect``), embed (align + embed), and end-to-end
  (``engine.faces_with_embeddings(path)``: decode to embeddings);
* photos/s end-to-end with ``embed_many`` over the fixture list repeated ``--rounds`` times, in 1
  process and in 2 processes (the first two passes over the list are excluded: they include the
  pool's start-up and the model loading in each worker); and through a ``FacePool`` of 1 and 2
  workers doing what the service asks of them per photo (``examine``: decode, search, liveness,
  embed), with the ratio 2 workers / 1 and the workers' CPU ms per photo;
* the face_recognition library's default path on the same photos in the same run
  (``load_image_file`` + ``face_locations`` (HOG, upsample 1) + ``face_encodings``), median ms
  per photo and photos/s in one process, and the ratio baseline / facegate per photo;
* the embedding alone, per face: onnxruntime backend against dlib's own (the reference) on the
  same aligned chips, CPU ms per face and the ratio (goal >= 8x);
* facegate end-to-end on the dlib backend too (what v1 measured), for the record;
* where the time goes, both systems, per photo: face_recognition's load / HOG (upsampled once)
  / encodings against facegate's decode / detection / the embedding network (every pass the
  recipe makes, mirror TTA included) / the rest, and the speed-up facegate would reach if
  everything but its detector and its network were free (the bound that dlib's HOG and the
  network's float32 cost put on the ratio);
* the ``FacePool`` rows with and without the passive liveness check (face_recognition has none:
  only the rows without it compare like with like);
* same/different verdicts at threshold 0.6 for every pair of photos in which both systems find
  exactly one face: how many pairs the two systems agree on.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from facegate.engine import EngineConfig, FaceEngine, embed_many
from facegate.engine.batch import BatchItem
from facegate.engine.engine import _clip, mirrored
from facegate.engine.quality import assess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import process_cpu

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
THRESHOLD = 0.6
STAGES = ("decode", "detect", "landmarks", "quality", "embed")
BASELINE_STAGES = ("load", "hog", "encodings")

Vector = npt.NDArray[np.float64]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """(CPU milliseconds of this process, the result)."""
    start = time.process_time()
    result = function()
    return (time.process_time() - start) * 1000.0, result


def embedding_per_face(
    engine: FaceEngine, reference: FaceEngine, photos: Sequence[Path], repeat: int
) -> tuple[float, float, int]:
    """CPU ms per face of the embedding network alone, on the same chips: (ours, dlib's, n)."""
    chips = []
    for p in photos:
        image = engine.load(p)
        chips += [engine.embedder.align(image, f.landmarks) for f in engine.detect(image)]
    engine.embedder.embed(chips)
    reference.embedder.embed(chips)  # warm-up
    ours = min(timed(lambda: engine.embedder.embed(chips))[0] for _ in range(repeat))
    theirs = min(timed(lambda: reference.embedder.embed(chips))[0] for _ in range(repeat))
    return ours / len(chips), theirs / len(chips), len(chips)


@dataclass
class PhotoTimes:
    stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    end_to_end: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    baseline_stages: dict[str, list[float]] = field(
        default_factory=lambda: {s: [] for s in BASELINE_STAGES}
    )
    network: list[float] = field(default_factory=list)


def facegate_stages(engine: FaceEngine, path: Path, times: PhotoTimes) -> None:
    """One run of each stage on one photo, recorded in ``times``."""
    ms, image = timed(lambda: engine.load(path))
    times.stages["decode"].append(ms)
    ms, detections = timed(lambda: engine.locate(image))
    times.stages["detect"].append(ms)
    ms, landmarks = timed(lambda: [engine.landmarker.landmarks(image, d.box) for d in detections])
    times.stages["landmarks"].append(ms)

    def quality() -> None:
        for detection, points in zip(detections, landmarks, strict=True):
            box = _clip(detection.box, image)
            chip = engine.embedder.align(image, points)
            assess(box, points, chip, engine.config.quality)

    times.stages["quality"].append(timed(quality)[0])
    ms, _ = timed(
        lambda: engine.embedder.embed([engine.embedder.align(image, p) for p in landmarks])
    )
    times.stages["embed"].append(ms)


def network_passes(engine: FaceEngine, path: Path) -> float:
    """CPU ms of the embedding network alone on the photo's chips, with every pass the default
    recipe makes (the chip and, with mirror TTA, its mirror image)."""
    image = engine.load(path)
    chips = [engine.embedder.align(image, f.landmarks) for f in engine.detect(image)]
    if engine.mirror:
        chips = [c for chip in chips for c in (chip, mirrored(chip))]
    return timed(lambda: engine.embedder.embed(chips))[0]


def baseline_stages(path: Path, times: PhotoTimes) -> None:
    """face_recognition's default path, stage by stage."""
    import face_recognition

    ms, image = timed(lambda: face_recognition.load_image_file(str(path)))
    times.baseline_stages["load"].append(ms)
    ms, locations = timed(lambda: face_recognition.face_locations(image))
    times.baseline_stages["hog"].append(ms)
    ms, _ = timed(lambda: face_recognition.face_encodings(image, known_face_locations=locations))
    times.baseline_stages["encodings"].append(ms)


def facegate_faces(engine: FaceEngine, path: Path) -> list[Vector]:
    return [f.embedding.vector.astype(np.float64) for f in engine.faces_with_embeddings(path)]


def baseline_faces(path: Path) -> list[Vector]:
    import face_recognition

    image = face_recognition.load_image_file(str(path))
    locations = face_recognition.face_locations(image)
    encodings = face_recognition.face_encodings(image, known_face_locations=locations)
    return [np.asarray(e, dtype=np.float64) for e in encodings]


def where_the_time_goes(photos: Sequence[Path], times: dict[Path, PhotoTimes]) -> Table:
    """Both systems stage by stage, and the bound dlib's HOG and the network put on the ratio."""

    def median(values: list[float]) -> float:
        return statistics.median(values)

    table = Table(title="Where the time goes, median CPU ms (same runs)")
    for column in (
        "photo",
        "fr: load",
        "fr: HOG (upsample 1)",
        "fr: encodings",
        "fr: total",
        "fg: decode",
        "fg: detect",
        "fg: network (all passes)",
        "fg: the rest",
        "fg: total",
        "speed-up",
        "bound: fr / (fg detect + network)",
    ):
        table.add_column(column, justify="left" if column == "photo" else "right")
    for p in photos:
        t = times[p]
        base = median(t.baseline)
        ours = median(t.end_to_end)
        decode, detect = median(t.stages["decode"]), median(t.stages["detect"])
        network = median(t.network)
        table.add_row(
            p.name,
            *(f"{median(t.baseline_stages[s]):.1f}" for s in BASELINE_STAGES),
            f"{base:.1f}",
            f"{decode:.1f}",
            f"{detect:.1f}",
            f"{network:.1f}",
            f"{ours - decode - detect - network:.1f}",
            f"{ours:.1f}",
            f"{base / ours:.1f}x",
            f"{base / (detect + network):.1f}x",
        )
    return table


def throughput(paths: Sequence[Path], workers: int, warm_up: int) -> tuple[float, float]:
    """(photos/s after the first ``warm_up`` photos, seconds until the first photo)."""
    done: list[float] = []
    start = time.perf_counter()

    def mark(_: BatchItem) -> None:
        done.append(time.perf_counter())

    for _ in embed_many(paths, workers=workers, config=EngineConfig(), on_done=mark):
        pass
    counted = len(done) - warm_up
    return counted / (done[-1] - done[warm_up - 1]), done[0] - start


def pool_throughput(
    paths: Sequence[Path], workers: int, clients: int, *, liveness: bool = True
) -> tuple[float, float]:
    """(photos/s, worker CPU ms per photo) through a ``FacePool`` of ``workers`` processes,
    ``clients`` threads calling it. Each photo is what the Gate asks of a worker for one
    identification: ``examine`` (decode, search, liveness when asked, embed every face) on its
    bytes."""
    from concurrent.futures import ThreadPoolExecutor

    from facegate.engine.photo import PhotoRequest
    from facegate.engine.pool import FacePool

    request = PhotoRequest(one_face=False, liveness=0.5 if liveness else None)
    with FacePool(workers=workers, queue=clients) as pool:
        pool.wait_ready()
        data = [p.read_bytes() for p in paths]

        def one(item: bytes) -> None:
            pool.examine(item, request)

        for item in data[: 2 * workers]:
            one(item)
        pids = [p.pid for p in getattr(pool._executor, "_processes", {}).values()]
        cpu = sum(process_cpu(pid) for pid in pids)
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as threads:
            list(threads.map(one, data))
        rate = len(data) / (time.perf_counter() - start)
        return rate, 1000 * (sum(process_cpu(pid) for pid in pids) - cpu) / len(data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per photo and stage")
    parser.add_argument("--rounds", type=int, default=20, help="passes over the fixture list")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 200)

    import dlib

    console.print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    console.print(f"load average before: {os.getloadavg()}")
    console.print(
        f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"
    )
    console.print(
        f"versions: dlib {dlib.__version__} (dlib-bin {version('dlib-bin')}), numpy "
        f"{np.__version__}, face_recognition {version('face_recognition')}, facegate "
        f"{version('facegate')}"
    )

    photos = sorted(p for p in FIXTURES.iterdir() if p.suffix.lower() in {".jpg", ".png"})
    engine = FaceEngine()
    try:
        import face_recognition  # noqa: F401  (loads its models now, outside the timings)
    except ImportError:
        console.print("face_recognition is not installed: `make bench` installs it")
        return 1

    # Warm-up: one pass through every path of both systems.
    faces = {p: facegate_faces(engine, p) for p in photos}
    base_faces = {p: baseline_faces(p) for p in photos}
    times = {p: PhotoTimes() for p in photos}
    for p in photos:
        facegate_stages(engine, p, times[p])
        times[p] = PhotoTimes()

    for _ in range(args.repeat):
        for p in photos:
            facegate_stages(engine, p, times[p])
            times[p].end_to_end.append(timed(lambda p=p: facegate_faces(engine, p))[0])
            times[p].baseline.append(timed(lambda p=p: baseline_faces(p))[0])
            baseline_stages(p, times[p])
            times[p].network.append(network_passes(engine, p))

    table = Table(title=f"Per photo, median CPU ms of {args.repeat} runs (warm-up excluded)")
    table.add_column("photo")
    table.add_column("size")
    table.add_column("faces fg/fr", justify="right")
    for stage in STAGES:
        table.add_column(stage, justify="right")
    table.add_column("facegate end-to-end", justify="right")
    table.add_column("face_recognition", justify="right")
    table.add_column("speed-up", justify="right")
    ratios = []
    from PIL import Image

    for p in photos:
        t = times[p]
        e2e, base = statistics.median(t.end_to_end), statistics.median(t.baseline)
        ratios.append(base / e2e)
        with Image.open(p) as im:
            size = f"{im.width}x{im.height}"
        table.add_row(
            p.name,
            size,
            f"{len(faces[p])}/{len(base_faces[p])}",
            *(f"{statistics.median(t.stages[s]):.1f}" for s in STAGES),
            f"{e2e:.1f}",
            f"{base:.1f}",
            f"{base / e2e:.1f}x",
        )
    e2e_total = sum(statistics.median(times[p].end_to_end) for p in photos)
    base_total = sum(statistics.median(times[p].baseline) for p in photos)
    table.add_row(
        "all photos (sum)",
        "",
        "",
        *(f"{sum(statistics.median(times[p].stages[s]) for p in photos):.1f}" for s in STAGES),
        f"{e2e_total:.1f}",
        f"{base_total:.1f}",
        f"{base_total / e2e_total:.1f}x",
    )
    console.print(table)
    console.print(where_the_time_goes(photos, times))

    # The dlib backend (the reference, v1's engine) on the same photos, and the embedding alone.
    reference = FaceEngine(EngineConfig(backend="dlib"))
    for p in photos:
        facegate_faces(reference, p)
    dlib_total = sum(
        statistics.median(timed(lambda p=p: facegate_faces(reference, p))[0] for _ in range(3))
        for p in photos
    )
    ours_face, dlib_face, chips = embedding_per_face(engine, reference, photos, args.repeat)
    table = Table(title="Backends: onnxruntime (default) against dlib (reference), CPU ms")
    for column in ("measure", "onnxruntime", "dlib", "ratio dlib / onnxruntime"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row(
        f"embedding per face ({chips} faces, best of {args.repeat})",
        f"{ours_face:.1f}",
        f"{dlib_face:.1f}",
        f"{dlib_face / ours_face:.1f}x",
    )
    table.add_row(
        "end-to-end, all photos (sum of medians)",
        f"{e2e_total:.1f}",
        f"{dlib_total:.1f}",
        f"{dlib_total / e2e_total:.1f}x",
    )
    console.print(table)

    # Throughput: the list repeated, end-to-end from the file to the embeddings.
    paths = photos * args.rounds
    warm_up = 2 * len(photos)
    rows: list[tuple[str, float, float | None, float | None]] = []
    for workers in (1, 2):
        rate, first = throughput(paths, workers, warm_up)
        rows.append((f"facegate embed_many(workers={workers})", rate, first, None))
    # face_recognition's rate from its CPU time (one process, one thread).
    base_rate = len(photos) * args.repeat / (sum(sum(times[p].baseline) for p in photos) / 1000)
    table = Table(
        title=f"Throughput, fixture list x{args.rounds} (first {warm_up} photos excluded)"
    )
    table.add_column("system")
    table.add_column("photos/s (wall)", justify="right")
    table.add_column("vs face_recognition", justify="right")
    table.add_column("start-up to 1st photo", justify="right")
    table.add_column("photos per CPU second", justify="right")
    table.add_column("vs face_recognition (CPU)", justify="right")
    pool_rates, pool_cpu = {}, {}
    for live in (False, True):
        for workers in (1, 2):
            key = (workers, live)
            pool_rates[key], pool_cpu[key] = pool_throughput(
                paths, workers, clients=4, liveness=live
            )
            what = "+ liveness" if live else "no liveness, like face_recognition"
            name = f"facegate FacePool(workers={workers}).examine ({what}), 4 client threads"
            rows.append((name, pool_rates[key], None, 1000 / pool_cpu[key]))
    for name, rate, first, per_cpu in rows:
        table.add_row(
            name,
            f"{rate:.2f}",
            f"{rate / base_rate:.1f}x",
            f"{first:.2f} s" if first is not None else "",
            f"{per_cpu:.1f}" if per_cpu else "",
            f"{per_cpu / base_rate:.1f}x" if per_cpu else "",
        )
    table.add_row(
        f"face_recognition, 1 process (from its CPU time, x{args.repeat} runs)",
        f"{base_rate:.2f}",
        "1.0x",
        "",
        f"{base_rate:.1f}",
        "1.0x",
    )
    console.print(table)
    for live in (False, True):
        console.print(
            f"FacePool {'with' if live else 'without'} liveness: 2 workers / 1 = "
            f"{pool_rates[2, live] / pool_rates[1, live]:.2f}x photos/s; worker CPU per photo "
            f"{pool_cpu[1, live]:.1f} ms (1 worker), {pool_cpu[2, live]:.1f} ms (2 workers)"
        )

    # Verdicts on every pair where both systems find exactly one face.
    single = [p for p in photos if len(faces[p]) == 1 and len(base_faces[p]) == 1]
    table = Table(title=f"Same/different verdicts at threshold {THRESHOLD}")
    for column in ("pair", "facegate distance", "face_recognition distance", "agree"):
        table.add_column(column, justify="left" if column == "pair" else "right")
    agree = 0
    pairs = list(itertools.combinations(single, 2))
    for a, b in pairs:
        d_fg = float(np.linalg.norm(faces[a][0] - faces[b][0]))
        d_fr = float(np.linalg.norm(base_faces[a][0] - base_faces[b][0]))
        same = (d_fg <= THRESHOLD) == (d_fr <= THRESHOLD)
        agree += same
        verdict = {True: "same", False: "different"}
        table.add_row(
            f"{a.stem} / {b.stem}",
            f"{d_fg:.3f} {verdict[d_fg <= THRESHOLD]}",
            f"{d_fr:.3f} {verdict[d_fr <= THRESHOLD]}",
            "yes" if same else "NO",
        )
    console.print(table)
    skipped = [p.name for p in photos if p not in single]
    if skipped:
        console.print(f"not in the pairs (not exactly one face in both systems): {skipped}")

    console.print(
        f"verdicts agree on {agree}/{len(pairs)} pairs (goal: all); speed-up per photo "
        f"{min(ratios):.1f}x-{max(ratios):.1f}x, all photos {base_total / e2e_total:.1f}x "
        f"(goal >= 5x per photo: {'met' if min(ratios) >= 5 else 'NOT met'}; floor 3x: "
        f"{'met' if min(ratios) >= 3 else 'NOT met'}); embedding per face "
        f"{dlib_face / ours_face:.1f}x faster than dlib (goal >= 8x: "
        f"{'met' if dlib_face / ours_face >= 8 else 'NOT met'})"
    )
    console.print(f"load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
