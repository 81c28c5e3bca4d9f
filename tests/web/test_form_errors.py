"""Refusals placed beside the fields that would fix them (issue 15: "refusals once, next to
their field"), from the law's real reasons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from facegate.config import Settings
from facegate.engine import FaceEngine
from facegate.law import Refused
from facegate.service import DeviceSpec, Gate
from facegate.web.app import problem
from facegate.web.form_errors import DEVICE, WIZARD, missing, place
from sites import gate_spec

WIZARD_FIELDS = ("purpose", "necessity", "why_not_verify", "alternatives", "location_type")


@pytest.fixture
def gate(tmp_path: Path, engine: FaceEngine) -> Iterator[Gate]:
    gate = Gate.open(Settings(data_dir=tmp_path / "d"), create=True, engine=engine)
    yield gate
    gate.close()


def test_purpose_specific_necessary_each_reason_beside_the_blank_field(gate: Gate) -> None:
    controller = gate.register_controller(name="Sunrise", contact="dpo@sunrise.cn")
    values = {"purpose": "", "necessity": "", "why_not_verify": "", "method": "identify"}
    with pytest.raises(Refused) as refused:
        gate.create_deployment(
            controller.id, gate_spec(purpose="", necessity="", why_not_verify="", alternatives=())
        )
    reasons = problem(refused.value)["reasons"]
    beside, rest = place(reasons, values, WIZARD, WIZARD_FIELDS)
    assert set(beside) == {"purpose", "necessity", "why_not_verify", "alternatives"}
    # Each reason once: the three purpose reasons apart, the two about alternatives together.
    assert [len(beside[f]) for f in ("purpose", "necessity", "why_not_verify")] == [1, 1, 1]
    assert len(beside["alternatives"]) == 2
    assert len({m for ms in beside.values() for m in ms}) == 5
    assert rest == []


def test_location_public_place_signs_beside_the_signage_box(gate: Gate) -> None:
    controller = gate.register_controller(name="Sunrise", contact="dpo@sunrise.cn")
    deployment = gate.create_deployment(controller.id, gate_spec())
    values = {"location_type": "hotel_lobby", "signage_confirmed": ""}
    with pytest.raises(Refused) as refused:
        gate.register_device(
            deployment.id,
            DeviceSpec(name="Mall", location_description="Atrium", location_type="hotel_lobby"),
        )
    beside, rest = place(
        problem(refused.value)["reasons"], values, DEVICE, ("location_type", "signage_confirmed")
    )
    assert set(beside) == {"signage_confirmed", "location_type"} and rest == []


def test_unplaced_reasons_stay_at_the_top_and_blank_fields_are_named() -> None:
    beside, rest = place([{"code": "pipia.before", "message": "m"}], {}, WIZARD, WIZARD_FIELDS)
    assert beside == {} and rest == [{"code": "pipia.before", "message": "m"}]
    assert missing({"name": " ", "x": "y"}, {"name": "Name it", "x": "X"}) == {"name": ["Name it"]}
