"""The approximate path of the gallery index: exact re-rank, recall on small sets, deltas under
the ANN index, the exact path below the size threshold, and bulk loading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from facegate.store.index import GalleryIndex, IndexTuning

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LATER = (NOW + timedelta(days=1)).timestamp()
DIM = 32
SMALL = IndexTuning(ann_from=400, nprobe=8, candidates=32)


def people(count: int, seed: int = 1) -> np.ndarray:
    """Clustered vectors, like faces: identities spread out, images of one person close."""
    return np.random.default_rng(seed).normal(0, 1.0, size=(count, DIM)).astype(np.float32)


def filled(vectors: np.ndarray, tuning: IndexTuning = SMALL) -> GalleryIndex:
    index = GalleryIndex(tuning)
    index.add_many(
        "dep",
        [f"t{i}" for i in range(len(vectors))],
        [f"s{i}" for i in range(len(vectors))],
        vectors,
        np.full(len(vectors), LATER),
    )
    return index


def exact_twin(vectors: np.ndarray) -> GalleryIndex:
    return filled(vectors, IndexTuning(ann_from=10**9))


def test_below_the_threshold_the_exact_path_is_used() -> None:
    vectors = people(399)
    assert not filled(vectors).approximate("dep")
    index = filled(people(400))
    assert index.approximate("dep")


def test_approximate_answers_are_exact_distances_with_high_recall_on_a_small_set() -> None:
    vectors = people(3000)
    ann, exact = filled(vectors), exact_twin(vectors)
    assert ann.approximate("dep") and not exact.approximate("dep")
    rng = np.random.default_rng(2)
    agree = 0
    for n in range(200):
        probe = vectors[n * 7] + rng.normal(0, 0.2, DIM).astype(np.float32)
        found = ann.nearest_subjects("dep", probe, at=NOW, k=2)
        truth = exact.nearest_subjects("dep", probe, at=NOW, k=2)
        agree += found[0] == truth[0]
        for match in found:  # every distance returned is the exact (float64) one
            row = int(match.template_id[1:])
            want = float(np.linalg.norm(vectors[row].astype(np.float64) - probe.astype(np.float64)))
            assert match.distance == pytest.approx(want, abs=1e-9)
    assert agree >= 198, agree


def test_search_finds_a_duplicate_through_the_ann_index() -> None:
    vectors = people(2000)
    index = filled(vectors)
    for row in (0, 999, 1999):
        [match] = index.search("dep", vectors[row], threshold=0.01, at=NOW, k=1)
        assert match.template_id == f"t{row}" and match.distance == pytest.approx(0.0, abs=1e-6)
    assert index.search("dep", vectors[5] + 50.0, threshold=0.5, at=NOW) == []


def test_removals_and_additions_under_the_ann_index_keep_every_row_findable() -> None:
    vectors = people(1200)
    index = filled(vectors)
    rng = np.random.default_rng(3)
    alive = set(range(1200))
    for victim in rng.choice(1200, size=500, replace=False).tolist():
        assert index.remove_template(f"t{victim}")
        alive.discard(victim)
    extra = people(300, seed=9)
    index.add_many(
        "dep", [f"x{i}" for i in range(300)], [f"y{i}" for i in range(300)], extra,
        np.full(300, LATER),
    )  # fmt: skip
    assert index.approximate("dep") and index.size("dep") == 1000
    for row in sorted(alive)[::7]:
        [match] = index.search("dep", vectors[row], threshold=0.01, at=NOW, k=1)
        assert match.template_id == f"t{row}"
    for i in range(0, 300, 11):
        [match] = index.search("dep", extra[i], threshold=0.01, at=NOW, k=1)
        assert match.template_id == f"x{i}"
    removed = sorted(set(range(1200)) - alive)
    for row in removed[::25]:
        found = index.search("dep", vectors[row], threshold=0.01, at=NOW, k=1)
        assert not found or found[0].template_id != f"t{row}"


def test_expired_rows_are_never_proposed() -> None:
    vectors = people(800)
    index = GalleryIndex(SMALL)
    expires = np.full(800, LATER)
    expires[:400] = (NOW - timedelta(seconds=1)).timestamp()
    index.add_many("dep", [f"t{i}" for i in range(800)], ["s"] * 800, vectors, expires)
    assert index.approximate("dep")
    assert index.search("dep", vectors[10], threshold=0.01, at=NOW) == []
    assert index.nearest_subjects("dep", vectors[10], at=NOW, k=1)[0].template_id != "t10"
    assert index.live_ids("dep", NOW) == {f"t{i}" for i in range(400, 800)}


def test_shrinking_below_half_the_threshold_returns_to_the_exact_path() -> None:
    index = filled(people(500))
    assert index.approximate("dep")
    for i in range(310):
        index.remove_template(f"t{i}")
    assert not index.approximate("dep") and index.size("dep") == 190


def test_a_subject_with_many_templates_still_yields_k_subjects() -> None:
    vectors = people(600)
    index = GalleryIndex(SMALL)
    owners = ["crowd"] * 590 + [f"s{i}" for i in range(10)]
    index.add_many("dep", [f"t{i}" for i in range(600)], owners, vectors, np.full(600, LATER))
    found = index.nearest_subjects("dep", vectors[0], at=NOW, k=2)
    assert found[0].subject_id == "crowd" and len(found) == 2
    assert found[1].subject_id.startswith("s")


def test_compact_vectors_halve_memory_and_stay_within_float16_rounding() -> None:
    vectors = people(1000)
    index = filled(vectors, IndexTuning(ann_from=400, nprobe=8, compact=True))
    state = index.shard_state("dep")
    assert state is not None and state.vectors.dtype == np.float16
    [match] = index.search("dep", vectors[3], threshold=0.05, at=NOW, k=1)
    assert match.template_id == "t3" and match.distance < 0.02


def test_a_saved_shard_loads_without_retraining() -> None:
    vectors = people(900)
    index = filled(vectors)
    state = index.shard_state("dep")
    assert state is not None and state.ann is not None
    restored = GalleryIndex(SMALL)
    restored.load_shard("dep", state)
    assert restored.approximate("dep") and restored.size("dep") == 900
    probe = vectors[17] + 0.01
    assert restored.nearest_subjects("dep", probe, at=NOW) == index.nearest_subjects(
        "dep", probe, at=NOW
    )


def test_an_hnsw_coarse_quantizer_searches_as_widely_as_tuned_built_or_restored() -> None:
    """faiss's default breadth (16) sends added vectors to lists far from their centroid, where
    no probe finds them (recall@1 0.95 at 1M, bench/scale.py): ``coarse_ef`` is applied on build
    and on restore, and every held vector is its own nearest."""
    import faiss

    tuning = IndexTuning(ann_from=400, nprobe=8, candidates=32, coarse="_HNSW32", coarse_ef=96)
    vectors = people(800, seed=5)
    index = filled(vectors, tuning)
    state = index.shard_state("dep")
    restored = GalleryIndex(tuning)
    restored.load_shard("dep", state)
    for held in (index, restored):
        ann = held._shards["dep"].ann
        assert ann is not None
        assert faiss.downcast_index(ann.ivf.quantizer).hnsw.efSearch == 96
        for i in range(0, 800, 40):
            found = held.nearest_subjects("dep", vectors[i], at=NOW, k=1)
            assert found[0].template_id == f"t{i}" and found[0].distance < 1e-4


def test_the_default_tuning_is_the_one_measured_at_1m_4m_and_10m() -> None:
    """docs/benchmarks.md: at 1M, 384 of 1,024 lists probed and a flat quantizer; at 4M,
    float16 vectors and 512 of 2,048 lists; at 10M the large-gallery variant, 2,048 of 8,192
    lists found through an HNSW quantizer."""
    tuning = IndexTuning()
    million, four, ten = tuning.at(1_000_000), tuning.at(4_000_000), tuning.at(10_000_000)
    assert million == tuning and not million.compact and million.coarse == ""
    assert million.lists_for(1_000_000) == 1024 and million.probes_for(1024) == 384
    assert four.compact and four.coarse == "" and four.train_per_list == 64
    assert four.lists_for(4_000_000) == 2048 and four.probes_for(2048) == 512
    assert ten.compact and ten.coarse == "_HNSW32" and ten.train_per_list == 8
    assert ten.lists_for(10_000_000) == 8192 and ten.probes_for(8192) == 2048
    assert ten.at(10_000_000) == ten  # applying it twice changes nothing
    assert IndexTuning(nprobe=8).probes_for(1024) == 8  # set explicitly: as set
    assert tuning.probes_for(64) == 64  # never more lists than there are


def test_a_gallery_that_grows_large_holds_float16_vectors_and_finds_every_row() -> None:
    """Crossing ``compact_from`` converts the held vectors to float16 (their norms measured
    again), also when the arrays have room already; the ANN index built from ``large_from``
    takes the large variant: an HNSW quantizer."""
    import faiss

    tuning = IndexTuning(ann_from=400, compact_from=1100, large_from=1150, candidates=32)
    vectors = people(1200, seed=9)
    index = filled(vectors[:900], tuning)
    shard = index._shards["dep"]
    assert shard.dtype == np.float32 and shard.ann is not None
    assert not hasattr(faiss.downcast_index(shard.ann.ivf.quantizer), "hnsw")
    for start, end in ((900, 1000), (1000, 1200)):  # room for 1,800 after the first
        index.add_many(
            "dep",
            [f"t{i}" for i in range(start, end)],
            [f"s{i}" for i in range(start, end)],
            vectors[start:end],
            np.full(end - start, LATER),
        )
        assert shard.vectors.dtype == (np.float16 if end >= 1100 else np.float32)
    assert len(shard.vectors) == 1800  # converted in place, not grown
    for i in range(0, 1200, 60):  # rows from before and after the conversion
        found = index.nearest_subjects("dep", vectors[i], at=NOW, k=1)
        assert found[0].template_id == f"t{i}" and found[0].distance < 0.02
    rebuilt = filled(vectors, tuning)  # built at 1,200: the large variant
    ann = rebuilt._shards["dep"].ann
    assert ann is not None and hasattr(faiss.downcast_index(ann.ivf.quantizer), "hnsw")
    assert rebuilt._shards["dep"].dtype == np.float16
    state = rebuilt.shard_state("dep")
    assert state is not None and state.vectors.dtype == np.float16
    restored = GalleryIndex(tuning)
    restored.load_shard("dep", state)
    probe = vectors[77] + 0.01
    assert restored.nearest_subjects("dep", probe, at=NOW) == rebuilt.nearest_subjects(
        "dep", probe, at=NOW
    )
