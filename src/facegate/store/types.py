"""Column types shared by the models: timestamps that are always timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# A sequence number that must not run out: 64-bit. SQLite's INTEGER already is (and its INTEGER
# PRIMARY KEY must stay INTEGER); PostgreSQL's INTEGER is 32-bit, 2.1 billion audit events, which
# a large deployment identifying all day would reach in a few years (migration 0013).
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that only accepts aware datetimes and always returns UTC.

    SQLite has no time zone type: values are converted to UTC and stored without an offset, so
    that they compare correctly as text; PostgreSQL stores ``timestamptz``. Either way a value
    read back is an aware UTC datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC time")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
