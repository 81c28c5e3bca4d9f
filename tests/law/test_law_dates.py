"""Shared calendar arithmetic: whole years and the day in China."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from facegate.law import add_years, china_date


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (date(2025, 6, 2), 3, date(2028, 6, 2)),
        (date(2024, 2, 29), 3, date(2027, 3, 1)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (datetime(2024, 2, 29, 8, 30, tzinfo=UTC), 1, datetime(2025, 3, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_add_years(start: date, years: int, end: date) -> None:
    assert add_years(start, years) == end


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2025, 6, 1, 15, 59, tzinfo=UTC), date(2025, 6, 1)),
        (datetime(2025, 6, 1, 16, 0, tzinfo=UTC), date(2025, 6, 2)),
        (datetime(2025, 6, 1, 23, 0), date(2025, 6, 1)),  # naive: already local
    ],
)
def test_china_date(moment: datetime, day: date) -> None:
    assert china_date(moment) == day
