"""Encrypted index snapshots: a round trip restores the shard (ANN index included); a changed
byte, another deployment's file, a destroyed key or another master key make it unusable."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from store_rows import add_deployment

from facegate.store import Database, Vault, gallery_log
from facegate.store.index import GalleryIndex, IndexTuning
from facegate.store.index_snapshot import (
    SnapshotUnusable,
    read_header,
    read_snapshot,
    snapshot_path,
    sole_writer,
    write_snapshot,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LATER = (NOW + timedelta(days=1)).timestamp()
TUNING = IndexTuning(ann_from=300, nprobe=8)

pytestmark = pytest.mark.both_databases  # the snapshot keys live in the database


def shard(count: int = 600) -> GalleryIndex:
    vectors = np.random.default_rng(1).normal(size=(count, 16)).astype(np.float32)
    index = GalleryIndex(TUNING)
    index.add_many(
        "dep", [f"t{i}" for i in range(count)], [f"s{i % 50}" for i in range(count)], vectors,
        np.full(count, LATER),
    )  # fmt: skip
    return index


def deployments(db: Database) -> tuple[str, str]:
    with db.transaction() as session:
        return add_deployment(session, "a").id, add_deployment(session, "b").id


def written(db: Database, vault: Vault, directory: Path, deployment_id: str) -> GalleryIndex:
    index = shard()
    state = index.shard_state("dep")
    assert state is not None
    with db.transaction() as session:
        write_snapshot(session, vault, directory, deployment_id, 7, "model-x", state)
    return index


def test_a_snapshot_round_trip_restores_the_shard(
    db: Database, vault: Vault, tmp_path: Path
) -> None:
    dep, _ = deployments(db)
    original = written(db, vault, tmp_path, dep)
    path = snapshot_path(tmp_path, dep)
    assert path.stat().st_mode & 0o077 == 0, "private to the service's user"
    with db.transaction(readonly=True) as session:
        header, state = read_snapshot(session, vault, path, dep)
    assert (header.gallery_version, header.model, header.count) == (7, "model-x", 600)
    restored = GalleryIndex(TUNING)
    restored.load_shard("dep", state)
    assert restored.approximate("dep")
    probe = np.random.default_rng(4).normal(size=16).astype(np.float32)
    assert restored.nearest_subjects("dep", probe, at=NOW) == original.nearest_subjects(
        "dep", probe, at=NOW
    )
    assert read_header(path).gallery_version == 7
    assert b"t17" not in path.read_bytes(), "ids and vectors are sealed, not in clear"


@pytest.mark.parametrize("where", [0.2, 0.5, 0.99])
def test_any_changed_byte_makes_the_snapshot_unusable(
    db: Database, vault: Vault, tmp_path: Path, where: float
) -> None:
    dep, _ = deployments(db)
    written(db, vault, tmp_path, dep)
    path = snapshot_path(tmp_path, dep)
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    path.write_bytes(bytes(data))
    with db.transaction(readonly=True) as session, pytest.raises(SnapshotUnusable):
        read_snapshot(session, vault, path, dep)


def test_a_truncated_or_foreign_snapshot_is_unusable(
    db: Database, vault: Vault, tmp_path: Path
) -> None:
    dep, other = deployments(db)
    written(db, vault, tmp_path, dep)
    path = snapshot_path(tmp_path, dep)
    with db.transaction(readonly=True) as session, pytest.raises(SnapshotUnusable):
        read_snapshot(session, vault, path, other)
    path.write_bytes(path.read_bytes()[:-100])
    with db.transaction(readonly=True) as session, pytest.raises(SnapshotUnusable):
        read_snapshot(session, vault, path, dep)
    path.write_bytes(b"not a snapshot")
    with db.transaction(readonly=True) as session, pytest.raises(SnapshotUnusable):
        read_snapshot(session, vault, path, dep)


def test_removing_a_template_destroys_the_snapshot_key(
    db: Database, vault: Vault, tmp_path: Path
) -> None:
    """Crypto-shredding: once a template leaves the gallery, no snapshot that may hold it opens."""
    dep, other = deployments(db)
    written(db, vault, tmp_path, dep)
    written(db, vault, tmp_path / "other", other)
    with db.transaction() as session:
        gallery_log.log_added(session, dep, [("t-new", "s-new")])
    with db.transaction(readonly=True) as session:
        read_snapshot(session, vault, snapshot_path(tmp_path, dep), dep)  # additions: still fine
    with db.transaction() as session:
        gallery_log.log_removed(session, dep, [("t1", "s1")])
    with db.transaction(readonly=True) as session:
        with pytest.raises(SnapshotUnusable, match="destroyed"):
            read_snapshot(session, vault, snapshot_path(tmp_path, dep), dep)
        read_snapshot(session, vault, snapshot_path(tmp_path / "other", other), other)


def test_a_new_snapshot_destroys_the_previous_key(
    db: Database, vault: Vault, tmp_path: Path
) -> None:
    dep, _ = deployments(db)
    written(db, vault, tmp_path, dep)
    old = snapshot_path(tmp_path, dep).read_bytes()
    written(db, vault, tmp_path, dep)
    stale = tmp_path / "stale.snap"
    stale.write_bytes(old)
    with db.transaction(readonly=True) as session:
        with pytest.raises(SnapshotUnusable):
            read_snapshot(session, vault, stale, dep)
        read_snapshot(session, vault, snapshot_path(tmp_path, dep), dep)


def test_another_master_key_cannot_open_the_snapshot(
    db: Database, vault: Vault, tmp_path: Path
) -> None:
    dep, _ = deployments(db)
    written(db, vault, tmp_path, dep)
    stranger = Vault(secrets.token_bytes(32))
    with db.transaction(readonly=True) as session, pytest.raises(SnapshotUnusable):
        read_snapshot(session, stranger, snapshot_path(tmp_path, dep), dep)


def test_the_keeper_lock_is_re_entrant_for_its_holder_and_exclusive_to_any_other(
    tmp_path: Path,
) -> None:
    """``sole_writer``: a holder's nested call in its thread (the keeper's refresh writing a
    snapshot) is told True; another holder in the same thread (another Gate of this process),
    another thread and another process are told False while it is held, True once released."""
    import threading

    def elsewhere() -> bool:
        answer: list[bool] = []

        def ask() -> None:
            with sole_writer(tmp_path, "dep", object()) as mine:
                answer.append(mine)

        thread = threading.Thread(target=ask)
        thread.start()
        thread.join()
        return answer[0]

    gate, other_gate = object(), object()
    with sole_writer(tmp_path, "dep", gate) as outer:
        assert outer
        with sole_writer(tmp_path, "dep", gate) as inner:
            assert inner and not elsewhere()
        with sole_writer(tmp_path, "dep", other_gate) as theirs:
            assert not theirs
        with sole_writer(tmp_path, "dep") as anyone:
            assert not anyone
        assert not elsewhere()  # the nested exits kept the outer hold
        with sole_writer(tmp_path, "other", gate) as unrelated:
            assert unrelated
    assert elsewhere()
