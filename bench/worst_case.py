"""The engine's worst case: CPU seconds and peak memory per pathological photo.

    python bench/worst_case.py [--backend onnxruntime|dlib] [--unbounded]

Builds the photos that once stalled a site (and a few more) in a temporary folder, then runs
each in a fresh process: import, build the engine, warm it up on a fixture photo, then
``engine.faces_with_embeddings(path)`` on the case, timed with the process's CPU clock
(``time.process_time``, every thread) and its peak resident memory (``VmHWM``, the whole
process: Python, the models and the case). Goal: every case answered (faces or a typed error)
within 1 s of CPU and 400 MB peak RSS.

``--unbounded`` runs the pre-v2 configuration (no decode bound, no aspect cap, no budget) for
comparison; with ``--backend dlib`` that is the old engine, and some cases take minutes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from rich.console import Console
from rich.table import Table

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
CPU_GOAL = 1.0
RSS_GOAL_MB = 400
PNG_SIGNATURE = b"\x89PNG"
console = Console()


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def _fixture(name: str) -> Image.Image:
    with Image.open(FIXTURES / name) as image:
        return image.convert("RGB")


def _gradient(width: int, height: int, noise: float = 0.0, seed: int = 7) -> Image.Image:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = x / width * 180 + y / height * 60
    if noise:
        base = base + np.random.default_rng(seed).normal(0, noise, base.shape).astype(np.float32)
    grey = np.clip(base, 0, 255).astype(np.uint8)
    return Image.fromarray(np.stack([grey, grey, (grey * 0.8).astype(np.uint8)], axis=-1))


def build_cases(folder: Path) -> dict[str, Path]:
    cases: dict[str, bytes] = {}
    # From the issue: the photos that stalled the served demo.
    cases["LA PNG 39000x1000"] = _save(Image.new("LA", (39_000, 1_000)), "PNG")
    cases["all-zero PNG 6000x6000"] = _save(Image.new("RGB", (6_000, 6_000)), "PNG")
    jpeg = bytearray(_save(Image.new("RGB", (64, 16), (120, 90, 60)), "JPEG"))
    at = jpeg.index(b"\xff\xc0")
    jpeg[at + 5 : at + 9] = struct.pack(">HH", 1_000, 40_000)
    cases["JPEG header claiming 40000x1000"] = bytes(jpeg)
    face = _fixture("obama_2.jpg").resize((320, 400)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned: "rotate 90 clockwise to display" puts it upright
    cases["EXIF-rotated 400x320 face"] = _save(face, "JPEG", exif=exif)
    cases["no face, 1000x800 photo"] = _save(_gradient(1000, 800, noise=8), "JPEG", quality=90)
    # Our own.
    cases["normal portrait (obama_1.jpg)"] = (FIXTURES / "obama_1.jpg").read_bytes()
    cases["24 MP JPEG with a face"] = _save(_fixture("obama_1.jpg").resize((4_800, 6_000)), "JPEG")
    cases["40 MP PNG, no face"] = _save(_gradient(7_300, 5_450), "PNG")
    cases["12 MP noise JPEG, 11 MB"] = _save(_gradient(4_000, 3_000, noise=60), "JPEG", quality=85)
    cases["8:1 strip 4000x500, no face"] = _save(_gradient(4_000, 500, noise=8), "JPEG")
    grid = Image.new("RGB", (4 * 300, 4 * 380), "white")
    for i in range(16):
        tile = _fixture(("obama_1.jpg", "biden.jpg", "obama_2.jpg", "obama_3.jpg")[i % 4])
        grid.paste(tile.resize((300, 380)), ((i % 4) * 300, (i // 4) * 380))
    cases["16 faces in one photo"] = _save(grid, "JPEG", quality=90)
    whole = _save(_fixture("obama_1.jpg").resize((3_000, 3_750)), "JPEG")
    cases["truncated 11 MP JPEG"] = whole[: len(whole) // 3]
    cases["tiny 20x20"] = _save(Image.new("RGB", (20, 20), (128, 128, 128)), "PNG")
    paths = {}
    for number, (name, data) in enumerate(cases.items()):
        suffix = "png" if data.startswith(PNG_SIGNATURE) else "jpg"
        path = folder / f"case{number:02d}.{suffix}"
        path.write_bytes(data)
        paths[name] = path
    return paths


def run_one(path: Path, backend: str, unbounded: bool) -> dict[str, object]:
    """In a fresh process: the engine on one photo, CPU and peak RSS."""
    from facegate.engine import EngineConfig, EngineError, FaceEngine, ImageLimits

    config = EngineConfig(backend=backend)
    if unbounded:
        config = EngineConfig(
            backend=backend,
            time_budget=0,
            limits=ImageLimits(max_side=0, max_aspect_ratio=1e9),
        )
    engine = FaceEngine(config)
    engine.faces_with_embeddings(FIXTURES / "obama_2.jpg")  # warm-up
    rss_before = _current_rss_mb()
    start, wall = time.process_time(), time.perf_counter()
    try:
        outcome = f"{len(engine.faces_with_embeddings(path))} face(s)"
    except EngineError as exc:
        outcome = exc.code
    cpu = time.process_time() - start
    return {
        "outcome": outcome,
        "cpu": cpu,
        "wall": time.perf_counter() - wall,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """VmHWM: this process image's peak (``ru_maxrss`` would carry the parent's across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="onnxruntime")
    parser.add_argument("--unbounded", action="store_true")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.backend, args.unbounded)))
        return 0
    load_before = os.getloadavg()
    table = Table(
        title=f"worst case: backend {args.backend}, {'unbounded' if args.unbounded else 'bounded'}"
    )
    for column in ("case", "file", "outcome", "CPU s", "wall s", "RSS MB", "peak RSS MB", "goal"):
        table.add_column(column)
    met = 0
    with tempfile.TemporaryDirectory() as tmp:
        cases = build_cases(Path(tmp))
        for name, path in cases.items():
            command = [sys.executable, __file__, "--run", str(path), "--backend", args.backend]
            if args.unbounded:
                command.append("--unbounded")
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=args.timeout, check=True
                )
                r = json.loads(done.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                table.add_row(
                    name, _size(path), f"killed after {args.timeout:.0f} s", "", "", "", "", "no"
                )
                continue
            except subprocess.CalledProcessError as exc:
                table.add_row(
                    name, _size(path), f"crashed: {exc.stderr[-80:]}", "", "", "", "", "no"
                )
                continue
            ok = float(r["cpu"]) <= CPU_GOAL and float(r["peak_rss_mb"]) <= RSS_GOAL_MB
            met += ok
            table.add_row(
                name,
                _size(path),
                str(r["outcome"]),
                f"{r['cpu']:.2f}",
                f"{r['wall']:.2f}",
                f"{r['rss_before_mb']:.0f}",
                f"{r['peak_rss_mb']:.0f}",
                "yes" if ok else "no",
            )
        console.print(table)
        console.print(
            f"{met} of {len(cases)} cases within {CPU_GOAL:g} s CPU and {RSS_GOAL_MB} MB peak RSS; "
            f"load average before {load_before}, after {os.getloadavg()}"
        )
    return 0


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


if __name__ == "__main__":
    sys.exit(main())
