"""Times as people read them: in the deployment's zone (Asia/Shanghai, Beijing time, by
default), never as UTC ISO strings.

The store keeps every time in UTC; a naive ``datetime`` (as SQLite gives back) is taken to be
UTC. The zone is the ``time_zone`` setting (``facegate.toml`` or ``FACEGATE_TIME_ZONE``), an
IANA name checked with :mod:`zoneinfo`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from facegate.messages.catalogue import DEFAULT_LANG, as_lang, has, t

DEFAULT_ZONE = "Asia/Shanghai"

Precision = Literal["minute", "second", "date"]

_FORMATS: dict[str, str] = {
    "minute": "%Y-%m-%d %H:%M",
    "second": "%Y-%m-%d %H:%M:%S",
    "date": "%Y-%m-%d",
}


class UnknownZone(ValueError):
    """A ``time_zone`` that is not an IANA zone name."""


@cache
def zone(name: str | None = None) -> ZoneInfo:
    """The zone ``name`` (default Asia/Shanghai); :class:`UnknownZone` when there is none."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(f"unknown time zone {name!r} (an IANA name, e.g. Asia/Shanghai)") from exc


def as_datetime(value: datetime | date | str | None) -> datetime | date | None:
    """A stored time as an aware ``datetime`` (naive means UTC); ISO strings are parsed; a
    plain ``date`` stays a date (it has no zone)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                return date.fromisoformat(text)
            except ValueError:
                return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value


def local_time(
    value: datetime | date | str | None,
    zone_name: str | None = None,
    precision: Precision = "minute",
    *,
    with_zone: bool = False,
    lang: str = DEFAULT_LANG,
) -> str:
    """``value`` in ``zone_name`` (Asia/Shanghai by default) as ``2026-12-01 00:12``;
    ``with_zone`` adds the zone's name (北京时间 / Beijing time, else the IANA name and
    offset). ``None`` or an unreadable value gives ``""``; a value that is not a time is
    returned as written."""
    moment = as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if not isinstance(moment, datetime):  # a calendar date: no zone to convert
        return moment.isoformat()
    here = moment.astimezone(zone(zone_name))
    text = here.strftime(_FORMATS.get(precision, _FORMATS["minute"]))
    if with_zone and precision != "date":
        label = zone_label(zone_name, lang, here)
        text = f"{text}（{label}）" if as_lang(lang) == "zh" else f"{text} ({label})"
    return text


def local_date(value: datetime, zone_name: str | None = None) -> date:
    """The calendar day ``value`` falls on in the zone (Beijing by default)."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(zone(zone_name)).date()


def zone_label(
    zone_name: str | None = None, lang: str = DEFAULT_LANG, at: datetime | None = None
) -> str:
    """北京时间 / Beijing time for Asia/Shanghai; otherwise ``Europe/Berlin UTC+01:00``."""
    name = zone_name or DEFAULT_ZONE
    key = "common.zone." + name.lower().replace("/", "_")
    if has(key):
        return t(key, lang)
    moment = (at or datetime.now(UTC)).astimezone(zone(name))
    offset = moment.strftime("%z")
    return f"{name} UTC{offset[:3]}:{offset[3:]}" if offset else name
