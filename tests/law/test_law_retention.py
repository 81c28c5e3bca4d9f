"""Template expiry and the three-year keeping of records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from law_factories import T0, template

from facegate.law import (
    check_retention_delete,
    is_expired,
    template_expires_at,
    template_usable,
)

SECOND = timedelta(seconds=1)


# -- storage.retention_minimum ------------------------------------------------------------
def test_template_expires_at() -> None:
    assert template_expires_at(T0, 30) == T0 + timedelta(days=30)


def test_storage_retention_minimum_last_second_usable() -> None:
    expires = template_expires_at(T0, 30)
    assert not is_expired(expires, expires - SECOND)
    assert template_usable(template(T0, expires), True, expires - SECOND)


def test_storage_retention_minimum_last_day_usable() -> None:
    expires = template_expires_at(T0, 30)
    last_day = T0 + timedelta(days=29, hours=23)
    assert template_usable(template(T0, expires), True, last_day)


@pytest.mark.parametrize("after", [timedelta(0), SECOND, timedelta(days=400)])
def test_storage_retention_minimum_refused_expired_at_and_after_expiry(after: timedelta) -> None:
    expires = template_expires_at(T0, 30)
    assert is_expired(expires, expires + after)
    assert not template_usable(template(T0, expires), True, expires + after)


def test_consent_withdraw_refused_template_unusable_without_consent() -> None:
    expires = template_expires_at(T0, 30)
    assert not template_usable(template(T0, expires), False, T0 + SECOND)


# -- records.three_years ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("created", "at"),
    [
        (T0, T0),
        (T0, T0 + timedelta(days=365 * 3)),  # 2025-06-02 + 1095 days: a leap day in between
        (T0, datetime(2028, 6, 2, 3, 59, 59, tzinfo=UTC)),
        # 29 February: three years end on 1 March, not on 28 February
        (datetime(2024, 2, 29, tzinfo=UTC), datetime(2027, 2, 28, 23, 59, tzinfo=UTC)),
    ],
    ids=["same-instant", "1095-days", "one-second-early", "feb29-on-feb28"],
)
def test_records_three_years_refused(created: datetime, at: datetime) -> None:
    decision = check_retention_delete(created, at)
    assert decision.codes == ("records.three_years",)
    assert "3 years" in decision.reasons[0].message


@pytest.mark.parametrize(
    ("created", "at"),
    [
        (T0, datetime(2028, 6, 2, 4, tzinfo=UTC)),  # exactly three years
        (T0, datetime(2030, 1, 1, tzinfo=UTC)),
        (datetime(2024, 2, 29, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)),
    ],
    ids=["exactly-three-years", "later", "feb29-on-mar1"],
)
def test_records_three_years_allowed(created: datetime, at: datetime) -> None:
    assert check_retention_delete(created, at).allowed
