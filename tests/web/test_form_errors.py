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

pytestmark = pytest.mark.both_databases

WIZARD_FIELDS = ("purpose", "necessity", "why_not_verify", "alternatives", "location_type")


@pytest.fixture
def gate(tmp_path: Path, database_url: str, engine: FaceEngine) -> Iterator[Gate]:
    settings = Settings(data_dir=tmp_path / "d", database_url=database_url)
    gate = Gate.open(settings, create=True, engine=engine)
    yield gate
    gate.close()


def test_purpose_specific_necessary_each_reason_beside_the_blank_field(gate: Gate) -> None:
    controller = gate.register_controller(name="Sunrise", contact="dpo@sunrise.cn")
    values = {"purpose": "", "necessity": "", "why_not_verify": "", "method": "identify"}
    with pytest.raises(Refused) as refused:
        gate.create_deployment(
            controller.id, gate_spec(purpose="", necessity="", why_not_verify="", alternatives=())
        )
    # In English each reason has its own sentence: each beside its own field, once.
    beside, rest = place(problem(refused.value, "en")["reasons"], values, WIZARD, WIZARD_FIELDS)
    assert rest == []
    assert [len(beside[f]) for f in ("purpose", "necessity", "why_not_verify")] == [1, 1, 1]
    assert len(beside["alternatives"]) == 2  # no alternative; so consent would be conditional
    assert len({r["message"] for f in beside for r in beside[f]}) == 5
    assert {r["code"] for r in beside["alternatives"]} == {
        "alternative.required",
        "consent.not_conditional",
    }
    # In Chinese the three purpose reasons read as the rule's one summary: printed once, beside
    # the purpose; the other two blank fields are marked and point at it.
    beside, rest = place(problem(refused.value, "zh")["reasons"], values, WIZARD, WIZARD_FIELDS)
    assert rest == [] and len(beside["purpose"]) == 1
    assert beside["necessity"] == beside["why_not_verify"] == {"see": "purpose"}


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
    printed = [r["message"] for f in beside if isinstance(beside[f], list) for r in beside[f]]
    assert len(printed) == len(set(printed))  # each sentence once


def test_unplaced_reasons_stay_at_the_top_and_blank_fields_are_named() -> None:
    beside, rest = place([{"code": "pipia.before", "message": "m"}], {}, WIZARD, WIZARD_FIELDS)
    assert beside == {} and rest == [{"code": "pipia.before", "message": "m"}]
    blank = missing({"name": " ", "x": "y"}, {"name": "Name it", "x": "X"})
    assert blank == {"name": [{"message": "Name it"}]}
