"""The statutory public holidays of China, for years the State Council has not arranged yet.

《全国年节及纪念日放假办法》 (National Holidays Measures, as revised by State Council Decree
No. 795 of 2024, in force 2025-01-01), art. 2, gives every citizen these days off:

- New Year's Day (元旦): 1 January;
- Spring Festival (春节): Chinese New Year's Eve and the 1st to 3rd days of the first lunar month;
- Qingming (清明节): the day of the Qingming solar term;
- Labour Day (劳动节): 1 and 2 May;
- Dragon Boat Festival (端午节): the 5th day of the fifth lunar month;
- Mid-Autumn Festival (中秋节): the 15th day of the eighth lunar month;
- National Day (国庆节): 1 to 3 October.

Art. 6: a holiday for every citizen that falls on a Saturday or a Sunday is made up on a working
day (补假). The annual State Council notice then rearranges the days (make-up working weekends,
longer breaks); that arrangement cannot be foreseen, so a calendar built from this module is
provisional. Lunar dates and the solar term come from ``lunar_python`` (pure Python, 1900-2100).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from lunar_python import Lunar, Solar

RULES_NAME_ZH = "《全国年节及纪念日放假办法》（2024年修订）"
RULES_NAME_EN = "National Holidays Measures (2024 revision)"


@dataclass(frozen=True)
class Holiday:
    day: date
    key: str  # new_year, spring_festival, qingming, labour_day, dragon_boat, mid_autumn,
    # national_day; ``make_up`` for a day off in place of one on a weekend (art. 6)
    en: str
    zh: str


NAMES: dict[str, tuple[str, str]] = {
    "new_year": ("New Year's Day", "元旦"),
    "spring_festival": ("Spring Festival", "春节"),
    "qingming": ("Qingming Festival", "清明节"),
    "labour_day": ("Labour Day", "劳动节"),
    "dragon_boat": ("Dragon Boat Festival", "端午节"),
    "mid_autumn": ("Mid-Autumn Festival", "中秋节"),
    "national_day": ("National Day", "国庆节"),
    "make_up": ("day off in place of a holiday on a weekend", "补假"),
}


def _solar(lunar_year: int, month: int, day: int) -> date:
    s = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


def _qingming(year: int) -> date:
    term = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


def _festival_days(year: int) -> dict[date, str]:
    new_year_lunar = _solar(year, 1, 1)
    days: dict[date, str] = {date(year, 1, 1): "new_year"}
    for offset in (-1, 0, 1, 2):  # New Year's Eve, then the 1st to 3rd
        days[new_year_lunar + timedelta(days=offset)] = "spring_festival"
    days[_qingming(year)] = "qingming"
    days[date(year, 5, 1)] = days[date(year, 5, 2)] = "labour_day"
    days[_solar(year, 5, 5)] = "dragon_boat"
    days[_solar(year, 8, 15)] = "mid_autumn"
    for d in (1, 2, 3):
        days[date(year, 10, d)] = "national_day"
    return days


@cache
def statutory_holidays(year: int) -> tuple[Holiday, ...]:
    """Every statutory day off of ``year`` (art. 2), with the make-up days of art. 6, sorted."""
    if not 1901 <= year <= 2099:
        raise ValueError(f"no lunar calendar data for {year}")
    days = {d: k for d, k in _festival_days(year).items() if d.year == year}
    make_up: dict[date, str] = {}
    blocks: list[list[date]] = []
    for day in sorted(days):
        if blocks and day - blocks[-1][-1] == timedelta(days=1):
            blocks[-1].append(day)
        else:
            blocks.append([day])
    for block in blocks:
        owed = sum(1 for d in block if d.weekday() >= 5)
        cursor = block[-1]
        while owed:
            cursor += timedelta(days=1)
            if cursor.weekday() < 5 and cursor not in days and cursor not in make_up:
                make_up[cursor] = "make_up"
                owed -= 1
    every = {**days, **make_up}
    return tuple(Holiday(d, k, *NAMES[k]) for d, k in sorted(every.items()))


@cache
def statutory_days_off(year: int) -> frozenset[date]:
    return frozenset(h.day for h in statutory_holidays(year))
