"""The outbox: every change to a replicated row becomes a sync event in the same transaction.

A control plane records, per deployment, the facts its edge nodes need (``down``): the
controller, the deployment, its devices, PIPIAs and notice versions, consents given, withdrawn
or refused, the subjects they name (id and date of birth, never identity) and the non-face
credentials (hashed). An edge node records what happened at its device (``up``): subjects,
consents and refusals recorded at its kiosk, which templates it holds (template and subject
ids, deployment, expiry: never the template), and its security alerts.

Events are written by a ``before_flush`` hook, so no use case has to remember to write them,
and a change and its event commit or roll back together. Rows travel as their columns, encoded
for JSON (``row_payload``) and decoded against the table (``row_values``); applying an event is
an upsert or a delete, so a replayed event changes nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, Table, insert, select, update
from sqlalchemy.orm import Session, UOWTransaction

from facegate.store import models as m
from facegate.store.access_models import SecurityEvent
from facegate.store.assessment_models import Assessment, NoticeVersion
from facegate.store.people_models import EnrolmentCode
from facegate.store.sync_models import SyncEvent, SyncStream
from facegate.store.types import UtcDateTime, utc_now

FROM_CONTROL = "facegate_sync_from_control"
"""``session.info`` flag: this session applies the control plane's events (an edge does not
report them back up)."""

UP_STREAM = "up"
HOLDING = "holding"  # entity of an edge's template holding events
UPSERT, DELETE = "upsert", "delete"

DOWN_MODELS: dict[str, type[m.Base]] = {
    cls.__tablename__: cls
    for cls in (
        m.Controller,
        m.Deployment,
        m.Device,
        m.Subject,
        Assessment,
        NoticeVersion,
        m.Consent,
        m.ConsentRefusal,
        m.Credential,
        EnrolmentCode,
    )
}
"""What a control plane sends its edges, in the order parents come before children."""

UP_MODELS: dict[str, type[m.Base]] = {
    cls.__tablename__: cls
    for cls in (m.Subject, m.Consent, m.ConsentRefusal, SecurityEvent, EnrolmentCode)
}
"""What an edge reports as rows (templates are reported as holdings, see ``holding_payload``;
an enrolment code only as its redemption, see ``service.sync``)."""

LOCAL_COLUMNS: dict[str, frozenset[str]] = {"deployments": frozenset({"gallery_version"})}
"""Columns that describe this process's own store and never travel."""

MONOTONIC_COLUMNS = frozenset(
    {"withdrawn_at", "revoked_at", "destroyed_at", "deleted_at", "redeemed_at"}
)
"""Once set, never cleared by an event: a withdrawal or revocation cannot be undone by an
older copy of the row arriving later."""


def down_stream(deployment_id: str) -> str:
    return f"down:{deployment_id}"


# -- rows as JSON -------------------------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _decode(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, UtcDateTime | DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, LargeBinary):
        return base64.b64decode(value)
    return value


def _table(model: type[m.Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def row_payload(row: m.Base) -> dict[str, Any]:
    """The row's columns (less the local ones), JSON-ready."""
    table = _table(type(row))
    local = LOCAL_COLUMNS.get(table.name, frozenset())
    return {c.key: _encode(getattr(row, c.key)) for c in table.columns if c.key not in local}


def row_values(model: type[m.Base], payload: dict[str, Any]) -> dict[str, Any]:
    """Decode a payload against the model's columns; unknown keys are ignored (an older or
    newer peer), local columns never taken."""
    table = _table(model)
    local = LOCAL_COLUMNS.get(table.name, frozenset())
    return {
        c.key: _decode(c.type, payload[c.key])
        for c in table.columns
        if c.key in payload and c.key not in local
    }


def primary_key(model: type[m.Base], payload: dict[str, Any]) -> Any:
    columns = list(_table(model).primary_key.columns)
    values = row_values(model, payload)
    keys = tuple(values[c.key] for c in columns)
    return keys[0] if len(keys) == 1 else keys


def upsert(session: Session, model: type[m.Base], payload: dict[str, Any]) -> bool:
    """Insert the row or bring the stored one up to the payload; whether anything changed.
    A set ``MONOTONIC_COLUMNS`` value is never cleared."""
    values = row_values(model, payload)
    existing = session.get(model, primary_key(model, payload))
    if existing is None:
        session.add(model(**values))
        return True
    if getattr(existing, "deleted_at", None) is not None:
        return False  # an erased person stays erased: no older copy brings their data back
    changed = False
    for key, value in values.items():
        current = getattr(existing, key)
        if key in MONOTONIC_COLUMNS and current is not None:
            continue
        if current != value:
            setattr(existing, key, value)
            changed = True
    return changed


def remove(session: Session, model: type[m.Base], payload: dict[str, Any]) -> bool:
    existing = session.get(model, primary_key(model, payload))
    if existing is None:
        return False
    session.delete(existing)
    return True


def holding_payload(row: Any) -> dict[str, Any]:
    """What an edge tells about a template it holds: never the template itself."""
    return {
        "template_id": row.id,
        "subject_id": row.subject_id,
        "deployment_id": row.deployment_id,
        "expires_at": _encode(row.expires_at),
    }


# -- appending -----------------------------------------------------------------------------------
def append(
    session: Session, stream: str, kind: str, entity: str, row_id: str, payload: dict[str, Any]
) -> int:
    """Append one event to ``stream`` with the next sequence number (the stream's counter row
    is locked by the update, so concurrent writers queue instead of colliding)."""
    connection = session.connection()
    streams = _table(SyncStream)
    seq = connection.execute(
        update(streams)
        .where(streams.c.stream == stream)
        .values(last_seq=streams.c.last_seq + 1)
        .returning(streams.c.last_seq)
    ).scalar()
    if seq is None:
        connection.execute(insert(streams).values(stream=stream, last_seq=1))
        seq = 1
    connection.execute(
        insert(_table(SyncEvent)).values(
            stream=stream,
            seq=seq,
            kind=kind,
            entity=entity,
            row_id=row_id,
            payload=payload,
            at=utc_now(),
        )
    )
    return int(seq)


def append_many(
    session: Session, stream: str, events: Sequence[tuple[str, str, str, dict[str, Any]]]
) -> None:
    """``append`` for many events (kind, entity, row id, payload) at once: one counter update
    and one multi-row insert, for set-based writers that bypass the flush hook."""
    if not events:
        return
    connection = session.connection()
    streams = _table(SyncStream)
    last = connection.execute(
        update(streams)
        .where(streams.c.stream == stream)
        .values(last_seq=streams.c.last_seq + len(events))
        .returning(streams.c.last_seq)
    ).scalar()
    if last is None:
        connection.execute(insert(streams).values(stream=stream, last_seq=len(events)))
        last = len(events)
    first, now = int(last) - len(events) + 1, utc_now()
    connection.execute(
        insert(_table(SyncEvent)),
        [
            {
                "stream": stream,
                "seq": first + n,
                "kind": kind,
                "entity": entity,
                "row_id": row_id,
                "payload": payload,
                "at": now,
            }
            for n, (kind, entity, row_id, payload) in enumerate(events)
        ],
    )


def holdings_changed(session: Session, role: str, kind: str, templates: Iterable[Any]) -> None:
    """On an edge node, report templates stored (``UPSERT``) or removed (``DELETE``) by a
    set-based writer as holdings, as ``EdgeOutbox`` does for ORM rows (other roles: nothing).
    ``templates``: objects with ``id``, ``subject_id``, ``deployment_id``, ``expires_at``."""
    if role != "edge":
        return
    append_many(
        session,
        UP_STREAM,
        [(kind, HOLDING, t.id, holding_payload(t)) for t in templates],
    )


def stream_head(session: Session, stream: str) -> int:
    value = session.scalar(select(SyncStream.last_seq).where(SyncStream.stream == stream))
    return int(value or 0)


# -- capturing -----------------------------------------------------------------------------------
def _row_id(row: m.Base) -> str:
    key = _table(type(row)).primary_key.columns
    return ":".join(str(getattr(row, c.key)) for c in key)


_ORDER = {name: i for i, name in enumerate(DOWN_MODELS)}


def _ordered(rows: Iterable[object], models: dict[str, type[m.Base]]) -> list[m.Base]:
    chosen = [r for r in rows if isinstance(r, m.Base) and _table(type(r)).name in models]
    return sorted(chosen, key=lambda r: _ORDER.get(_table(type(r)).name, len(_ORDER)))


def _changed(session: Session, row: object) -> bool:
    return session.is_modified(row, include_collections=False)


class ControlOutbox:
    """On a control plane: each change to a replicated row goes to the stream of every
    deployment it concerns, after the rows it depends on when it is new."""

    def __call__(self, session: Session, _flush: UOWTransaction, _instances: object) -> None:
        with session.no_autoflush:
            for row in _ordered(session.new, DOWN_MODELS):
                self._emit(session, row, UPSERT, new=True)
            dirty = [r for r in session.dirty if _changed(session, r)]
            for row in _ordered(dirty, DOWN_MODELS):
                self._emit(session, row, UPSERT, new=False)
            for row in _ordered(session.deleted, DOWN_MODELS):
                self._emit(session, row, DELETE, new=False)

    def _emit(self, session: Session, row: m.Base, kind: str, *, new: bool) -> None:
        name = _table(type(row)).name
        for deployment_id in self._deployments(session, row):
            stream = down_stream(deployment_id)
            if new:
                for parent in self._parents(session, row):
                    append(
                        session,
                        stream,
                        UPSERT,
                        _table(type(parent)).name,
                        _row_id(parent),
                        row_payload(parent),
                    )
            append(session, stream, kind, name, _row_id(row), row_payload(row))

    @staticmethod
    def _deployments(session: Session, row: m.Base) -> list[str]:
        if isinstance(row, m.Deployment):
            return [row.id]
        if isinstance(row, m.Controller):
            return list(
                session.scalars(select(m.Deployment.id).where(m.Deployment.controller_id == row.id))
            )
        if isinstance(row, m.Subject):
            found: set[str] = set()
            for model in (m.Consent, m.Credential, m.ConsentRefusal):
                found.update(
                    session.scalars(select(model.deployment_id).where(model.subject_id == row.id))
                )
            return sorted(found)
        deployment_id = getattr(row, "deployment_id", None)
        return [deployment_id] if isinstance(deployment_id, str) else []

    @staticmethod
    def _parents(session: Session, row: m.Base) -> list[m.Base]:
        parent: m.Base | None = None
        if isinstance(row, m.Deployment):
            parent = session.get(m.Controller, row.controller_id)
        elif (
            isinstance(row, m.Consent | m.Credential | m.ConsentRefusal | EnrolmentCode)
            and row.subject_id
        ):
            parent = session.get(m.Subject, row.subject_id)
        return [parent] if parent is not None else []


class EdgeOutbox:
    """On an edge node: what happened here goes up (not what the control plane sent down),
    and every template stored or removed here is reported as a holding."""

    def __call__(self, session: Session, _flush: UOWTransaction, _instances: object) -> None:
        from_control = bool(session.info.get(FROM_CONTROL))
        with session.no_autoflush:
            if not from_control:
                for row in _ordered(session.new, UP_MODELS):
                    self._row(session, row, UPSERT)
                dirty = [r for r in session.dirty if _changed(session, r)]
                for row in _ordered(dirty, UP_MODELS):
                    self._row(session, row, UPSERT)
            for row in session.new:
                if isinstance(row, m.Template):
                    append(session, UP_STREAM, UPSERT, HOLDING, row.id, holding_payload(row))
            for row in session.deleted:
                if isinstance(row, m.Template):
                    append(session, UP_STREAM, DELETE, HOLDING, row.id, holding_payload(row))

    @staticmethod
    def _row(session: Session, row: m.Base, kind: str) -> None:
        append(session, UP_STREAM, kind, _table(type(row)).name, _row_id(row), row_payload(row))


Hook = Callable[[Session, UOWTransaction, object], None]


def outbox_for(role: str) -> Hook | None:
    """The hook a process of this role installs on its database (none for ``standalone``)."""
    if role == "control":
        return ControlOutbox()
    if role == "edge":
        return EdgeOutbox()
    return None
