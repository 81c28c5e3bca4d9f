"""Deletions survive a restored backup; a wrong or missing master key is refused; every
deletion commits with its audit event (PIPL art. 47; Measures art. 8)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.law import Refused
from facegate.service import Gate, maintenance
from facegate.service.errors import UnknownSubject
from facegate.store import Database
from facegate.store.errors import MasterKeyMismatch, MasterKeyMissing
from facegate.store.keys import write_new_key_file
from raw_sql import stored_bytes
from sites import CONSENT, Clock, make_site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def actions(gate: Gate) -> list[str]:
    with gate.ctx.db.transaction(readonly=True) as session:
        from sqlalchemy import select

        from facegate.store.models import AuditEvent

        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_rights_delete_and_withdrawal_survive_a_restored_backup_pipl_47(
    data_dir: Path,
    database_url: str,
    clock: Clock,
    engine: FaceEngine,
    fixtures: Path,
    tmp_path: Path,
) -> None:
    """`facegate backup` while the Gate runs (SQLite's online backup, or pg_dump), then
    deletions, then `facegate restore`: the deletions are applied again."""
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock, engine=engine)
    site = make_site(gate)
    erased = gate.register_subject(date_of_birth=date(1961, 8, 4), identity={"name": "B. Obama"})
    withdrawn = gate.register_subject(date_of_birth=date(1942, 11, 20), identity={"name": "J. B."})
    gate.record_consent(erased.id, site.deployment_id, CONSENT)
    gate.record_consent(withdrawn.id, site.deployment_id, CONSENT)
    gate.add_credential(erased.id, site.deployment_id, "pin", "246810")
    gate.enrol(erased.id, site.deployment_id, fixtures / "obama_1.jpg")
    gate.enrol(withdrawn.id, site.deployment_id, fixtures / "biden.jpg")
    backup = tmp_path / "backup"
    maintenance.backup(settings, backup)

    gate.delete_subject(erased.id)
    gate.withdraw_consent(withdrawn.id, site.deployment_id)
    gate.close()
    put_back, notices = maintenance.restore(settings, backup)
    assert put_back["audit_chain_ok"] is True
    assert any(
        "2 data key(s) destroyed, 2 template(s) deleted, 1 person(s) erased" in str(n)
        for n in notices
    ), notices
    assert any("2 event(s) shorter" in str(n) for n in notices), notices

    restored = Gate.open(settings, clock=clock, engine=engine)
    try:
        # Erased again: the person is unknown, nothing is held about them (issue 12).
        with pytest.raises(UnknownSubject):
            restored.verify(site.device_id, erased.id, fixtures / "obama_2.jpg")
        with pytest.raises(Refused):
            restored.verify(site.device_id, withdrawn.id, fixtures / "biden.jpg")
        found = restored.identify(site.device_id, fixtures / "obama_3.jpg")
        assert found.faces == [] and found.unmatched == 1
        report = restored.subject_report(erased.id)
        assert report == {"subject_id": erased.id, "held": False, "deleted": True}
        assert not restored.verify_alternative(
            site.device_id, "pin", "246810", subject_id=erased.id
        ).matched
        assert restored.verify_audit().ok
        assert "durability.replay" in actions(restored)
    finally:
        restored.close()
    # Replayed once: the next start has nothing to re-apply.
    again = Gate.open(settings, clock=clock, engine=engine)
    assert not any("re-applied" in str(n) for n in again.notices)
    again.close()


def stored(settings: Settings) -> bytes:
    """The SQLite file as it is on disk, or every row of the PostgreSQL database."""
    if not settings.database_url:
        return (settings.data_dir / "facegate.db").read_bytes()
    db = Database(settings.database_url)
    try:
        return stored_bytes(db)
    finally:
        db.dispose()


def test_a_wrong_master_key_is_refused_before_anything_is_written(
    data_dir: Path, database_url: str, clock: Clock, engine: FaceEngine, tmp_path: Path
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock, engine=engine)
    gate.register_subject(date_of_birth=None, identity={"name": "A"})
    gate.close()
    before = stored(settings)
    other = tmp_path / "other.key"
    write_new_key_file(other)
    with pytest.raises(MasterKeyMismatch) as refused:
        Gate.open(
            Settings(data_dir=data_dir, database_url=database_url, key_file=other),
            clock=clock,
            engine=engine,
        )
    assert refused.value.code == "master_key_mismatch"
    assert stored(settings) == before


def test_init_over_a_keyless_directory_is_refused_unless_data_is_abandoned(
    data_dir: Path, database_url: str, clock: Clock, engine: FaceEngine
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock, engine=engine)
    person = gate.register_subject(date_of_birth=None, identity={"name": "A"})
    gate.close()
    (data_dir / "master.key").unlink()
    with pytest.raises(MasterKeyMissing):
        Gate.open(settings, create=True, clock=clock, engine=engine)
    assert not (data_dir / "master.key").exists()
    fresh = Gate.open(settings, create=True, abandon_data=True, clock=clock, engine=engine)
    try:
        assert fresh.subject_report(person.id)["identity"] == {}
        assert "key.abandon" in actions(fresh)
        assert fresh.verify_audit().ok
    finally:
        fresh.close()


def test_a_new_data_directory_is_private(
    data_dir: Path, database_url: str, clock: Clock, engine: FaceEngine
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock, engine=engine)
    gate.close()
    assert data_dir.stat().st_mode & 0o777 == 0o700
    files = ("master.key", "deletions.journal") + (() if database_url else ("facegate.db",))
    for name in files:
        assert (data_dir / name).stat().st_mode & 0o777 == 0o600, name
    data_dir.chmod(0o755)
    reopened = Gate.open(settings, clock=clock, engine=engine)
    reopened.close()
    assert any("mode 0755" in str(n) for n in reopened.notices)


def test_the_sweep_records_each_batch_with_its_purge(
    gate: Gate, clock: Clock, fixtures: Path
) -> None:
    site = make_site(gate, retention_days=1)
    person = gate.register_subject(date_of_birth=date(1980, 1, 1))
    gate.record_consent(person.id, site.deployment_id, CONSENT)
    gate.enrol(person.id, site.deployment_id, fixtures / "obama_1.jpg")
    clock.advance(days=2)
    report = gate.sweep()
    assert report.expired_templates == 1 and report.keys_destroyed == 1
    assert actions(gate)[-1] == "retention.sweep"


def test_an_interrupted_master_key_rotation_resumes(
    data_dir: Path,
    database_url: str,
    clock: Clock,
    engine: FaceEngine,
    fixtures: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(data_dir=data_dir, database_url=database_url)
    gate = Gate.open(settings, create=True, clock=clock, engine=engine)
    site = make_site(gate)
    people = []
    for photo in ("obama_1.jpg", "biden.jpg"):
        person = gate.register_subject(date_of_birth=date(1970, 1, 1), identity={"name": photo})
        gate.record_consent(person.id, site.deployment_id, CONSENT)
        gate.enrol(person.id, site.deployment_id, fixtures / photo)
        people.append(person.id)
    gate.close()
    old_key = (data_dir / "master.key").read_bytes()

    monkeypatch.setattr(maintenance, "BATCH", 1)
    calls = []

    def crash_after_the_first_batch(done: int, total: int) -> None:
        calls.append(done)
        if done == 1:
            raise KeyboardInterrupt("power cut")

    with pytest.raises(KeyboardInterrupt):
        maintenance.rotate_master(settings, on_progress=crash_after_the_first_batch)
    # Half rotated: facegate opens with both keys, says so, and recognises everyone.
    half = Gate.open(settings, clock=clock, engine=engine)
    assert any("rotation is unfinished" in str(n) for n in half.notices)
    assert half.verify(site.device_id, people[0], fixtures / "obama_2.jpg").matched
    half.close()

    report = maintenance.rotate_master(settings)
    assert report.data_keys == 1 and report.identities == 2  # what the first run left
    assert (data_dir / "master.key").read_bytes() != old_key
    assert Path(report.old_key_file).read_bytes() == old_key
    done = Gate.open(settings, clock=clock, engine=engine)
    try:
        assert not any("rotation" in str(n) for n in done.notices)
        assert done.verify(site.device_id, people[1], fixtures / "biden.jpg").matched
        assert done.subject_report(people[0])["identity"] == {"name": "obama_1.jpg"}
        assert done.verify_audit().ok and "key.rotate_master" in actions(done)
    finally:
        done.close()
