"""Cold start from the encrypted index snapshot: used when it is current or the change log
reaches back to it, checked against the vault, and never used when stale, tampered with or
shredded by a removal (the vault is read instead, and a fresh snapshot written)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, select

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.engine.liveness import PassiveLiveness
from facegate.service import Gate, templates
from facegate.service.snapshot_keeper import SnapshotKeeper, missing_snapshots
from facegate.service.templates import save_snapshot, sync_index
from facegate.store import models as m
from facegate.store.index_snapshot import (
    SnapshotUnusable,
    read_header,
    read_snapshot,
    snapshot_path,
    sole_writer,
)
from sites import CONSENT, Clock, Site, make_site

pytestmark = pytest.mark.both_databases


class Opener:
    """Opens further Gates on the same data directory (other processes, later starts), each
    counting the templates it decrypts from the vault."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        engine: FaceEngine,
        live: PassiveLiveness,
    ):
        self.args = (settings, clock, engine, live)
        self.opened: list[Gate] = []

    def __call__(self) -> tuple[Gate, list[int]]:
        settings, clock, engine, live = self.args
        gate = Gate.open(settings, clock=clock, engine=engine, liveness=live)
        gate.ctx.snapshot_from = 5
        gate.ctx.snapshot_delay = None  # no keeper thread unless a test starts one
        self.opened.append(gate)
        decrypted = [0]
        bulk = gate.ctx.vault.open_templates

        def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for opened in bulk(*args, **kwargs):
                decrypted[0] += 1
                yield opened

        gate.ctx.vault.open_templates = counting  # type: ignore[method-assign]
        return gate, decrypted


@pytest.fixture
def opener(
    gate: Gate,
    data_dir: Path,
    database_url: str,
    clock: Clock,
    engine: FaceEngine,
    liveness: PassiveLiveness,
) -> Iterator[Opener]:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    opening = Opener(settings, clock, engine, liveness)
    yield opening
    for other in opening.opened:
        other.close()


def enrolled(gate: Gate, site: Site, count: int, seed: int, *, days: int = 366) -> list[str]:
    """``count`` people, one template each (sealed directly: no engine needed), expiring in
    ``days``."""
    rng = np.random.default_rng(seed)
    subjects = []
    for _ in range(count):
        subject = gate.register_subject(date_of_birth=date(1980, 1, 1)).id
        gate.record_consent(subject, site.deployment_id, CONSENT)
        subjects.append(subject)
    ctx = gate.ctx
    with ctx.unit() as session:
        for subject in subjects:
            ctx.vault.seal_template(
                session, subject, site.deployment_id, m.new_id(),
                rng.normal(size=128).astype(np.float32), engine=ctx.engine.model_id,
                model_version=ctx.engine.model_id,
                expires_at=ctx.now() + timedelta(days=days),
            )  # fmt: skip
    return subjects


@contextmanager
def held_by_another_process(directory: Path, deployment_id: str) -> Iterator[None]:
    """The deployment's keeper lock, held as another process's keeper holds it: the same flock
    through a file descriptor of its own, from a thread of its own (``sole_writer`` is
    re-entrant within a thread)."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with sole_writer(directory, deployment_id) as held:
            assert held
            taken.set()
            release.wait(60)

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def start(gate: Gate, site: Site) -> set[str]:
    """Bring the index up to date (the first search after start); the template ids it holds."""
    ctx = gate.ctx
    with ctx.unit(readonly=True) as session:
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None
        sync_index(ctx, session, deployment, ctx.now())
        stored = set(
            session.scalars(
                select(m.Template.id).where(m.Template.deployment_id == site.deployment_id)
            )
        )
        assert ctx.index_versions[site.deployment_id] == deployment.gallery_version
    assert ctx.index.live_ids(site.deployment_id, ctx.now()) == stored
    return stored


def test_a_second_start_opens_the_snapshot_instead_of_the_vault(
    gate: Gate, site: Site, opener: Opener
) -> None:
    enrolled(gate, site, 8, seed=1)
    first, decrypted = opener()
    start(first, site)
    assert decrypted[0] == 8, "no snapshot yet: the vault"
    path = snapshot_path(first.ctx.snapshot_dir or Path(), site.deployment_id)
    assert path.is_file(), "a gallery of snapshot_from templates or more is snapshotted"
    second, decrypted = opener()
    start(second, site)
    assert decrypted[0] == 0, "everything came from the snapshot"


def test_additions_since_the_snapshot_are_replayed_from_the_log(
    gate: Gate, site: Site, opener: Opener
) -> None:
    enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    start(first, site)
    enrolled(gate, site, 3, seed=2)
    later, decrypted = opener()
    start(later, site)
    assert decrypted[0] == 3, "only the three added since the snapshot were decrypted"


def test_a_removal_shreds_the_snapshot_and_the_next_start_reads_the_vault(
    gate: Gate, site: Site, opener: Opener
) -> None:
    people = enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    start(first, site)
    gate.withdraw_consent(people[0], site.deployment_id)
    later, decrypted = opener()
    held = start(later, site)
    assert decrypted[0] == 7 and len(held) == 7, "the snapshot's key was destroyed: the vault"
    again, decrypted = opener()
    start(again, site)
    assert decrypted[0] == 0, "the vault load wrote a fresh snapshot"


def test_a_tampered_snapshot_is_not_used(gate: Gate, site: Site, opener: Opener) -> None:
    enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    start(first, site)
    path = snapshot_path(first.ctx.snapshot_dir or Path(), site.deployment_id)
    data = bytearray(path.read_bytes())
    data[-40] ^= 0xFF
    path.write_bytes(bytes(data))
    later, decrypted = opener()
    assert len(start(later, site)) == 8
    assert decrypted[0] == 8, "authentication failed: the vault"


def test_closing_a_gate_refreshes_a_snapshot_its_index_moved_past(
    gate: Gate, site: Site, opener: Opener
) -> None:
    enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    start(first, site)
    path = snapshot_path(first.ctx.snapshot_dir or Path(), site.deployment_id)
    version = read_header(path).gallery_version
    enrolled(gate, site, 2, seed=3)
    start(first, site)
    opener.opened.remove(first)
    first.close()
    assert read_header(path).gallery_version == version + 2
    later, decrypted = opener()
    start(later, site)
    assert decrypted[0] == 0


def test_closing_leaves_a_snapshot_whose_keeper_lock_another_process_holds(
    gate: Gate, site: Site, opener: Opener
) -> None:
    """``Gate.close`` writes a deployment's snapshot only under its keeper lock, as a keeper
    does: a deployment whose lock another process holds (its keeper writing that snapshot now)
    is left to it, while the closing Gate still writes the snapshot of an unlocked one."""
    other = make_site(gate, "South gate")
    enrolled(gate, site, 8, seed=1)
    enrolled(gate, other, 8, seed=2)
    first, _ = opener()
    directory = first.ctx.snapshot_dir
    assert directory is not None
    deployments = (site.deployment_id, other.deployment_id)
    paths = {d: snapshot_path(directory, d) for d in deployments}
    start(first, site)
    start(first, other)
    was = {d: read_header(p).gallery_version for d, p in paths.items()}
    enrolled(gate, site, 2, seed=3)
    enrolled(gate, other, 2, seed=4)
    start(first, site)
    start(first, other)
    opener.opened.remove(first)
    with held_by_another_process(directory, site.deployment_id):
        first.close()
    assert read_header(paths[site.deployment_id]).gallery_version == was[site.deployment_id]
    assert read_header(paths[other.deployment_id]).gallery_version == was[other.deployment_id] + 2


def templates_of(gate: Gate, subjects: list[str]) -> dict[str, np.ndarray]:
    """The subjects' template ids and vectors, read from the vault."""
    ctx = gate.ctx
    with ctx.unit(readonly=True) as session:
        return {
            t.template_id: t.vector
            for t in ctx.vault.open_templates(session, m.Template.subject_id.in_(subjects))
        }


def test_a_sweep_writes_the_snapshot_again_and_the_next_start_reads_no_vault(
    gate: Gate, site: Site, opener: Opener, clock: Clock
) -> None:
    """A daily sweep no longer sends the next start to the vault (and its ANN training): the
    sweeping process opens the snapshot while its key lives, applies its removals and writes a
    new snapshot. The old file stays unreadable (crypto-shredding), the new one does not hold
    the swept templates."""
    enrolled(gate, site, 8, seed=1)
    expiring = templates_of(gate, enrolled(gate, site, 3, seed=2, days=1))
    first, _ = opener()
    start(first, site)
    path = snapshot_path(first.ctx.snapshot_dir or Path(), site.deployment_id)
    before = path.read_bytes()
    clock.advance(days=2)

    sweeper, decrypted = opener()
    assert sweeper.sweep().expired_templates == 3
    assert decrypted[0] == 0, "the sweeper opened the snapshot, not the vault"
    later, decrypted = opener()
    assert len(start(later, site)) == 8
    assert decrypted[0] == 0, "the snapshot written after the sweep was used"

    ctx = later.ctx
    with ctx.unit(readonly=True) as session:
        header, state = read_snapshot(session, ctx.vault, path, site.deployment_id)
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None and header.gallery_version == deployment.gallery_version
        assert not set(state.template_ids) & set(expiring)
        for vector in expiring.values():
            assert np.abs(state.vectors - vector).sum(axis=1).min() > 1e-3
        old = path.with_name("before-the-sweep.snap")
        old.write_bytes(before)
        with pytest.raises(SnapshotUnusable, match="destroyed"):
            read_snapshot(session, ctx.vault, old, site.deployment_id)


def test_a_sweep_leaves_a_snapshot_whose_keeper_lock_another_process_holds(
    gate: Gate, site: Site, opener: Opener, clock: Clock
) -> None:
    """The sweep writes a deployment's snapshot again only under its keeper lock, as a keeper
    and ``Gate.close`` do: while another process holds it (its keeper writing that snapshot),
    the sweeper leaves the file to it. The swept templates' removal destroyed the old file's key
    all the same (PIPL art. 47)."""
    enrolled(gate, site, 8, seed=1)
    enrolled(gate, site, 3, seed=2, days=1)
    first, _ = opener()
    start(first, site)
    directory = first.ctx.snapshot_dir
    assert directory is not None
    path = snapshot_path(directory, site.deployment_id)
    before = path.read_bytes()
    clock.advance(days=2)
    sweeper, _ = opener()
    with held_by_another_process(directory, site.deployment_id):
        assert sweeper.sweep().expired_templates == 3
    assert path.read_bytes() == before, "the sweeper did not write it"
    later, decrypted = opener()
    assert len(start(later, site)) == 8
    assert decrypted[0] == 8, "the old snapshot's key was destroyed: the vault"


def test_a_start_from_the_vault_leaves_the_snapshot_to_the_process_holding_its_lock(
    gate: Gate, site: Site, opener: Opener
) -> None:
    """A start that had to read the vault writes a fresh snapshot, but only under the keeper
    lock: while another process holds it (its keeper writing that snapshot), it writes none;
    once free, the next start from the vault writes it."""
    enrolled(gate, site, 8, seed=1)
    first, decrypted = opener()
    directory = first.ctx.snapshot_dir
    assert directory is not None
    path = snapshot_path(directory, site.deployment_id)
    assert not path.exists()
    with held_by_another_process(directory, site.deployment_id):
        assert len(start(first, site)) == 8
    assert decrypted[0] == 8 and not path.exists()
    later, decrypted = opener()
    start(later, site)
    assert decrypted[0] == 8 and path.exists()


def test_no_snapshot_is_written_from_an_index_behind_a_removal(
    gate: Gate, site: Site, opener: Opener
) -> None:
    """A process whose index has not seen a removal yet must not snapshot it under a new (live)
    key: the removed template would be readable again. The check runs in the write transaction
    that adds the key."""
    people = enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    start(first, site)
    gate.withdraw_consent(people[0], site.deployment_id)
    assert not save_snapshot(first.ctx, site.deployment_id)
    later, decrypted = opener()
    start(later, site)
    assert decrypted[0] == 7, "the old snapshot's key was destroyed and none replaced it"
    start(first, site)  # the removal replayed: now it may write one
    assert save_snapshot(first.ctx, site.deployment_id)


def test_a_template_deleted_behind_the_logs_back_sends_the_start_to_the_vault(
    gate: Gate, site: Site, opener: Opener
) -> None:
    """The check against the vault no longer reads every id, but still sees the vault's own
    count: a template deleted without the change log (by hand, a bug) is noticed."""
    enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    held = start(first, site)
    with gate.ctx.db.transaction() as session:
        session.execute(delete(m.Template).where(m.Template.id == sorted(held)[0]))
    later, decrypted = opener()
    assert len(start(later, site)) == 7
    assert decrypted[0] == 7, "the snapshot holds a template the vault has not: the vault"


def test_a_snapshot_holding_other_ids_than_the_vault_is_not_used(
    gate: Gate, site: Site, opener: Opener
) -> None:
    """Same count, one id different (what a replay bug would leave): the digest differs."""
    enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    held = start(first, site)
    ctx = first.ctx
    ctx.index.remove_template(sorted(held)[0])
    ctx.index.add(
        site.deployment_id, m.new_id(), m.new_id(), np.ones(128, np.float32),
        ctx.now() + timedelta(days=30),
    )  # fmt: skip
    assert save_snapshot(ctx, site.deployment_id)
    later, decrypted = opener()
    assert start(later, site) == held
    assert decrypted[0] == 8, "the digests differ: the vault"


def test_templates_expired_or_of_another_model_do_not_spoil_the_snapshot(
    gate: Gate, site: Site, opener: Opener, clock: Clock
) -> None:
    """The digest of what the index should hold leaves out the expired templates and another
    model's, as the index does: the snapshot is still used."""
    enrolled(gate, site, 8, seed=1)
    enrolled(gate, site, 2, seed=2, days=1)
    first, _ = opener()
    start(first, site)
    clock.advance(days=2)
    quiet, decrypted = opener()  # nothing changed since the snapshot: the fast path
    qctx = quiet.ctx
    with qctx.unit(readonly=True) as session:
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None
        sync_index(qctx, session, deployment, qctx.now())
    assert decrypted[0] == 0 and site.deployment_id in qctx.snapshot_versions
    assert len(qctx.index.live_ids(site.deployment_id, qctx.now())) == 8
    ctx = gate.ctx
    with ctx.unit() as session:
        person = gate.register_subject(date_of_birth=date(1980, 1, 1)).id
        ctx.vault.seal_template(
            session, person, site.deployment_id, m.new_id(), np.ones(128, np.float32),
            engine="another-model", model_version="1", expires_at=ctx.now() + timedelta(days=30),
        )  # fmt: skip
    later, decrypted = opener()
    lctx = later.ctx
    with lctx.unit(readonly=True) as session:
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None
        sync_index(lctx, session, deployment, lctx.now())
    assert decrypted[0] == 0, "restored from the snapshot"
    assert site.deployment_id in lctx.snapshot_versions
    assert len(lctx.index.live_ids(site.deployment_id, lctx.now())) == 8


def snapshot_holds(gate: Gate, site: Site, path: Path) -> tuple[int, set[str], np.ndarray]:
    """The snapshot's version, template ids and vectors (opened with its key)."""
    ctx = gate.ctx
    with ctx.unit(readonly=True) as session:
        header, state = read_snapshot(session, ctx.vault, path, site.deployment_id)
    return header.gallery_version, set(state.template_ids), state.vectors


def current_version(gate: Gate, site: Site) -> int:
    with gate.ctx.unit(readonly=True) as session:
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None
        return deployment.gallery_version


def test_after_a_deletion_the_serving_process_snapshots_again_without_closing(
    gate: Gate, site: Site, opener: Opener
) -> None:
    """Issue 13: a withdrawal in a serving process destroys the snapshot's key at once; the
    keeper writes a new snapshot from the index soon after, so a crash (no ``Gate.close``) no
    longer sends the next start to the vault. The withdrawn template is in no readable
    snapshot: the old file's key is destroyed, the new file does not hold it."""
    people = enrolled(gate, site, 8, seed=1)
    serving, _ = opener()
    start(serving, site)
    path = snapshot_path(serving.ctx.snapshot_dir or Path(), site.deployment_id)
    before = path.read_bytes()
    withdrawn = templates_of(gate, people[:1])
    serving.withdraw_consent(people[0], site.deployment_id)

    keeper = SnapshotKeeper(serving.ctx, delay=0.0)
    assert missing_snapshots(serving.ctx) == {site.deployment_id: current_version(gate, site)}
    assert keeper.tick(serving.ctx) == 1
    assert missing_snapshots(serving.ctx) == {}
    # The serving process "crashes": never closed. The next start:
    later, decrypted = opener()
    held = start(later, site)
    assert decrypted[0] == 0 and len(held) == 7, "started from the new snapshot"
    assert not held & set(withdrawn)

    version, ids, vectors = snapshot_holds(later, site, path)
    assert version == current_version(gate, site)
    assert not ids & set(withdrawn)
    for vector in withdrawn.values():
        assert np.abs(vectors - vector).sum(axis=1).min() > 1e-3
    old = path.with_name("before-the-withdrawal.snap")
    old.write_bytes(before)
    with later.ctx.unit(readonly=True) as session, pytest.raises(SnapshotUnusable, match="destr"):
        read_snapshot(session, later.ctx.vault, old, site.deployment_id)


def test_the_keeper_waits_for_a_quiet_gallery_but_not_for_ever(
    gate: Gate, site: Site, opener: Opener
) -> None:
    people = enrolled(gate, site, 20, seed=1)
    serving, _ = opener()
    start(serving, site)
    keeper = SnapshotKeeper(serving.ctx, delay=10.0)
    assert keeper.tick(serving.ctx, now=0.0) == 0, "nothing missing"
    serving.withdraw_consent(people[0], site.deployment_id)
    assert keeper.tick(serving.ctx, now=1.0) == 0, "noticed at 1"
    assert keeper.tick(serving.ctx, now=10.0) == 0, "quiet for 9 s only"
    serving.withdraw_consent(people[1], site.deployment_id)
    assert keeper.tick(serving.ctx, now=12.0) == 0, "changed again at 12"
    assert keeper.tick(serving.ctx, now=21.0) == 0
    assert keeper.tick(serving.ctx, now=22.0) == 1, "quiet for 10 s"
    serving.withdraw_consent(people[2], site.deployment_id)
    for moment in (30.0, 40.0, 50.0, 60.0, 70.0, 80.0):  # a change at every look
        serving.withdraw_consent(people[int(moment) // 10], site.deployment_id)
        assert keeper.tick(serving.ctx, now=moment) == 0
    serving.withdraw_consent(people[9], site.deployment_id)
    assert keeper.tick(serving.ctx, now=90.0) == 1, "six delays after it noticed, at the latest"


def test_the_keeper_thread_runs_in_a_serving_process_and_stops_at_close(
    gate: Gate, site: Site, opener: Opener
) -> None:
    people = enrolled(gate, site, 8, seed=1)
    serving, _ = opener()
    serving.ctx.snapshot_delay = 0.0
    start(serving, site)
    keeper = serving.ctx.snapshot_keeper
    assert isinstance(keeper, SnapshotKeeper) and keeper.running
    gate.withdraw_consent(people[0], site.deployment_id)  # another process deletes
    waited = 0
    while keeper.written == 0 and waited < 2400:  # a condition, not a timing: up to 2 min
        time.sleep(0.05)
        waited += 1
    assert keeper.written >= 1
    path = snapshot_path(serving.ctx.snapshot_dir or Path(), site.deployment_id)
    version, ids, _ = snapshot_holds(serving, site, path)
    assert version == current_version(gate, site) and len(ids) == 7
    opener.opened.remove(serving)
    serving.close()
    assert not keeper.running


def test_a_removal_committed_while_the_snapshot_is_sealed_voids_it(
    gate: Gate, site: Site, opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is sealed with no transaction open (the write lock is not held for seconds);
    a removal that commits meanwhile is caught when the key would be stored: no key, no file."""
    people = enrolled(gate, site, 8, seed=1)
    serving, _ = opener()
    start(serving, site)
    directory = serving.ctx.snapshot_dir or Path()
    path = snapshot_path(directory, site.deployment_id)
    path.unlink()
    sealing = templates.seal_snapshot

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        sealed = sealing(*args, **kwargs)
        gate.withdraw_consent(people[0], site.deployment_id)  # another process, during sealing
        return sealed

    monkeypatch.setattr(templates, "seal_snapshot", meanwhile)
    assert not save_snapshot(serving.ctx, site.deployment_id)
    assert not path.exists() and not list(directory.glob("*.tmp"))
    assert missing_snapshots(serving.ctx) == {site.deployment_id: current_version(gate, site)}


def test_a_keeper_whose_writes_fail_backs_off(gate: Gate, site: Site, opener: Opener) -> None:
    """A write that gives no snapshot (a full disk, say) is not retried every few seconds: the
    wait doubles each time (up to ten minutes), and starts afresh once a write succeeds."""
    people = enrolled(gate, site, 8, seed=1)
    serving, _ = opener()
    start(serving, site)
    serving.withdraw_consent(people[0], site.deployment_id)
    keeper = SnapshotKeeper(serving.ctx, delay=10.0)

    def disk_full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    failing = pytest.MonkeyPatch()
    failing.setattr(templates, "seal_snapshot", disk_full)
    assert keeper.tick(serving.ctx, now=0.0) == 0
    with pytest.raises(OSError):
        keeper.tick(serving.ctx, now=10.0)  # the first attempt fails
    assert keeper.tick(serving.ctx, now=11.0) == 0, "noticed again at 11"
    assert keeper.tick(serving.ctx, now=30.0) == 0, "waits 20 s now, not 10"
    failing.undo()
    assert keeper.tick(serving.ctx, now=31.0) == 1
    serving.withdraw_consent(people[1], site.deployment_id)
    assert keeper.tick(serving.ctx, now=40.0) == 0
    assert keeper.tick(serving.ctx, now=50.0) == 1, "a success resets the wait to 10 s"


def test_of_two_serving_processes_one_keeper_writes_the_snapshot(
    gate: Gate, site: Site, opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every serving process runs a keeper; after a deletion only one of them writes the
    snapshot: the other finds the write in progress (the keeper lock of the snapshot directory
    taken) or done, and leaves it. Once the first is done, the lock is free for the next."""
    people = enrolled(gate, site, 8, seed=1)
    first, _ = opener()
    second, _ = opener()
    start(first, site)
    start(second, site)
    gate.withdraw_consent(people[0], site.deployment_id)
    keepers = SnapshotKeeper(first.ctx, delay=0.0), SnapshotKeeper(second.ctx, delay=0.0)
    sealing = templates.seal_snapshot
    sealed: list[int] = []
    meanwhile: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        sealed.append(1)
        if not meanwhile:  # while the first keeper seals, the second looks
            meanwhile.append(-1)
            meanwhile[0] = keepers[1].tick(second.ctx)
        return sealing(*args, **kwargs)

    monkeypatch.setattr(templates, "seal_snapshot", counted)
    assert keepers[0].tick(first.ctx) == 1
    assert meanwhile == [0] and len(sealed) == 1, "the second keeper wrote nothing meanwhile"
    assert keepers[1].tick(second.ctx) == 0, "written already"
    assert len(sealed) == 1
    assert missing_snapshots(second.ctx) == {}
    gate.withdraw_consent(people[1], site.deployment_id)
    assert keepers[1].tick(second.ctx) == 1, "the lock was released"
    assert len(sealed) == 2, "one more write: the second keeper's"
    assert missing_snapshots(first.ctx) == {}
