"""Two processes on one store: the second follows the first's enrolments and deletions by replaying
the gallery change log, never by reloading the deployment (issue 13: deltas, not reloads)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.engine.liveness import PassiveLiveness
from facegate.service import Gate
from facegate.service.templates import sync_index
from facegate.store import models as m
from sites import CONSENT, Clock, Site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


@pytest.fixture
def other(
    gate: Gate,
    data_dir: Path,
    database_url: str,
    clock: Clock,
    engine: FaceEngine,
    liveness: PassiveLiveness,
) -> Iterator[Gate]:
    """A second Gate on the same data directory: another process's view of the store."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    second = Gate.open(settings, clock=clock, engine=engine, liveness=liveness)
    yield second
    second.close()


class Reloads:
    """Counts whole-deployment reloads of an index."""

    def __init__(self, gate: Gate) -> None:
        self.count = 0
        index = gate.ctx.index
        clear = index.clear

        def counting(deployment_id: str | None = None) -> None:
            self.count += 1
            clear(deployment_id)

        index.clear = counting  # type: ignore[method-assign]


def person(gate: Gate, site: Site) -> str:
    subject = gate.register_subject(date_of_birth=date(1980, 1, 1)).id
    gate.record_consent(subject, site.deployment_id, CONSENT)
    return subject


def seal(gate: Gate, site: Site, subject_id: str, seed: int) -> str:
    ctx = gate.ctx
    with ctx.unit() as session:
        row = ctx.vault.seal_template(
            session,
            subject_id,
            site.deployment_id,
            m.new_id(),
            np.random.default_rng(seed).normal(size=128).astype(np.float32),
            engine=ctx.engine.model_id,
            model_version=ctx.engine.model_id,
            expires_at=ctx.now().replace(year=ctx.now().year + 1),
            created_at=ctx.now(),  # the test's clock: a retention is counted from it
        )
        return row.id


def follow(gate: Gate, site: Site) -> set[str]:
    """Bring the gate's index up to date (as before a search); the template ids it holds."""
    ctx = gate.ctx
    with ctx.unit(readonly=True) as session:
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None
        sync_index(ctx, session, deployment, ctx.now())
        assert ctx.index_versions[site.deployment_id] == deployment.gallery_version
    return held(gate, site)


def held(gate: Gate, site: Site) -> set[str]:
    ctx = gate.ctx
    with ctx.unit(readonly=True) as session:
        ids = set(
            session.scalars(
                select(m.Template.id).where(m.Template.deployment_id == site.deployment_id)
            )
        )
    return {t for t in ids if t in ctx.index}


def stored(gate: Gate, site: Site) -> set[str]:
    with gate.ctx.unit(readonly=True) as session:
        return set(
            session.scalars(
                select(m.Template.id).where(m.Template.deployment_id == site.deployment_id)
            )
        )


def test_another_process_replays_additions_and_deletions_without_reloading(
    gate: Gate, other: Gate, site: Site
) -> None:
    alice, bob = person(gate, site), person(gate, site)
    seal(gate, site, alice, 1)
    assert follow(other, site) == stored(gate, site)  # first load: from the vault
    reloads = Reloads(other)
    bobs = {seal(gate, site, bob, 2), seal(gate, site, bob, 3)}
    assert follow(other, site) == stored(gate, site)
    assert all(t in other.ctx.index for t in bobs)
    gate.withdraw_consent(bob, site.deployment_id)  # shreds bob's templates
    assert not bobs & stored(gate, site)
    assert follow(other, site) == stored(gate, site)
    assert not any(t in other.ctx.index for t in bobs)
    gate.delete_subject(alice)
    assert stored(gate, site) == set()
    assert follow(other, site) == set()
    assert other.ctx.index.size(site.deployment_id) == 0
    assert reloads.count == 0, "every change arrived as a delta"


def test_the_writing_process_keeps_its_index_without_reloading(gate: Gate, site: Site) -> None:
    alice, bob = person(gate, site), person(gate, site)
    seal(gate, site, alice, 1)
    follow(gate, site)
    reloads = Reloads(gate)
    seal(gate, site, bob, 2)
    gate.withdraw_consent(bob, site.deployment_id)
    assert follow(gate, site) == stored(gate, site)
    assert reloads.count == 0


def test_a_shortened_retention_reloads_the_deployment_in_every_process(
    gate: Gate, other: Gate, site: Site, clock: Clock
) -> None:
    """Expiries rewritten in place are not a delta: the log says reset and readers reload."""
    alice = person(gate, site)
    seal(gate, site, alice, 1)
    follow(other, site)
    reloads = Reloads(other)
    clock.advance(days=10)
    with gate.ctx.unit() as session:
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None
        before = deployment.gallery_version
    gate.update_deployment(site.deployment_id, retention_days=5)
    with gate.ctx.unit(readonly=True) as session:
        deployment = session.get(m.Deployment, site.deployment_id)
        assert deployment is not None and deployment.gallery_version == before + 1
    assert follow(other, site) == set(), "the template expired under the shorter period"
    assert reloads.count == 1
