"""1:N identification you can trust, through the Gate: the threshold follows the gallery's
size and the deployment's target FPIR, enrolment and activation are refused where the model
cannot hold the target (M4, M9), and a match too close to the second-best is not trusted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from facegate.engine.calibration import largest_gallery, shipped_calibration
from facegate.law import Refused
from facegate.service import Gate
from facegate.store import models as m
from sites import CONSENT, make_site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def pad_gallery(gate: Gate, deployment_id: str, count: int, seed: int = 16) -> None:
    """``count`` synthetic templates (far from any real face) for one stand-in subject."""
    rng = np.random.default_rng(seed)
    filler = gate.register_subject(date_of_birth=date(1990, 1, 1))
    ctx = gate.ctx
    with ctx.unit() as session:
        deployment = session.get(m.Deployment, deployment_id)
        assert deployment is not None
        expires = ctx.now().replace(year=ctx.now().year + 1)
        for _ in range(count):
            ctx.vault.seal_template(
                session,
                filler.id,
                deployment_id,
                m.new_id(),
                rng.normal(size=128).astype(np.float32),
                engine=ctx.engine.model_id,
                model_version=ctx.engine.model_id,
                expires_at=expires,
            )
        # The vault logs each template in the gallery change log: the index follows by delta.


def seal_face(gate: Gate, deployment_id: str, subject_id: str, photo: Path) -> None:
    """Store a real face's template directly (no duplicate check), as a second person would."""
    face = gate.ctx.engine.single_face(photo)
    ctx = gate.ctx
    with ctx.unit() as session:
        deployment = session.get(m.Deployment, deployment_id)
        assert deployment is not None
        ctx.vault.seal_template(
            session,
            subject_id,
            deployment_id,
            m.new_id(),
            face.embedding.vector,
            engine=ctx.engine.model_id,
            model_version=ctx.engine.model_id,
            expires_at=ctx.now().replace(year=ctx.now().year + 1),
        )
        # The vault logs each template in the gallery change log: the index follows by delta.


def holding_target(gate: Gate) -> tuple[float, int]:
    """A target FPIR the shipped calibration holds for at least two templates, and the
    largest gallery it holds at the default 10% FNIR ceiling."""
    calibration = shipped_calibration(gate.ctx.engine.model_id)
    assert calibration is not None
    for target in (1e-2, 3e-2, 0.1, 0.2):
        largest = largest_gallery(calibration, target, 0.10, gate.ctx.engine.threshold)
        if 2 <= largest <= 200:
            return target, largest
    raise AssertionError("no target between 1e-2 and 0.2 holds for 2 to 200 templates")


def test_purpose_specific_necessary_refused_enrolment_beyond_what_the_model_holds(
    gate: Gate, fixtures: Path
) -> None:
    target, largest = holding_target(gate)
    site = make_site(gate, target_fpir=target)
    pad_gallery(gate, site.deployment_id, largest - 1)
    first = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(first.id, site.deployment_id, CONSENT)
    gate.enrol(first.id, site.deployment_id, fixtures / "obama_1.jpg")  # the gallery is full

    second = gate.register_subject(date_of_birth=date(1942, 11, 20))
    gate.record_consent(second.id, site.deployment_id, CONSENT)
    with pytest.raises(Refused) as refused:
        gate.enrol(second.id, site.deployment_id, fixtures / "biden.jpg")
    assert "purpose.specific_necessary" in refused.value.decision.codes
    text = refused.value.decision.explain()
    assert "Measures art. 4, 9" in text
    assert f"a 1:N search of {largest + 1:,} people cannot hold" in text
    assert f"at most {largest:,} people" in text
    assert "split the gallery" in text and "card + face" in text

    # The statement the operator sees says the same.
    view = gate.accuracy(site.deployment_id)
    assert view.gallery_size == largest and view.holds
    assert view.expected_fpir is not None and view.expected_fpir <= target * 1.0001


def test_purpose_specific_necessary_refused_activation_of_a_planned_gallery_too_large(
    gate: Gate,
) -> None:
    target, largest = holding_target(gate)
    controller = gate.register_controller(name="Sunrise Property Co.", contact="dpo@sunrise.cn")
    from sites import gate_spec, prepare_activation

    deployment = gate.create_deployment(
        controller.id, gate_spec(target_fpir=1e-3, planned_gallery_size=100_000)
    )
    prepare_activation(gate, deployment.id)
    with pytest.raises(Refused) as refused:
        gate.activate(deployment.id)
    text = refused.value.decision.explain()
    assert "100,000 people cannot hold a false positive identification rate (FPIR) of 0.001" in (
        text
    )
    assert "1:1 verification" in text and "stronger model" in text

    gate.update_deployment(deployment.id, target_fpir=target, planned_gallery_size=largest)
    assert gate.activate(deployment.id).status == "active"


def test_identification_answer_carries_threshold_gallery_and_second_best(
    gate: Gate, fixtures: Path
) -> None:
    site = make_site(gate)
    obama = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(obama.id, site.deployment_id, CONSENT)
    gate.enrol(obama.id, site.deployment_id, fixtures / "obama_1.jpg")
    biden = gate.register_subject(date_of_birth=date(1942, 11, 20))
    gate.record_consent(biden.id, site.deployment_id, CONSENT)
    gate.enrol(biden.id, site.deployment_id, fixtures / "biden.jpg")

    small = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    [face] = small.faces
    assert face.subject_id == obama.id and face.reason == ""
    assert face.distance is not None and face.second_distance is not None
    assert face.second_distance > 0.7 > face.distance  # Biden is far from Obama
    assert small.gallery_size == 2 and small.model == "dlib-resnet-v1"
    assert small.threshold <= gate.ctx.engine.threshold
    assert small.expected_fpir is not None and small.expected_fpir <= 0.01 * 1.0001

    # The threshold is recomputed as the gallery grows: stricter for 50 templates more.
    pad_gallery(gate, site.deployment_id, 50)
    large = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    assert large.gallery_size == 52
    assert large.threshold < small.threshold
    assert large.to_dict()["faces"][0]["second_distance"] == face.second_distance


def test_identification_refuses_an_ambiguous_match(gate: Gate, fixtures: Path) -> None:
    """Two subjects whose templates lie almost equally close: neither is trusted."""
    site = make_site(gate, ambiguity_margin=0.5)
    first = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(first.id, site.deployment_id, CONSENT)
    gate.enrol(first.id, site.deployment_id, fixtures / "obama_1.jpg")
    twin = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(twin.id, site.deployment_id, CONSENT)
    seal_face(gate, site.deployment_id, twin.id, fixtures / "obama_2.jpg")

    ambiguous = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    [face] = ambiguous.faces
    assert face.subject_id is None and face.reason == "ambiguous"
    assert not ambiguous.matched
    assert face.distance is not None and face.second_distance is not None
    assert face.second_distance - face.distance < 0.5
    assert ambiguous.ambiguity_margin == 0.5

    # With no margin the nearer one is taken.
    gate.update_deployment(site.deployment_id, ambiguity_margin=0.0)
    decided = gate.identify(site.device_id, fixtures / "obama_3.jpg")
    assert decided.faces[0].subject_id in {first.id, twin.id}
    assert decided.faces[0].reason == ""


def test_verification_threshold_from_a_target_fmr(gate: Gate, fixtures: Path) -> None:
    calibration = shipped_calibration("dlib-resnet-v1")
    assert calibration is not None
    site = make_site(gate, method="verify", why_not_verify="", target_fmr=1e-4)
    person = gate.register_subject(date_of_birth=date(1961, 8, 4))
    gate.record_consent(person.id, site.deployment_id, CONSENT)
    gate.enrol(person.id, site.deployment_id, fixtures / "obama_1.jpg")
    result = gate.verify(site.device_id, person.id, fixtures / "obama_2.jpg")
    assert result.matched
    expected = calibration.threshold_for_fmr(1e-4)
    assert expected is not None and result.threshold == pytest.approx(expected, abs=1e-4)
    assert result.threshold is not None and result.threshold < gate.ctx.engine.threshold
    view = gate.accuracy(site.deployment_id)
    assert view.expected_fmr == pytest.approx(1e-4, rel=1e-3)
    assert "1:1 verification" in view.statement_en


def test_pipia_draft_states_expected_fpir_and_fnir(gate: Gate) -> None:
    site = make_site(gate)
    risks = gate.pipia(site.deployment_id).assessment.aspects["risks"]["findings"]
    [stated] = [f for f in risks if "identification rate" in f["en"]]
    assert "false positive identification rate" in stated["en"]
    assert "false negative identification rate" in stated["en"]
    assert "FPIR" in stated["zh"] and "FNIR" in stated["zh"]


@pytest.mark.parametrize("field", ["target_fpir", "fnir_ceiling", "target_fmr", "ambiguity_margin"])
def test_bad_targets_are_bad_input(gate: Gate, field: str) -> None:
    from facegate.service.errors import BadRequest
    from sites import gate_spec

    controller = gate.register_controller(name="Sunrise Property Co.", contact="dpo@sunrise.cn")
    with pytest.raises(BadRequest, match=field):
        gate.create_deployment(controller.id, gate_spec(**{field: 1.5}))
