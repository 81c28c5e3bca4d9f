"""check_consent, valid_processing_consent and check_prompt_allowed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from law_factories import T0, consent, deployment, subject

from facegate.law import (
    ConsentForm,
    ConsentScope,
    GivenBy,
    check_consent,
    check_prompt_allowed,
    valid_processing_consent,
    valid_transfer_consent,
)


def codes(**changes: Any) -> tuple[str, ...]:
    return check_consent(consent(**changes), subject(), deployment()).codes


def test_lawful_consent_allowed() -> None:
    assert check_consent(consent(), subject(), deployment()).allowed


# -- consent.separate ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes",
    [{"bundled": True}, {"deployment_id": "dep-2"}, {"subject_id": "sub-2"}, {"pre_ticked": True}],
    ids=["bundled", "other-deployment", "other-subject", "pre-ticked"],
)
def test_consent_separate_refused(changes: dict[str, Any]) -> None:
    assert codes(**changes) == ("consent.separate",)


def test_consent_separate_refused_pre_ticked_is_no_explicit_consent_not_coercion() -> None:
    decision = check_consent(consent(pre_ticked=True), subject(), deployment())
    assert decision.codes == ("consent.separate",)
    assert "explicit" in decision.reasons[0].message


@pytest.mark.parametrize("scope", list(ConsentScope))
def test_consent_separate_allowed(scope: ConsentScope) -> None:
    assert codes(scope=scope) == ()


# -- coercion.prohibited ------------------------------------------------------------------
def test_coercion_prohibited_refused() -> None:
    assert codes(alternative_offered=False) == ("coercion.prohibited",)


def test_coercion_prohibited_refused_with_the_pre_ticked_box_reported_apart() -> None:
    decision = check_consent(
        consent(alternative_offered=False, pre_ticked=True), subject(), deployment()
    )
    assert decision.codes == ("consent.separate", "coercion.prohibited")


def test_coercion_prohibited_allowed() -> None:
    assert codes(alternative_offered=True, pre_ticked=False) == ()


# -- minor.guardian -----------------------------------------------------------------------
# T0 is 2 June 2025, 12:00 in China.
FOURTEENTH_BIRTHDAY = date(2011, 6, 2)
GUARDIAN = {"given_by": GivenBy.GUARDIAN, "guardian_relation": "mother"}


def minor_codes(dob: date | None, **changes: Any) -> tuple[str, ...]:
    return check_consent(consent(**changes), subject(dob), deployment()).codes


def test_minor_guardian_refused_when_self_consent_at_13() -> None:
    decision = check_consent(consent(), subject(date(2011, 6, 3)), deployment())
    assert decision.codes == ("minor.guardian",)
    assert "13" in decision.reasons[0].message and "guardian" in decision.reasons[0].message


@pytest.mark.parametrize(
    ("dob", "changes"),
    [
        (date(2015, 1, 1), {"given_by": GivenBy.GUARDIAN, "guardian_relation": "  "}),
        (date(2012, 2, 29), {"given_at": datetime(2026, 2, 28, 4, tzinfo=UTC)}),
        (date(1980, 5, 1), GUARDIAN),
        (FOURTEENTH_BIRTHDAY, GUARDIAN),
        (None, {}),
        (date(2025, 6, 3), {}),
    ],
    ids=[
        "guardian-without-relation",
        "feb29-born-still-13-on-feb28",
        "guardian-for-adult",
        "guardian-at-14",
        "unknown-birth-date",
        "born-after-consent",
    ],
)
def test_minor_guardian_refused(dob: date | None, changes: dict[str, Any]) -> None:
    assert minor_codes(dob, **changes) == ("minor.guardian",)


def test_minor_guardian_refused_unknown_birth_date_asks_for_it() -> None:
    decision = check_consent(consent(), subject(None), deployment())
    assert "date of birth" in decision.reasons[0].message


def test_minor_guardian_allowed_on_14th_birthday() -> None:
    assert minor_codes(FOURTEENTH_BIRTHDAY) == ()


def test_minor_guardian_allowed_on_14th_birthday_by_china_date() -> None:
    # 17:00 UTC on 1 June is 01:00 on 2 June in China: the birthday has begun.
    assert minor_codes(FOURTEENTH_BIRTHDAY, given_at=datetime(2025, 6, 1, 17, tzinfo=UTC)) == ()
    # 15:59 UTC on 1 June is still 1 June in China: 13.
    late_evening = datetime(2025, 6, 1, 15, 59, tzinfo=UTC)
    assert minor_codes(FOURTEENTH_BIRTHDAY, given_at=late_evening) == ("minor.guardian",)


@pytest.mark.parametrize(
    ("dob", "changes"),
    [
        (date(2015, 1, 1), GUARDIAN),
        (date(2011, 6, 3), GUARDIAN),  # 14 tomorrow: still a guardian's consent today
        (date(2012, 2, 29), {"given_at": datetime(2026, 3, 1, 4, tzinfo=UTC)}),
        (date(1980, 5, 1), {}),
    ],
    ids=["guardian-for-10", "guardian-day-before-14", "feb29-born-14-on-mar1", "adult-self"],
)
def test_minor_guardian_allowed(dob: date, changes: dict[str, Any]) -> None:
    assert minor_codes(dob, **changes) == ()


def test_minor_guardian_allowed_carries_the_obligation() -> None:
    decision = check_consent(consent(**GUARDIAN), subject(date(2015, 1, 1)), deployment())
    assert decision.obligations == ("minor.guardian",)


# -- consent.written ----------------------------------------------------------------------
def test_consent_written_refused() -> None:
    decision = check_consent(consent(), subject(), deployment(written_consent_required=True))
    assert decision.codes == ("consent.written",)


@pytest.mark.parametrize(
    ("required", "form"),
    [(True, ConsentForm.WRITTEN), (False, ConsentForm.ELECTRONIC), (False, ConsentForm.WRITTEN)],
)
def test_consent_written_allowed(required: bool, form: ConsentForm) -> None:
    decision = check_consent(
        consent(form=form), subject(), deployment(written_consent_required=required)
    )
    assert decision.allowed


def test_check_consent_reports_every_failure() -> None:
    decision = check_consent(
        consent(bundled=True, alternative_offered=False),
        subject(date(2020, 1, 1)),
        deployment(written_consent_required=True),
    )
    assert decision.codes == (
        "consent.separate",
        "coercion.prohibited",
        "minor.guardian",
        "consent.written",
    )


# -- valid_processing_consent -------------------------------------------------------------
LATER = T0 + timedelta(days=10)


@pytest.mark.parametrize(
    "changes",
    [
        {"deployment_id": "dep-2"},
        {"subject_id": "sub-2"},
        {"scope": ConsentScope.TRANSFER},
        {"withdrawn_at": T0 + timedelta(days=1)},
        {"withdrawn_at": LATER},  # withdrawn at the very instant asked about
        {"given_at": LATER + timedelta(seconds=1)},
        {"bundled": True},
        {"pre_ticked": True},
        {"alternative_offered": False},
    ],
)
def test_consent_separate_refused_no_valid_processing_consent(changes: dict[str, Any]) -> None:
    assert valid_processing_consent([consent(**changes)], "sub-1", "dep-1", LATER) is None


def test_consent_separate_allowed_valid_processing_consent_is_the_newest() -> None:
    old = consent(given_at=T0)
    new = consent(given_at=T0 + timedelta(days=1))
    withdrawn = consent(given_at=T0 + timedelta(days=2), withdrawn_at=T0 + timedelta(days=3))
    transfer = consent(scope=ConsentScope.TRANSFER, given_at=T0 + timedelta(days=4))
    found = valid_processing_consent([old, withdrawn, new, transfer], "sub-1", "dep-1", LATER)
    assert found is new
    assert valid_transfer_consent([old, transfer], "sub-1", "dep-1", LATER) is transfer


def test_consent_withdraw_allowed_until_the_instant_of_withdrawal() -> None:
    record = consent(withdrawn_at=LATER)
    moment = LATER - timedelta(seconds=1)
    assert valid_processing_consent([record], "sub-1", "dep-1", moment) is record


# -- consent.no_repeat_prompt -------------------------------------------------------------
@pytest.mark.parametrize(
    ("elapsed", "quiet_days"),
    [
        (timedelta(0), 180),
        (timedelta(days=30), 180),
        (timedelta(days=180) - timedelta(seconds=1), 180),
        (timedelta(days=6), 7),
    ],
)
def test_consent_no_repeat_prompt_refused(elapsed: timedelta, quiet_days: int) -> None:
    decision = check_prompt_allowed(T0, T0 + elapsed, quiet_days)
    assert decision.codes == ("consent.no_repeat_prompt",)
    assert "alternative" in decision.reasons[0].message


@pytest.mark.parametrize(
    ("last", "elapsed", "quiet_days"),
    [
        (None, timedelta(0), 180),
        (T0, timedelta(days=180), 180),
        (T0, timedelta(days=181), 180),
        (T0, timedelta(0), 0),
    ],
    ids=["never-refused", "quiet-period-over-exactly", "after-quiet-period", "no-quiet-period"],
)
def test_consent_no_repeat_prompt_allowed(
    last: datetime | None, elapsed: timedelta, quiet_days: int
) -> None:
    assert check_prompt_allowed(last, T0 + elapsed, quiet_days).allowed


def test_consent_no_repeat_prompt_default_is_180_days() -> None:
    assert not check_prompt_allowed(T0, T0 + timedelta(days=179)).allowed
    assert check_prompt_allowed(T0, T0 + timedelta(days=180)).allowed


# -- minor.guardian: an attestation of "14 or older" instead of a date of birth (PIPL6) ------
def test_minor_guardian_allowed_adult_attestation_without_date_of_birth() -> None:
    decision = check_consent(consent(), subject(None, age_attested=True), deployment())
    assert decision.allowed


def test_minor_guardian_refused_guardian_for_an_attested_adult() -> None:
    decision = check_consent(
        consent(given_by=GivenBy.GUARDIAN, guardian_relation="mother"),
        subject(None, age_attested=True),
        deployment(),
    )
    assert decision.codes == ("minor.guardian",)


def test_minor_guardian_refused_neither_date_nor_attestation() -> None:
    decision = check_consent(consent(), subject(None, age_attested=False), deployment())
    assert decision.codes == ("minor.guardian",)
    assert "attestation" in decision.reasons[0].message
