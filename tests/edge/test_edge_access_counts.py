"""The access-event log across sites (issue 15): an edge node's attempts live in its own audit
log; every sync carries its device's daily counts up (counts only, never a face or an id), and
the control plane's log shows them beside its own devices'. Replays replace, never add."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from facegate.law import china_date
from facegate.service import Gate
from facegate.service.access_events import REPORT_DAYS, access_log, record_edge_report
from facegate.service.sync import SyncRejected, UpBatch
from sites import CONSENT, Clock, Site, make_site

pytestmark = pytest.mark.both_databases


@pytest.fixture
def site(control: Gate) -> Site:
    return make_site(control)


@pytest.fixture
def person(control: Gate, site: Site) -> str:
    subject = control.register_subject(date_of_birth=date(1961, 8, 4))
    control.record_consent(subject.id, site.deployment_id, CONSENT)
    control.add_credential(subject.id, site.deployment_id, "pin", "246810")
    return subject.id


def down(control: Gate, edge: Gate, device_id: str) -> None:
    edge.sync_apply_down(control.sync_down_batch(device_id, edge.edge_state().down_applied_seq))


def up(control: Gate, edge: Gate, device_id: str) -> None:
    result = control.sync_apply_up(device_id, edge.sync_up_batch(), actor="device:test")
    edge.sync_acknowledged(result.position)


def test_records_processing_edge_counts_reach_the_control_planes_access_log(
    control: Gate,
    open_gate: Callable[[str, str], Gate],
    site: Site,
    person: str,
    clock: Clock,
) -> None:
    edge = open_gate("edge", "edge")
    down(control, edge, site.device_id)
    edge.verify_alternative(site.device_id, "pin", "246810", subject_id=person)
    edge.verify_alternative(site.device_id, "pin", "000000", subject_id=person)
    today = china_date(clock.now)
    assert access_log(control.ctx, today, today).total == 0  # not yet reported

    batch = edge.sync_up_batch()
    assert batch.access_counts == (
        {"day": today.isoformat(), "match": 0, "no_match": 0, "alternative": 2, "refused": 0},
    )
    assert person not in repr(batch.access_counts)
    up(control, edge, site.device_id)
    log = access_log(control.ctx, today, today)
    assert [(r.device_id, r.counts["alternative"]) for r in log.rows] == [(site.device_id, 2)]

    # A replay or the next sync replaces the day's figures: never counted twice.
    control.sync_apply_up(site.device_id, batch, actor="device:test")
    edge.verify_alternative(site.device_id, "pin", "246810", subject_id=person)
    up(control, edge, site.device_id)
    assert (
        access_log(control.ctx, today, today, device_id=site.device_id).totals["alternative"] == 3
    )


def test_edge_report_outside_its_window_is_ignored_and_malformed_is_rejected(
    control: Gate,
    site: Site,
    clock: Clock,
) -> None:
    today = china_date(clock.now)
    old = today - timedelta(days=REPORT_DAYS)
    with control.ctx.unit() as session:
        written = record_edge_report(
            session,
            site.device_id,
            [
                {"day": old.isoformat(), "match": 9, "no_match": 0, "alternative": 0, "refused": 0},
                {
                    "day": today.isoformat(),
                    "match": 1,
                    "no_match": 0,
                    "alternative": 0,
                    "refused": 0,
                },
            ],
            clock.now,
        )
    assert written == 1
    assert access_log(control.ctx, old, today).totals["match"] == 1
    base = UpBatch((), 0, "", 24.0, 0).to_dict()
    for bad in (
        [{"day": today.isoformat(), "match": -1}],
        [{"day": today.isoformat()}, {"day": today.isoformat()}],
        [{"day": "yesterday"}],
        [{"day": today.isoformat(), "faces": 1}],
    ):
        with pytest.raises(SyncRejected):
            UpBatch.from_dict({**base, "access_counts": bad})
    assert dataclasses.replace(UpBatch.from_dict(base)).access_counts == ()
