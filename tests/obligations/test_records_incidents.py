"""records.processing, records.three_years, incident.notify."""

from __future__ import annotations

import subprocess
import sys
import types
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from obligation_helpers import make_org
from sqlalchemy import select

from facegate.documents.incident import write_letters
from facegate.documents.records import records_csv, records_pdf
from facegate.law import Refused
from facegate.service import BadRequest, Gate
from facegate.service.incidents import IncidentSpec, get_incident
from facegate.store import models as m
from sites import CONSENT, Clock

pytestmark = pytest.mark.both_databases


def test_records_processing_counts_from_the_audit_log(
    gate: Gate, clock: Clock, fixtures_dir: Path
) -> None:
    org = make_org(gate)
    deployment, device = org.deployments[0], org.devices[0]
    person = gate.register_subject(date_of_birth=date(1980, 1, 1))
    stranger = gate.register_subject(date_of_birth=date(1990, 1, 1))
    gate.record_consent(person.id, deployment, CONSENT)
    gate.enrol(person.id, deployment, fixtures_dir / "obama_1.jpg", actor="operator")
    with pytest.raises(Refused):  # no consent: a refusal
        gate.enrol(stranger.id, deployment, fixtures_dir / "biden.jpg", actor="operator")
    gate.identify(device, fixtures_dir / "obama_2.jpg")
    clock.advance(days=1)
    gate.verify(device, person.id, fixtures_dir / "obama_3.jpg")
    gate.withdraw_consent(person.id, deployment, actor="subject")

    records = gate.processing_records(deployment, date(2026, 9, 18), date(2026, 9, 19))
    rows = {(r.day.isoformat(), r.actor): r.counts for r in records.rows}
    assert rows[("2026-09-18", "operator")]["enrolments"] == 1
    assert rows[("2026-09-18", "operator")]["refusals"] == 1
    assert rows[("2026-09-18", "device")]["identifications"] == 1
    assert rows[("2026-09-19", "device")]["verifications"] == 1
    assert rows[("2026-09-19", "subject")]["withdrawals"] == 1
    csv_text = records_csv(records)
    assert csv_text.splitlines()[0].startswith("day,deployment_id,actor,enrolments")
    assert f"2026-09-18,{deployment},operator,1,0,0,0,0,0,0,1" in csv_text
    assert records_pdf(records).startswith(b"%PDF")


def test_records_processing_range_at_the_calendars_ends_is_clamped(gate: Gate) -> None:
    make_org(gate)
    records = gate.processing_records(None, date(1, 1, 1), date(9999, 12, 31))
    assert records.rows == [] or all(r.day.year >= 1970 for r in records.rows)


def test_records_three_years_refused(gate: Gate, clock: Clock) -> None:
    with pytest.raises(Refused) as caught:
        gate.prune_records(date(2024, 1, 1))  # records of 2023: younger than three years
    assert caught.value.decision.codes == ("records.three_years",)
    with gate.ctx.db.transaction(readonly=True) as session:
        last = session.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq.desc())).first()
    assert last is not None and (last.action, last.decision) == ("records.prune", "refused")


def test_records_three_years_allowed(gate: Gate, clock: Clock) -> None:
    org = make_org(gate)
    clock.now = datetime(2029, 9, 19, 2, 0, tzinfo=UTC)
    # Everything before 2026-09-19 is now at least three years old.
    assert gate.prune_records(date(2026, 9, 19)) == {"pruned_before": "2026-09-19"}
    records = gate.processing_records(org.deployments[0], date(2026, 1, 1), date(2029, 12, 31))
    assert records.pruned_before == date(2026, 9, 19)
    assert gate.verify_audit().ok  # the chain stays whole


def _spec(controller_id: str, deployments: list[str], severity: str) -> IncidentSpec:
    return IncidentSpec(
        controller_id=controller_id,
        severity=severity,
        description="A backup disk of the gate server was lost in transit",
        occurred_at=datetime(2026, 10, 2, 0, 30, tzinfo=UTC),
        categories="Encrypted face templates; pseudonymous subject ids / 加密的人脸特征数据",
        cause="Courier lost a backup disk",
        harm="Low: templates are encrypted; keys were not on the disk",
        measures="Keys rotated; backups now travel encrypted and tracked",
        remedies="Use the PIN pad if you prefer; ask us to delete your data",
        contact="dpo@sunrise.cn, 010-12345678",
        deployment_ids=tuple(deployments),
    )


def test_incident_notify_major_stales_pipia_and_renders_letters(
    gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org(gate)
    calls: list[tuple[str, str]] = []
    fake = types.ModuleType("facegate.service.assessments")

    def mark_stale(session: object, deployment_id: str, reason: str) -> list[str]:
        calls.append((deployment_id, reason))
        return ["a1"]

    fake.mark_stale = mark_stale  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "facegate.service.assessments", fake)
    view = gate.record_incident(_spec(org.controller_id, org.deployments, "major"))
    assert calls == [(org.deployments[0], f"major incident {view['id']}")]
    assert view["pipia_staled"] == org.deployments
    with gate.ctx.db.transaction(readonly=True) as session:
        actions = list(session.scalars(select(m.AuditEvent.action)))
    assert actions[-2:] == ["incident.record", "pipia.stale"]

    written = write_letters(get_incident(gate.ctx, view["id"]), tmp_path)
    assert len(written) == 8
    zh = next(p for p in written if p.name.endswith("people.zh.pdf"))
    text = subprocess.run(
        ["pdftotext", str(zh), "-"], capture_output=True, text=True, check=True
    ).stdout
    for phrase in (
        "个人信息安全事件告知书",
        "涉及的个人信息种类",
        "处理者的联系方式",
        "dpo@sunrise.cn",
    ):
        assert phrase in text


def test_incident_notify_minor_leaves_pipia(gate: Gate, monkeypatch: pytest.MonkeyPatch) -> None:
    org = make_org(gate)
    fake = types.ModuleType("facegate.service.assessments")
    fake.mark_stale = lambda *a: pytest.fail("a minor incident stales nothing")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "facegate.service.assessments", fake)
    assert (
        gate.record_incident(_spec(org.controller_id, org.deployments, "minor"))["pipia_staled"]
        == []
    )


def test_incident_notify_refused_without_every_field(gate: Gate) -> None:
    org = make_org(gate)
    spec = _spec(org.controller_id, org.deployments, "major")
    incomplete = IncidentSpec(**{**spec.__dict__, "remedies": " ", "contact": ""})
    with pytest.raises(BadRequest, match="remedies, contact"):
        gate.record_incident(incomplete)
