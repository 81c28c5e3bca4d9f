"""The notice: required items, the published version, consents bound to it, and the terms it
may never contain (notice.required_items, terms.no_unlimited_rights)."""

from __future__ import annotations

import dataclasses

import pytest
from law_factories import consent, deployment

from facegate.law import LocationType, PurposeType
from facegate.law.notice import (
    NoticeFacts,
    PublishedNotice,
    check_consent_notice,
    check_notice_items,
    check_published_notice,
    check_terms,
    may_enrol_minors,
)

FACTS = NoticeFacts(
    controller_name="Sunrise Property Co.",
    controller_contact="dpo@sunrise.cn",
    controller_address="",
    dpo="",
    deployment_name="North gate",
    purpose_type="access_control",
    purpose="Let residents through the north gate",
    necessity="Cards were shared and lost",
    method="identify",
    why_not_verify="Residents do not stop",
    retention_days=365,
    alternatives=("PIN pad",),
    transfer_mode="on_device",
    lawful_basis="consent",
    public_place=False,
    location_type="residential_entrance",
    entrusted_processor="",
    minors=True,
)
PUBLISHED = PublishedNotice(version=1, sha256="b" * 64, facts=FACTS.as_dict())


def facts(**changes: object) -> NoticeFacts:
    return dataclasses.replace(FACTS, **changes)  # type: ignore[arg-type]


# -- notice.required_items --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "item"),
    [
        ({"controller_name": " "}, "controller name"),
        ({"controller_contact": ""}, "controller contact"),
        ({"purpose": ""}, "purpose"),
        ({"necessity": "  "}, "necessity"),
        ({"method": ""}, "method"),
        ({"retention_days": 0}, "retention period"),
        ({"alternatives": (" ",)}, "the non-face alternative"),
        ({"controller_contact": " "}, "how to exercise rights"),
    ],
)
def test_notice_required_items_refused_when_empty(change: dict[str, object], item: str) -> None:
    decision = check_notice_items(facts(**change))
    assert decision.codes == ("notice.required_items",)
    assert item in decision.explain()
    assert check_published_notice(facts(**change), PUBLISHED, 1).codes == ("notice.required_items",)


def test_notice_required_items_allowed_with_every_item() -> None:
    assert check_notice_items(FACTS).allowed


def test_notice_required_items_refused_when_nothing_is_published() -> None:
    decision = check_published_notice(FACTS, None, 0)
    assert decision.codes == ("notice.required_items",)
    assert "no notice has been published" in decision.explain()


def test_notice_required_items_refused_when_the_published_version_is_outdated() -> None:
    decision = check_published_notice(facts(retention_days=30), PUBLISHED, 1)
    assert decision.codes == ("notice.required_items",)
    assert "retention_days changed" in decision.explain()


def test_notice_required_items_refused_when_a_new_version_is_due() -> None:
    decision = check_published_notice(FACTS, PUBLISHED, 2)
    assert "version 2 is due" in decision.explain()


def test_notice_required_items_allowed_while_the_published_version_matches() -> None:
    assert check_published_notice(FACTS, PUBLISHED, 1).allowed


def test_consent_purpose_change_refused_enrolment_on_a_consent_to_an_old_notice() -> None:
    # A consent covers what the person was told: PIPL14 para. 2 / NDSR22, not the notice's items.
    decision = check_consent_notice(consent(notice_hash="a" * 64), PUBLISHED)
    assert decision.codes == ("consent.purpose_change",)
    assert decision.articles == ("PIPL14 para. 2", "NDSR22")
    assert "record their consent again" in decision.explain()


def test_consent_purpose_change_allowed_enrolment_on_a_consent_to_the_current_notice() -> None:
    assert check_consent_notice(consent(notice_hash="b" * 64), PUBLISHED).allowed
    # No consent at all is consent.separate's refusal, not this rule's.
    assert check_consent_notice(None, PUBLISHED).allowed


# -- minor.guardian (Document part): when the notice carries the minors' rules ------------------
def test_minors_rules_where_children_may_be_enrolled() -> None:
    assert may_enrol_minors(deployment())
    assert not may_enrol_minors(deployment(purpose_type=PurposeType.ATTENDANCE))
    assert not may_enrol_minors(deployment(location_type=LocationType.OFFICE))


# -- terms.no_unlimited_rights ------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "You grant us an irrevocable licence to your face data.",
        "A perpetual, worldwide, royalty-free right.",
        "We may sublicense your face template to partners.",
        "unlimited rights to use your image",
        "您授予我们不可撤销的权利",
        "无限期保存您的人脸信息",
        "我们可转授权第三方使用",
    ],
)
def test_terms_no_unlimited_rights_refused(text: str) -> None:
    decision = check_terms(text)
    assert decision.codes == ("terms.no_unlimited_rights",)
    assert "SPC11" in decision.articles


def test_terms_no_unlimited_rights_allowed_for_a_limited_revocable_consent() -> None:
    text = (
        "Your consent covers only this purpose and this place, and ends when you withdraw it. "
        "您的同意仅限于本目的和本场所，您可以随时撤回。"
    )
    assert check_terms(text).allowed
