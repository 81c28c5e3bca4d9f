"""Cold start from the encrypted index snapshot: used when it is current or the change log
reaches back to it, checked against the vault, and never used when stale, tampered with or
shredded by a removal (the vault is read instead, and a fresh snapshot written)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.engine.liveness import PassiveLiveness
from facegate.service import Gate
from facegate.service.templates import sync_index
from facegate.store import models as m
from facegate.store.index_snapshot import read_header, snapshot_path
from sites import CONSENT, Clock, Site


class Opener:
    """Opens further Gates on the same data directory (other processes, later starts), each
    counting the templates it decrypts from the vault."""

    def __init__(self, data_dir: Path, clock: Clock, engine: FaceEngine, live: PassiveLiveness):
        self.args = (data_dir, clock, engine, live)
        self.opened: list[Gate] = []

    def __call__(self) -> tuple[Gate, list[int]]:
        data_dir, clock, engine, live = self.args
        gate = Gate.open(Settings(data_dir=data_dir), clock=clock, engine=engine, liveness=live)
        gate.ctx.snapshot_from = 5
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
    gate: Gate, data_dir: Path, clock: Clock, engine: FaceEngine, liveness: PassiveLiveness
) -> Iterator[Opener]:
    opening = Opener(data_dir, clock, engine, liveness)
    yield opening
    for other in opening.opened:
        other.close()


def enrolled(gate: Gate, site: Site, count: int, seed: int) -> list[str]:
    """``count`` people, one template each (sealed directly: no engine needed)."""
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
                expires_at=ctx.now().replace(year=ctx.now().year + 1),
            )  # fmt: skip
    return subjects


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
