"""What operators look at every day (issue 15): the access-event log's counts per device and
Beijing day, the audit-log viewer's filters, paging and chain state, the dashboard's filing
and incident deadlines, and the PIPIA read in the console from the report's own words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from obligation_helpers import make_org
from sqlalchemy import select, update

from facegate.documents.pipia import pipia_values, render_pipia_html
from facegate.law import Refused
from facegate.service import BadRequest, Gate
from facegate.service.access_events import access_log, outcome_of
from facegate.service.assessments import pipia_document
from facegate.service.audit_views import AuditQuery, audit_page, chain_state
from facegate.service.deadlines import deadlines
from facegate.service.incidents import IncidentSpec
from facegate.service.individuals import open_threshold_obligation
from facegate.store import models as m
from sites import CONSENT, Clock

pytestmark = pytest.mark.both_databases

FRIDAY = date(2026, 9, 18)  # the clock's day in Beijing


def test_records_processing_access_log_counts_per_device_and_beijing_day(
    gate: Gate, clock: Clock, fixtures_dir: Path
) -> None:
    org = make_org(gate, "North gate", "Canteen")
    north, canteen = org.devices
    resident = gate.register_subject(date_of_birth=date(1980, 1, 1))
    gate.record_consent(resident.id, org.deployments[0], CONSENT)
    gate.enrol(resident.id, org.deployments[0], fixtures_dir / "obama_1.jpg")
    gate.add_credential(resident.id, org.deployments[0], "pin", "424242")
    stranger = gate.register_subject(date_of_birth=date(1990, 1, 1))

    assert gate.verify(north, resident.id, fixtures_dir / "obama_2.jpg").matched
    assert not gate.verify(north, resident.id, fixtures_dir / "biden.jpg").matched
    assert gate.identify(north, fixtures_dir / "obama_3.jpg").faces[0].subject_id == resident.id
    gate.identify(north, fixtures_dir / "biden.jpg")  # a stranger: discarded, counted only
    gate.verify_alternative(north, "pin", "424242", subject_id=resident.id)
    gate.verify_alternative(north, "pin", "000000", subject_id=resident.id)  # still offered
    with pytest.raises(Refused):  # no consent in the canteen
        gate.verify(canteen, stranger.id, fixtures_dir / "biden.jpg")
    # 01:30 in Beijing the next day (17:30 UTC the same day): counted on Saturday.
    clock.now = datetime(2026, 9, 18, 17, 30, tzinfo=UTC)
    gate.verify_alternative(north, "pin", "424242", subject_id=resident.id)

    log = access_log(gate.ctx, FRIDAY, FRIDAY + timedelta(days=2))
    cells = {(r.day, r.device_id): r.counts for r in log.rows}
    assert cells[(FRIDAY, north)] == {"match": 2, "no_match": 2, "alternative": 2, "refused": 0}
    assert cells[(FRIDAY, canteen)] == {"match": 0, "no_match": 0, "alternative": 0, "refused": 1}
    saturday = FRIDAY + timedelta(days=1)
    assert cells[(saturday, north)] == {"match": 0, "no_match": 0, "alternative": 1, "refused": 0}
    assert [d.day for d in log.days] == [FRIDAY + timedelta(days=i) for i in range(3)]
    assert log.days[2].total == 0  # a quiet day is a zero, not a gap
    assert log.totals == {"match": 2, "no_match": 2, "alternative": 3, "refused": 1}
    names = {r.device_id: (r.device, r.deployment) for r in log.rows}
    assert names[north] == ("North gate camera", "North gate")
    # Counts only: no subject id, of the resident or the stranger, anywhere in the log.
    assert resident.id not in repr(log) and stranger.id not in repr(log)

    only = access_log(gate.ctx, FRIDAY, FRIDAY, device_id=canteen)
    assert [(r.device_id, r.total) for r in only.rows] == [(canteen, 1)]
    assert only.totals["refused"] == 1 and only.total == 1


def test_access_log_refuses_a_reversed_or_overlong_period_and_an_unknown_device(
    gate: Gate,
) -> None:
    make_org(gate)
    with pytest.raises(BadRequest):
        access_log(gate.ctx, FRIDAY, FRIDAY - timedelta(days=1))
    with pytest.raises(BadRequest):
        access_log(gate.ctx, FRIDAY - timedelta(days=400), FRIDAY)
    with pytest.raises(BadRequest):
        access_log(gate.ctx, FRIDAY, FRIDAY, device_id="nope")


@pytest.mark.parametrize(
    ("action", "decision", "objects", "expected"),
    [
        ("verify", "allowed", {"device": "d", "outcome": "match"}, "match"),
        ("verify", "allowed", {"device": "d", "outcome": "no_template"}, "no_match"),
        ("identify", "allowed", {"device": "d", "matched": ""}, "no_match"),
        ("identify", "allowed", {"device": "d", "matched": "s1"}, "match"),
        ("alternative.verify", "allowed", {"device": "d", "outcome": "no_match"}, "alternative"),
        ("identify", "refused", {"device": "d"}, "refused"),
        ("enrol", "allowed", {"device": "d"}, None),  # not an attempt at the door
        ("verify", "refused", {"deployment": "x"}, None),  # no device named
    ],
)
def test_access_log_outcome_of_each_audit_event(
    action: str, decision: str, objects: dict[str, str], expected: str | None
) -> None:
    assert outcome_of(action, decision, objects) == expected


def test_audit_viewer_filters_pages_and_reports_where_the_chain_breaks(
    gate: Gate, clock: Clock
) -> None:
    org = make_org(gate, "North gate", "Canteen")
    clock.advance(days=2)
    gate.create_pipia(org.deployments[1], actor="dpo:k1")
    everything = audit_page(gate.ctx, AuditQuery())
    assert everything.chain.ok and everything.total == everything.chain.checked
    assert [r.seq for r in everything.rows] == sorted(
        (r.seq for r in everything.rows), reverse=True
    )  # newest first

    family = audit_page(gate.ctx, AuditQuery(action="pipia"))
    assert {r.action for r in family.rows} == {"pipia.create"}
    assert audit_page(gate.ctx, AuditQuery(action="pipia.*")).total == family.total
    assert audit_page(gate.ctx, AuditQuery(action="pipia.create")).total == family.total
    assert audit_page(gate.ctx, AuditQuery(action="pipia.cre")).total == 0  # not a prefix
    assert audit_page(gate.ctx, AuditQuery(actor="dpo:k")).total == family.total
    # case is ignored alike on SQLite and PostgreSQL (whose LIKE is case-sensitive)
    assert audit_page(gate.ctx, AuditQuery(actor="DPO:K")).total == family.total
    assert audit_page(gate.ctx, AuditQuery(action="PIPIA.*")).total == family.total
    assert audit_page(gate.ctx, AuditQuery(actor="%")).total == 0  # no wildcards
    later = audit_page(gate.ctx, AuditQuery(start=FRIDAY + timedelta(days=2)))
    assert {r.action for r in later.rows} == {"pipia.create"}
    earlier = audit_page(gate.ctx, AuditQuery(end=FRIDAY))
    assert earlier.total == everything.total - later.total
    canteen = audit_page(gate.ctx, AuditQuery(deployment_id=org.deployments[1]))
    assert canteen.total and all(
        r.objects.get("deployment") == org.deployments[1] for r in canteen.rows
    )
    with pytest.raises(BadRequest):
        audit_page(gate.ctx, AuditQuery(start=FRIDAY, end=FRIDAY - timedelta(days=1)))

    first = audit_page(gate.ctx, AuditQuery(page=1), per_page=4)
    second = audit_page(gate.ctx, AuditQuery(page=2), per_page=4)
    assert first.pages == -(-everything.total // 4) and (first.first, first.last) == (1, 4)
    assert {r.seq for r in first.rows}.isdisjoint({r.seq for r in second.rows})
    assert audit_page(gate.ctx, AuditQuery(page=999), per_page=4).page == first.pages

    with gate.ctx.db.transaction() as session:  # tamper with event 3
        session.execute(
            update(m.AuditEvent).where(m.AuditEvent.seq == 3).values(actor="someone else")
        )
    broken = audit_page(gate.ctx, AuditQuery(), fresh=True)  # a whole walk, now
    assert not broken.chain.ok and broken.chain.broken_seq == 3


def test_security_measures_chain_state_walks_appended_events_at_once_and_all_every_5_minutes(
    gate: Gate, clock: Clock
) -> None:
    org = make_org(gate)
    first = chain_state(gate.ctx)
    assert first.verification.ok and first.walked_at == clock.now
    clock.advance(minutes=1)
    gate.create_pipia(org.deployments[0])  # appended since the whole walk
    again = chain_state(gate.ctx)
    assert again.verification.ok and again.walked_at == first.walked_at  # not walked whole
    assert again.verification.checked == first.verification.checked + 1

    def tamper(seq: int, actor: str = "x") -> str:
        with gate.ctx.db.transaction() as session:
            was = session.scalar(select(m.AuditEvent.actor).where(m.AuditEvent.seq == seq))
            session.execute(update(m.AuditEvent).where(m.AuditEvent.seq == seq).values(actor=actor))
        return str(was)

    newest = again.verification.checked
    clock.advance(minutes=1)
    was = tamper(newest)  # an event after the whole walk: caught at once
    assert chain_state(gate.ctx).verification.broken_seq == newest
    tamper(newest, was)  # put back
    assert chain_state(gate.ctx, fresh=True).verification.ok

    tamper(2)  # an old event: the page's answer rests on the last whole walk until it ages
    assert chain_state(gate.ctx).verification.ok
    assert chain_state(gate.ctx, fresh=True).verification.broken_seq == 2
    clock.advance(minutes=6)
    assert chain_state(gate.ctx).verification.broken_seq == 2


def test_filing_threshold_deadline_counts_working_days_left(gate: Gate, clock: Clock) -> None:
    org = make_org(gate)
    with gate.ctx.unit() as session:
        row = open_threshold_obligation(session, org.controller_id, 100_000, clock.now)
        assert row is not None
        due = row.due
    [filing] = deadlines(gate.ctx)
    assert filing.kind == "filing.threshold" and filing.controller.startswith("Sunrise")
    # Reached on Friday 2026-09-18: 30 working days after it, across the National Day week.
    assert filing.due_day == due and filing.working_days_left == 30
    assert filing.days_left == (due - FRIDAY).days  # to the end of the due day in Beijing
    assert not filing.overdue
    clock.now = datetime.combine(due + timedelta(days=1), datetime.min.time(), UTC)
    [late] = deadlines(gate.ctx)
    assert late.overdue and late.working_days_left is not None and late.working_days_left <= 0


def test_incident_notify_deadlines_show_hours_left(gate: Gate, clock: Clock) -> None:
    org = make_org(gate)
    occurred = clock.now - timedelta(hours=1)
    gate.record_incident(
        IncidentSpec(
            controller_id=org.controller_id,
            severity="major",
            description="A backup disk was lost in transit",
            occurred_at=occurred,
            categories="Encrypted templates",
            cause="Courier",
            harm="Low",
            measures="Keys rotated",
            remedies="Use the PIN pad",
            contact="dpo@sunrise.cn",
            deployment_ids=tuple(org.deployments),
        )
    )
    items = {d.kind: d for d in deadlines(gate.ctx)}
    initial = items["incident.initial_report"]
    assert initial.required and initial.hours_left == 3 and not initial.overdue  # 4 h, 1 gone
    assert "省" in initial.zh or "网信" in initial.zh
    assert items["incident.people"].overdue  # "at once": due when it was discovered
    assert items["incident.summary_report"].due is None  # runs from the end of handling
    assert list(items)[-1] == "incident.summary_report"  # undated last
    clock.advance(days=31)
    assert deadlines(gate.ctx) == []  # an old incident leaves the dashboard


def test_pipia_before_read_in_the_console_from_the_reports_own_words(gate: Gate) -> None:
    org = make_org(gate)
    gate.create_pipia(org.deployments[0])
    report = gate.pipia(org.deployments[0])
    doc = pipia_document(report.assessment, report.deployment, report.controller)
    for lang in ("zh", "en"):
        labels, values = pipia_values(doc, lang=lang)
        assert len(values["aspects"]) == 4  # the four aspects of M9 / PIPL56
        html = render_pipia_html(doc, lang=lang)
        for aspect in values["aspects"]:
            assert str(escape(aspect["title"])) in html
        assert labels["title"] in html
