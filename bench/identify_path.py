"""What identification costs in the engine: one search and embedding of the photo (the baseline),
against identify's path of locating the faces first (to refuse a frame before anything is
embedded) and then embedding what was located, with and without a second search.

    .venv/bin/python bench/identify_path.py [--rounds 20]

Prints CPU ms per probe (process time, one process) and ratios against the baseline measured in
the same run, with the load average.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from facegate.engine import FaceEngine

PHOTO = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "obama_3.jpg"


def cpu_ms(work: Callable[[], object], rounds: int) -> float:
    started = time.process_time()
    for _ in range(rounds):
        work()
    return (time.process_time() - started) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    engine = FaceEngine()
    pixels = engine.load(PHOTO)
    engine.faces_with_embeddings(pixels)  # warm the sessions
    base = cpu_ms(lambda: engine.faces_with_embeddings(pixels), args.rounds)
    paths = [
        ("one search, then embed (faces_with_embeddings): baseline", base),
        (
            "locate, then single_face (searches again)",
            cpu_ms(
                lambda: (engine.locate(pixels), engine.single_face(pixels, require_quality=False)),
                args.rounds,
            ),
        ),
        (
            "locate, then faces_at (identify's path)",
            cpu_ms(lambda: engine.faces_at(pixels, engine.locate(pixels)), args.rounds),
        ),
    ]
    table = Table(title=f"{PHOTO.name}, {args.rounds} rounds, load {os.getloadavg()[0]:.2f}")
    for column in ("path", "CPU ms per probe", "ratio"):
        table.add_column(column)
    for name, ms in paths:
        table.add_row(name, f"{ms:.1f}", f"{ms / base:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
