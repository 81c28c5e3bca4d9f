"""Chinese working days (measures.md "Counting working days"), checked by hand against the
State Council's 2026 notice (国办发明电, 2025-11-04) and ``chinese_calendar``:
Spring Festival off Feb 15-23, make-up workdays Sat Feb 14 and Sat Feb 28; Mid-Autumn off
Sep 25-27; National Day off Oct 1-7, make-up workdays Sun Sep 20 and Sat Oct 10."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from facegate.law.calendar import HolidayOverrides, add_working_days, working_days_between
from facegate.law.filing import PRE_MEASURES_DUE, threshold_due


def test_calendar_agrees_with_the_2026_notice() -> None:
    for day in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert chinese_calendar.is_workday(day), day  # make-up working days on weekends
    for offset in range(9):
        assert not chinese_calendar.is_workday(date(2026, 2, 15 + offset))
    for offset in range(7):
        assert not chinese_calendar.is_workday(date(2026, 10, 1 + offset))


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Fri Feb 13: the next working day is the make-up Saturday Feb 14.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        # Sat Feb 14 (a working day, not counted): Feb 15-23 off, so Tue Feb 24.
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        # Feb 13 + 30: 14 (1), 24-27 (2-5), Sat 28 (6), Mar 2-6 (7-11), 9-13 (12-16),
        # 16-20 (17-21), 23-27 (22-26), 30, 31, Apr 1, Apr 2 (27-30).
        (date(2026, 2, 13), 30, date(2026, 4, 2)),
        # Fri Sep 18: Sat 19 off, Sun 20 is a make-up working day.
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
        # Sep 18 + 30: Sun 20 (1), 21-24 (2-5), 25-27 off, 28-30 (6-8), Oct 1-7 off,
        # 8, 9, Sat 10 (9-11), 12-16 (12-16), 19-23 (17-21), 26-30 (22-26), Nov 2-5 (27-30).
        (date(2026, 9, 18), 30, date(2026, 11, 5)),
        # Wed Sep 30: Oct 1-7 off, so Thu Oct 8.
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        # Sep 30 + 30: Oct 8, 9, Sat 10 (1-3), 12-16 (4-8), 19-23 (9-13), 26-30 (14-18),
        # Nov 2-6 (19-23), 9-13 (24-28), 16, 17 (29, 30).
        (date(2026, 9, 30), 30, date(2026, 11, 17)),
    ],
)
def test_add_working_days_across_2026_holidays(start: date, n: int, due: date) -> None:
    result = add_working_days(start, n)
    assert result.due == due
    assert not result.provisional


def test_start_day_is_not_counted() -> None:
    assert working_days_between(date(2026, 9, 18), date(2026, 11, 5)) == 30


def test_pre_measures_threshold_due_2025_07_14() -> None:
    # Jun 1 2025 (Sun) + 30: May 31-Jun 2 Dragon Boat off; Jun 3-6 (1-4), 9-13 (5-9),
    # 16-20 (10-14), 23-27 (15-19), 30 (20), Jul 1-4 (21-24), 7-11 (25-29), Jul 14 (30).
    assert add_working_days(date(2025, 6, 1), 30).due == PRE_MEASURES_DUE == date(2025, 7, 14)
    assert threshold_due(date(2025, 3, 3)).due == date(2025, 7, 14)
    assert threshold_due(date(2026, 9, 18)).due == date(2026, 11, 5)


def test_2027_is_provisional_monday_to_friday() -> None:
    result = add_working_days(date(2027, 3, 1), 5)  # Mon Mar 1 2027
    assert result.due == date(2027, 3, 8)
    assert result.provisional
    assert "2027" in result.source
    crossing = add_working_days(date(2026, 12, 20), 30)
    assert crossing.provisional


def test_2027_with_an_operator_holiday_file() -> None:
    overrides = HolidayOverrides.from_mapping(
        {"holidays": ["2027-03-02", "2027-03-03"], "workdays": ["2027-03-06"], "years": [2027]},
        source="holidays-2027.json",
    )
    # Mar 1 + 5: Mar 2-3 off, 4 (1), 5 (2), Sat 6 (3), 8 (4), 9 (5).
    result = add_working_days(date(2027, 3, 1), 5, overrides)
    assert (result.due, result.provisional, result.source) == (
        date(2027, 3, 9),
        False,
        "holidays-2027.json",
    )
    # The official data still decides 2026.
    assert add_working_days(date(2026, 9, 30), 1, overrides).due == date(2026, 10, 8)


def test_bad_holiday_data_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a YYYY-MM-DD"):
        HolidayOverrides.from_mapping({"holidays": ["2027-02-30"]}, source="x")
    with pytest.raises(ValueError, match="unknown keys"):
        HolidayOverrides.from_mapping({"holiday": []}, source="x")
