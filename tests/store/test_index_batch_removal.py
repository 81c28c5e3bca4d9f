"""Removing many templates at once (a sweep's chunk, a delta's removals) leaves the index exactly
as removing them one by one does: same templates, every remaining one found at distance 0,
subjects forgotten, under the exact path and under the ANN index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from facegate.store.index import GalleryIndex, IndexTuning

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LATER = (NOW + timedelta(days=1)).timestamp()
DIM = 16


def filled(vectors: np.ndarray, tuning: IndexTuning) -> GalleryIndex:
    index = GalleryIndex(tuning)
    for deployment in ("dep", "other"):
        index.add_many(
            deployment,
            [f"{deployment}-t{i}" for i in range(len(vectors))],
            [f"s{i // 2}" for i in range(len(vectors))],  # two templates per subject
            vectors,
            np.full(len(vectors), LATER),
        )
    return index


@pytest.mark.parametrize("ann_from", [10**9, 300], ids=["exact", "ann"])
def test_removing_many_at_once_equals_removing_them_one_by_one(ann_from: int) -> None:
    tuning = IndexTuning(ann_from=ann_from, nprobe=64, candidates=64)
    vectors = np.random.default_rng(3).normal(size=(900, DIM)).astype(np.float32)
    rng = np.random.default_rng(4)
    doomed = [f"dep-t{i}" for i in rng.choice(900, size=400, replace=False)]
    doomed += [f"dep-t{i}" for i in range(850, 900)]  # the tail too (rows that would move)
    doomed += ["dep-t3", "never-held"]  # a repeat and an unknown id are ignored
    batch, single = filled(vectors, tuning), filled(vectors, tuning)
    assert batch.approximate("dep") == (ann_from == 300)

    removed = batch.remove_templates(doomed)
    one_by_one = sum(single.remove_template(t) for t in dict.fromkeys(doomed))

    assert removed == one_by_one == len(set(doomed)) - 1
    assert batch.live_ids("dep", NOW) == single.live_ids("dep", NOW)
    assert batch.live_ids("other", NOW) == {f"other-t{i}" for i in range(900)}
    assert batch.size("dep") == 900 - removed
    gone = set(doomed)
    for i in range(900):
        template_id = f"dep-t{i}"
        assert (template_id in batch) == (template_id not in gone)
        if template_id not in gone:  # still found, at its own place (rows moved correctly)
            [match] = batch.search("dep", vectors[i], threshold=1e-3, at=NOW, k=1)
            assert match.template_id == template_id and match.distance < 1e-5
    # A subject whose two templates both went is forgotten; removing it again finds nothing.
    both = next(s for s in range(450) if {f"dep-t{2 * s}", f"dep-t{2 * s + 1}"} <= gone)
    assert batch.remove_subject(f"s{both}", "dep") == 0


def test_removing_every_template_drops_the_shard() -> None:
    vectors = np.random.default_rng(5).normal(size=(50, DIM)).astype(np.float32)
    index = filled(vectors, IndexTuning())
    assert index.remove_templates([f"dep-t{i}" for i in range(50)]) == 50
    assert index.size("dep") == 0 and index.shard_state("dep") is None
    assert index.size("other") == 50
