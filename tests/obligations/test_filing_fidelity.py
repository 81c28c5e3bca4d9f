"""filing.change over the security measures, the entrusted processor and the storage
location; filing.threshold reopening after a cancellation; incident.notify deadlines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from obligation_helpers import bulk_store, file_threshold, make_org
from sqlalchemy import select

from facegate.law.authorities import filing_office, province_of
from facegate.law.incident import OperatorKind, reporting_deadlines
from facegate.service import DeviceSpec, Gate
from facegate.service import filing as filing_service
from facegate.service.errors import BadRequest
from facegate.service.incidents import IncidentSpec, incident_deadlines
from facegate.service.individuals import open_threshold_obligation, rebuild
from facegate.store import models as m
from sites import Clock

pytestmark = pytest.mark.both_databases


def _changes(gate: Gate) -> list[str]:
    obligations = filing_service.status(gate.ctx)[0]["obligations"]
    return [c for o in obligations if o["kind"] == "change" for c in o["changes"]]


def test_filing_change_security_processor_and_storage(gate: Gate, clock: Clock) -> None:
    org = make_org(gate)
    [dep] = org.deployments
    file_threshold(gate, org.controller_id, clock())
    assert _changes(gate) == []
    gate.update_deployment(dep, mlps_level=3)
    assert _changes(gate) == [f"deployment {dep}.security_measures"]
    gate.update_deployment(dep, entrusted_processor="Acme Vision Ltd.")
    gate.register_device(
        dep,
        DeviceSpec(name="cam-2", location_description="Block 4",
                   location_type="residential_entrance"),
    )  # fmt: skip
    assert _changes(gate) == [
        f"deployment {dep}.entrusted_processor",
        f"deployment {dep}.storage_location",
        f"deployment {dep}.security_measures",
    ]


def test_filing_threshold_reopens_after_a_cancellation(gate: Gate, clock: Clock) -> None:
    org = make_org(gate)
    now = clock()
    bulk_store(gate, org.deployments[0], 1, 10, now, new=True)
    with gate.ctx.unit() as session:
        rebuild(session, now)
    first = file_threshold(gate, org.controller_id, now)
    gate.stop(org.deployments[0])
    [cancel] = [
        o for o in filing_service.status(gate.ctx)[0]["obligations"] if o["kind"] == "cancel"
    ]
    gate.dispose_face_data(org.controller_id)
    clock.now = now + timedelta(days=40)
    gate.submit_filing(cancel["id"], "注销-0001")

    # Face recognition resumes under a new deployment and crosses 100,000 again.
    clock.now = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
    again = make_org(gate, "South gate")  # another controller: untouched
    del again
    with gate.ctx.unit() as session:
        reopened = open_threshold_obligation(session, org.controller_id, 100_000, clock())
        assert reopened is not None and reopened.id != first
        assert reopened.trigger_key == f"threshold:after:{cancel['id']}"
    with gate.ctx.unit() as session:  # still once per cycle
        assert open_threshold_obligation(session, org.controller_id, 100_001, clock()) is None
    kinds = [o["kind"] for o in filing_service.status(gate.ctx)[0]["obligations"]]
    assert kinds.count("threshold") == 2
    # The cancelled filing is no longer on record: no change obligation against it.
    assert _changes(gate) == []


def test_incident_notify_deadlines_from_the_national_reporting_rules() -> None:
    occurred = datetime(2026, 10, 2, 0, 30, tzinfo=UTC)  # 08:30 Beijing
    initial, summary, people = reporting_deadlines(
        "major", occurred, province_office_zh="北京市互联网信息办公室"
    )
    assert initial.due == occurred + timedelta(hours=4) and initial.required
    assert initial.to_dict()["due_beijing"] == "2026-10-02 12:30"
    assert "北京市互联网信息办公室" in initial.zh and "第四条" in initial.basis
    assert summary.due is None and "五个工作日" in summary.zh
    assert people.due == occurred and "第五十七条" in people.basis
    cii = reporting_deadlines("major", occurred, operator=OperatorKind.CII)[0]
    assert cii.due == occurred + timedelta(hours=1) and "公安机关" in cii.zh
    organ = reporting_deadlines("major", occurred, operator=OperatorKind.CENTRAL_ORGAN)[0]
    assert organ.due == occurred + timedelta(hours=2)
    assert not reporting_deadlines("minor", occurred)[0].required


def test_incident_notify_letters_are_addressed_to_the_provincial_office() -> None:
    assert province_of("Chaoyang, Beijing") is not None
    assert filing_office("广东省深圳市南山区")[0] == "广东省互联网信息办公室"
    assert filing_office("Xi'an, Shaanxi")[0] == "陕西省互联网信息办公室"
    assert filing_office("Taiyuan, Shanxi")[0] == "山西省互联网信息办公室"
    assert filing_office("somewhere")[0] == "个人信息处理者所在地省级网信部门"


def test_incident_notify_deadlines_read_function(gate: Gate, clock: Clock) -> None:
    org = make_org(gate)
    view = gate.record_incident(
        IncidentSpec(
            controller_id=org.controller_id, severity="major", description="Backup copied",
            occurred_at=clock(), categories="face templates", cause="stolen laptop",
            harm="none likely: encrypted", measures="keys rotated", remedies="none needed",
            contact="dpo@sunrise.cn", deployment_ids=tuple(org.deployments),
        )
    )  # fmt: skip
    assert view["deadlines"][0]["key"] == "initial_report"
    rows = incident_deadlines(gate.ctx, view["id"])
    assert rows[0]["due"] == (clock() + timedelta(hours=4)).isoformat()
    assert "北京市互联网信息办公室" in str(rows[0]["zh"])


def test_incident_notify_deadlines_follow_the_controllers_operator_kind(
    gate: Gate, clock: Clock
) -> None:
    """《国家网络安全事件报告管理办法》 art. 4: 1 h for critical information infrastructure,
    2 h for central and state organs, 4 h for every other operator. The kind is the
    controller's, recorded and audited; a change applies to incidents read from then on."""
    org = make_org(gate)
    view = gate.record_incident(
        IncidentSpec(
            controller_id=org.controller_id, severity="major", description="Gate server breached",
            occurred_at=clock(), categories="face templates", cause="exposed port",
            harm="templates copied, encrypted", measures="keys rotated", remedies="none needed",
            contact="dpo@sunrise.cn",
        )
    )  # fmt: skip
    assert view["deadlines"][0]["due"] == (clock() + timedelta(hours=4)).isoformat()

    row = gate.set_operator_kind(org.controller_id, "cii", actor="admin:test")
    assert row.operator_kind == "cii"
    cii = incident_deadlines(gate.ctx, view["id"])[0]
    assert cii["due"] == (clock() + timedelta(hours=1)).isoformat()
    assert "保护工作部门和公安机关" in str(cii["zh"])

    gate.set_operator_kind(org.controller_id, "central_organ", actor="admin:test")
    organ = incident_deadlines(gate.ctx, view["id"])[0]
    assert organ["due"] == (clock() + timedelta(hours=2)).isoformat()
    with gate.ctx.db.transaction(readonly=True) as session:
        events = session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "controller.operator_kind")
        ).all()
        assert [json.loads(e.objects)["operator_kind"] for e in events] == ["cii", "central_organ"]


def test_incident_notify_operator_kind_is_one_of_the_rules_kinds(gate: Gate) -> None:
    with pytest.raises(BadRequest, match="cii, central_organ, other"):
        gate.register_controller(name="X", contact="x@example.cn", operator_kind="bank")
    controller = gate.register_controller(
        name="Metro Co.", contact="dpo@metro.cn", operator_kind="cii"
    )
    assert controller.operator_kind == "cii"
    with pytest.raises(BadRequest):
        gate.set_operator_kind(controller.id, "")
