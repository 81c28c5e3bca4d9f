"""Chinese working days (the "Counting working days" section of measures.md).

The day a period starts on is not counted; the deadline is the n-th working day after it.
Working days follow the State Council's annual holiday notice, make-up working days on
weekends included (the ``chinesecalendar`` package, which covers 2004 to 2026). For a year the
package does not cover, an operator-supplied holiday file decides; failing that, Monday to
Friday without the statutory holidays fixed by date or by the lunar calendar
(``law.statutory_holidays``: New Year's Day, Spring Festival, Qingming, Labour Day, Dragon
Boat, Mid-Autumn, National Day, and the make-up day for one that falls on a weekend), and the
result is marked provisional. Pure: the caller parses the file and passes its contents in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import chinese_calendar

from facegate.law.statutory_holidays import RULES_NAME_EN, statutory_days_off

OFFICIAL_SOURCE = "State Council holiday notices (chinesecalendar)"
WEEKDAY_SOURCE = (
    f"Monday-Friday less the statutory holidays of the {RULES_NAME_EN} "
    "(no State Council arrangement yet)"
)


@dataclass(frozen=True)
class DueDate:
    """A deadline; ``provisional`` when some day on the way was counted without the State
    Council's arrangement for its year (statutory holidays only)."""

    due: date
    provisional: bool
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "provisional": self.provisional, "source": self.source}


@dataclass(frozen=True)
class HolidayOverrides:
    """An operator's holiday data for years the official package does not cover yet."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    source: str = "operator holiday file"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str) -> HolidayOverrides:
        """From parsed JSON or TOML: ``holidays`` and ``workdays`` (lists of ISO dates), and
        optionally ``years`` (the years the file fully describes; by default every year a
        listed date falls in). ``ValueError`` on anything else."""
        unknown = set(data) - {"holidays", "workdays", "years"}
        if unknown:
            raise ValueError(f"unknown keys in holiday data: {', '.join(sorted(unknown))}")
        holidays = _dates(data.get("holidays", []), "holidays")
        workdays = _dates(data.get("workdays", []), "workdays")
        clash = holidays & workdays
        if clash:
            raise ValueError(f"both holiday and workday: {min(clash).isoformat()}")
        raw_years = data.get("years")
        if raw_years is None:
            years = frozenset(d.year for d in holidays | workdays)
        elif isinstance(raw_years, list) and all(
            isinstance(y, int) and not isinstance(y, bool) for y in raw_years
        ):
            years = frozenset(raw_years)
        else:
            raise ValueError("years must be a list of whole numbers")
        return cls(holidays, workdays, years, source)


def _dates(values: Any, key: str) -> frozenset[date]:
    if not isinstance(values, list):
        raise ValueError(f"{key} must be a list of dates")
    found: set[date] = set()
    for value in values:
        if isinstance(value, date):
            found.add(value)
        elif isinstance(value, str):
            try:
                found.add(date.fromisoformat(value))
            except ValueError:
                raise ValueError(f"{key}: {value!r} is not a YYYY-MM-DD date") from None
        else:
            raise ValueError(f"{key}: {value!r} is not a date")
    return frozenset(found)


@dataclass(frozen=True)
class DayKind:
    working: bool
    provisional: bool
    source: str


def day_kind(day: date, overrides: HolidayOverrides | None = None) -> DayKind:
    """Is ``day`` a working day, and on whose authority?"""
    try:
        return DayKind(bool(chinese_calendar.is_workday(day)), False, OFFICIAL_SOURCE)
    except NotImplementedError:
        pass
    if overrides is not None and day.year in overrides.years:
        if day in overrides.workdays:
            return DayKind(True, False, overrides.source)
        if day in overrides.holidays:
            return DayKind(False, False, overrides.source)
        return DayKind(day.weekday() < 5, False, overrides.source)
    working = day.weekday() < 5 and day not in statutory_days_off(day.year)
    return DayKind(working, True, f"{WEEKDAY_SOURCE} for {day.year}")


def add_working_days(start: date, n: int, overrides: HolidayOverrides | None = None) -> DueDate:
    """The n-th working day after ``start`` (``start`` itself not counted)."""
    if n < 1:
        raise ValueError("a period counts at least one working day")
    day = start
    counted = 0
    provisional = False
    sources: list[str] = []
    while counted < n:
        day += timedelta(days=1)
        kind = day_kind(day, overrides)
        provisional = provisional or kind.provisional
        if kind.source not in sources:
            sources.append(kind.source)
        if kind.working:
            counted += 1
    return DueDate(day, provisional, "; ".join(sources))


def working_days_between(start: date, end: date, overrides: HolidayOverrides | None = None) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if day_kind(start + timedelta(days=offset), overrides).working
    )
