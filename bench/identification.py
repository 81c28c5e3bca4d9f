"""Open-set identification (1:N) on LFW: FPIR and FNIR against gallery size, and calibration.

    python bench/identification.py DATASET_DIR [--out DIR] [--workers 2] [--baseline]
                                   [--model MODEL.onnx] [--embed-only] [--write-calibration]

(placeholder docstring: the protocol is described below, in ``PROTOCOL``)
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accuracy import Embedded, embed_baseline, embed_facegate

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
) -> Cache:
    """Embed what the cache lacks, ``CHUNK`` images at a time, saving after each chunk."""
    file = cache_file(out, model_id)
    cache = load_cache(file)
    todo = [p for p in paths if not cache.has(str(p.relative_to(root)))]
    console.print(
        f"{name} ({model_id}): {len(paths) - len(todo)} of {len(paths)} images cached in {file}"
    )
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("dataset", type=Path, help="LFW-style folder (Person/Person_0001.jpg)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--embed-only", action="store_true")
    args = parser.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 150)
    root: Path = args.dataset
    paths = list_images(root)
    if not paths:
        console.print(f"skipped: no Person/Person_0001.jpg images under {root}")
        return 0
    started = time.process_time()
    embed_cached(
        "facegate",
        facegate_model_id(),
        root,
        paths,
        lambda chunk: embed_facegate(chunk, args.workers, console),
        args.out,
        console,
    )
    if args.baseline:
        embed_cached(
            "face_recognition",
            BASELINE_ID,
            root,
            paths,
            lambda chunk: embed_baseline(chunk, args.workers, console),
            args.out,
            console,
        )
    console.print(f"CPU seconds (this process): {time.process_time() - started:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
