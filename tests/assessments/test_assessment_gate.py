"""The Gate keeps processing behind an approved impact assessment and a published notice
(pipia.before, pipia.renew, notice.required_items, records.three_years)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from assessment_sites import CONSENT, DraftSite, TestClock, assess_and_notice

from facegate.law import Refused
from facegate.law.pipia import Statement
from facegate.service import BadRequest, Conflict, Gate
from facegate.service.assessments import mark_stale
from facegate.store.models import AuditEvent

pytestmark = pytest.mark.both_databases


def refused_codes(exc: pytest.ExceptionInfo[Refused]) -> tuple[str, ...]:
    return exc.value.decision.codes


def active(gate: Gate, draft: DraftSite) -> str:
    notice_hash = assess_and_notice(gate, draft.deployment_id)
    gate.activate(draft.deployment_id)
    return notice_hash


def adult(gate: Gate) -> str:
    from datetime import date

    return gate.register_subject(date_of_birth=date(1980, 5, 1)).id


# -- pipia.before -----------------------------------------------------------------------------
def test_pipia_before_activation_refused_without_pipia(gate: Gate, draft: DraftSite) -> None:
    gate.publish_notice(draft.deployment_id)
    with pytest.raises(Refused) as exc:
        gate.activate(draft.deployment_id)
    assert refused_codes(exc) == ("pipia.before",)
    assert gate.deployments()[0].status == "draft"


def test_pipia_before_activation_refused_with_a_draft_only(gate: Gate, draft: DraftSite) -> None:
    gate.create_pipia(draft.deployment_id)
    gate.publish_notice(draft.deployment_id)
    with pytest.raises(Refused, match="only a draft") as exc:
        gate.activate(draft.deployment_id)
    assert refused_codes(exc) == ("pipia.before",)


def test_pipia_before_activation_allowed_with_approved_pipia_and_notice(
    gate: Gate, draft: DraftSite
) -> None:
    active(gate, draft)
    assert gate.deployments()[0].status == "active"


def test_pipia_before_draft_is_prefilled_and_editable(gate: Gate, draft: DraftSite) -> None:
    row = gate.create_pipia(draft.deployment_id)
    assert row.status == "draft" and row.number == 1
    text = str(row.aspects)
    assert "AES-256-GCM" in text and "国家网络身份认证公共服务" in text
    with pytest.raises(Conflict):
        gate.create_pipia(draft.deployment_id)
    note = Statement("Residents' association consulted", "已征求业主委员会意见")
    edited = gate.edit_pipia(draft.deployment_id, "impact", findings=[note])
    assert edited.aspects["impact"]["findings"] == [
        {"en": note.en, "zh": note.zh, "confirmed": True}  # a person's own: confirmed
    ]


def test_pipia_before_drafted_statements_need_a_person_to_confirm_each(
    gate: Gate, draft: DraftSite
) -> None:
    gate.create_pipia(draft.deployment_id)
    pending = gate.unconfirmed_pipia(draft.deployment_id)
    assert "conclusion" in pending and "risks.findings.5" in pending  # the transfer claim
    assert "purpose.findings.1" not in pending  # only quotes the deployment's own purpose
    with pytest.raises(Refused, match="not confirmed by a person") as exc:
        gate.approve_pipia(draft.deployment_id, approver="Li Wei")
    assert refused_codes(exc) == ("pipia.before",)
    gate.confirm_pipia(draft.deployment_id, pending[:-2])
    with pytest.raises(Refused, match=r"2 statement\(s\)"):
        gate.approve_pipia(draft.deployment_id, approver="Li Wei")
    with pytest.raises(BadRequest):
        gate.confirm_pipia(draft.deployment_id, ["risks.findings.99"])
    gate.confirm_pipia(draft.deployment_id, pending[-2:])
    approved = gate.approve_pipia(draft.deployment_id, approver="Li Wei")
    assert approved.status == "approved"


def test_pipia_before_a_conclusion_that_processing_may_not_proceed_is_never_approved(
    gate: Gate, draft: DraftSite
) -> None:
    gate.create_pipia(draft.deployment_id)
    draft_conclusion = gate.pipia(draft.deployment_id).assessment.conclusion
    assert draft_conclusion is not None
    assert draft_conclusion["risk_level"] == "high"  # 1:N where children may be enrolled
    assert draft_conclusion["confirmed"] is False
    with pytest.raises(BadRequest):
        gate.conclude_pipia(
            draft.deployment_id, risk_level="medium", may_proceed=True, conditions=[]
        )
    gate.conclude_pipia(draft.deployment_id, risk_level="high", may_proceed=False, conditions=[])
    gate.confirm_pipia(draft.deployment_id, gate.unconfirmed_pipia(draft.deployment_id))
    with pytest.raises(Conflict, match="may not proceed"):
        gate.approve_pipia(draft.deployment_id, approver="Li Wei")


def test_pipia_before_approval_refused_when_an_aspect_is_empty(
    gate: Gate, draft: DraftSite
) -> None:
    gate.create_pipia(draft.deployment_id)
    gate.edit_pipia(draft.deployment_id, "risks", findings=[], measures=[])
    with pytest.raises(Refused, match="leakage") as exc:
        gate.approve_pipia(draft.deployment_id, approver="Li Wei")
    assert refused_codes(exc) == ("pipia.before",)
    assert gate.pipia(draft.deployment_id).assessment.status == "draft"


def test_pipia_before_approved_assessment_cannot_be_edited(gate: Gate, draft: DraftSite) -> None:
    assess_and_notice(gate, draft.deployment_id)
    with pytest.raises(Conflict):
        gate.edit_pipia(draft.deployment_id, "risks", findings=[])


# -- pipia.renew ------------------------------------------------------------------------------
def test_pipia_renew_refused_after_purpose_change(
    gate: Gate, draft: DraftSite, clock: TestClock, fixtures_dir: Path
) -> None:
    active(gate, draft)
    person = adult(gate)
    gate.record_consent(person, draft.deployment_id, CONSENT)
    before = gate.deployments()[0].notice_version
    clock.advance(days=2)

    row = gate.update_deployment(draft.deployment_id, purpose="员工进入停车场")

    assert row.notice_version == before + 1
    report = gate.pipia(draft.deployment_id)
    assert report.assessment.status == "stale"  # at once, in the update's transaction
    assert report.assessment.stale_reason == "the purpose changed"
    with pytest.raises(Refused, match="stale: the purpose changed on 2026-11-28") as exc:
        gate.enrol(person, draft.deployment_id, fixtures_dir / "obama_1.jpg")
    assert "pipia.renew" in refused_codes(exc)
    with pytest.raises(Refused) as exc:
        gate.identify(draft.device_id, fixtures_dir / "obama_2.jpg")
    assert "pipia.renew" in refused_codes(exc)
    with pytest.raises(Refused) as exc:
        gate.verify(draft.device_id, person, fixtures_dir / "obama_2.jpg")
    assert "pipia.renew" in refused_codes(exc)


def test_pipia_renew_allowed_after_a_new_assessment_and_notice(
    gate: Gate, draft: DraftSite
) -> None:
    active(gate, draft)
    gate.update_deployment(draft.deployment_id, method="verify", why_not_verify="")
    with pytest.raises(Refused) as exc:
        gate.activate(draft.deployment_id)
    assert set(refused_codes(exc)) == {"pipia.renew", "notice.required_items"}
    second = gate.create_pipia(draft.deployment_id)
    assert second.number == 2
    gate.confirm_pipia(draft.deployment_id, gate.unconfirmed_pipia(draft.deployment_id))
    gate.approve_pipia(draft.deployment_id, approver="Li Wei")
    assert gate.publish_notice(draft.deployment_id).version == 2
    assert gate.activate(draft.deployment_id).status == "active"


def test_pipia_renew_refused_after_a_major_incident_stales_it(gate: Gate, draft: DraftSite) -> None:
    active(gate, draft)
    with gate.ctx.db.transaction() as session:
        assert len(mark_stale(session, draft.deployment_id, "major incident inc-1")) == 1
    with pytest.raises(Refused, match="stale: major incident inc-1") as exc:
        gate.activate(draft.deployment_id)
    assert refused_codes(exc) == ("pipia.renew",)


def test_pipia_renew_unrelated_change_keeps_the_assessment(gate: Gate, draft: DraftSite) -> None:
    # Renaming the deployment changes nothing the assessment weighed (retention does: issue 12).
    active(gate, draft)
    gate.update_deployment(draft.deployment_id, name="North gate (Block 3)")
    assert gate.pipia(draft.deployment_id).decision.allowed
    with gate.ctx.db.transaction() as session:
        actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.seq)]
    assert "pipia.stale" not in actions


# -- notice.required_items --------------------------------------------------------------------
def test_notice_required_items_refused_when_no_notice_published(
    gate: Gate, draft: DraftSite
) -> None:
    gate.create_pipia(draft.deployment_id)
    gate.confirm_pipia(draft.deployment_id, gate.unconfirmed_pipia(draft.deployment_id))
    gate.approve_pipia(draft.deployment_id, approver="Li Wei")
    with pytest.raises(Refused, match="no notice has been published") as exc:
        gate.activate(draft.deployment_id)
    assert refused_codes(exc) == ("notice.required_items",)


def test_notice_required_items_refused_when_empty(gate: Gate, draft: DraftSite) -> None:
    """An item emptied outside facegate (here the controller's contact) blocks publishing and
    activation."""
    gate.create_pipia(draft.deployment_id)
    gate.confirm_pipia(draft.deployment_id, gate.unconfirmed_pipia(draft.deployment_id))
    gate.approve_pipia(draft.deployment_id, approver="Li Wei")
    from facegate.store import models as m

    with gate.ctx.db.transaction() as session:
        controller = session.get(m.Controller, draft.controller_id)
        assert controller is not None
        controller.contact = " "
    with pytest.raises(Refused, match="controller contact") as exc:
        gate.publish_notice(draft.deployment_id)
    assert refused_codes(exc) == ("notice.required_items",)
    with pytest.raises(Refused, match="controller contact"):
        gate.activate(draft.deployment_id)


def test_notice_required_items_refused_when_the_deployment_changed_since(
    gate: Gate, draft: DraftSite
) -> None:
    active(gate, draft)
    gate.update_deployment(draft.deployment_id, alternatives=("密码键盘", "住户卡"))
    with pytest.raises(Refused, match="alternatives changed") as exc:
        gate.activate(draft.deployment_id)
    assert refused_codes(exc) == ("notice.required_items",)


def test_notice_required_items_publish_is_versioned_and_idempotent(
    gate: Gate, draft: DraftSite
) -> None:
    first = gate.publish_notice(draft.deployment_id)
    assert first.version == 1 and len(first.sha256) == 64
    assert gate.publish_notice(draft.deployment_id).id == first.id
    gate.update_deployment(draft.deployment_id, retention_days=90)
    second = gate.publish_notice(draft.deployment_id)
    assert second.version == 2 and second.sha256 != first.sha256
    assert gate.notice(draft.deployment_id).decision.allowed


def test_notice_required_items_consent_binds_the_current_notice(
    gate: Gate, draft: DraftSite
) -> None:
    notice_hash = active(gate, draft)
    consent = gate.record_consent(adult(gate), draft.deployment_id, CONSENT)
    assert consent.notice_hash == notice_hash
    from facegate.service import BadRequest

    with pytest.raises(BadRequest, match="never published"):
        gate.record_consent(
            adult(gate), draft.deployment_id, dataclasses.replace(CONSENT, notice_hash="f" * 64)
        )


def test_consent_purpose_change_old_notice_consent_reported_and_enrolment_refused(
    gate: Gate, draft: DraftSite, fixtures_dir: Path
) -> None:
    old_hash = active(gate, draft)
    person = adult(gate)
    gate.record_consent(person, draft.deployment_id, CONSENT)
    assert gate.stale_consents(draft.deployment_id).consents == ()

    gate.update_deployment(draft.deployment_id, alternatives=("密码键盘", "住户卡"))
    new = gate.publish_notice(draft.deployment_id)

    report = gate.stale_consents(draft.deployment_id)
    assert report.current_version == 2
    assert [(c.subject_id, c.notice_hash, c.notice_version) for c in report.consents] == [
        (person, old_hash, 1)
    ]
    with pytest.raises(Refused, match="record their consent again") as exc:
        gate.enrol(person, draft.deployment_id, fixtures_dir / "obama_1.jpg")
    # a consent covers what the person was told (PIPL14 para. 2, NDSR22)
    assert refused_codes(exc) == ("consent.purpose_change",)

    gate.record_consent(person, draft.deployment_id, CONSENT)
    assert gate.stale_consents(draft.deployment_id).consents == ()
    enrolment = gate.enrol(person, draft.deployment_id, fixtures_dir / "obama_1.jpg")
    assert enrolment.subject_id == person
    assert new.version == 2


# -- records.three_years -----------------------------------------------------------------------
def test_records_three_years_pipia_delete_refused(
    gate: Gate, draft: DraftSite, clock: TestClock
) -> None:
    assess_and_notice(gate, draft.deployment_id)
    assessment = gate.pipia(draft.deployment_id).assessment
    clock.advance(days=3 * 365)  # 2029-11-25: one day short of three years
    with pytest.raises(Refused, match="2029-11-26") as exc:
        gate.delete_pipia(assessment.id)
    assert refused_codes(exc) == ("records.three_years",)
    assert gate.pipia(draft.deployment_id).assessment.id == assessment.id


def test_records_three_years_pipia_delete_allowed_after_three_years(
    gate: Gate, draft: DraftSite, clock: TestClock
) -> None:
    assess_and_notice(gate, draft.deployment_id)
    assessment = gate.pipia(draft.deployment_id).assessment
    clock.advance(days=3 * 365 + 1)
    gate.delete_pipia(assessment.id)
    from facegate.service.assessments import UnknownAssessment

    with pytest.raises(UnknownAssessment):
        gate.pipia(draft.deployment_id)
