"""Calendar arithmetic the rules share: whole years, and the day an instant falls on in China."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TypeVar

CHINA_TZ = timezone(timedelta(hours=8), "CST")
"""China Standard Time (no daylight saving): the legal day of an event in China."""

D = TypeVar("D", bound=date)


def add_years(moment: D, years: int) -> D:
    """The same day and time ``years`` later; 29 February becomes 1 March in common years.

    1 March (not 28 February) is the later of the two readings, so periods that protect
    people (a child's minority, a record's keeping) never end early.
    """
    target = moment.year + years
    try:
        return moment.replace(year=target)
    except ValueError:  # 29 February into a common year
        return moment.replace(year=target, month=3, day=1)


def china_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in China; a naive datetime is taken as already local."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(CHINA_TZ).date()
