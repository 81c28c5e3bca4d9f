"""Passive liveness (presentation-attack detection) on a labelled folder, per ISO/IEC 30107-3.

    python bench/liveness.py DATASET_DIR [--out DIR] [--threshold T] [--limit N]

DATASET_DIR holds ``real/`` (bona fide presentations: live people) and ``attack/`` (presentation
attacks: printed or on-screen faces) images. Without it the benchmark says why and exits 0.

Each image is decoded and its faces located by facegate's engine (dlib HOG, with its fallback);
the largest face is scored by the MiniFASNet pair (``PassiveLiveness``). Reported:

* APCER (attacks classified live / attacks), BPCER (live classified attack / live) and
  ACER = (APCER + BPCER) / 2 at the threshold (the shipped default unless ``--threshold``);
* BPCER at APCER = 1% and 5% (the lowest threshold whose APCER is at most that) and the
  threshold that gives it;
* the same at a range of thresholds, and a subject-disjoint check of the threshold choice
  (threshold picked for the lowest ACER on half the subjects, measured on the other half; NUAA
  names files ``ID_...``);
* images without a face (scored neither way: counted apart, per class);
* cost: median and mean ms per image for decode, detect, liveness and, as the baseline in the
  same run, the embedding of the same face; liveness CPU seconds; the load average.

Outputs (``bench/out/`` by default): ``liveness_det.png`` (DET curve: BPCER against APCER, and
the score histograms) and ``liveness_scores.json`` (every image's score).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from facegate.engine import EngineError, FaceEngine
from facegate.engine.liveness import DEFAULT_THRESHOLD, PassiveLiveness

DEFAULT_OUT = Path(__file__).resolve().parent / "out"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
GRID = np.round(np.arange(0.0, 1.0005, 0.001), 3)

FloatArray = npt.NDArray[np.float64]


@dataclass
class Scored:
    path: str
    label: str  # "real" or "attack"
    subject: str
    score: float | None  # None: no face
    error: str
    decode_ms: float
    detect_ms: float
    liveness_ms: float
    liveness_cpu_s: float
    embed_ms: float


def rates(real: FloatArray, attack: FloatArray, threshold: float) -> tuple[float, float, float]:
    """(APCER, BPCER, ACER): live means score >= threshold."""
    apcer = float(np.mean(attack >= threshold)) if attack.size else 0.0
    bpcer = float(np.mean(real < threshold)) if real.size else 0.0
    return apcer, bpcer, (apcer + bpcer) / 2


def bpcer_at_apcer(real: FloatArray, attack: FloatArray, target: float) -> tuple[float, float]:
    """(BPCER, threshold) at the lowest threshold whose APCER is at most ``target``."""
    candidates = np.unique(np.concatenate([attack, real, [1.0 + 1e-9]]))
    for threshold in candidates:
        if np.mean(attack >= threshold) <= target:
            return float(np.mean(real < threshold)), float(threshold)
    return 1.0, 1.0  # pragma: no cover - the last candidate accepts no attack


def best_threshold(real: FloatArray, attack: FloatArray) -> float:
    """The grid threshold with the lowest ACER (the middle of the best run, for margin)."""
    acers = np.array([rates(real, attack, t)[2] for t in GRID])
    best = np.flatnonzero(acers <= acers.min() + 1e-12)
    return float(GRID[best[len(best) // 2]])


def images(root: Path, label: str, limit: int) -> list[Path]:
    paths = sorted(p for p in (root / label).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return paths[:limit] if limit else paths


def score_one(engine: FaceEngine, liveness: PassiveLiveness, path: Path, label: str) -> Scored:
    subject = path.name.split("_")[0]
    t0 = time.perf_counter()
    try:
        image = engine.load(path)
    except EngineError as exc:
        return Scored(str(path), label, subject, None, exc.code, 0, 0, 0, 0, 0)
    t1 = time.perf_counter()
    found = engine.locate(image)
    t2 = time.perf_counter()
    if not found:
        return Scored(
            str(path), label, subject, None, "no_face", (t1 - t0) * 1e3, (t2 - t1) * 1e3, 0, 0, 0
        )
    box = found[0].box
    c0, t3 = time.process_time(), time.perf_counter()
    score = liveness.score(image, box)
    t4, c1 = time.perf_counter(), time.process_time()
    faces = engine.analyse(image, found[:1])
    t5 = time.perf_counter()
    engine.embed(image, faces)
    t6 = time.perf_counter()
    return Scored(
        str(path), label, subject, score, "",
        (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t4 - t3) * 1e3, c1 - c0, (t6 - t5) * 1e3,
    )  # fmt: skip


def subject_disjoint(rows: Sequence[Scored]) -> list[tuple[str, float, float, float, float]]:
    """Threshold chosen on one half of the subjects, rates on the other half (both ways)."""
    subjects = sorted({r.subject for r in rows})
    halves = (set(subjects[0::2]), set(subjects[1::2]))
    out = []
    for name, (tune, test) in (("odd->even", halves), ("even->odd", halves[::-1])):
        tr, ta = split(r for r in rows if r.subject in tune)
        er, ea = split(r for r in rows if r.subject in test)
        if not (tr.size and ta.size and er.size and ea.size):
            continue
        threshold = best_threshold(tr, ta)
        apcer, bpcer, acer = rates(er, ea, threshold)
        out.append((name, threshold, apcer, bpcer, acer))
    return out


def split(rows: object) -> tuple[FloatArray, FloatArray]:
    rows = list(rows)  # type: ignore[call-overload]
    real = np.array([r.score for r in rows if r.label == "real" and r.score is not None])
    attack = np.array([r.score for r in rows if r.label == "attack" and r.score is not None])
    return real, attack


def plot(real: FloatArray, attack: FloatArray, threshold: float, out: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    grid = np.unique(np.concatenate([real, attack, GRID]))
    apcer = np.array([np.mean(attack >= t) for t in grid])
    bpcer = np.array([np.mean(real < t) for t in grid])
    floor = 0.5 / max(real.size, attack.size)
    fig, (det, hist) = plt.subplots(1, 2, figsize=(11, 4.5))
    det.plot(np.maximum(apcer, floor), np.maximum(bpcer, floor), lw=1.5)
    a, b, _ = rates(real, attack, threshold)
    det.plot([max(a, floor)], [max(b, floor)], "o", label=f"threshold {threshold}")
    det.set_xscale("log")
    det.set_yscale("log")
    det.set_xlabel("APCER (attacks accepted)")
    det.set_ylabel("BPCER (live people refused)")
    det.set_title("DET (zero rates drawn at the floor)")
    det.grid(True, which="both", alpha=0.3)
    det.legend()
    bins = np.linspace(0, 1, 41)
    hist.hist(real, bins=bins, alpha=0.6, label=f"real ({real.size})")
    hist.hist(attack, bins=bins, alpha=0.6, label=f"attack ({attack.size})")
    hist.axvline(threshold, color="k", ls="--", lw=1)
    hist.set_yscale("log")
    hist.set_xlabel("live score")
    hist.set_title("scores")
    hist.legend()
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "liveness_det.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def median_mean(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.1f} / {statistics.fmean(values):.1f}" if values else "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--limit", type=int, default=0, help="at most N images per class")
    args = parser.parse_args(argv)
    console = Console()
    if not ((args.dataset / "real").is_dir() and (args.dataset / "attack").is_dir()):
        console.print(f"{args.dataset}: no real/ and attack/ folders here; skipping")
        return 0

    load_before = os.getloadavg()
    engine, liveness = FaceEngine(), PassiveLiveness(threshold=args.threshold)
    work = [
        (p, label) for label in ("real", "attack") for p in images(args.dataset, label, args.limit)
    ]
    rows: list[Scored] = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("images", total=len(work))
        for path, label in work:
            rows.append(score_one(engine, liveness, path, label))
            progress.advance(task)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    load_after = os.getloadavg()

    real, attack = split(rows)
    apcer, bpcer, acer = rates(real, attack, args.threshold)
    summary = Table(title=f"Passive liveness on {args.dataset} (model {liveness.model_id})")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("live (real) images with a face", f"{real.size}")
    summary.add_row("attack images with a face", f"{attack.size}")
    for label in ("real", "attack"):
        missing = sum(1 for r in rows if r.label == label and r.score is None)
        summary.add_row(f"{label} images without a face (or unreadable)", f"{missing}")
    summary.add_row("threshold", f"{args.threshold}")
    summary.add_row("APCER", f"{apcer:.2%}  ({round(apcer * attack.size)}/{attack.size})")
    summary.add_row("BPCER", f"{bpcer:.2%}  ({round(bpcer * real.size)}/{real.size})")
    summary.add_row("ACER", f"{acer:.2%}")
    for target in (0.01, 0.05):
        b, t = bpcer_at_apcer(real, attack, target)
        summary.add_row(f"BPCER at APCER {target:.0%}", f"{b:.2%}  (threshold {t:.4f})")
    console.print(summary)

    sweep = Table(title="Rates by threshold")
    for column in ("threshold", "APCER", "BPCER", "ACER"):
        sweep.add_column(column, justify="right")
    for t in sorted({*THRESHOLDS, args.threshold}):
        a, b, c = rates(real, attack, t)
        sweep.add_row(f"{t}", f"{a:.2%}", f"{b:.2%}", f"{c:.2%}")
    console.print(sweep)

    disjoint = Table(title="Threshold chosen on half the subjects, measured on the other half")
    for column in ("tune -> test", "chosen", "APCER", "BPCER", "ACER"):
        disjoint.add_column(column, justify="right")
    for name, t, a, b, c in subject_disjoint(rows):
        disjoint.add_row(name, f"{t:.3f}", f"{a:.2%}", f"{b:.2%}", f"{c:.2%}")
    console.print(disjoint)

    scored = [r for r in rows if r.score is not None]
    cost = Table(title="Cost per image, ms (median / mean)")
    for column in ("decode", "detect", "liveness (2 nets)", "embed (baseline)", "liveness / embed"):
        cost.add_column(column, justify="right")
    live_ms = [r.liveness_ms for r in scored]
    embed_ms = [r.embed_ms for r in scored]
    ratio = statistics.median(live_ms) / statistics.median(embed_ms) if scored else float("nan")
    cost.add_row(
        median_mean([r.decode_ms for r in rows if r.decode_ms]),
        median_mean([r.detect_ms for r in rows if r.detect_ms]),
        median_mean(live_ms),
        median_mean(embed_ms),
        f"{ratio:.2f}",
    )
    console.print(cost)
    liveness_cpu = sum(r.liveness_cpu_s for r in scored)
    console.print(
        f"{len(rows)} images in {wall:.1f} s wall, {cpu:.1f} CPU s in all "
        f"({liveness_cpu:.2f} CPU s in liveness, "
        f"{1e3 * liveness_cpu / max(1, len(scored)):.1f} CPU ms per face); "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    picture = plot(real, attack, args.threshold, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "liveness_scores.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    console.print(f"curve: {picture or 'matplotlib not installed (pip install -e .[bench])'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
