"""The index's numpy layout (issue 13): ids packed in arrays, a row map without a Python object
per template, removal editing one inverted list in place. Each test checks the index against a
plain dict model of what it should hold, at small scale, under the exact path and the ANN one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from facegate.store import index as index_module
from facegate.store.index import GalleryIndex, IndexTuning

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LATER = (NOW + timedelta(days=1)).timestamp()
DIM = 16
ANN = IndexTuning(ann_from=300, nprobe=64, candidates=64, near_nprobe=8, near_candidates=16)
EXACT = IndexTuning(ann_from=10**9)


def ids(count: int) -> list[str]:
    return [uuid.uuid4().hex for _ in range(count)]


def vectors(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1.0, size=(count, DIM)).astype(np.float32)


def consistent(index: GalleryIndex, model: dict[str, tuple[str, np.ndarray]]) -> None:
    """The index holds exactly ``model`` (template -> (subject, vector)): every template is found
    by id and by its own vector, at distance 0, under its subject."""
    assert index.size("dep") == len(model)
    assert index.live_ids("dep", NOW) == set(model)
    for template_id, (subject_id, vector) in model.items():
        assert template_id in index
        found = index.search("dep", vector, threshold=1e-6, at=NOW, k=1)
        assert [(m.template_id, m.subject_id) for m in found] == [(template_id, subject_id)]
        assert found[0].distance == 0.0
    shard = index._shards.get("dep")
    if shard is not None and shard.ann is not None:  # every row once in the inverted lists
        ivf = shard.ann.ivf
        assert int(ivf.ntotal) == shard.size
        held = np.concatenate(
            [shard.ann._ids(n, int(ivf.invlists.list_size(n))) for n in range(int(ivf.nlist))]
        )
        assert sorted(held.tolist()) == list(range(shard.size))


@pytest.mark.parametrize("tuning", [EXACT, ANN], ids=["exact", "ann"])
def test_random_removals_and_re_adds_keep_ids_rows_and_lists_consistent(
    tuning: IndexTuning,
) -> None:
    index = GalleryIndex(tuning)
    rng = np.random.default_rng(5)
    templates, subjects, held = ids(700), ids(350), vectors(700)
    owner = [subjects[n // 2] for n in range(700)]  # two templates per subject
    index.add_many("dep", templates[:600], owner[:600], held[:600], np.full(600, LATER))
    model = {t: (owner[n], held[n]) for n, t in enumerate(templates[:600])}
    assert index.approximate("dep") == (tuning is ANN)
    for n in rng.permutation(600)[:150].tolist():  # removals in random order
        assert index.remove_template(templates[n])
        del model[templates[n]]
    assert not index.remove_template(templates[0] if templates[0] not in model else "absent")
    for n in range(600, 700):  # additions one at a time
        index.add("dep", templates[n], owner[n], held[n], NOW + timedelta(days=1))
        model[templates[n]] = (owner[n], held[n])
    batch = [t for t in list(model)[20:80]]  # a batch (a sweep's chunk): one pass of the IVF
    assert index.remove_templates([*batch, "never-held", batch[0]]) == len(batch)
    for t in batch:
        del model[t]
    removed = [t for t in list(model)[:20]]
    for t in removed[:10]:  # re-adding a removed id, and replacing a held one
        index.remove_template(t)
    for t in removed:
        subject, vector = model[t]
        index.add("dep", t, subject, vector + 0.5, NOW + timedelta(days=1))
        model[t] = (subject, vector + 0.5)
    consistent(index, model)


def test_a_subject_with_many_templates_is_removed_whole_and_others_stay() -> None:
    index = GalleryIndex(ANN)
    crowd, many = ids(400), uuid.uuid4().hex
    held = vectors(460, seed=3)
    owner = [many if n % 7 == 0 else crowd[n] for n in range(400)] + [many] * 60
    templates = ids(460)
    index.add_many("dep", templates, owner, held, np.full(460, LATER))
    assert index.approximate("dep")
    found = index.nearest_subjects("dep", held[7], at=NOW, k=3)
    assert found[0].subject_id == many and len({m.subject_id for m in found}) == 3
    count = owner.count(many)
    assert index.remove_subject(many, "other-deployment") == 0
    assert index.remove_subject(many) == count
    model = {t: (o, held[n]) for n, (t, o) in enumerate(zip(templates, owner, strict=True))}
    consistent(index, {t: v for t, v in model.items() if v[0] != many})
    assert index.remove_subject(many) == 0


def test_ids_of_any_form_are_kept_and_facegates_are_packed_in_16_bytes() -> None:
    index = GalleryIndex(EXACT)
    hexed = ids(5)
    index.add_many("dep", hexed, hexed, vectors(5), np.full(5, LATER))
    shard = index._shards["dep"]
    assert shard.template_ids.packed and shard.template_ids.data.shape[1:] == (16,)
    # an id of another form turns the column into fixed-width UTF-8, keeping what it held
    odd = ["T-1", "ABCDEF0123456789ABCDEF0123456789", "模板-二", "x" * 70]
    index.add_many("dep", odd, ["s"] * 4, vectors(4, seed=1), np.full(4, LATER))
    assert not shard.template_ids.packed and shard.subject_ids.packed is False
    assert index.live_ids("dep", NOW) == set(hexed) | set(odd)
    state = index.shard_state("dep")
    assert state is not None and state.template_ids == hexed + odd
    assert state.subject_ids == hexed + ["s"] * 4
    assert index.remove_subject("s") == 4 and index.remove_template(hexed[2])
    assert index.live_ids("dep", NOW) == set(hexed) - {hexed[2]}


def test_the_row_map_merges_many_single_additions_and_still_finds_every_id() -> None:
    index = GalleryIndex(EXACT)
    templates = ids(5000)  # past the map's 4,096 recent entries: at least one merge
    held = vectors(5000, seed=4)
    for n, t in enumerate(templates):
        index.add("dep", t, t, held[n], NOW + timedelta(days=1))
    shard = index._shards["dep"]
    assert len(shard.rows.keys) >= 4096
    for t in templates[::97]:
        assert t in index
    for t in templates[::2]:
        assert index.remove_template(t)
    assert index.live_ids("dep", NOW) == set(templates[1::2])
    assert all(t not in index for t in templates[::2][:50])


def test_expired_templates_are_skipped_by_every_search_under_the_ann_index() -> None:
    index = GalleryIndex(ANN)
    templates, held = ids(400), vectors(400, seed=6)
    soon = (NOW + timedelta(minutes=1)).timestamp()
    expires = np.where(np.arange(400) % 2 == 0, soon, LATER)
    index.add_many("dep", templates, templates, held, expires)
    later = NOW + timedelta(hours=1)
    assert index.live_ids("dep", later) == set(templates[1::2])
    for n in (0, 2, 4):
        assert index.search("dep", held[n], threshold=1e-6, at=later) == []
        found = index.nearest_subjects("dep", held[n], at=later, k=2)
        assert found and all(int(templates.index(m.template_id)) % 2 == 1 for m in found)
        assert index.search("dep", held[n], threshold=1e-6, at=NOW)[0].template_id == templates[n]


def test_compact_mode_and_other_codes_keep_distances_exact_for_the_held_vectors() -> None:
    for tuning in (
        IndexTuning(ann_from=300, compact=True, codes="PQ8", near_nprobe=8),
        IndexTuning(ann_from=300, compact=True, codes="SQ4"),
    ):
        index = GalleryIndex(tuning)
        templates, held = ids(500), vectors(500, seed=7)
        index.add_many("dep", templates, templates, held, np.full(500, LATER))
        assert index.approximate("dep")
        probe = held[10] + 0.05
        best = index.nearest_subjects("dep", probe, at=NOW, k=1)[0]
        want = np.linalg.norm(held[10].astype(np.float16).astype(np.float64) - probe)
        assert best.template_id == templates[10] and best.distance == pytest.approx(want)
        index.remove_template(templates[10])
        model = {
            t: (t, held[n].astype(np.float16).astype(np.float32))
            for n, t in enumerate(templates)
            if n != 10
        }
        consistent(index, model)


def test_restored_shard_removes_and_renumbers_without_retraining() -> None:
    index = GalleryIndex(ANN)
    templates, held = ids(500), vectors(500, seed=8)
    index.add_many("dep", templates, templates, held, np.full(500, LATER))
    state = index.shard_state("dep")
    assert state is not None and state.ann is not None
    restored = GalleryIndex(ANN)
    restored.load_shard("dep", state)
    assert restored._shards["dep"].ann is not None
    assert restored._shards["dep"].ann.trained_size == 500
    model = {t: (t, held[n]) for n, t in enumerate(templates)}
    for t in templates[:40]:  # removals move the last rows: the restored list numbers hold
        assert restored.remove_template(t)
        del model[t]
    consistent(restored, model)


def test_the_near_search_finds_near_duplicates_with_few_lists() -> None:
    index = GalleryIndex(ANN)
    templates, held = ids(3000), vectors(3000, seed=9)
    index.add_many("dep", templates, templates, held, np.full(3000, LATER))
    rng = np.random.default_rng(10)
    found = 0
    for n in range(0, 3000, 15):  # 200 near duplicates: the same face, slightly moved
        probe = held[n] + rng.normal(0, 0.05, DIM).astype(np.float32)
        match = index.search("dep", probe, threshold=0.6, at=NOW, k=1)
        found += bool(match) and match[0].template_id == templates[n]
    assert found == 200


@pytest.mark.parametrize("tuning", [EXACT, ANN], ids=["exact", "ann"])
def test_batch_removal_is_right_when_ids_share_keys_and_some_are_recent(
    tuning: IndexTuning, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vectorised lookup of a batch (``remove_templates``, ``remove_subject``) falls back
    to the one-by-one path for ids whose 64-bit key is shared or that sit in the map's recent
    dict: forced here by keys that collide (only 50 distinct keys) and single additions."""
    monkeypatch.setattr(index_module, "_key", lambda template_id: hash(template_id) % 50)
    index = GalleryIndex(tuning)
    templates, subjects, held = ids(800), ids(400), vectors(800, seed=8)
    owner = [subjects[n // 2] for n in range(800)]
    index.add_many("dep", templates[:700], owner[:700], held[:700], np.full(700, LATER))
    for n in range(700, 800):  # these stay in the map's recent dict
        index.add("dep", templates[n], owner[n], held[n], NOW + timedelta(days=1))
    model = {t: (owner[n], held[n]) for n, t in enumerate(templates)}
    rng = np.random.default_rng(9)
    doomed = [templates[n] for n in rng.choice(800, size=250, replace=False).tolist()]
    assert index.remove_templates([*doomed, uuid.uuid4().hex, "odd-id"]) == 250
    for t in doomed:
        del model[t]
    whole = next(s for s in subjects if sum(o == s for o, _ in model.values()) == 2)
    assert index.remove_subject(whole) == 2
    model = {t: v for t, v in model.items() if v[0] != whole}
    consistent(index, model)


def test_rows_of_many_finds_held_rows_and_marks_the_rest() -> None:
    index = GalleryIndex(EXACT)
    templates = ids(300)
    index.add_many("dep", templates, templates, vectors(300), np.full(300, LATER))
    shard = index._shards["dep"]
    asked = [templates[5], uuid.uuid4().hex, templates[299], "not-hex", templates[0]]
    found = shard.rows_of_many(asked)
    assert found.tolist() == [-1 if shard.row_of(t) is None else shard.row_of(t) for t in asked]
    assert found[1] == found[3] == -1 and found[0] >= 0
