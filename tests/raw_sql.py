"""Rows read around the store's own code, as an attacker with the database would: the SQLite
file itself, or a plain connection to the PostgreSQL database (not one of the store's)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect

from facegate.store import Database


def raw_rows(db: Database, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """``sql`` with ``?`` placeholders, committed; byte columns come back as ``bytes``."""
    if db.is_sqlite:
        assert db.url.database is not None
        with sqlite3.connect(db.url.database) as raw:
            rows = raw.execute(sql, params).fetchall()
    else:
        outside = create_engine(db.url)
        try:
            with outside.begin() as connection:
                driver_sql = sql.replace("%", "%%").replace("?", "%s")
                result = connection.exec_driver_sql(driver_sql, params)
                rows = result.fetchall() if result.returns_rows else []
        finally:
            outside.dispose()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def raw_columns(db: Database, table: str) -> set[str]:
    """The columns the table really has in the database."""
    outside = create_engine(db.url)
    try:
        return {column["name"] for column in inspect(outside).get_columns(table)}
    finally:
        outside.dispose()


def stored_bytes(db: Database) -> bytes:
    """What the database holds, as an attacker who copies it would read it: the SQLite file and
    its write-ahead log as they are on disk; for PostgreSQL, every table's name followed by
    every value of every row (text as UTF-8, byte columns as they are)."""
    if db.is_sqlite:
        assert db.url.database is not None
        path = Path(db.url.database)
        return b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    outside = create_engine(db.url)
    try:
        tables = inspect(outside).get_table_names()
    finally:
        outside.dispose()
    out = bytearray()
    for table in sorted(tables):
        out += table.encode() + b"\n"
        for row in raw_rows(db, f'SELECT * FROM "{table}"'):
            for value in row:
                out += value if isinstance(value, bytes) else str(value).encode()
                out += b"\n"
    return bytes(out)
