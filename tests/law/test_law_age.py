"""Age in full years: birthdays, 29 February, and the day in China."""

from __future__ import annotations

from datetime import date

import pytest

from facegate.law import age_on, is_minor


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (date(2011, 6, 2), date(2025, 6, 1), 13),
        (date(2011, 6, 2), date(2025, 6, 2), 14),
        (date(2011, 6, 2), date(2025, 6, 3), 14),
        (date(2011, 6, 2), date(2011, 6, 2), 0),
        (date(2011, 12, 31), date(2012, 1, 1), 0),
        (date(2012, 2, 29), date(2026, 2, 28), 13),  # common year: birthday on 1 March
        (date(2012, 2, 29), date(2026, 3, 1), 14),
        (date(2012, 2, 29), date(2028, 2, 28), 15),
        (date(2012, 2, 29), date(2028, 2, 29), 16),  # leap year: birthday on the day
        (date(2012, 2, 29), date(2013, 3, 1), 1),
    ],
)
def test_age_on(born: date, day: date, age: int) -> None:
    assert age_on(born, day) == age


def test_age_on_refuses_a_day_before_birth() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(date(2020, 1, 2), date(2020, 1, 1))


@pytest.mark.parametrize(
    ("born", "day", "minor"),
    [
        (date(2011, 6, 2), date(2025, 6, 1), True),
        (date(2011, 6, 2), date(2025, 6, 2), False),  # exactly 14: not a minor
        (date(2012, 2, 29), date(2026, 2, 28), True),
        (date(2012, 2, 29), date(2026, 3, 1), False),
        (date(1980, 5, 1), date(2025, 6, 1), False),
    ],
)
def test_is_minor(born: date, day: date, minor: bool) -> None:
    assert is_minor(born, day) is minor
