"""A user's own ONNX model through the Gate: enrol, verify and identify, its own model id, and
no mixing with dlib's templates (issue 16, item 4)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from facegate.config import Settings
from facegate.engine import EngineConfig, FaceEngine
from facegate.law import Refused
from facegate.service import Gate
from onnx_models import MODEL_ID, build_tiny_model
from sites import CONSENT, Clock, gate_spec, make_site, prepare_activation

pytestmark = pytest.mark.both_databases


@pytest.fixture(scope="module")
def tiny_engine(tmp_path_factory: pytest.TempPathFactory) -> FaceEngine:
    return FaceEngine(EngineConfig(model=str(build_tiny_model(tmp_path_factory.mktemp("m")))))


def test_enrol_verify_identify_with_the_users_model(
    data_dir: Path,
    database_url: str,
    clock: Clock,
    engine: FaceEngine,
    tiny_engine: FaceEngine,
    fixtures: Path,
) -> None:
    # First, dlib: one person enrolled under dlib's model.
    dlib = Gate.open(
        Settings(data_dir=data_dir, database_url=database_url),
        create=True,
        clock=clock,
        engine=engine,
    )
    site = make_site(dlib)
    earlier = dlib.register_subject(date_of_birth=date(1942, 11, 20))
    dlib.record_consent(earlier.id, site.deployment_id, CONSENT)
    dlib.enrol(earlier.id, site.deployment_id, fixtures / "biden.jpg")
    dlib.close()

    # Then the user's model on the same store.
    gate = Gate.open(
        Settings(data_dir=data_dir, database_url=database_url), clock=clock, engine=tiny_engine
    )
    try:
        person = gate.register_subject(date_of_birth=date(1961, 8, 4))
        gate.record_consent(person.id, site.deployment_id, CONSENT)
        enrolment = gate.enrol(person.id, site.deployment_id, fixtures / "obama_1.jpg")
        assert enrolment.model == MODEL_ID

        verified = gate.verify(site.device_id, person.id, fixtures / "obama_1.jpg")
        assert verified.matched and verified.threshold == 0.05
        assert verified.distance is not None and verified.distance < 1e-4

        found = gate.identify(site.device_id, fixtures / "obama_1.jpg")
        assert [f.subject_id for f in found.faces] == [person.id]
        assert found.model == MODEL_ID
        assert found.gallery_size == 1  # dlib's template of the earlier person is not searched
        assert found.threshold <= 0.05

        # dlib's template is never compared with this model's faces.
        assert gate.verify(site.device_id, earlier.id, fixtures / "biden.jpg").reason == (
            "no_template"
        )
        assert not gate.identify(site.device_id, fixtures / "biden.jpg").matched
        view = gate.accuracy(site.deployment_id)
        assert view.model_id == MODEL_ID and view.holds
    finally:
        gate.close()


def test_identification_refused_for_an_uncalibrated_model(
    data_dir: Path, database_url: str, clock: Clock, tmp_path: Path
) -> None:
    uncalibrated = FaceEngine(
        EngineConfig(model=str(build_tiny_model(tmp_path / "m", calibrated=False)))
    )
    gate = Gate.open(
        Settings(data_dir=data_dir, database_url=database_url),
        create=True,
        clock=clock,
        engine=uncalibrated,
    )
    try:
        controller = gate.register_controller(name="Sunrise Property Co.", contact="dpo@x.cn")
        deployment = gate.create_deployment(controller.id, gate_spec())
        prepare_activation(gate, deployment.id)
        with pytest.raises(Refused) as refused:
            gate.activate(deployment.id)
        assert f"model {MODEL_ID} has no calibration" in refused.value.decision.explain()

        # 1:1 needs no gallery-wide calibration: the manifest's threshold applies.
        verify = gate.create_deployment(
            controller.id, gate_spec(name="Desk", method="verify", why_not_verify="")
        )
        prepare_activation(gate, verify.id)
        assert gate.activate(verify.id).status == "active"
    finally:
        gate.close()
