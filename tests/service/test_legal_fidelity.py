"""Issue 12 (gate rules): each defect shown through the Gate, named after its rule code."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

from facegate.documents.records import records_csv, records_html
from facegate.engine import FaceEngine
from facegate.law import Refused
from facegate.sealed_box import CannotOpen, open_sealed
from facegate.service import DeviceSpec, Gate
from facegate.service.errors import BadRequest, UnknownSubject
from facegate.service.legal_bases import BasisSpec
from facegate.store import models as m
from photos import two_people
from sites import CONSENT, Clock, Site, gate_spec, make_site, prepare_activation

pytestmark = pytest.mark.both_databases


def refused_codes(excinfo: pytest.ExceptionInfo[Refused]) -> set[str]:
    return set(excinfo.value.decision.codes)


def enrolled(gate: Gate, site: Site, photo: Path) -> str:
    person = gate.register_subject(date_of_birth=None, age_attested=True).id
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, photo)
    return person


def audit_actions(gate: Gate) -> list[str]:
    with gate.ctx.db.transaction(readonly=True) as session:
        return [e.action for e in session.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq))]


def change_purpose(gate: Gate, site: Site) -> None:
    """A material change, assessed and told again: processing may resume, consents may not."""
    gate.update_deployment(site.deployment_id, purpose="住户及其访客经北门通行")
    prepare_activation(gate, site.deployment_id)


# -- consent.purpose_change ---------------------------------------------------------------
def test_consent_purpose_change_refused_recognition_until_consent_again(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")
    gate.add_credential(person, site.deployment_id, "pin", "135790")
    assert gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched

    change_purpose(gate, site)
    with pytest.raises(Refused) as excinfo:
        gate.verify(site.device_id, person, fixtures / "obama_2.jpg")
    assert refused_codes(excinfo) == {"consent.purpose_change"}
    assert excinfo.value.decision.articles == ("PIPL14 para. 2", "NDSR22")
    found = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    assert found.faces == [] and found.unmatched == 1  # not recognised under the old consent
    # The alternative still works.
    pin = gate.verify_alternative(site.device_id, "pin", "135790", subject_id=person)
    assert pin.matched and pin.subject_id == person


def test_consent_purpose_change_allowed_after_consenting_again(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")
    change_purpose(gate, site)
    gate.record_consent(person, site.deployment_id, CONSENT)  # re-consent: same template
    assert gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched
    found = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    assert [f.subject_id for f in found.faces] == [person]


def test_consent_purpose_change_refused_templates_destroyed_when_not_renewed(
    gate: Gate, site: Site, clock: Clock, fixtures: Path
) -> None:
    stays = enrolled(gate, site, fixtures / "obama_1.jpg")
    lapses = enrolled(gate, site, fixtures / "biden.jpg")
    change_purpose(gate, site)
    gate.record_consent(stays, site.deployment_id, CONSENT)
    clock.advance(days=gate.ctx.reconsent_days - 1)
    assert gate.sweep().not_renewed == 0
    clock.advance(days=1)
    report = gate.sweep()
    assert report.not_renewed == 1
    with gate.ctx.db.transaction(readonly=True) as session:
        holders = set(session.scalars(select(m.Template.subject_id)))
    assert holders == {stays} and lapses not in holders
    assert "consent.not_renewed" in audit_actions(gate)


def test_consent_purpose_change_allowed_when_only_the_wording_of_necessity_changes(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")
    gate.update_deployment(site.deployment_id, necessity="住户要求免接触通行")
    prepare_activation(gate, site.deployment_id)
    assert gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched


# -- capture.opt_in -----------------------------------------------------------------------
def test_capture_opt_in_refused_walk_through_for_a_consent_deployment(gate: Gate) -> None:
    controller = gate.register_controller(name="Acme", contact="dpo@acme.cn").id
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller, gate_spec(capture_mode="walk_through"))
    assert refused_codes(excinfo) == {"capture.opt_in"}


class CountingEngine:
    """The real engine, counting the faces it embeds (through any of its verbs)."""

    def __init__(self, engine: FaceEngine) -> None:
        self.engine = engine
        self.embedded = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def single_face(self, source: Any, **options: Any) -> Any:
        self.embedded += 1
        return self.engine.single_face(source, **options)

    def faces_with_embeddings(self, source: Any) -> Any:
        found = self.engine.faces_with_embeddings(source)
        self.embedded += len(found)
        return found

    def faces_at(self, image: Any, located: Any) -> Any:
        self.embedded += len(located)
        return self.engine.faces_at(image, located)

    def embed(self, image: Any, faces: Any) -> Any:
        self.embedded += len(faces)
        return self.engine.embed(image, faces)

    def examine(self, source: Any, request: Any, **options: Any) -> Any:
        examined = self.engine.examine(source, request, **options)
        self.embedded += len(examined.faces)
        return examined


@pytest.fixture
def counting(gate: Gate, engine: FaceEngine) -> Iterator[CountingEngine]:
    spy = CountingEngine(engine)
    gate.ctx._engine = spy  # type: ignore[assignment]
    yield spy
    gate.ctx._engine = engine


def test_capture_opt_in_refused_frame_with_several_faces_before_embedding(
    gate: Gate, site: Site, fixtures: Path, counting: CountingEngine
) -> None:
    enrolled(gate, site, fixtures / "obama_1.jpg")
    counting.embedded = 0
    with pytest.raises(Refused) as excinfo:
        gate.identify(site.device_id, two_people())
    assert refused_codes(excinfo) == {"capture.opt_in"}
    assert counting.embedded == 0  # neither face was embedded
    assert audit_actions(gate)[-1] == "identify"


def test_capture_opt_in_allowed_one_face_and_non_matches_leave_only_a_count(
    gate: Gate, site: Site, fixtures: Path, counting: CountingEngine
) -> None:
    enrolled(gate, site, fixtures / "obama_1.jpg")
    stranger = gate.identify(site.device_id, fixtures / "biden.jpg")
    assert stranger.faces == [] and stranger.unmatched == 1 and not stranger.matched
    assert stranger.to_dict()["faces"] == []
    with gate.ctx.db.transaction(readonly=True) as session:
        last = session.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq.desc())).first()
        assert last is not None
        assert last.object_ids()["unmatched"] == "1" and last.object_ids()["matched"] == ""


def test_capture_opt_in_allowed_several_faces_for_public_safety(gate: Gate, fixtures: Path) -> None:
    controller = gate.register_controller(name="Station", contact="psb@station.cn").id
    deployment = gate.create_deployment(
        controller,
        gate_spec(
            purpose_type="public_safety",
            purpose="在车站入口查找公安机关正在查找的人员",
            necessity="公安机关对本交通枢纽的要求",
            location_type="transport_hub",
            retention_days=30,
            lawful_basis="legal_duty",
            capture_mode="walk_through",
        ),
    )
    device = gate.register_device(
        deployment.id,
        DeviceSpec(
            name="hall",
            location_description="hall",
            location_type="transport_hub",
            signage_confirmed=True,
        ),
    )
    prepare_activation(gate, deployment.id)
    gate.activate(deployment.id)
    result = gate.identify(device.id, two_people())
    assert len(result.faces) == 2  # not consent-based: every face is searched


# -- retention.shortened ------------------------------------------------------------------
def test_retention_shortened_refused_matching_of_templates_beyond_the_new_period(
    gate: Gate, site: Site, clock: Clock, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")
    clock.advance(days=3)
    gate.update_deployment(site.deployment_id, retention_days=1)
    prepare_activation(gate, site.deployment_id)
    found = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    assert found.faces == []
    assert not gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched
    assert gate.retention_due() == 1
    assert gate.sweep().expired_templates == 1
    assert "retention.shortened" in audit_actions(gate)


def test_retention_shortened_allowed_templates_within_the_new_period(
    gate: Gate, site: Site, clock: Clock, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")
    gate.update_deployment(site.deployment_id, retention_days=30)
    prepare_activation(gate, site.deployment_id)
    with gate.ctx.db.transaction(readonly=True) as session:
        template = session.scalars(select(m.Template)).one()
        assert (template.expires_at - template.created_at) == timedelta(days=30)
    assert gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched


# -- stopping and suspending delete the face data (PIPL47; M8) ------------------------------
def test_storage_retention_minimum_refused_to_keep_templates_of_a_stopped_deployment(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    enrolled(gate, site, fixtures / "obama_1.jpg")
    enrolled(gate, site, fixtures / "biden.jpg")
    gate.stop(site.deployment_id)
    with gate.ctx.db.transaction(readonly=True) as session:
        assert session.scalars(select(m.Template)).all() == []
        keys = session.scalars(select(m.DataKey)).all()
        assert keys and all(k.wrapped_key is None for k in keys)
        event = session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "deployment.stopped")
        ).one()
        assert event.object_ids()["templates_destroyed"] == "2"
        assert event.article_list() == ["M8", "PIPL19"]


def test_storage_retention_minimum_refused_to_keep_templates_of_a_long_suspension(
    gate: Gate, site: Site, clock: Clock, fixtures: Path
) -> None:
    enrolled(gate, site, fixtures / "obama_1.jpg")
    gate.suspend(site.deployment_id)
    clock.advance(days=gate.ctx.suspension_max_days - 1)
    assert gate.sweep().suspended == 0
    clock.advance(days=1)
    assert gate.sweep().suspended == 1
    assert "deployment.suspension_lapsed" in audit_actions(gate)


def test_storage_retention_minimum_allowed_short_suspension_keeps_templates(
    gate: Gate, site: Site, clock: Clock, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")
    gate.suspend(site.deployment_id)
    clock.advance(days=10)
    gate.sweep()
    gate.activate(site.deployment_id)
    clock.advance(days=gate.ctx.suspension_max_days)
    assert gate.sweep().suspended == 0  # active again: the suspension clock stopped
    assert gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched


# -- storage.retention_minimum: above the purpose's default, a justification ---------------
def test_storage_retention_minimum_refused_long_retention_without_justification(
    gate: Gate,
) -> None:
    controller = gate.register_controller(name="Acme", contact="dpo@acme.cn").id
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller, gate_spec(retention_days=3650))
    assert refused_codes(excinfo) == {"storage.retention_minimum"}
    row = gate.create_deployment(
        controller,
        gate_spec(retention_days=3650, retention_justification="Owners live here for decades"),
    )
    assert row.retention_justification


# -- pipia.renew: stale on everything the assessment weighed (M9) ---------------------------
@pytest.mark.parametrize(
    "changes",
    [
        {"retention_days": 30},
        {"transfer_mode": "networked"},
        {"entrusted_processor": "Cloud Vendor Ltd"},
        {"location_type": "office"},
        {"public_place": True, "purpose_type": "public_safety", "retention_days": 30},
        {"lawful_basis": "contract_necessity"},
    ],
    ids=["retention", "transmission", "processor", "location", "public-place", "basis"],
)
def test_pipia_renew_refused_after_a_change_it_weighed(
    gate: Gate, site: Site, fixtures: Path, changes: dict[str, object]
) -> None:
    gate.update_deployment(site.deployment_id, **changes)
    with pytest.raises(Refused) as excinfo:
        gate.identify(site.device_id, fixtures / "obama_3.jpg")
    assert "pipia.renew" in refused_codes(excinfo)


# -- minor.guardian: "14 or older" instead of a date of birth (PIPL6) -----------------------
def test_minor_guardian_allowed_adult_attests_instead_of_a_date_of_birth(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = gate.register_subject(date_of_birth=None, age_attested=True)
    assert person.date_of_birth is None
    gate.record_consent(person.id, site.deployment_id, CONSENT)
    assert gate.enrol(person.id, site.deployment_id, fixtures / "obama_1.jpg").template_id


def test_minor_guardian_refused_neither_date_nor_attestation(gate: Gate, site: Site) -> None:
    person = gate.register_subject(date_of_birth=None).id
    with pytest.raises(Refused) as excinfo:
        gate.record_consent(person, site.deployment_id, CONSENT)
    assert refused_codes(excinfo) == {"minor.guardian"}
    with pytest.raises(BadRequest):
        gate.register_subject(date_of_birth=date(1990, 1, 1), age_attested=True)


# -- rights.access_delete ---------------------------------------------------------------------
def test_rights_access_delete_refused_to_keep_anything_but_the_audit_trail(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = gate.register_subject(date_of_birth=date(1961, 8, 4), identity={"name": "B. O."}).id
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    gate.add_credential(person, site.deployment_id, "pin", "135790")
    gate.delete_subject(person)
    with gate.ctx.db.transaction(readonly=True) as session:
        row = session.get(m.Subject, person)
        assert row is not None and row.date_of_birth is None and row.deleted_at is not None
        for model in (m.Consent, m.Template, m.Credential, m.ConsentRefusal):
            assert session.scalars(select(model).where(model.subject_id == person)).all() == []
        assert session.get(m.Identity, person) is None
    report = gate.subject_report(person)
    assert report == {"subject_id": person, "held": False, "deleted": True}
    assert gate.verify_audit().ok
    with pytest.raises(UnknownSubject):
        gate.record_consent(person, site.deployment_id, CONSENT)


def test_rights_access_delete_allowed_report_scoped_to_one_controller(
    gate: Gate, fixtures: Path
) -> None:
    north = make_site(gate, "North gate")
    south = make_site(gate, "South gate")
    person = gate.register_subject(date_of_birth=None, age_attested=True).id
    for site in (north, south):
        gate.record_consent(person, site.deployment_id, CONSENT)
    with pytest.raises(BadRequest, match="controller"):
        gate.subject_report(person)
    report = gate.subject_report(person, controller_id=north.controller_id)
    assert {c["deployment_id"] for c in report["consents"]} == {north.deployment_id}
    assert report["held"] is True and report["controller_id"] == north.controller_id


# -- storage.on_device: a legal basis names a law and article; bundles sealed ------------------
def recipient() -> tuple[X25519PrivateKey, str]:
    private = X25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return private, base64.b64encode(raw).decode()


def test_storage_on_device_allowed_on_a_listed_law_and_shown_in_the_records(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")  # no transfer consent
    private, public = recipient()
    to = gate.register_recipient(site.controller_id, "Public security bureau", public)
    bundle = gate.export_templates(
        site.deployment_id, [person], recipient_id=to.id, legal_basis="CPL54"
    )
    assert bundle.legal_basis_label == "Criminal Procedure Law art. 54 (CPL54)"
    assert len(json.loads(open_sealed(bundle.sealed, private))) == 1
    with pytest.raises(CannotOpen):
        open_sealed(bundle.sealed, X25519PrivateKey.generate())
    with gate.ctx.db.transaction(readonly=True) as session:
        event = session.scalars(
            select(m.AuditEvent).where(m.AuditEvent.action == "transfer.export")
        ).one()
        assert event.object_ids()["legal_basis"] == "Criminal Procedure Law art. 54 (CPL54)"
    today = gate.ctx.now().date()
    records = gate.processing_records(site.deployment_id, today, today)
    assert "Criminal Procedure Law art. 54 (CPL54)" in records_html(records, "en")
    chinese = records_html(records, "zh")
    assert "《中华人民共和国刑事诉讼法》第五十四条" in chinese and "CPL54" not in chinese
    assert "Criminal Procedure Law art. 54 (CPL54)" in records_csv(records)


def test_storage_on_device_refused_until_the_dpo_approves_a_written_basis(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = enrolled(gate, site, fixtures / "obama_1.jpg")
    to = gate.register_recipient(site.controller_id, "Court", recipient()[1])
    basis = gate.propose_legal_basis(
        site.controller_id,
        BasisSpec(use="transfer", law="《中华人民共和国民事诉讼法》", article="第七十条"),
    )
    with pytest.raises(Refused) as excinfo:
        gate.export_templates(
            site.deployment_id, [person], recipient_id=to.id, legal_basis=f"approved:{basis.id}"
        )
    assert refused_codes(excinfo) == {"storage.on_device"}
    with pytest.raises(BadRequest):
        gate.approve_legal_basis(basis.id, approver="Wang", role="admin")
    gate.approve_legal_basis(basis.id, approver="Li Wei", role="dpo")
    bundle = gate.export_templates(
        site.deployment_id, [person], recipient_id=to.id, legal_basis=f"approved:{basis.id}"
    )
    assert "第七十条" in bundle.legal_basis_label and "Li Wei" in bundle.legal_basis_label
