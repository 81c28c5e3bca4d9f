"""Tables of the sync between a control plane and its edge nodes (no face data in any of them).

- ``sync_streams`` and ``sync_events``: the ordered event logs. On a control plane, one stream
  per deployment (``down:<deployment id>``) of the facts its edges need; on an edge node, one
  stream (``up``) of what happened there. A stream's events are numbered 1, 2, 3... without gaps.
- ``sync_peer`` (edge node): where it is in both logs, and when it last synced.
- ``edge_devices`` and ``edge_holdings`` (control plane): each edge's sync state, and which
  subjects hold a template on which device until when (ids and dates only, never vectors).
- ``edge_access_counts`` (control plane): how many attempts at each edge's device matched, did
  not match, used the alternative or were refused, per Beijing day (counts only).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store.models import ID, Base
from facegate.store.types import SEQUENCE, utc_now

STREAM = String(64)


class SyncStream(Base, kw_only=True):
    """A stream's last sequence number: appends lock and bump this row."""

    __tablename__ = "sync_streams"

    stream: Mapped[str] = mapped_column(STREAM, primary_key=True)
    last_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)


class SyncEvent(Base, kw_only=True):
    """One event: a row of a replicated table inserted or changed (``upsert``, with its
    columns) or deleted (``delete``), or a fact with no row of its own (``holding``)."""

    __tablename__ = "sync_events"

    stream: Mapped[str] = mapped_column(STREAM, primary_key=True)
    seq: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=False)
    kind: Mapped[str]
    entity: Mapped[str]
    row_id: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class SyncPeer(Base, kw_only=True):
    """An edge node's single row (id=1): its control plane and its place in both logs."""

    __tablename__ = "sync_peer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    control_url: Mapped[str] = mapped_column(default="")
    device_id: Mapped[str] = mapped_column(default="")
    deployment_id: Mapped[str] = mapped_column(default="")
    down_applied_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    up_acknowledged_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    last_synced_at: Mapped[datetime | None] = mapped_column(default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(default="")


class EdgeDevice(Base, kw_only=True):
    """The control plane's view of one device's edge node."""

    __tablename__ = "edge_devices"

    device_id: Mapped[str] = mapped_column(ID, ForeignKey("devices.id"), primary_key=True)
    down_acknowledged_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    up_applied_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    audit_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    audit_hash: Mapped[str] = mapped_column(String(64), default="")
    offline_limit_seconds: Mapped[int] = mapped_column(default=24 * 3600)


class EdgeHolding(Base, kw_only=True):
    """A template held on an edge node: whose, for which deployment, until when. Never the
    template itself."""

    __tablename__ = "edge_holdings"

    template_id: Mapped[str] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(ID, ForeignKey("devices.id"), index=True)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    expires_at: Mapped[datetime]
    reported_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class EdgeAccessCount(Base, kw_only=True):
    """One edge device's attempts on one Beijing day, as the edge last reported them (its own
    audit log counts them; each report replaces the day's figures). Counts only."""

    __tablename__ = "edge_access_counts"

    device_id: Mapped[str] = mapped_column(ID, ForeignKey("devices.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    match: Mapped[int] = mapped_column(default=0)
    no_match: Mapped[int] = mapped_column(default=0)
    alternative: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    reported_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
