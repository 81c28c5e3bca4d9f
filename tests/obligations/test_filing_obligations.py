"""filing.threshold, filing.change, filing.cancel: obligations opened from live data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from obligation_helpers import bulk_store, make_org, person
from sqlalchemy import func, select

from facegate.service import Gate
from facegate.service import filing as filing_service
from facegate.service.individuals import (
    note_stored,
    open_threshold_obligation,
    rebuild,
    recount,
    stored_count,
)
from facegate.store import models as m
from facegate.store.obligation_models import FilingObligation
from sites import CONSENT, Clock

pytestmark = pytest.mark.both_databases


def _threshold_rows(gate: Gate, controller_id: str) -> list[FilingObligation]:
    with gate.ctx.db.transaction(readonly=True) as session:
        return list(
            session.scalars(
                select(FilingObligation).where(
                    FilingObligation.controller_id == controller_id,
                    FilingObligation.kind == "threshold",
                )
            )
        )


def test_filing_threshold_opens_once(gate: Gate, clock: Clock) -> None:
    org = make_org(gate, "North gate", "Canteen")
    north, canteen = org.deployments
    now = clock()
    # 99,999 distinct people in the north gate; 50,000 of them also in the canteen.
    bulk_store(gate, north, 1, 99_999, now, new=True)
    bulk_store(gate, canteen, 1, 50_000, now, new=False)
    with gate.ctx.unit() as session:
        assert rebuild(session, now)[org.controller_id] == 99_999
    assert _threshold_rows(gate, org.controller_id) == []

    # The 100,000th distinct individual, through the hot path enrolment uses.
    bulk_store(gate, canteen, 100_000, 100_000, now, new=True)
    with gate.ctx.unit() as session:
        note_stored(session, org.controller_id, person(100_000), now)
    [opened] = _threshold_rows(gate, org.controller_id)
    # Fri 2026-09-18 (Beijing) + 30 working days across Mid-Autumn and National Day.
    assert (opened.triggered_on, opened.due, opened.individuals) == (
        date(2026, 9, 18),
        date(2026, 11, 5),
        100_000,
    )
    assert not opened.due_provisional

    # The same person in the other deployment counts once; more people open nothing new.
    bulk_store(gate, north, 100_000, 100_000, now, new=False)
    bulk_store(gate, north, 100_001, 100_001, now, new=True)
    with gate.ctx.unit() as session:
        note_stored(session, org.controller_id, person(100_000), now)
        note_stored(session, org.controller_id, person(100_001), now)
        assert stored_count(session, org.controller_id) == 100_001
        assert recount(session, org.controller_id) == 100_001
    assert len(_threshold_rows(gate, org.controller_id)) == 1
    with gate.ctx.unit() as session:
        rebuild(session, now)  # a repair does not reopen it either
    assert len(_threshold_rows(gate, org.controller_id)) == 1


def test_filing_threshold_pre_measures_due_2025_07_14(gate: Gate, clock: Clock) -> None:
    clock.now = datetime(2025, 5, 20, 2, 0, tzinfo=UTC)
    org = make_org(gate)
    with gate.ctx.unit() as session:
        open_threshold_obligation(session, org.controller_id, 100_000, clock())
    [opened] = _threshold_rows(gate, org.controller_id)
    assert (opened.triggered_on, opened.due) == (date(2025, 5, 20), date(2025, 7, 14))


def test_filing_threshold_count_exact_through_the_gate(gate: Gate, fixtures_dir: Path) -> None:
    org = make_org(gate, "North gate", "Canteen")
    person = gate.register_subject(date_of_birth=date(1980, 1, 1))
    other = gate.register_subject(date_of_birth=date(1981, 1, 1))
    for deployment in org.deployments:
        gate.record_consent(person.id, deployment, CONSENT)
        gate.enrol(person.id, deployment, fixtures_dir / "obama_1.jpg")
    gate.record_consent(other.id, org.deployments[0], CONSENT)
    gate.enrol(other.id, org.deployments[0], fixtures_dir / "biden.jpg")

    def count() -> int:
        with gate.ctx.db.transaction(readonly=True) as session:
            exact = recount(session, org.controller_id)
            assert stored_count(session, org.controller_id) == exact
            return exact

    assert count() == 2  # obama in two deployments counted once
    gate.withdraw_consent(person.id, org.deployments[0])
    assert count() == 2  # still stored in the canteen
    gate.delete_subject(person.id)
    assert count() == 1
    gate.ctx.clock = lambda: datetime(2028, 1, 1, tzinfo=UTC)  # past retention
    gate.sweep()
    assert count() == 0


def _file(gate: Gate, controller_id: str, now: datetime) -> str:
    with gate.ctx.unit() as session:
        row = open_threshold_obligation(session, controller_id, 100_000, now)
        assert row is not None
        filing_id = row.id
    gate.submit_filing(filing_id, "京网信备-2026-0001")
    gate.accept_filing(filing_id)
    return filing_id


def test_filing_change_opens_after_a_substantive_change(gate: Gate, clock: Clock) -> None:
    org = make_org(gate)
    gate.update_deployment(org.deployments[0], retention_days=300)
    assert filing_service.status(gate.ctx)[0]["obligations"] == []  # nothing filed yet
    _file(gate, org.controller_id, clock())
    gate.update_deployment(org.deployments[0], necessity="仍有必要")  # not a filed field
    assert [o["kind"] for o in filing_service.status(gate.ctx)[0]["obligations"]] == ["threshold"]

    clock.now = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    gate.update_deployment(org.deployments[0], purpose="住户和访客经大门通行")
    gate.update_deployment(org.deployments[0], method="verify")
    obligations = filing_service.status(gate.ctx)[0]["obligations"]
    change = [o for o in obligations if o["kind"] == "change"]
    assert len(change) == 1  # an open change obligation gathers later changes
    assert change[0]["triggered_on"] == "2026-09-30"
    assert change[0]["due"] == "2026-11-17"  # hand-checked in test_working_days
    assert change[0]["changes"] == [
        f"deployment {org.deployments[0]}.purpose",
        f"deployment {org.deployments[0]}.method",
    ]


def test_filing_cancel_when_the_last_deployment_stops(gate: Gate, clock: Clock) -> None:
    org = make_org(gate, "North gate", "Canteen")
    now = clock()
    bulk_store(gate, org.deployments[0], 1, 10, now, new=True)
    with gate.ctx.unit() as session:
        rebuild(session, now)
    _file(gate, org.controller_id, now)
    gate.stop(org.deployments[0])
    kinds = [o["kind"] for o in filing_service.status(gate.ctx)[0]["obligations"]]
    assert "cancel" not in kinds  # the canteen still runs (the end of a purpose is a change)
    gate.stop(org.deployments[1])
    gate.stop(org.deployments[1])
    [cancel] = [
        o for o in filing_service.status(gate.ctx)[0]["obligations"] if o["kind"] == "cancel"
    ]
    assert cancel["due"] == "2026-11-05"
    result = gate.dispose_face_data(org.controller_id)
    assert result["templates_destroyed"] == 10
    with gate.ctx.db.transaction(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(m.Template)) == 0
        assert stored_count(session, org.controller_id) == 0
        events = list(session.scalars(select(m.AuditEvent.action)))
    assert "filing.dispose" in events
    done = gate.submit_filing(cancel["id"], "注销-0001")
    assert done["disposed_at"] is not None and done["templates_destroyed"] == 10
