"""Every Gate rule of measures.md, refused and allowed, through the Gate itself.

Test names carry the rule's code (dots as underscores). Pure-rule boundary tables live in
tests/law; here each rule is shown doing its job in the data path.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from facegate.law import Refused
from facegate.sealed_box import open_sealed
from facegate.service import ConsentSpec, DeploymentSpec, DeviceSpec, Gate
from raw_sql import raw_columns, raw_rows
from sites import CONSENT, Clock, Site, gate_spec, make_site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def refused_codes(excinfo: pytest.ExceptionInfo[Refused]) -> set[str]:
    return set(excinfo.value.decision.codes)


def adult(gate: Gate) -> str:
    return gate.register_subject(date_of_birth=date(1980, 5, 1)).id


def controller(gate: Gate) -> str:
    return gate.register_controller(name="Acme", contact="dpo@acme.cn").id


# -- scope and purpose --------------------------------------------------------------------
def test_scope_rnd_excluded_refused(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(purpose_type="rnd"))
    assert "scope.rnd_excluded" in refused_codes(excinfo)


def test_scope_rnd_excluded_allowed(gate: Gate) -> None:
    assert gate.create_deployment(controller(gate), gate_spec()).status == "draft"


def test_purpose_specific_necessary_refused(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(necessity="  "))
    assert "purpose.specific_necessary" in refused_codes(excinfo)
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(why_not_verify=""))
    assert "purpose.specific_necessary" in refused_codes(excinfo)


def test_purpose_specific_necessary_allowed(gate: Gate) -> None:
    row = gate.create_deployment(controller(gate), gate_spec(method="verify", why_not_verify=""))
    assert row.method == "verify"


def test_purpose_specific_necessary_identify_refused_for_a_verify_deployment(
    gate: Gate, fixtures: Path
) -> None:
    site = make_site(gate, method="verify", why_not_verify="")
    with pytest.raises(Refused) as excinfo:
        gate.identify(site.device_id, fixtures / "obama_1.jpg")
    assert "purpose.specific_necessary" in refused_codes(excinfo)


# -- the alternative ----------------------------------------------------------------------
def test_alternative_required_refused(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(alternatives=("  ",)))
    assert "alternative.required" in refused_codes(excinfo)


def test_alternative_required_allowed_pin_gives_the_same_outcome(gate: Gate, site: Site) -> None:
    person = adult(gate)  # no face consent at all: refused face recognition
    gate.add_credential(person, site.deployment_id, "pin", "482913")
    result = gate.verify_alternative(site.device_id, "pin", "482913", subject_id=person)
    assert result.matched and result.subject_id == person and result.method == "pin"
    wrong = gate.verify_alternative(site.device_id, "pin", "000000", subject_id=person)
    assert not wrong.matched


def test_consent_not_conditional_refused(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(alternatives=()))
    assert "consent.not_conditional" in refused_codes(excinfo)


def test_consent_not_conditional_allowed_card_without_face(gate: Gate, site: Site) -> None:
    person = adult(gate)
    gate.record_refusal(site.deployment_id, subject_id=person)
    gate.add_credential(person, site.deployment_id, "card", "CARD-0042-7781")
    result = gate.verify_alternative(site.device_id, "card", "CARD-0042-7781")
    assert result.matched and result.subject_id == person


# -- consent ------------------------------------------------------------------------------
def test_consent_separate_refused_enrolment_without_consent(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.enrol(adult(gate), site.deployment_id, fixtures / "obama_1.jpg")
    assert "consent.separate" in refused_codes(excinfo)


def test_consent_separate_refused_when_bundled(gate: Gate, site: Site) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.record_consent(
            adult(gate), site.deployment_id, dataclasses.replace(CONSENT, bundled=True)
        )
    assert "consent.separate" in refused_codes(excinfo)


def test_consent_separate_refused_consent_for_another_deployment(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    other = make_site(gate, name="Canteen")
    person = adult(gate)
    gate.record_consent(person, other.deployment_id, CONSENT)
    with pytest.raises(Refused):
        gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")


def test_consent_separate_allowed(gate: Gate, site: Site, fixtures: Path) -> None:
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    assert gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg").subject_id == person


def test_consent_written_refused(gate: Gate) -> None:
    site = make_site(gate, written_consent_required=True)
    with pytest.raises(Refused) as excinfo:
        gate.record_consent(adult(gate), site.deployment_id, CONSENT)
    assert "consent.written" in refused_codes(excinfo)


def test_consent_written_allowed(gate: Gate) -> None:
    site = make_site(gate, written_consent_required=True)
    row = gate.record_consent(
        adult(gate), site.deployment_id, dataclasses.replace(CONSENT, form="written")
    )
    assert row.form == "written"


def test_consent_withdraw_refused_recognition_after_withdrawal(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    gate.withdraw_consent(person, site.deployment_id)
    with pytest.raises(Refused) as excinfo:
        gate.enrol(person, site.deployment_id, fixtures / "obama_2.jpg")
    assert refused_codes(excinfo) & {"consent.withdraw", "consent.separate"}


def test_consent_withdraw_allowed_deletes_templates(gate: Gate, site: Site, fixtures: Path) -> None:
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert gate.withdraw_consent(person, site.deployment_id).templates_destroyed == 1
    assert gate.subject_report(person)["templates"] == []


def test_consent_no_repeat_prompt_refused(gate: Gate, site: Site, clock: Clock) -> None:
    person = adult(gate)
    gate.record_refusal(site.deployment_id, subject_id=person)
    clock.advance(days=30)
    decision = gate.may_prompt(person, site.deployment_id)
    assert not decision.allowed
    assert "consent.no_repeat_prompt" in decision.codes


def test_consent_no_repeat_prompt_allowed(gate: Gate, site: Site, clock: Clock) -> None:
    person = adult(gate)
    assert gate.may_prompt(person, site.deployment_id).allowed
    gate.record_refusal(site.deployment_id, subject_id=person)
    clock.advance(days=181)
    assert gate.may_prompt(person, site.deployment_id).allowed


def test_coercion_prohibited_refused(gate: Gate, site: Site) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.record_consent(
            adult(gate), site.deployment_id, dataclasses.replace(CONSENT, alternative_offered=False)
        )
    assert "coercion.prohibited" in refused_codes(excinfo)


def test_consent_separate_refused_pre_ticked_box(gate: Gate, site: Site) -> None:
    # A box ticked in advance is no explicit consent (M6; PIPL14), not coercion.
    with pytest.raises(Refused) as excinfo:
        gate.record_consent(
            adult(gate), site.deployment_id, dataclasses.replace(CONSENT, pre_ticked=True)
        )
    assert refused_codes(excinfo) == {"consent.separate"}


def test_coercion_prohibited_allowed(gate: Gate, site: Site) -> None:
    assert gate.record_consent(adult(gate), site.deployment_id, CONSENT).alternative_offered


# -- minors -------------------------------------------------------------------------------
def test_minor_guardian_refused(gate: Gate, site: Site, clock: Clock) -> None:
    today = clock.now.date()
    child = gate.register_subject(date_of_birth=today.replace(year=today.year - 10)).id
    with pytest.raises(Refused) as excinfo:
        gate.record_consent(child, site.deployment_id, CONSENT)
    assert "minor.guardian" in refused_codes(excinfo)


def test_minor_guardian_allowed(gate: Gate, site: Site, clock: Clock) -> None:
    today = clock.now.date()
    child = gate.register_subject(date_of_birth=today.replace(year=today.year - 10)).id
    spec = dataclasses.replace(CONSENT, given_by="guardian", guardian_relation="mother")
    assert gate.record_consent(child, site.deployment_id, spec).given_by == "guardian"
    # On the fourteenth birthday a person consents for themselves.
    teen = gate.register_subject(date_of_birth=today.replace(year=today.year - 14)).id
    assert gate.record_consent(teen, site.deployment_id, CONSENT).given_by == "self"


# -- where devices may be -----------------------------------------------------------------
@pytest.mark.parametrize(
    "place", ["hotel_room", "public_toilet", "public_changing_room", "public_bathhouse"]
)
def test_location_private_space_refused(gate: Gate, site: Site, place: str) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.register_device(
            site.deployment_id,
            DeviceSpec(name="cam", location_description="x", location_type=place),
        )
    assert "location.private_space" in refused_codes(excinfo)


def test_location_private_space_allowed(gate: Gate, site: Site) -> None:
    device = gate.register_device(
        site.deployment_id,
        DeviceSpec(name="office cam", location_description="staff door", location_type="office"),
    )
    assert device.active


def test_location_public_place_refused_without_signage(gate: Gate, site: Site) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.register_device(
            site.deployment_id,
            DeviceSpec(
                name="plaza cam",
                location_description="plaza",
                location_type="transport_hub",
                public_place=True,
            ),
        )
    assert "location.public_place" in refused_codes(excinfo)


def test_location_public_place_refused_with_signage_and_consent(gate: Gate, site: Site) -> None:
    # Consent is no substitute for the necessity of public safety (M13; PIPL26), and a transport
    # hub is a public place whatever the operator declares.
    with pytest.raises(Refused) as excinfo:
        gate.register_device(
            site.deployment_id,
            DeviceSpec(
                name="plaza cam",
                location_description="plaza",
                location_type="transport_hub",
                public_place=False,
                signage_confirmed=True,
            ),
        )
    assert refused_codes(excinfo) == {"location.public_place"}


def public_safety_spec(**changes: object) -> DeploymentSpec:
    values: dict[str, object] = {
        "name": "Station watch",
        "purpose_type": "public_safety",
        "purpose": "在车站入口查找公安机关正在查找的人员",
        "necessity": "公安机关对本交通枢纽的要求",
        "location_type": "transport_hub",
        "retention_days": 30,
        "lawful_basis": "legal_duty",
        "capture_mode": "walk_through",
    }
    values.update(changes)
    return gate_spec(**values)


def test_location_public_place_allowed_for_public_safety_with_signage(gate: Gate) -> None:
    deployment = gate.create_deployment(controller(gate), public_safety_spec())
    device = gate.register_device(
        deployment.id,
        DeviceSpec(
            name="plaza cam",
            location_description="plaza",
            location_type="transport_hub",
            signage_confirmed=True,
        ),
    )
    assert device.public_place  # derived from the location type, not declared


def test_location_public_place_refused_on_consent_at_a_shop(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(location_type="shop"))
    assert refused_codes(excinfo) == {"location.public_place"}


# -- vehicles -----------------------------------------------------------------------------
def test_sector_automotive_refused(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(
            controller(gate),
            gate_spec(
                sector="automotive",
                location_type="vehicle_cabin",
                purpose_type="payment",
                lawful_basis="contract_necessity",
            ),
        )
    assert "sector.automotive" in refused_codes(excinfo)


def test_sector_automotive_allowed_for_a_carmakers_own_gate(gate: Gate) -> None:
    # The automotive rules apply to in-vehicle and exterior-vehicle cameras only.
    row = gate.create_deployment(controller(gate), gate_spec(sector="automotive"))
    assert row.status == "draft"


def test_sector_automotive_allowed(gate: Gate) -> None:
    row = gate.create_deployment(
        controller(gate),
        gate_spec(
            sector="automotive",
            location_type="vehicle_cabin",
            purpose_type="driving_safety",
            purpose="检测驾驶员疲劳",
            method="verify",
            why_not_verify="",
        ),
    )
    assert row.sector == "automotive"


# -- storage ------------------------------------------------------------------------------
def test_storage_on_device_refused(gate: Gate, site: Site, fixtures: Path, tmp_path: Path) -> None:
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    recipient = gate.register_recipient(site.controller_id, "HQ server", recipient_key()[1])
    with pytest.raises(Refused) as excinfo:
        gate.export_templates(site.deployment_id, [person], recipient_id=recipient.id)
    assert "storage.on_device" in refused_codes(excinfo)
    with pytest.raises(Refused) as excinfo:  # free text is no legal basis
        gate.export_templates(
            site.deployment_id, [person], recipient_id=recipient.id, legal_basis="none"
        )
    assert "storage.on_device" in refused_codes(excinfo)


def test_storage_on_device_allowed_with_transfer_consent(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.record_consent(person, site.deployment_id, dataclasses.replace(CONSENT, scope="transfer"))
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    private, public = recipient_key()
    recipient = gate.register_recipient(site.controller_id, "HQ server", public)
    bundle = gate.export_templates(site.deployment_id, [person], recipient_id=recipient.id)
    assert bundle.template_count == 1
    assert "vector" not in json.dumps(bundle.to_dict())  # never in the clear
    opened = json.loads(open_sealed(bundle.to_dict()["sealed"], private))
    assert [t["subject_id"] for t in opened] == [person] and opened[0]["vector_f32_base64"]
    assert "vector" not in str(gate.subject_report(person)["templates"])


def recipient_key() -> tuple[X25519PrivateKey, bytes]:
    private = X25519PrivateKey.generate()
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, pem


def test_storage_retention_minimum_refused(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(retention_days=0))
    assert "storage.retention_minimum" in refused_codes(excinfo)


def test_storage_retention_minimum_expired_never_matches_and_sweep_purges(
    gate: Gate, fixtures: Path, clock: Clock
) -> None:
    site = make_site(gate, retention_days=30)
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    clock.advance(days=29, hours=23)
    assert gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched  # last day
    clock.advance(hours=1)
    late = gate.verify(site.device_id, person, fixtures / "obama_2.jpg")
    assert not late.matched and late.reason == "no_template"
    assert not gate.identify(site.device_id, fixtures / "obama_2.jpg").matched
    assert gate.retention_due() == 1
    report = gate.sweep()
    assert report.expired_templates == 1 and report.keys_destroyed == 1
    assert gate.retention_due() == 0


# -- security and data --------------------------------------------------------------------
def test_security_measures_refused(gate: Gate) -> None:
    with pytest.raises(Refused) as excinfo:
        gate.create_deployment(controller(gate), gate_spec(mlps_level=9))
    assert "security.measures" in refused_codes(excinfo)


def test_security_measures_allowed_templates_encrypted(
    gate: Gate, site: Site, fixtures: Path, data_dir: Path
) -> None:
    row = gate.create_deployment(controller(gate), gate_spec(mlps_level=2))
    assert row.mlps_level == 2
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    [(blob,)] = raw_rows(gate.ctx.db, "SELECT ciphertext FROM templates")
    assert len(blob) == 128 * 4 + 16  # float32 vector + GCM tag: nothing else stored with it


def test_rights_access_delete_allowed(gate: Gate, site: Site, fixtures: Path) -> None:
    person = gate.register_subject(date_of_birth=date(1961, 8, 4), identity={"name": "B. O."}).id
    gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    gate.add_credential(person, site.deployment_id, "pin", "135790")
    report = gate.subject_report(person)
    assert report["identity"] == {"name": "B. O."}
    assert len(report["templates"]) == 1 and len(report["consents"]) == 1
    counts = gate.delete_subject(person)
    assert counts["templates_destroyed"] == 1 and counts["identity_deleted"] == 1
    after = gate.subject_report(person)  # nothing is held any more (issue 12)
    assert after == {"subject_id": person, "held": False, "deleted": True}


def test_rights_access_delete_refused_for_unknown_subject(gate: Gate) -> None:
    from facegate.service import UnknownSubject

    with pytest.raises(UnknownSubject):
        gate.subject_report("no-such-subject")


def test_data_no_raw_images_refused_nothing_at_rest(
    gate: Gate, site: Site, fixtures: Path, data_dir: Path
) -> None:
    """After enrolment no file in the data directory holds photo bytes or plain embeddings."""
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    photo = (fixtures / "obama_1.jpg").read_bytes()
    gate.enrol(person, site.deployment_id, photo)
    vector = gate.ctx.engine.single_face(photo).embedding.vector
    needles = [
        photo[1000:1064],
        photo[-64:],
        vector.tobytes()[:32],
        vector.astype("<f8").tobytes()[:32],
    ]
    gate.close()
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for needle in needles:
                assert needle not in content, f"{path.name} holds raw face data"


def test_data_no_raw_images_allowed_enrolment_from_memory(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    person = adult(gate)
    gate.record_consent(person, site.deployment_id, CONSENT)
    assert gate.enrol(person, site.deployment_id, (fixtures / "obama_1.jpg").read_bytes())


def test_data_separate_identity(gate: Gate, data_dir: Path) -> None:
    person = gate.register_subject(date_of_birth=None, identity={"name": "Zhang San"}).id
    subject_columns = raw_columns(gate.ctx.db, "subjects")
    identity = raw_rows(
        gate.ctx.db, "SELECT ciphertext FROM identities WHERE subject_id = ?", person
    )
    assert not subject_columns & {"name", "id_number", "phone"}
    assert identity and b"Zhang San" not in identity[0][0]
    assert gate.subject_report(person)["identity"] == {"name": "Zhang San"}


def test_duplicate_identity_refused_in_the_same_deployment(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    from facegate.service import DuplicateIdentity

    first, second = adult(gate), adult(gate)
    for person in (first, second):
        gate.record_consent(person, site.deployment_id, CONSENT)
    gate.enrol(first, site.deployment_id, fixtures / "obama_1.jpg")
    with pytest.raises(DuplicateIdentity):
        gate.enrol(second, site.deployment_id, fixtures / "obama_2.jpg")


def test_consent_spec_defaults_are_not_consent() -> None:
    """A ConsentSpec made without thought does not pass: the alternative must be offered."""
    assert ConsentSpec().alternative_offered is False


def test_consent_no_repeat_prompt_refusal_of_an_unknown_subject_is_bad_input(
    gate: Gate, site: Site
) -> None:
    from facegate.service import UnknownSubject

    with pytest.raises(UnknownSubject):
        gate.record_refusal(site.deployment_id, subject_id="nobody")


def test_chinese_required_for_the_free_text_the_notice_quotes(gate: Gate) -> None:
    """PIPL 17 (clear, understandable language): the purpose, necessity, reason for 1:N and
    alternatives are quoted to people in the notice and to the regulator in the PIPIA, so
    they are written in Chinese; English goes beside them under ``english``."""
    from facegate.service.errors import ChineseRequired

    owner = controller(gate)
    with pytest.raises(ChineseRequired) as refused:
        gate.create_deployment(owner, gate_spec(purpose="Let residents in", necessity="Cards"))
    assert refused.value.code == "chinese_required"
    assert refused.value.fields == ["purpose", "necessity"]
    with pytest.raises(ChineseRequired) as refused:
        gate.create_deployment(owner, gate_spec(alternatives=("密码键盘", "guard desk")))
    assert refused.value.fields == ["alternatives"]

    row = gate.create_deployment(owner, gate_spec())
    assert row.english["purpose"] == "Let residents of Block 3 through the north gate"
    with pytest.raises(ChineseRequired):
        gate.update_deployment(row.id, why_not_verify="Residents do not stop")
    changed = gate.update_deployment(
        row.id, purpose="三号楼住户及访客经北门通行", english={"purpose": "Residents and visitors"}
    )
    assert changed.purpose == "三号楼住户及访客经北门通行"
    assert changed.english["purpose"] == "Residents and visitors"
