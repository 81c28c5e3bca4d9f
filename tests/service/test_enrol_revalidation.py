"""Enrolment decides before the write lock and re-validates inside the write transaction
(issue 13): a change between the two is refused with the law's own error, nothing written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from facegate.law import Refused
from facegate.service import Gate, recognition
from facegate.store import models as m
from sites import CONSENT, Site

# The store on SQLite and on PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def _person(gate: Gate, site: Site) -> str:
    person = gate.register_subject(date_of_birth=date(1980, 5, 1)).id
    gate.record_consent(person, site.deployment_id, CONSENT)
    return person


def _between(gate: Gate, monkeypatch: pytest.MonkeyPatch, change: Callable[[], Any]) -> None:
    """Run ``change`` (its own transaction) after the enrolment's pre-lock decision and sealing,
    before its write transaction."""
    seal_ahead = gate.ctx.vault.seal_ahead

    def sealed_then_changed(*args: Any, **kwargs: Any) -> Any:
        sealed = seal_ahead(*args, **kwargs)
        change()
        return sealed

    monkeypatch.setattr(gate.ctx.vault, "seal_ahead", sealed_then_changed)


def _counted_decisions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time the enrolment's whole decision runs."""
    decisions: list[int] = []
    decide = recognition._enrolment_decision

    def counted(*args: Any, **kwargs: Any) -> Any:
        decisions.append(1)
        return decide(*args, **kwargs)

    monkeypatch.setattr(recognition, "_enrolment_decision", counted)
    return decisions


def _stored(gate: Gate, person: str) -> tuple[int, int]:
    """(templates, live data keys) of the person."""
    with gate.ctx.db.transaction(readonly=True) as session:
        templates = session.scalar(
            select(func.count()).select_from(m.Template).where(m.Template.subject_id == person)
        )
        keys = session.scalar(
            select(func.count())
            .select_from(m.DataKey)
            .where(m.DataKey.subject_id == person, m.DataKey.destroyed_at.is_(None))
        )
    return int(templates or 0), int(keys or 0)


def test_consent_withdraw_between_decision_and_write_refused_nothing_written(
    gate: Gate, site: Site, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = _person(gate, site)
    _between(gate, monkeypatch, lambda: gate.withdraw_consent(person, site.deployment_id))
    with pytest.raises(Refused) as excinfo:
        gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert set(excinfo.value.decision.codes) & {"consent.withdraw", "consent.separate"}
    assert excinfo.value.decision.articles  # the article that forbids it
    assert _stored(gate, person) == (0, 0)
    with gate.ctx.db.transaction(readonly=True) as session:
        last = session.scalars(select(m.AuditEvent).order_by(m.AuditEvent.seq.desc())).first()
        assert last is not None
        assert (last.action, last.decision) == ("enrol", "refused")
    assert gate.verify_audit().ok


def test_deployment_inactive_suspended_between_decision_and_write_refused(
    gate: Gate, site: Site, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = _person(gate, site)
    _between(gate, monkeypatch, lambda: gate.suspend(site.deployment_id))
    with pytest.raises(Refused) as excinfo:
        gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert "deployment.inactive" in excinfo.value.decision.codes
    assert _stored(gate, person) == (0, 0)


def test_unchanged_reads_are_not_decided_again_in_the_write(
    gate: Gate, site: Site, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nothing changed, the law is decided twice (before the engine, before the lock),
    never inside the write transaction; the template is written and opens."""
    person = _person(gate, site)
    decisions = _counted_decisions(monkeypatch)
    enrolled = gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert len(decisions) == 2
    assert _stored(gate, person) == (1, 1)
    assert gate.verify(site.device_id, person, fixtures / "obama_2.jpg").matched
    assert uuid.UUID(enrolled.template_id).version == 7  # time-ordered (store.models)


def test_an_unrelated_change_between_decides_again_and_enrols(
    gate: Gate, site: Site, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change the decision read but that does not refuse (another consent of the person
    recorded): decided a third time, inside the write transaction, and enrolled."""
    person = _person(gate, site)
    decisions = _counted_decisions(monkeypatch)
    _between(gate, monkeypatch, lambda: gate.record_consent(person, site.deployment_id, CONSENT))
    gate.enrol(person, site.deployment_id, fixtures / "obama_1.jpg")
    assert len(decisions) == 3
    assert _stored(gate, person) == (1, 1)
