"""The in-memory gallery: correctness against brute force, isolation, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest
from store_rows import add_deployment, add_subject

from facegate.store import Database, GalleryIndex, Match, Vault, build_from_vault, new_id

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases

NOW = datetime(2025, 6, 1, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
EARLIER = NOW - timedelta(seconds=1)
DIM = 16


def _brute_force(
    entries: dict[str, tuple[str, npt.NDArray[np.float32], datetime]],
    query: npt.NDArray[np.float32],
    threshold: float,
    k: int,
) -> list[tuple[str, str]]:
    scored = []
    for template_id, (subject_id, vector, expires_at) in entries.items():
        distance = float(np.linalg.norm(vector.astype(np.float64) - query.astype(np.float64)))
        if expires_at > NOW and distance <= threshold:
            scored.append((distance, template_id, subject_id))
    scored.sort()
    return [(t, s) for _, t, s in scored[:k]]


def test_add_remove_search_match_brute_force() -> None:
    rng = np.random.default_rng(7)
    index = GalleryIndex()
    entries: dict[str, tuple[str, npt.NDArray[np.float32], datetime]] = {}
    subjects = [f"s{i}" for i in range(40)]
    for step in range(2000):
        if entries and rng.random() < 0.3:
            victim = list(entries)[int(rng.integers(len(entries)))]
            assert index.remove_template(victim)
            del entries[victim]
        else:
            template_id = f"t{step}"
            subject_id = subjects[int(rng.integers(len(subjects)))]
            vector = rng.normal(size=DIM).astype(np.float32)
            expires_at = LATER if rng.random() < 0.9 else EARLIER
            index.add("dep", template_id, subject_id, vector, expires_at)
            entries[template_id] = (subject_id, vector, expires_at)
        if step % 97 == 0:
            assert index.size("dep") == len(entries)
            for k in (1, 5):
                query = rng.normal(size=DIM).astype(np.float32)
                found = index.search("dep", query, threshold=5.0, at=NOW, k=k)
                assert [(f.template_id, f.subject_id) for f in found] == _brute_force(
                    entries, query, 5.0, k
                )
                distances = [f.distance for f in found]
                assert distances == sorted(distances)
    assert index.size("dep") == len(entries)
    # Every remaining entry finds itself at distance ~0.
    for template_id, (subject_id, vector, expires_at) in list(entries.items())[:50]:
        found = index.search("dep", vector, threshold=1e-3, at=NOW, k=1)
        if expires_at > NOW:
            assert found[0].template_id == template_id
            assert found[0].subject_id == subject_id
            assert found[0].distance == pytest.approx(0.0, abs=1e-5)


def test_threshold_is_inclusive_and_respected() -> None:
    index = GalleryIndex()
    index.add("dep", "t", "s", np.zeros(2), LATER)
    assert index.search("dep", [3.0, 4.0], threshold=5.0, at=NOW) == [Match("t", "s", 5.0)]
    assert index.search("dep", [3.0, 4.0], threshold=4.99, at=NOW) == []


def test_deployments_are_isolated() -> None:
    index = GalleryIndex()
    vector = np.ones(DIM)
    index.add("staff-gate", "t1", "alice", vector, LATER)
    assert index.search("payment-kiosk", vector, threshold=1.0, at=NOW) == []
    assert index.size("payment-kiosk") == 0
    index.add("payment-kiosk", "t2", "alice", vector, LATER)
    assert [m.template_id for m in index.search("staff-gate", vector, threshold=1, at=NOW)] == [
        "t1"
    ]
    assert index.remove_subject("alice", "staff-gate") == 1
    assert index.search("staff-gate", vector, threshold=1.0, at=NOW) == []
    assert index.size("payment-kiosk") == 1


def test_expired_entries_are_skipped() -> None:
    index = GalleryIndex()
    index.add("dep", "old", "a", np.zeros(DIM), EARLIER)
    index.add("dep", "new", "b", np.full(DIM, 0.01), LATER)
    found = index.search("dep", np.zeros(DIM), threshold=1.0, at=NOW, k=5)
    assert [m.template_id for m in found] == ["new"]
    assert index.search("dep", np.zeros(DIM), threshold=1.0, at=LATER, k=5) == []
    # A template matches strictly before its expiry, not at it.
    before = EARLIER - timedelta(microseconds=1)
    found = index.search("dep", np.zeros(DIM), threshold=1.0, at=before, k=5)
    assert [m.template_id for m in found] == ["old", "new"]
    found = index.search("dep", np.zeros(DIM), threshold=1.0, at=EARLIER, k=5)
    assert [m.template_id for m in found] == ["new"]


def test_remove_subject_everywhere_and_clear() -> None:
    index = GalleryIndex()
    for dep in ("a", "b"):
        for i in range(3):
            index.add(dep, f"{dep}{i}", "alice" if i else "bob", np.full(4, i), LATER)
    assert index.remove_subject("alice") == 4
    assert index.remove_subject("alice") == 0
    assert (index.size("a"), index.size("b")) == (1, 1)
    index.clear("a")
    assert (index.size("a"), index.size("b")) == (0, 1)
    assert "b0" in index and "a0" not in index
    index.clear()
    assert index.size("b") == 0
    assert not index.remove_template("b0")


def test_re_adding_a_template_replaces_it() -> None:
    index = GalleryIndex()
    index.add("dep", "t", "s", np.zeros(3), LATER)
    index.add("dep", "t", "s", np.ones(3), LATER)
    assert index.size("dep") == 1
    assert index.search("dep", np.zeros(3), threshold=0.5, at=NOW) == []


def test_bad_vectors_and_times_are_refused() -> None:
    index = GalleryIndex()
    index.add("dep", "t", "s", np.zeros(3), LATER)
    with pytest.raises(ValueError):
        index.add("dep", "u", "s", np.zeros(4), LATER)
    with pytest.raises(ValueError):
        index.add("dep", "u", "s", np.zeros((2, 3)), LATER)
    with pytest.raises(ValueError):
        index.search("dep", np.zeros(4), threshold=1.0, at=NOW)
    with pytest.raises(ValueError):
        index.search("dep", np.zeros(3), threshold=1.0, at=datetime(2025, 1, 1))
    assert index.search("dep", np.zeros(3), threshold=1.0, at=NOW, k=0) == []


def test_build_from_vault_loads_only_unexpired_templates(db: Database, vault: Vault) -> None:
    now = datetime.now(UTC)
    rng = np.random.default_rng(3)
    with db.transaction() as session:
        first, second = add_deployment(session, "a"), add_deployment(session, "b")
        subject = add_subject(session)
        live = vault.seal_template(
            session,
            subject.id,
            first.id,
            new_id(),
            rng.normal(size=128),
            "dlib",
            "v1",
            now + timedelta(days=1),
        )
        vault.seal_template(
            session, subject.id, first.id, new_id(), rng.normal(size=128), "dlib", "v1", now
        )
        vault.seal_template(
            session,
            subject.id,
            second.id,
            new_id(),
            rng.normal(size=128),
            "dlib",
            "v1",
            now + timedelta(days=2),
        )
    with db.transaction(readonly=True) as session:
        index = build_from_vault(session, vault, now)
        vector = vault.open_template(session, live)
    assert (index.size(first.id), index.size(second.id)) == (1, 1)
    found = index.search(first.id, vector, threshold=0.01, at=now)
    assert [(m.template_id, m.subject_id) for m in found] == [(live.id, subject.id)]
