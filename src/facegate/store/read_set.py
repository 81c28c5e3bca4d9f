"""The reads a decision made, recorded so that a later transaction can tell cheaply whether any
of them would now read differently.

An enrolment decides (the law's whole check: consent, PIPIA, notice, device, site...) before it
takes the write lock, and re-validates inside the write transaction. ``recording(session)``
notes every ``SELECT`` the decision sends through the session's connection (ORM loads, lazy
loads and Core queries alike, whichever check or plugin sends them), then, still in the same
read transaction (one snapshot: a deferred SQLite read, a REPEATABLE READ PostgreSQL one),
runs each again on the raw driver cursor and keeps the rows it returns: exactly what the
decision saw. ``ReadSet.unchanged(session)`` runs the same statements with the same parameters
in the write transaction and compares the rows: equal rows mean the decision, a function of
those rows and of the moment, is the same; any difference (a consent withdrawn, a PIPIA gone
stale, a device moved, a row more or less) sends the caller back to the whole decision inside
the transaction, so a refusal is the same typed error, with the same article, as before.

Complete by construction: nothing has to list what a check reads. What is NOT compared is a
column in ``VOLATILE``, which every enrolment moves and no legal decision reads:
``gallery_version`` (the gallery's change-log version), ``gallery_count`` and
``gallery_digest`` (kept with it for the cold start's check; the gallery's size, where a legal
check needs it, is read by counting templates, which is compared) and ``updated_at`` (moved
with them; a change of a legal fact changes the fact's own column too, which is compared).
Replaying the raw statements costs a few tens of microseconds each, against milliseconds for
the decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

VOLATILE = frozenset({"gallery_version", "gallery_count", "gallery_digest", "updated_at"})
"""Columns that are not compared (see the module's docstring)."""
_VOLATILE_NAMES = tuple(VOLATILE)  # a result column named so, or labelled ``<table>_<name>``


@dataclass(frozen=True)
class _Read:
    statement: str
    parameters: Any
    rows: tuple[tuple[Any, ...], ...]


@dataclass
class ReadSet:
    """The statements a decision ran and the rows they returned (volatile columns masked)."""

    reads: list[_Read] = field(default_factory=list)

    def unchanged(self, session: Session) -> bool:
        """Would every read return the same rows in ``session``'s transaction now?"""
        cursor = session.connection().connection.cursor()
        try:
            for read in self.reads:
                if _rows(cursor, read.statement, read.parameters) != read.rows:
                    return False
        finally:
            cursor.close()
        return True

    def __len__(self) -> int:
        return len(self.reads)


def _is_read(statement: str) -> bool:
    head = statement.lstrip()[:6].upper()
    return head == "SELECT" or head.startswith("WITH")


def _copy(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return dict(parameters)
    if isinstance(parameters, list | tuple):
        return tuple(parameters)
    return parameters


def _rows(cursor: Any, statement: str, parameters: Any) -> tuple[tuple[Any, ...], ...]:
    if parameters is None or parameters == () or parameters == {}:
        cursor.execute(statement)
    else:
        cursor.execute(statement, parameters)
    masked = [
        i
        for i, column in enumerate(cursor.description or ())
        if str(column[0]).lower().endswith(_VOLATILE_NAMES)
    ]
    rows = cursor.fetchall()
    if not masked:
        return tuple(tuple(row) for row in rows)
    return tuple(
        tuple(None if i in masked else value for i, value in enumerate(row)) for row in rows
    )


@contextmanager
def recording(session: Session) -> Iterator[ReadSet]:
    """Record the reads the block sends through ``session`` (a read-only transaction); when the
    block ends normally the read set holds each statement with the rows it returned."""
    connection = session.connection()
    seen: list[tuple[str, Any]] = []

    def note(
        _conn: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        if not executemany and _is_read(statement):
            seen.append((statement, _copy(parameters)))

    reads = ReadSet()
    event.listen(connection, "before_cursor_execute", note)
    try:
        yield reads
    finally:
        event.remove(connection, "before_cursor_execute", note)
    cursor = connection.connection.cursor()
    try:
        once = {
            (statement, repr(parameters)): (statement, parameters) for statement, parameters in seen
        }
        for statement, parameters in once.values():
            reads.reads.append(_Read(statement, parameters, _rows(cursor, statement, parameters)))
    finally:
        cursor.close()
