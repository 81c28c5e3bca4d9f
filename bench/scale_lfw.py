"""Real-face vectors for the scale benchmark: LFW embeddings as identities and probes.

A seeded subset of LFW's people with at least two usable images is embedded once with facegate's
engine and cached with ``bench/identification.py``'s cache (``bench/out/ident_embeddings_<model
id>.npz``, shared with that benchmark, so a full identification run fills it too). Each chosen
person's first image is enrolled (an identity), their other images probe; single-image people's
images seed the synthetic distractors.

    python bench/scale_lfw.py ../shared/datasets/lfw [--people 1000] [--workers 1]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))

from identification import (
    DEFAULT_OUT,
    cache_file,
    embed_cached,
    facegate_model_id,
    identity_of,
    list_images,
    load_cache,
)

SEED = 13
PER_PERSON = 4  # images per chosen person at most: 1 enrolled, up to 3 probes
SEEDS = 1400  # single-image people: 1,000 non-mated probes, the rest seed the distractors

Floats = npt.NDArray[np.float32]


@dataclass
class RealFaces:
    identities: Floats  # (people, 128): each chosen person's enrolled image
    probes: Floats  # (probes, 128): their other images
    probe_identity: npt.NDArray[np.int64]  # probe -> row in identities
    seeds: Floats  # real vectors that synthetic distractors are drawn around


def choose(root: Path, people: int) -> tuple[list[Path], list[Path]]:
    """(images of the chosen people, single-image people's images), seeded."""
    by_person: dict[str, list[Path]] = {}
    for path in list_images(root):
        by_person.setdefault(identity_of(path), []).append(path)
    rng = np.random.default_rng(SEED)
    several = sorted(p for p, images in by_person.items() if len(images) >= 2)
    single = sorted(p for p, images in by_person.items() if len(images) == 1)
    chosen = [several[i] for i in rng.permutation(len(several))[:people]]
    seeds = [single[i] for i in rng.permutation(len(single))[:SEEDS]]
    return (
        [image for person in chosen for image in by_person[person][:PER_PERSON]],
        [by_person[person][0] for person in seeds],
    )


def embed(root: Path, people: int, workers: int, console: Console, *, compute: bool) -> RealFaces:
    from accuracy import embed_facegate

    mated, seeds = choose(root, people)
    model = facegate_model_id()
    cache = embed_cached(
        "facegate",
        model,
        root,
        mated + seeds,
        lambda chunk: embed_facegate(chunk, workers, console),
        DEFAULT_OUT,
        console,
        embed_missing=compute,
    )
    return arrange(root, cache.vectors, mated, seeds)


def cached(root: Path, people: int) -> RealFaces | None:
    """The real faces from the cache alone (None when it holds too few)."""
    file = cache_file(DEFAULT_OUT, facegate_model_id())
    if not file.is_file():
        return None
    mated, seeds = choose(root, people)
    faces = arrange(root, load_cache(file).vectors, mated, seeds)
    return faces if len(faces.probes) >= 50 else None


def arrange(
    root: Path, vectors: dict[str, npt.NDArray[np.float64]], mated: list[Path], seeds: list[Path]
) -> RealFaces:
    identities: list[Floats] = []
    probes: list[Floats] = []
    owner: list[int] = []
    person_images: dict[str, list[Floats]] = {}
    for path in mated:
        vector = vectors.get(str(path.relative_to(root)))
        if vector is not None:
            person_images.setdefault(identity_of(path), []).append(vector.astype(np.float32))
    for images in person_images.values():
        if len(images) < 2:
            continue
        identities.append(images[0])
        for probe in images[1:]:
            probes.append(probe)
            owner.append(len(identities) - 1)
    seed_vectors = [
        vectors[str(p.relative_to(root))].astype(np.float32)
        for p in seeds
        if str(p.relative_to(root)) in vectors
    ]
    dim = 128
    return RealFaces(
        np.array(identities, dtype=np.float32).reshape(-1, dim),
        np.array(probes, dtype=np.float32).reshape(-1, dim),
        np.array(owner, dtype=np.int64),
        np.array(seed_vectors + identities, dtype=np.float32).reshape(-1, dim),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    console = Console()
    if not list_images(args.dataset):
        console.print(f"skipped: no LFW images under {args.dataset}")
        return 0
    faces = embed(args.dataset, args.people, args.workers, console, compute=True)
    console.print(
        f"{len(faces.identities)} identities, {len(faces.probes)} probes, "
        f"{len(faces.seeds)} distractor seeds"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
