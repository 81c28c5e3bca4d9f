"""The sync protocol between a control plane and edge nodes, in one process: ordered,
idempotent event logs both ways; what each side may hold; what the edge does with what it
learns. (tests/edge/test_edge_processes.py runs the same over HTTP with real processes.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from facegate.law import Refused
from facegate.service import ConsentSpec, DeviceSpec, Gate, access
from facegate.service.sync import Applied, SyncGap
from raw_sql import raw_rows
from sites import CONSENT, Clock, Site, make_site

pytestmark = pytest.mark.both_databases

REPLICATED = (
    "controllers",
    "deployments",
    "devices",
    "subjects",
    "assessments",
    "notice_versions",
    "consents",
    "consent_refusals",
    "credentials",
    "templates",
    "data_keys",
    "audit_events",
    "sync_peer",
    "sync_events",
)


def dump(gate: Gate) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: sorted(raw_rows(gate.ctx.db, f"SELECT * FROM {table}"), key=repr)
        for table in REPLICATED
    }


def second_device(control: Gate, site: Site) -> str:
    device = control.register_device(
        site.deployment_id,
        DeviceSpec(
            name="North gate camera 2",
            location_description="Block 3, north entrance, second lane",
            location_type="residential_entrance",
        ),
    )
    return device.id


def down(control: Gate, edge: Gate, device_id: str) -> Applied:
    batch = control.sync_down_batch(device_id, edge.edge_state().down_applied_seq)
    return edge.sync_apply_down(batch)


def up(control: Gate, edge: Gate, device_id: str) -> Applied:
    result = control.sync_apply_up(device_id, edge.sync_up_batch(), actor="device:test")
    edge.sync_acknowledged(result.position)
    return result


@pytest.fixture
def site(control: Gate) -> Site:
    return make_site(control)


@pytest.fixture
def person(control: Gate, site: Site) -> str:
    subject = control.register_subject(date_of_birth=date(1961, 8, 4), identity={"name": "B. O."})
    control.record_consent(subject.id, site.deployment_id, CONSENT)
    control.add_credential(subject.id, site.deployment_id, "pin", "246810")
    return subject.id


def test_sync_replayed_batch_changes_nothing(
    control: Gate, open_gate: Callable[[str, str], Gate], site: Site, person: str
) -> None:
    edge = open_gate("edge", "edge")
    batch = control.sync_down_batch(site.device_id, 0)
    assert batch.head == len(batch.events) > 0
    first = edge.sync_apply_down(batch)
    assert (first.applied, first.skipped, first.position) == (batch.head, 0, batch.head)
    before = dump(edge)

    again = edge.sync_apply_down(batch)
    assert (again.applied, again.skipped, again.position) == (0, batch.head, batch.head)
    assert dump(edge) == before

    # The edge has the facts (no identity): the same Gate applies the same law there.
    assert edge.notice(site.deployment_id).notice.sha256 == site.notice_hash
    assert edge.subject_report(person)["identity"] == {}

    # Up: a refusal recorded at the edge's kiosk reaches the control plane once.
    edge.record_refusal(site.deployment_id, subject_id=person, channel="kiosk")
    report = edge.sync_up_batch()
    assert [e.entity for e in report.events] == ["consent_refusals"]
    control_before = dump(control)
    applied = control.sync_apply_up(site.device_id, report, actor="device:test")
    assert applied.applied == 1
    after_once = dump(control)
    assert after_once != control_before
    replayed = control.sync_apply_up(site.device_id, report, actor="device:test")
    assert (replayed.applied, replayed.skipped) == (0, 1)
    assert dump(control) == after_once


def test_sync_gap_in_sequence_numbers_is_detected(
    control: Gate, open_gate: Callable[[str, str], Gate], site: Site, person: str
) -> None:
    edge = open_gate("edge", "edge")
    batch = control.sync_down_batch(site.device_id, 0)
    holed = dataclasses.replace(batch, events=batch.events[:2] + batch.events[3:])
    before = dump(edge)
    with pytest.raises(SyncGap) as raised:
        edge.sync_apply_down(holed)
    assert raised.value.details == {"expected": "3", "received": "4"}
    assert dump(edge) == before  # nothing of the batch applied

    # Refetched from where the edge stands, the log applies whole.
    assert down(control, edge, site.device_id).position == batch.head

    # The control plane detects a gap in what an edge sends up, too.
    edge.record_refusal(site.deployment_id, subject_id=person)
    edge.record_refusal(site.deployment_id, subject_id=person)
    report = edge.sync_up_batch()
    assert [e.seq for e in report.events] == [1, 2]
    with pytest.raises(SyncGap) as raised:
        control.sync_apply_up(
            site.device_id, dataclasses.replace(report, events=report.events[1:]), actor="d"
        )
    assert raised.value.details["expected"] == "1"


def test_storage_on_device_control_plane_refuses_faces(
    control: Gate, site: Site, person: str, fixtures: Path
) -> None:
    with pytest.raises(Refused) as raised:
        control.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert "storage.on_device" in raised.value.decision.codes
    with pytest.raises(Refused):
        control.identify(site.device_id, fixtures / "obama_2.jpg")
    # The alternative is served wherever the device asks.
    assert control.verify_alternative(site.device_id, "pin", "246810", subject_id=person).matched
    assert dump(control)["templates"] == []


def test_storage_networked_consent_refused_without_transmission_consent(
    control: Gate, fixtures: Path
) -> None:
    site = make_site(control, name="Payment desk", transfer_mode="networked")
    person = control.register_subject(date_of_birth=date(1961, 8, 4)).id
    control.record_consent(person, site.deployment_id, CONSENT)
    with pytest.raises(Refused) as raised:
        control.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert raised.value.decision.codes == ("storage.networked_consent",)
    assert "M8" in raised.value.decision.articles and "PIPL29" in raised.value.decision.articles

    control.record_consent(
        person, site.deployment_id, ConsentSpec(scope="transmission", alternative_offered=True)
    )
    control.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert control.verify(site.device_id, person, fixtures / "obama_2.jpg").matched
    control.withdraw_consent(person, site.deployment_id, scope="transmission")
    with pytest.raises(Refused) as raised:
        control.verify(site.device_id, person, fixtures / "obama_2.jpg")
    assert "storage.networked_consent" in raised.value.decision.codes

    notice = control.notice(site.deployment_id).notice.content
    text = repr(notice)
    assert "不通过互联网对外传输" not in text and "stays in the recognition device" not in text


def test_storage_networked_consent_every_document_says_faces_travel(control: Gate) -> None:
    """The notice, the A4 sign, the PIPIA draft and the filing package of a networked
    deployment never claim on-device storage; an on-device deployment's do (Measures art. 8)."""
    from facegate.documents.filing import filing_html
    from facegate.documents.notice import render_notice_html, render_sign_html
    from facegate.documents.pipia import render_pipia_html
    from facegate.service import filing as filing_service
    from facegate.service.assessments import pipia_document

    def documents(site: Site) -> str:
        published = control.notice(site.deployment_id).notice
        report = control.pipia(site.deployment_id)
        return "\n".join(
            [
                render_notice_html(
                    published.content, lang="zh", version=published.version, sha256=published.sha256
                ),
                render_sign_html(published.content, url="https://gate.example.cn/n", version=1),
                render_pipia_html(
                    pipia_document(report.assessment, report.deployment, report.controller),
                    lang="zh",
                ),
                filing_html(filing_service.package_data(control.ctx, site.controller_id), "zh"),
            ]
        )

    networked = documents(make_site(control, name="Payment desk", transfer_mode="networked"))
    on_device = documents(make_site(control, name="Door"))
    for claim in ("不通过互联网对外传输", "存于本设备", "存储于人脸识别设备内"):
        assert claim not in networked, claim
    assert "不通过互联网对外传输" in on_device and "存于本设备" in on_device


def test_consent_withdraw_at_the_control_plane_shreds_on_the_edge_at_its_next_sync(
    control: Gate,
    open_gate: Callable[[str, str], Gate],
    site: Site,
    person: str,
    fixtures: Path,
    clock: Clock,
) -> None:
    edge = open_gate("edge", "edge")
    down(control, edge, site.device_id)
    enrolled = edge.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert edge.identify(site.device_id, fixtures / "obama_2.jpg").faces[0].subject_id == person
    up(control, edge, site.device_id)
    status = {d["device_id"]: d for d in control.devices_status()}[site.device_id]
    assert status["templates_held"] == 1 and status["lag"] == 0 and not status["refusing"]

    control.withdraw_consent(person, site.deployment_id, actor="console")
    clock.advance(minutes=1)
    result = down(control, edge, site.device_id)
    assert result.shredded == 1
    assert dump(edge)["templates"] == []
    unknown = edge.identify(site.device_id, fixtures / "obama_2.jpg")
    assert unknown.faces == [] and unknown.unmatched == 1  # discarded, only counted
    actions = [row[3] for row in dump(edge)["audit_events"]]
    assert "consent.withdraw" in actions and "sync.apply" in actions

    up(control, edge, site.device_id)
    status = {d["device_id"]: d for d in control.devices_status()}[site.device_id]
    assert status["templates_held"] == 0
    assert enrolled.template_id not in repr(dump(control)["templates"])


def test_filing_threshold_counts_a_subject_on_two_edges_once(
    control: Gate, open_gate: Callable[[str, str], Gate], site: Site, person: str, fixtures: Path
) -> None:
    other_device = second_device(control, site)
    edges = {site.device_id: open_gate("edge-a", "edge"), other_device: open_gate("edge-b", "edge")}
    for device_id, edge in edges.items():
        down(control, edge, device_id)
        edge.enrol(person, site.deployment_id, fixtures / "obama_1.jpg", device_id=device_id)
        up(control, edge, device_id)
    assert [c["individuals"] for c in control.filing_status()] == [1]
    held = {d["device_id"]: d["templates_held"] for d in control.devices_status()}
    assert held == {site.device_id: 1, other_device: 1}

    # Gone from one edge, still held on the other: still counted; gone from both: not.
    control.withdraw_consent(person, site.deployment_id)
    for device_id, still_counted in zip(edges, (1, 0), strict=True):
        down(control, edges[device_id], device_id)
        up(control, edges[device_id], device_id)
        assert [c["individuals"] for c in control.filing_status()] == [still_counted]


def test_consent_withdraw_refused_on_an_edge_past_its_offline_limit(
    control: Gate,
    open_gate: Callable[[str, str], Gate],
    site: Site,
    person: str,
    fixtures: Path,
    clock: Clock,
) -> None:
    edge = open_gate("edge", "edge")
    down(control, edge, site.device_id)
    clock.advance(hours=24, seconds=1)
    assert not edge.edge_state().in_sync
    with pytest.raises(Refused) as raised:
        edge.verify(site.device_id, person, fixtures / "obama_2.jpg")
    assert raised.value.decision.codes == ("consent.withdraw",)
    assert "24 h" in raised.value.message
    assert edge.verify_alternative(site.device_id, "pin", "246810", subject_id=person).matched
    status = {d["device_id"]: d for d in control.devices_status()}[site.device_id]
    assert status["refusing"]

    down(control, edge, site.device_id)  # back in touch: face recognition resumes
    assert not edge.verify(site.device_id, person, fixtures / "obama_2.jpg").matched


def test_rights_access_delete_at_an_edge_kiosk_erases_at_the_control_plane_and_other_edges(
    control: Gate, open_gate: Callable[[str, str], Gate], site: Site, person: str
) -> None:
    other_device = second_device(control, site)
    edge_a, edge_b = open_gate("edge-a", "edge"), open_gate("edge-b", "edge")
    down(control, edge_a, site.device_id)
    down(control, edge_b, other_device)
    assert edge_b.verify_alternative(other_device, "pin", "246810", subject_id=person).matched

    edge_a.delete_subject(person, actor="device:kiosk")  # "my data" at A's kiosk
    up(control, edge_a, site.device_id)
    report = control.subject_report(person)  # nothing is held any more (issue 12)
    assert report == {"subject_id": person, "held": False, "deleted": True}

    down(control, edge_b, other_device)  # and so at every other edge
    assert not edge_b.verify_alternative(other_device, "pin", "246810", subject_id=person).matched


def test_security_measures_an_edges_alerts_and_audit_head_reach_the_control_plane(
    control: Gate, open_gate: Callable[[str, str], Gate], site: Site
) -> None:
    edge = open_gate("edge", "edge")
    down(control, edge, site.device_id)
    access.record_security_event(edge.ctx, "lockout", detail="verification locked")
    up(control, edge, site.device_id)
    alerts = [e for e in access.security_events(control.ctx, limit=10) if e.kind == "lockout"]
    assert [(a.device_id, a.source) for a in alerts] == [(site.device_id, f"edge {site.device_id}")]
    status = {d["device_id"]: d for d in control.devices_status()}[site.device_id]
    assert status["audit_seq"] == edge.verify_audit().checked > 0


def test_filing_cancel_stopping_a_deployment_disposes_of_its_faces_on_the_edge(
    control: Gate, open_gate: Callable[[str, str], Gate], site: Site, person: str, fixtures: Path
) -> None:
    edge = open_gate("edge", "edge")
    down(control, edge, site.device_id)
    edge.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    up(control, edge, site.device_id)
    assert [c["individuals"] for c in control.filing_status()] == [1]

    control.stop(site.deployment_id)
    assert down(control, edge, site.device_id).shredded == 1
    assert dump(edge)["templates"] == []
    assert "filing.dispose" in [row[3] for row in dump(edge)["audit_events"]]
    up(control, edge, site.device_id)
    assert [c["individuals"] for c in control.filing_status()] == [0]


def test_init_writes_the_role_and_an_existing_directory_keeps_it(
    tmp_path: Path, cli_database: str
) -> None:
    from typer.testing import CliRunner

    from facegate.cli import app

    runner = CliRunner()
    data = str(tmp_path / "hq")
    first = runner.invoke(app, ["--data-dir", data, "init", "--role", "control", "--json"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["--data-dir", data, "init", "--json"])
    assert '"role": "control"' in again.output
    other = runner.invoke(app, ["--data-dir", data, "init", "--role", "edge"])
    assert other.exit_code == 2 and "set up as a control process" in other.output


def test_storage_networked_consent_documents_follow_the_processing_setting(control: Gate) -> None:
    on_device = make_site(control, name="North gate")
    networked = make_site(control, name="Payment desk", transfer_mode="networked")
    claims = (
        "存储于人脸识别设备内",
        "人脸信息存储于设备内",
        "存储于设备本地",
        "stays on the device",
    )

    def text(deployment_id: str) -> str:
        pipia = control.pipia(deployment_id).assessment.aspects
        notice = control.notice(deployment_id).notice.content
        return repr(pipia) + repr(notice)

    assert any(claim in text(on_device.deployment_id) for claim in claims)
    assert not any(claim in text(networked.deployment_id) for claim in claims)
    assert "单独同意" in text(networked.deployment_id)
