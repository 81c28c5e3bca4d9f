"""liveness.failed (Measures art. 14, art. 9): a printed or on-screen face is refused by the
Gate on enrol, verify and identify, audited, and repeated attacks at a device raise an alert.

The attacks are the upstream Silent-Face sample photos (``../shared``; skipped when absent);
the live faces are the fixture portraits, which the check scores live. The tests that write or
read the store (refusals audited, nothing enrolled, the alert) run on both databases; the
frame comparison of the challenge is the engine's alone.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from facegate.law import Refused
from facegate.service import Gate
from facegate.service.access import security_events
from facegate.store import models as m
from shared_data import SAMPLES
from sites import CONSENT, Clock, Site, make_site

PRINTED = SAMPLES / "image_F1.jpg"
SCREEN = SAMPLES / "image_F2.jpg"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared samples absent")


def enrolled(gate: Gate, site: Site, photo: Path) -> str:
    subject = gate.register_subject(date_of_birth=date(1961, 8, 4)).id
    gate.record_consent(subject, site.deployment_id, CONSENT)
    gate.enrol(subject, site.deployment_id, photo, device_id=site.device_id)
    return subject


def last_event(gate: Gate) -> m.AuditEvent:
    with gate.ctx.db.transaction(readonly=True) as session:
        row = session.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq.desc())).first()
        assert row is not None
        session.expunge(row)
        return row


def assert_liveness_refusal(
    excinfo: pytest.ExceptionInfo[Refused], gate: Gate, action: str
) -> None:
    decision = excinfo.value.decision
    assert decision.codes == ("liveness.failed",)
    assert decision.articles == ("M14", "M9")
    assert "Measures art. 14, 9" in excinfo.value.message
    event = last_event(gate)
    assert (event.action, event.decision) == (action, "refused")
    assert json.loads(event.articles) == ["M14", "M9"]
    assert event.object_ids()["check"] == "liveness"
    assert float(event.object_ids()["score"]) < 0.5


@pytest.mark.both_databases
def test_new_deployments_default_to_passive_liveness(gate: Gate, site: Site) -> None:
    (row,) = [d for d in gate.deployments() if d.id == site.deployment_id]
    assert row.liveness == "passive"


@pytest.mark.both_databases
@needs_samples
@pytest.mark.parametrize("attack", [PRINTED, SCREEN], ids=["printed", "screen"])
def test_liveness_failed_refuses_enrol(gate: Gate, site: Site, attack: Path) -> None:
    subject = gate.register_subject(date_of_birth=date(1990, 1, 1)).id
    gate.record_consent(subject, site.deployment_id, CONSENT)
    with pytest.raises(Refused) as excinfo:
        gate.enrol(subject, site.deployment_id, attack, device_id=site.device_id)
    assert_liveness_refusal(excinfo, gate, "enrol")
    with gate.ctx.db.transaction(readonly=True) as session:
        assert session.scalars(select(m.Template)).first() is None


@pytest.mark.both_databases
@needs_samples
def test_liveness_failed_refuses_verify(gate: Gate, site: Site, fixtures: Path) -> None:
    subject = enrolled(gate, site, fixtures / "obama_1.jpg")
    with pytest.raises(Refused) as excinfo:
        gate.verify(site.device_id, subject, PRINTED)
    assert_liveness_refusal(excinfo, gate, "verify")
    assert gate.verify(site.device_id, subject, fixtures / "obama_2.jpg").matched


@pytest.mark.both_databases
@needs_samples
def test_liveness_failed_refuses_identify(gate: Gate, site: Site, fixtures: Path) -> None:
    enrolled(gate, site, fixtures / "obama_1.jpg")
    with pytest.raises(Refused) as excinfo:
        gate.identify(site.device_id, SCREEN)
    assert_liveness_refusal(excinfo, gate, "identify")
    assert gate.identify(site.device_id, fixtures / "obama_3.jpg").matched


@pytest.mark.both_databases
@needs_samples
def test_liveness_failed_three_attacks_in_five_minutes_raise_one_alert(
    gate: Gate, site: Site, fixtures: Path, clock: Clock
) -> None:
    subject = enrolled(gate, site, fixtures / "obama_1.jpg")

    def attack() -> None:
        with pytest.raises(Refused):
            gate.verify(site.device_id, subject, PRINTED)

    attack()
    clock.advance(minutes=3)
    attack()
    assert not security_events(gate.ctx)
    clock.advance(minutes=2, seconds=30)  # the first attack is now outside the window
    attack()
    assert not security_events(gate.ctx)
    clock.advance(seconds=30)
    attack()  # three within five minutes
    alerts = security_events(gate.ctx)
    assert [(a.kind, a.device_id) for a in alerts] == [("presentation_attacks", site.device_id)]
    assert last_event(gate).action == "security.presentation_attacks"
    clock.advance(seconds=30)
    attack()  # still the same burst: no second alert
    assert len(security_events(gate.ctx)) == 1
    assert gate.verify_audit().ok


@pytest.mark.both_databases
@needs_samples
def test_liveness_failed_not_checked_when_the_deployment_turns_it_off(
    gate: Gate, fixtures: Path
) -> None:
    site = make_site(gate, name="Loading dock", liveness="off")
    subject = enrolled(gate, site, fixtures / "obama_1.jpg")
    result = gate.verify(site.device_id, subject, PRINTED)  # compared, not refused
    assert not result.matched
    assert result.reason == "no_match"


@pytest.mark.both_databases
def test_liveness_setting_is_validated(gate: Gate, site: Site) -> None:
    from facegate.service.errors import BadRequest

    with pytest.raises(BadRequest):
        gate.update_deployment(site.deployment_id, liveness="sometimes")
    assert gate.update_deployment(site.deployment_id, liveness="active").liveness == "active"


def _frames(fixtures: Path, name: str, count: int) -> list[bytes]:
    return [(fixtures / name).read_bytes()] * count


@pytest.mark.both_databases
def test_liveness_failed_refuses_a_still_face_in_the_active_challenge(
    gate: Gate, fixtures: Path
) -> None:
    site = make_site(gate, name="Lobby", liveness="active")
    with pytest.raises(Refused) as excinfo:
        gate.check_challenge(
            site.device_id, ("blink", "turn_left", "turn_right"),
            _frames(fixtures, "obama_1.jpg", 6), action="enrol",
        )  # fmt: skip
    assert excinfo.value.decision.codes == ("liveness.failed",)
    event = last_event(gate)
    assert (event.action, event.decision) == ("enrol", "refused")
    assert event.object_ids()["check"] == "challenge"
    assert event.object_ids()["reason"] == "blink_not_seen"


@pytest.mark.both_databases
def test_liveness_failed_allowed_challenge_not_asked_of_a_passive_deployment(
    gate: Gate, site: Site, fixtures: Path
) -> None:
    verdict = gate.check_challenge(
        site.device_id, ("blink",), _frames(fixtures, "obama_1.jpg", 1), action="verify"
    )
    assert verdict.passed


def test_liveness_failed_challenge_frames_and_picture_must_show_one_person(
    gate: Gate, fixtures: Path
) -> None:
    """Someone doing the challenge for a photo of another person sent as the picture."""
    from facegate.service.liveness import _same_face

    frames = _frames(fixtures, "obama_1.jpg", 2)
    assert _same_face(gate.ctx, frames, fixtures / "obama_2.jpg")
    assert not _same_face(gate.ctx, frames, fixtures / "biden.jpg")
