"""The impact assessment: which one counts, approval, the pre-filled draft (pipia.*)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from law_factories import T0, deployment

from facegate.law import Method
from facegate.law.pipia import (
    ASPECT_KEYS,
    Aspect,
    Conclusion,
    PipiaFacts,
    PipiaStatus,
    RiskLevel,
    Statement,
    check_approval,
    check_pipia,
    deployment_snapshot_hash,
    purpose_snapshot,
    snapshot_hash,
)
from facegate.law.pipia_draft import SecurityFacts, draft_aspects, draft_conclusion

CURRENT = deployment_snapshot_hash(deployment())
FULL = {k: Aspect((Statement("a finding", "结论"),), ()) for k in ASPECT_KEYS}
CONCLUSION = Conclusion(RiskLevel.MEDIUM, True, (Statement("with consent", "经同意"),))


def pipia(**changes: object) -> PipiaFacts:
    base = PipiaFacts(
        id="p-1",
        deployment_id="dep-1",
        number=1,
        snapshot_hash=CURRENT,
        status=PipiaStatus.APPROVED,
        aspects=FULL,
        created_at=T0,
        approved_at=T0,
        approver="Li Wei",
        conclusion=CONCLUSION,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


SECURITY = SecurityFacts(
    template_cipher="AES-256-GCM",
    per_subject_keys=True,
    audit_hash_chained=True,
    raw_images_kept=False,
    identity_separated=True,
    index_per_deployment=True,
    entrusted_processor="",
    mlps_level=2,
)


# -- pipia.before ---------------------------------------------------------------------------
def test_pipia_before_refused_without_any_assessment() -> None:
    decision = check_pipia(CURRENT, [])
    assert decision.codes == ("pipia.before",)
    assert "M9" in decision.articles and "PIPL56" in decision.articles
    assert "no personal information protection impact assessment" in decision.explain()


def test_pipia_before_refused_with_only_a_draft() -> None:
    decision = check_pipia(CURRENT, [pipia(status=PipiaStatus.DRAFT, approved_at=None)])
    assert decision.codes == ("pipia.before",)
    assert "only a draft" in decision.explain()


def test_pipia_before_allowed_with_an_approved_assessment_of_the_current_purpose() -> None:
    decision = check_pipia(CURRENT, [pipia()])
    assert decision.allowed
    assert "records.three_years" in decision.obligations


def test_pipia_before_allowed_while_a_newer_draft_is_under_review() -> None:
    review = pipia(id="p-2", number=2, status=PipiaStatus.DRAFT, approved_at=None)
    assert check_pipia(CURRENT, [pipia(), review]).allowed


def test_pipia_before_refused_approval_when_an_aspect_is_empty() -> None:
    aspects = {**FULL, "risks": Aspect((Statement(" ", ""),), ())}
    draft = pipia(status=PipiaStatus.DRAFT, approved_at=None, aspects=aspects)
    decision = check_approval(draft, CURRENT, "Li Wei")
    assert decision.codes == ("pipia.before",)
    assert "leakage" in decision.explain()


def test_pipia_before_refused_approval_without_an_approver() -> None:
    draft = pipia(status=PipiaStatus.DRAFT, approved_at=None)
    assert check_approval(draft, CURRENT, "  ").codes == ("pipia.before",)


def test_pipia_before_refused_approval_of_an_approved_assessment() -> None:
    assert check_approval(pipia(), CURRENT, "Li Wei").codes == ("pipia.before",)


def test_pipia_before_allowed_approval_of_a_complete_draft() -> None:
    draft = pipia(status=PipiaStatus.DRAFT, approved_at=None)
    assert check_approval(draft, CURRENT, "Li Wei").allowed


def test_pipia_before_refused_approval_with_unconfirmed_drafted_statements() -> None:
    drafted = {**FULL, "risks": Aspect((Statement("no risk", "无风险", confirmed=False),), ())}
    draft = pipia(status=PipiaStatus.DRAFT, approved_at=None, aspects=drafted)
    decision = check_approval(draft, CURRENT, "Li Wei")
    assert decision.codes == ("pipia.before",)
    assert "risks.findings.1" in decision.explain()
    unreviewed = dataclasses.replace(CONCLUSION, confirmed=False)
    draft = pipia(status=PipiaStatus.DRAFT, approved_at=None, conclusion=unreviewed)
    assert "conclusion" in check_approval(draft, CURRENT, "Li Wei").explain()


def test_pipia_before_refused_approval_without_an_overall_conclusion() -> None:
    draft = pipia(status=PipiaStatus.DRAFT, approved_at=None, conclusion=None)
    assert "no overall conclusion" in check_approval(draft, CURRENT, "Li Wei").explain()


def test_pipia_before_draft_asserts_no_fact_as_confirmed() -> None:
    processor = dataclasses.replace(SECURITY, entrusted_processor="Acme Vision")
    aspects = draft_aspects(deployment(), processor)
    contract = [
        s for s in aspects["safeguards"].findings if "Acme Vision" in s.zh and "合同" in s.zh
    ]
    assert contract and not contract[0].confirmed and "已以合同约定" not in contract[0].zh
    assert all("不存在" not in s.zh for a in aspects.values() for s in a.findings)
    assert not draft_conclusion(deployment(), processor).confirmed


# -- pipia.renew ----------------------------------------------------------------------------
def test_pipia_renew_refused_when_stale_with_the_reason_and_day() -> None:
    stale = pipia(
        status=PipiaStatus.STALE,
        stale_reason="the purpose changed",
        stale_at=T0 + timedelta(days=3),
    )
    decision = check_pipia(CURRENT, [stale])
    assert decision.codes == ("pipia.renew",)
    assert "stale: the purpose changed on 2025-06-05" in decision.explain()


def test_pipia_renew_refused_when_the_snapshot_no_longer_matches() -> None:
    changed = deployment_snapshot_hash(deployment(purpose="Let staff into the car park"))
    decision = check_pipia(changed, [pipia()])
    assert decision.codes == ("pipia.renew",)
    assert "purpose or method" in decision.explain()


def test_pipia_renew_refused_approval_of_a_draft_of_an_earlier_purpose() -> None:
    draft = pipia(status=PipiaStatus.DRAFT, approved_at=None, snapshot_hash="0" * 64)
    assert check_approval(draft, CURRENT, "Li Wei").codes == ("pipia.renew",)


def test_pipia_renew_allowed_once_a_new_assessment_is_approved() -> None:
    stale = pipia(status=PipiaStatus.STALE, stale_reason="major incident")
    renewed = pipia(id="p-2", number=2)
    assert check_pipia(CURRENT, [stale, renewed]).allowed


# -- the snapshot ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"purpose": "Something else"},
        {"necessity": "Another reason"},
        {"method": Method.VERIFY},
        {"why_not_verify": "Another reason for 1:N"},
    ],
)
def test_snapshot_changes_with_purpose_and_method(change: dict[str, object]) -> None:
    assert deployment_snapshot_hash(deployment(**change)) != CURRENT


def test_snapshot_ignores_what_is_not_purpose_or_method() -> None:
    assert deployment_snapshot_hash(deployment(retention_days=30, mlps_level=3)) == CURRENT


def test_snapshot_hash_is_canonical_json_sha256() -> None:
    snapshot = purpose_snapshot(deployment())
    assert snapshot_hash(dict(reversed(list(snapshot.items())))) == CURRENT
    assert len(CURRENT) == 64


# -- the draft: identity.national_service, processor.entrusted --------------------------------
def _text(aspects: dict[str, Aspect]) -> str:
    return "\n".join(s.en + s.zh for a in aspects.values() for s in (*a.findings, *a.measures))


def test_draft_covers_every_aspect_from_the_real_settings() -> None:
    aspects = draft_aspects(deployment(), SECURITY)
    assert set(aspects) == set(ASPECT_KEYS)
    assert not any(a.empty for a in aspects.values())
    text = _text(aspects)
    for expected in ("AES-256-GCM", "hash-chained", "365 days", "PIN pad", "No raw face images",
                     "level 2", "scoped to this deployment", "apart from face data"):  # fmt: skip
        assert expected in text


def test_identity_national_service_offered_as_the_less_intrusive_option() -> None:
    text = _text(draft_aspects(deployment(), SECURITY))
    assert "national network identity authentication" in text
    assert "国家网络身份认证公共服务" in text


def test_processor_entrusted_listed_when_there_is_one() -> None:
    assert "Entrusted" not in _text(draft_aspects(deployment(), SECURITY))
    vendor = dataclasses.replace(SECURITY, entrusted_processor="Acme Vision Ltd.")
    text = _text(draft_aspects(deployment(), vendor))
    assert "Acme Vision Ltd." in text and "return or deletion" in text
