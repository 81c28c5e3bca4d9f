"""A set of ids as ONE bound parameter, for set-based statements over thousands of rows.

``column.in_(ids)`` renders one placeholder per id and SQLAlchemy coerces and names each of
them: for a chunk of thousands of ids that costs more than the statement itself. ``among``
binds the whole list once: a JSON array unpacked by SQLite's ``json_each`` (built in since
3.38), an array compared with ``= ANY(...)`` on PostgreSQL. Either way the database looks each
id up through the column's index.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement


def among(
    session: Session, column: ColumnElement[Any] | QueryableAttribute[Any], ids: Iterable[str]
) -> ColumnElement[bool]:
    """``column IN ids``, the ids bound as one parameter."""
    values = [str(i) for i in ids]
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    unpacked = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued(
        "value"
    )
    return column.in_(select(unpacked.c.value))
