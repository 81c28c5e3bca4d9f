"""Provisional calendars: the statutory holidays of the National Holidays Measures (2024
revision) count as days off in a year the State Council has not arranged yet (filing.*)."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from facegate.law.calendar import add_working_days, day_kind
from facegate.law.statutory_holidays import statutory_days_off, statutory_holidays


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_holidays_are_official_days_off_in_arranged_years(year: int) -> None:
    # Every day the rules give off (art. 2, with art. 6's make-up days only where the official
    # arrangement also has them) is a day off in the State Council's own calendar.
    for holiday in statutory_holidays(year):
        if holiday.key != "make_up":
            assert not chinese_calendar.is_workday(holiday.day), holiday


def test_statutory_holidays_2027() -> None:
    days = {h.day: h.key for h in statutory_holidays(2027)}
    assert days[date(2027, 1, 1)] == "new_year"
    # Lunar New Year 2027 is Sat 6 Feb: Eve (Fri 5) to the 3rd (Mon 8).
    assert [d for d, k in days.items() if k == "spring_festival"] == [
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
    ]
    assert days[date(2027, 4, 5)] == "qingming"
    assert days[date(2027, 6, 9)] == "dragon_boat"
    assert days[date(2027, 9, 15)] == "mid_autumn"
    # Two Spring Festival days on a weekend: made up on Tue 9 and Wed 10 Feb (art. 6).
    assert days[date(2027, 2, 9)] == days[date(2027, 2, 10)] == "make_up"
    # 1-3 Oct 2027 is Fri-Sun: made up on Mon 4 and Tue 5 Oct.
    assert days[date(2027, 10, 4)] == days[date(2027, 10, 5)] == "make_up"
    assert len([k for k in days.values() if k != "make_up"]) == 13


def test_filing_threshold_2027_new_year_is_not_a_working_day() -> None:
    kind = day_kind(date(2027, 1, 1))  # a Friday
    assert not kind.working and kind.provisional
    assert date(2027, 1, 1) in statutory_days_off(2027)


def test_filing_threshold_provisional_due_date_avoids_the_spring_festival() -> None:
    # From Mon 25 Jan 2027: 26-29 Jan (1-4), Mon 1-Thu 4 Feb (5-8); Fri 5 to Wed 10 Feb off;
    # Thu 11 (9), Fri 12 (10).
    result = add_working_days(date(2027, 1, 25), 10)
    assert result.due == date(2027, 2, 12)
    assert result.provisional
    for n in range(1, 31):
        due = add_working_days(date(2027, 1, 1), n).due
        assert due not in statutory_days_off(2027)


def test_filing_threshold_2026_still_follows_the_official_calendar() -> None:
    result = add_working_days(date(2026, 9, 18), 30)
    assert (result.due, result.provisional) == (date(2026, 11, 5), False)
