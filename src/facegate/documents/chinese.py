"""Chinese as legal documents write it: dates in Beijing time (2026年9月19日), numbers in
words where Chinese legal texts use them (第二级, 三十个工作日), and no raw codes."""

from __future__ import annotations

from datetime import date, datetime

from facegate.law.dates import CHINA_TZ, china_date
from facegate.law.notice import has_chinese

_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """0 to 9999 in Chinese numerals: 二, 十二, 三十, 一百零五."""
    if not 0 <= n < 10_000:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    units = ((1000, "千"), (100, "百"), (10, "十"))
    out = ""
    zero = False
    rest = n
    for value, name in units:
        digit, rest = divmod(rest, value)
        if digit:
            if zero:
                out += "零"
                zero = False
            out += ("" if (value == 10 and digit == 1 and not out) else _DIGITS[digit]) + name
        elif out:
            zero = True
    if rest:
        out += ("零" if zero else "") + _DIGITS[rest]
    return out


def zh_level(n: int) -> str:
    """第二级 (graded protection levels and other ordinals)."""
    return f"第{zh_number(n)}级"


def _day(value: date | datetime | str) -> date:
    """The calendar day of a date, or of an instant in Beijing time (ISO text accepted)."""
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    return china_date(value) if isinstance(value, datetime) else value


def _moment(value: datetime | str) -> datetime:
    """An instant in Beijing time (a naive one is taken as already local)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(CHINA_TZ) if moment.tzinfo else moment


def zh_date(value: date | datetime | str | None) -> str:
    """2026年9月19日 (an instant is first put in Beijing time); ``—`` for nothing."""
    if value is None or value == "":
        return "—"
    day = _day(value)
    return f"{day.year}年{day.month}月{day.day}日"


def zh_datetime(value: datetime | str | None) -> str:
    """2026年9月19日08时30分（北京时间）."""
    if value is None or value == "":
        return "—"
    local = _moment(value)
    clock = f"{local.hour:02d}时{local.minute:02d}分"
    return f"{local.year}年{local.month}月{local.day}日{clock}（北京时间）"


def en_date(value: date | datetime | str | None) -> str:
    """19 September 2026 (Beijing time for an instant)."""
    if value is None or value == "":
        return "—"
    day = _day(value)
    return f"{day.day} {day:%B} {day.year}"


def en_datetime(value: datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    local = _moment(value)
    return f"{local.day} {local:%B} {local.year}, {local:%H:%M} Beijing time"


NO_CHINESE = "（未提供中文表述）"


def zh_text(text: str) -> str:
    """Free text for a Chinese document: as entered when it is Chinese; otherwise a mark that
    the Chinese is missing, never the foreign text in its place."""
    stripped = text.strip()
    if not stripped:
        return stripped
    return stripped if has_chinese(stripped) else NO_CHINESE
