"""Can a new embedding recipe keep the model id? Old templates against new probes on LFW.

    python bench/accuracy.py DATASET_DIR --out OUT/plain
    python bench/accuracy.py DATASET_DIR --mirror --out OUT/mirror
    python bench/template_compat.py DATASET_DIR OUT/plain/lfw_embeddings_facegate.npz \\
        OUT/mirror/lfw_embeddings_facegate-mirror.npz

The two ``.npz`` files are accuracy.py's per-image vectors (the old recipe's, then the new
one's) for LFW's ``pairs.txt``. Reported with accuracy.py's 10-fold protocol, for old x old,
new x new, and **old template x new probe** (each pair scored twice: the first image's old
vector against the second's new one, and the other way round): accuracy mean ± std, accuracy at
the fixed threshold 0.6, TAR at FAR 1e-3 and 1e-4; and how many same/different verdicts at 0.6
of the mixed pairs differ from old x old, split into matches lost and matches gained (false
accepts among them).

A recipe whose mixed pairs keep old x old's accuracy, with a handful of verdict changes at the
boundary, lives in the same embedding space: it can become the default under the same model id
without orphaning any template, and each template gains its benefit when it is re-enrolled.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import (
    DEFAULT_THRESHOLD,
    LOW_FAR,
    TARGET_FAR,
    Embedded,
    Pair,
    Scores,
    evaluate,
    pair_scores,
    read_pairs,
)


def load_vectors(root: Path, npz: Path) -> dict[Path, np.ndarray]:
    stored = np.load(npz, allow_pickle=False)
    return {
        root / str(p): np.asarray(v, dtype=np.float64)
        for p, v in zip(stored["paths"], stored["vectors"], strict=True)
    }


def mixed_scores(
    pairs: Sequence[Pair], old: dict[Path, np.ndarray], new: dict[Path, np.ndarray]
) -> Scores:
    """Each pair twice: old template of the first image x new probe of the second, and the
    old template of the second x the new probe of the first."""
    distances = []
    for template_first in (True, False):
        for pair in pairs:
            template, probe = (
                (pair.first, pair.second) if template_first else (pair.second, pair.first)
            )
            a, b = old.get(template), new.get(probe)
            distances.append(np.inf if a is None or b is None else float(np.linalg.norm(a - b)))
    same = np.array([p.same for p in pairs] * 2)
    folds = np.array([p.fold for p in pairs] * 2)
    return Scores(np.array(distances), same, folds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("old", type=Path, help="accuracy.py's .npz of the old recipe")
    parser.add_argument("new", type=Path, help="accuracy.py's .npz of the new recipe")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(f"$ python {' '.join(sys.argv)}")
    console.print(f"load average: {os.getloadavg()}")
    root: Path = args.dataset
    if not (root / "pairs.txt").is_file() or not args.old.is_file() or not args.new.is_file():
        console.print("skipped: needs an LFW-style folder and both .npz files")
        return 0
    pairs = read_pairs(root)
    paths = {p.first for p in pairs} | {p.second for p in pairs}
    old, new = load_vectors(root, args.old), load_vectors(root, args.new)
    missing = {p: "no face" for p in paths if p not in old or p not in new}

    plain = pair_scores(pairs, Embedded(old, missing, 0, 0.0))
    runs = {
        "old x old": plain,
        "new x new": pair_scores(pairs, Embedded(new, missing, 0, 0.0)),
        "old template x new probe": mixed_scores(pairs, old, new),
    }
    table = Table(title=f"LFW, {len(pairs)} pairs: old templates against new probes")
    for column in (
        "scoring",
        "pairs",
        "accuracy (10-fold)",
        "mean threshold",
        "at 0.6",
        f"TAR@FAR={TARGET_FAR:g}",
        f"TAR@FAR={LOW_FAR:g}",
    ):
        table.add_column(column, justify="right")
    for name, scores in runs.items():
        report = evaluate(name, scores, Embedded(old, missing, 0, 0.0), len(paths), 10)
        table.add_row(
            name,
            str(len(scores.distances)),
            f"{report.mean:.2%} ± {report.std:.2%}",
            f"{np.mean(report.thresholds):.3f}",
            f"{report.at_default:.2%}",
            f"{report.tar_at_far:.2%}",
            f"{report.tar_at_low_far:.2%}",
        )
    console.print(table)

    mixed = runs["old template x new probe"]
    before = np.concatenate([plain.distances, plain.distances]) <= DEFAULT_THRESHOLD
    after = mixed.distances <= DEFAULT_THRESHOLD
    lost = int((before & ~after).sum())
    gained = int((~before & after).sum())
    false_gained = int((~before & after & ~mixed.same).sum())
    true_lost = int((before & ~after & mixed.same).sum())
    shift = mixed.distances - np.concatenate([plain.distances, plain.distances])
    finite = np.isfinite(shift)
    console.print(
        f"verdicts at {DEFAULT_THRESHOLD} that differ from old x old: {lost + gained} of "
        f"{len(after)} ({lost} matches lost, {true_lost} of them genuine; {gained} gained, "
        f"{false_gained} of them impostors); distance change old x new - old x old: "
        f"mean {shift[finite].mean():+.4f}, max |change| {np.abs(shift[finite]).max():.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
