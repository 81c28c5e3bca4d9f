"""The write paths at scale (issue 13): bulk enrolment checks every row by law like one
enrolment, and the set-based retention sweep purges in chunks, each chunk one transaction with
its audit event and deletion-journal entry (PIPL art. 47; Measures arts. 6, 7, 8)."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from test_gallery_deltas import Reloads, follow

from facegate import law
from facegate.config import Settings
from facegate.service import Gate, retention
from facegate.service.bulk import BulkRow
from facegate.service.individuals import recount, stored_count
from facegate.store import models as m
from sites import CONSENT, Clock, Site, make_site

pytestmark = pytest.mark.both_databases

DIM = 128


def vectors(n: int, seed: int = 7) -> np.ndarray:
    """Random unit vectors: any two are ~1.41 apart, far beyond the 0.6 threshold."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, DIM)).astype(np.float32)
    return values / np.linalg.norm(values, axis=1, keepdims=True)


def people(gate: Gate, site: Site, n: int, *, consent: bool = True) -> list[str]:
    ids = []
    for _ in range(n):
        person = gate.register_subject(date_of_birth=date(1980, 1, 1))
        if consent:
            gate.record_consent(person.id, site.deployment_id, CONSENT)
        ids.append(person.id)
    return ids


def count(gate: Gate, model: Any, *where: Any) -> int:
    with gate.ctx.db.transaction(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def audit(gate: Gate, action: str) -> list[m.AuditEvent]:
    with gate.ctx.db.transaction(readonly=True) as session:
        rows = session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action))
        result = list(rows)
        session.expunge_all()
        return result


def journal_entries(data_dir: Path) -> list[dict[str, Any]]:
    lines = (data_dir / "deletions.journal").read_text().splitlines()[1:]
    return [json.loads(line) for line in lines]


# -- bulk enrolment ---------------------------------------------------------------------------


def test_bulk_enrolment_writes_every_lawful_row_and_reports_each_refusal_with_its_article(
    gate: Gate, site: Site, clock: Clock
) -> None:
    consenting = people(gate, site, 5)
    no_consent = people(gate, site, 1, consent=False)[0]
    withdrawn = people(gate, site, 1)[0]
    gate.withdraw_consent(withdrawn, site.deployment_id)
    faces = vectors(9)
    rows = [BulkRow(s, faces[i], ref=f"row{i}", live=True) for i, s in enumerate(consenting)]
    rows += [
        BulkRow(no_consent, faces[5], ref="no-consent", live=True),
        BulkRow(withdrawn, faces[6], ref="withdrawn", live=True),
        BulkRow("0" * 32, faces[7], ref="nobody", live=True),
        # the face of row0 again, under another person: a duplicate identity
        BulkRow(consenting[1], faces[0] + 0.001, ref="twin", live=True),
        # liveness is on in this deployment: a row without a screening verdict is refused
        BulkRow(consenting[2], faces[8], ref="unscreened"),
    ]
    progress: list[int] = []
    report = gate.bulk_enrol(site.deployment_id, rows, batch=4, on_progress=progress.append)

    assert report.enrolled == 5 and report.batches == 3 and sum(progress) == len(rows)
    refused = {r.ref: r for r in report.refused}
    assert set(refused) == {"no-consent", "withdrawn", "nobody", "twin", "unscreened"}
    assert refused["no-consent"].code == "consent.separate"
    assert refused["no-consent"].articles == law.rule("consent.separate").articles
    assert refused["withdrawn"].code == "consent.withdraw"
    assert refused["nobody"].code == "unknown_subject"
    assert refused["twin"].code == "duplicate_identity"
    assert refused["unscreened"].code == "liveness.failed"
    assert count(gate, m.Template, m.Template.deployment_id == site.deployment_id) == 5
    # Each template sealed under its own subject's key, readable, found by the index.
    with gate.ctx.db.transaction(readonly=True) as session:
        for row in session.scalars(select(m.Template)):
            key = session.get(m.DataKey, row.data_key_id)
            assert key is not None and key.subject_id == row.subject_id
            vector = gate.ctx.vault.open_template(session, row)
            assert np.allclose(vector, faces[consenting.index(row.subject_id)])
        assert (
            stored_count(session, site.controller_id) == 5 == recount(session, site.controller_id)
        )
    found = gate.ctx.index.search(site.deployment_id, faces[3], threshold=0.6, at=clock.now)
    assert [f.subject_id for f in found] == [consenting[3]]
    events = audit(gate, "enrol")
    assert sum(e.decision == "allowed" for e in events) == 5
    assert sum(e.decision == "refused" for e in events) == 5
    assert gate.verify_audit().ok


def test_bulk_enrolment_refuses_the_whole_call_when_the_deployment_may_not_process_m9(
    gate: Gate, site: Site
) -> None:
    person = people(gate, site, 1)[0]
    gate.mark_pipia_stale(site.deployment_id, reason="purpose review")
    with pytest.raises(law.Refused) as refused:
        gate.bulk_enrol(site.deployment_id, [BulkRow(person, vectors(1)[0], live=True)])
    assert any(r.code.startswith("pipia.") for r in refused.value.decision.reasons)
    assert count(gate, m.Template) == 0
    assert audit(gate, "enrol.bulk")[-1].decision == "refused"


def test_bulk_enrolment_of_a_suspended_deployment_writes_nothing(gate: Gate, site: Site) -> None:
    person = people(gate, site, 1)[0]
    gate.suspend(site.deployment_id)
    with pytest.raises(law.Refused):
        gate.bulk_enrol(site.deployment_id, [BulkRow(person, vectors(1)[0], live=True)])
    assert count(gate, m.Template) == 0 and count(gate, m.DataKey) == 0


# -- the set-based sweep ----------------------------------------------------------------------


def test_templates_and_keys_take_ids_in_the_order_they_are_made_and_people_random_ids(
    gate: Gate,
) -> None:
    """Templates and data keys are made in time order and swept oldest first: their ids sort
    in the order they were made (UUIDv7), so the sweep empties every index on them from one
    end. A person's id stays random (uuid4): it is shown to them and to the front desk, and
    must not tell when they registered (docs/legal-notes.md)."""
    site = make_site(gate, method="verify", why_not_verify="")  # 1:1: any gallery size
    everyone = people(gate, site, 40)
    faces = vectors(40, seed=11)
    for part in (everyone[:20], everyone[20:]):  # two calls, two batches of rows
        report = gate.bulk_enrol(
            site.deployment_id,
            [BulkRow(s, faces[everyone.index(s)], live=True) for s in part],
        )
        assert report.enrolled == 20, report.refused
    with gate.ctx.db.transaction(readonly=True) as session:
        templates = {t.subject_id: t for t in session.scalars(select(m.Template))}
    template_ids = [templates[s].id for s in everyone]
    key_ids = [templates[s].data_key_id for s in everyone]
    assert template_ids == sorted(template_ids)  # each call seals its rows in order
    assert max(key_ids[:20]) < min(key_ids[20:])  # the second call's keys were made later
    assert {uuid.UUID(i).version for i in template_ids + key_ids} == {7}
    assert {uuid.UUID(s).version for s in everyone} == {4}


def enrol_expiring(gate: Gate, site: Site, clock: Clock, n: int, seed: int) -> list[str]:
    ids = people(gate, site, n)
    faces = vectors(n, seed)
    report = gate.bulk_enrol(
        site.deployment_id, [BulkRow(s, faces[i], live=True) for i, s in enumerate(ids)]
    )
    assert report.enrolled == n, report.refused
    return ids


def test_the_sweep_purges_in_chunks_each_with_its_audit_event_and_journal_entry(
    gate: Gate, clock: Clock, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(gate, retention_days=1)
    expiring = enrol_expiring(gate, site, clock, 5, seed=1)
    clock.advance(hours=12)
    # One person enrolled again later: their key must survive, only the old template goes.
    keeper = expiring[0]
    gate.bulk_enrol(site.deployment_id, [BulkRow(keeper, vectors(1, 99)[0] * 1.0, live=True)])
    clock.advance(hours=13)  # the first five are past their day, the sixth is not
    journal_before = len(journal_entries(data_dir))
    with gate.ctx.db.transaction(readonly=True) as session:
        due = list(session.scalars(select(m.Template.id).where(m.Template.expires_at <= clock.now)))
    assert len(due) == 5
    monkeypatch.setattr(retention, "CHUNK", 2)
    progress: list[int] = []
    report = gate.sweep(on_progress=progress.append)

    assert report.expired_templates == 5 and report.keys_destroyed == 4
    assert progress == [2, 2, 1]
    sweeps = audit(gate, "retention.sweep")
    assert [e.object_ids()["batch"] for e in sweeps] == ["1", "2", "3"]
    assert [e.object_ids()["expired_templates"] for e in sweeps] == ["2", "2", "1"]
    entries = journal_entries(data_dir)[journal_before:]
    assert [e["kind"] for e in entries] == ["keys_destroyed"] * 3
    assert sorted(t for e in entries for t in e["templates"]) == sorted(due)
    assert sum(len(e["keys"]) for e in entries) == 4
    with gate.ctx.db.transaction(readonly=True) as session:
        held = session.scalars(select(m.Template)).all()
        assert [t.subject_id for t in held] == [keeper]
        key = session.get(m.DataKey, held[0].data_key_id)
        assert key is not None and key.wrapped_key is not None
        destroyed = session.scalars(
            select(m.DataKey).where(m.DataKey.destroyed_at.is_not(None))
        ).all()
        assert len(destroyed) == 4 and all(k.wrapped_key is None for k in destroyed)
        assert (
            stored_count(session, site.controller_id) == 1 == recount(session, site.controller_id)
        )
    assert gate.verify_audit().ok


def fail_chunk(monkeypatch: pytest.MonkeyPatch, number: int) -> Any:
    """Make the sweep's chunk ``number`` fail inside its transaction (disk full); returns the
    real step, to put back."""
    real = retention.note_removed_many
    calls: list[int] = []

    def failing(session: Any, pairs: Any) -> int:
        calls.append(1)
        if len(calls) == number:
            raise RuntimeError("disk full")
        return real(session, pairs)

    monkeypatch.setattr(retention, "note_removed_many", failing)
    return real


def test_a_chunk_that_fails_rolls_back_whole_and_leaves_the_committed_chunks_pipl_47(
    gate: Gate, clock: Clock, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(gate, retention_days=1)
    enrol_expiring(gate, site, clock, 5, seed=2)
    clock.advance(days=2)
    monkeypatch.setattr(retention, "CHUNK", 2)
    journal_before = len(journal_entries(data_dir))
    real = fail_chunk(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        gate.sweep()
    # The first chunk is gone with its event and journal entry; the second is all there.
    assert count(gate, m.Template) == 3
    assert count(gate, m.DataKey, m.DataKey.destroyed_at.is_not(None)) == 2
    assert len(audit(gate, "retention.sweep")) == 1
    assert len(journal_entries(data_dir)) == journal_before + 1
    monkeypatch.setattr(retention, "note_removed_many", real)
    report = gate.sweep()
    assert report.expired_templates == 3 and count(gate, m.Template) == 0
    assert gate.verify_audit().ok


def gallery_version(gate: Gate, deployment_id: str) -> int:
    with gate.ctx.db.transaction(readonly=True) as session:
        deployment = session.get(m.Deployment, deployment_id)
        assert deployment is not None
        return deployment.gallery_version


def test_the_sweep_removes_committed_chunks_from_the_index_in_batches_and_on_failure_pipl_47(
    gate: Gate, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index drops the purged templates once per ``INDEX_BATCH`` (one pass over an IVF's
    lists instead of one per chunk) and at the end; the process's gallery version advances only
    then, so nothing takes the index for up to date before it is; a failing chunk still leaves
    the committed ones out of the index."""
    site = make_site(gate, retention_days=1)
    enrol_expiring(gate, site, clock, 7, seed=3)
    assert len(follow(gate, site)) == 7  # this process holds the gallery in its index
    clock.advance(days=2)
    monkeypatch.setattr(retention, "CHUNK", 2)
    monkeypatch.setattr(retention, "INDEX_BATCH", 3)
    index = gate.ctx.index
    batches: list[int] = []
    real_remove = index.remove_templates

    def remove(template_ids: list[str]) -> int:
        batches.append(len(template_ids))
        return real_remove(template_ids)

    monkeypatch.setattr(index, "remove_templates", remove)
    real_note = fail_chunk(monkeypatch, 4)
    with pytest.raises(RuntimeError):
        gate.sweep()
    # Chunks 1-2 (4 templates) went at once, chunk 3 (2) in the failure's clean-up.
    assert batches == [4, 2]
    assert index.size(site.deployment_id) == 1 == count(gate, m.Template)
    assert gate.ctx.index_versions[site.deployment_id] == gallery_version(gate, site.deployment_id)
    monkeypatch.setattr(retention, "note_removed_many", real_note)
    report = gate.sweep()
    assert report.expired_templates == 1 and batches == [4, 2, 1]
    assert index.size(site.deployment_id) == 0 == count(gate, m.Template)
    assert gate.ctx.index_versions[site.deployment_id] == gallery_version(gate, site.deployment_id)


def test_another_process_follows_bulk_enrolment_and_the_sweep_by_deltas_not_reloads(
    gate: Gate,
    clock: Clock,
    data_dir: Path,
    database_url: str,
    engine: Any,
    liveness: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = make_site(gate, retention_days=1)
    settings = Settings(data_dir=data_dir, database_url=database_url)
    other = Gate.open(settings, clock=clock, engine=engine, liveness=liveness)
    try:
        assert follow(other, site) == set()
        reloads = Reloads(other)
        ids = enrol_expiring(gate, site, clock, 6, seed=5)
        held = follow(other, site)
        assert len(held) == 6 and reloads.count == 0
        with gate.ctx.db.transaction(readonly=True) as session:
            stored = set(session.scalars(select(m.Template.id)))
        assert held == stored
        assert {gate.ctx.index.search(site.deployment_id, v, threshold=0.6, at=clock.now)[0]
                .subject_id for v in vectors(6, 5)} == set(ids)  # fmt: skip
        clock.advance(days=2)
        monkeypatch.setattr(retention, "CHUNK", 4)
        gate.sweep()
        assert follow(other, site) == set() and reloads.count == 0
    finally:
        other.close()
