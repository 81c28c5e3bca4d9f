"""One-time enrolment codes across a control plane and its edge node: the front desk issues a
code at the control plane, the kiosk of an edge redeems it and enrols the person's face there
(Measures art. 8: the face never leaves the device); the redemption goes back up, so the code
is spent everywhere, and an edge can report nothing but that redemption."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from facegate.service import ConsentSpec, Gate
from facegate.service.enrolment_codes import (
    EnrolmentCodeInvalid,
    issue_enrolment_code,
    redeem_enrolment_code,
)
from facegate.service.persons import PersonSpec, add_person
from facegate.service.sync import SyncRejected, UpBatch, WireEvent
from facegate.store.people_models import EnrolmentCode
from sites import make_site

pytestmark = pytest.mark.both_databases


def down(control: Gate, edge: Gate, device_id: str) -> None:
    edge.sync_apply_down(control.sync_down_batch(device_id, edge.edge_state().down_applied_seq))


def up(control: Gate, edge: Gate, device_id: str) -> None:
    control.sync_apply_up(device_id, edge.sync_up_batch(), actor="device:edge")


def test_a_code_from_the_desk_enrols_the_person_at_the_edge(
    control: Gate, open_gate: Callable[[str, str], Gate], fixtures: Path
) -> None:
    site = make_site(control)
    person = add_person(
        control.ctx, site.controller_id, PersonSpec(name="B. Obama", age_attested=True), actor="op"
    )
    issued = issue_enrolment_code(
        control.ctx,
        person.id,
        site.deployment_id,
        consent=ConsentSpec(alternative_offered=True),
        actor="op",
    )
    edge = open_gate("edge", "edge")
    down(control, edge, site.device_id)

    ticket = redeem_enrolment_code(edge.ctx, issued.code, device_id=site.device_id, actor="kiosk")
    assert ticket.subject_id == person.subject_id
    edge.enrol(ticket.subject_id, ticket.deployment_id, fixtures / "obama_1.jpg")
    assert edge.identify(site.device_id, fixtures / "obama_2.jpg").faces[0].subject_id == (
        person.subject_id
    )

    # The redemption goes up: spent at the control plane, and so on every other edge.
    up(control, edge, site.device_id)
    with control.ctx.db.transaction(readonly=True) as session:
        row = session.get(EnrolmentCode, issued.code_id)
        assert row is not None and row.redeemed_at is not None
        assert row.redeemed_device_id == site.device_id
    with pytest.raises(EnrolmentCodeInvalid):
        redeem_enrolment_code(control.ctx, issued.code, device_id=site.device_id, actor="k")
    second = open_gate("edge2", "edge")
    down(control, second, site.device_id)
    with pytest.raises(EnrolmentCodeInvalid):
        redeem_enrolment_code(second.ctx, issued.code, device_id=site.device_id, actor="k")


def test_an_edge_cannot_make_up_an_enrolment_code(
    control: Gate, open_gate: Callable[[str, str], Gate]
) -> None:
    site = make_site(control)
    person = add_person(
        control.ctx, site.controller_id, PersonSpec(name="Li Na", age_attested=True), actor="op"
    )
    issued = issue_enrolment_code(
        control.ctx,
        person.id,
        site.deployment_id,
        consent=ConsentSpec(alternative_offered=True),
        actor="op",
    )
    forged = {
        "id": "f" * 32,
        "deployment_id": site.deployment_id,
        "subject_id": person.subject_id,
        "consent_id": issued.consent_id,
        "digest": "0" * 64,
        "issued_by": "edge",
        "issued_at": "2026-11-26T09:00:00+00:00",
        "expires_at": "2027-11-26T09:00:00+00:00",
    }
    batch = UpBatch(
        events=(WireEvent(1, "upsert", "enrolment_codes", forged["id"], forged),),
        audit_seq=0,
        audit_hash="0" * 64,
        offline_limit_hours=24,
        down_applied_seq=0,
    )
    with pytest.raises(SyncRejected):
        control.sync_apply_up(site.device_id, batch, actor="device:edge")
