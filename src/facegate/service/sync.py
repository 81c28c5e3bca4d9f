"""Sync between a control plane and its edge nodes: two ordered, idempotent event logs.

Down (control plane to the edges of one deployment): the facts an edge needs to apply the law
itself (deployment state, PIPIA and notice versions, consents given, withdrawn or refused,
subjects, hashed credentials). Up (one edge to the control plane): subjects, consents and
refusals recorded at its kiosk, which templates it holds (ids and expiry only), its alerts, and
the head of its audit chain.

Both logs number their events 1, 2, 3... per stream. A receiver applies a batch in one
transaction: events it already has are skipped (a replayed batch changes nothing), and a
batch that does not continue exactly where it stands is refused whole (``SyncGap``) and
fetched again. An edge that has not caught up with its control plane within its offline limit
refuses face recognition (``in_sync``); the alternative is not affected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from facegate import law
from facegate.service import access, access_events, rights
from facegate.service.consents import subject_consents
from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, Conflict
from facegate.service.facts import aware, consents_facts, iso
from facegate.service.individuals import note_removed, note_stored
from facegate.service.registry import get_deployment, get_device
from facegate.service.templates import shred_templates
from facegate.store import keyring, outbox
from facegate.store import models as m
from facegate.store.access_models import SecurityEvent
from facegate.store.keys import KEY_BYTES
from facegate.store.people_models import EnrolmentCode
from facegate.store.sync_models import EdgeDevice, EdgeHolding, SyncEvent, SyncPeer

BATCH = 500
ERASURE = "erasure"  # an edge's up event: the person erased their data there


class SyncGap(Conflict):
    """A batch that does not continue the receiver's log: fetch from ``expected``."""

    code = "sync_gap"


class SyncRejected(BadRequest):
    """An event the receiver may not apply (unknown entity, or outside the sender's scope)."""

    code = "sync_rejected"


@dataclass(frozen=True)
class WireEvent:
    seq: int
    kind: str
    entity: str
    row_id: str
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "entity": self.entity,
            "row_id": self.row_id,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> WireEvent:
        try:
            return cls(
                seq=int(value["seq"]),
                kind=str(value["kind"]),
                entity=str(value["entity"]),
                row_id=str(value["row_id"]),
                payload=dict(value["payload"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SyncRejected(f"malformed sync event: {exc}") from exc

    @classmethod
    def of(cls, row: SyncEvent) -> WireEvent:
        return cls(row.seq, row.kind, row.entity, row.row_id, dict(row.payload))


@dataclass(frozen=True)
class DownBatch:
    """What the control plane sends one edge: events after ``after``, its log's head, and the
    deployment's credential lookup key (hex), with which the edge finds a card or QR holder."""

    device_id: str
    deployment_id: str
    after: int
    head: int
    events: tuple[WireEvent, ...]
    lookup_key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "deployment_id": self.deployment_id,
            "after": self.after,
            "head": self.head,
            "events": [e.to_dict() for e in self.events],
            "lookup_key": self.lookup_key,
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> DownBatch:
        try:
            return cls(
                device_id=str(value["device_id"]),
                deployment_id=str(value["deployment_id"]),
                after=int(value["after"]),
                head=int(value["head"]),
                events=tuple(WireEvent.from_dict(e) for e in value["events"]),
                lookup_key=str(value.get("lookup_key") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SyncRejected(f"malformed sync batch: {exc}") from exc


@dataclass(frozen=True)
class UpBatch:
    """What an edge sends up: its events after what the control plane acknowledged, and the
    head of its audit chain."""

    events: tuple[WireEvent, ...]
    audit_seq: int
    audit_hash: str
    offline_limit_hours: float
    down_applied_seq: int  # where the edge stands in the control plane's log
    # Its device's attempts per Beijing day, from its audit log (counts only):
    access_counts: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": [e.to_dict() for e in self.events],
            "audit_seq": self.audit_seq,
            "audit_hash": self.audit_hash,
            "offline_limit_hours": self.offline_limit_hours,
            "down_applied_seq": self.down_applied_seq,
            "access_counts": [dict(c) for c in self.access_counts],
        }

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> UpBatch:
        try:
            return cls(
                events=tuple(WireEvent.from_dict(e) for e in value["events"]),
                audit_seq=int(value["audit_seq"]),
                audit_hash=str(value["audit_hash"]),
                offline_limit_hours=float(value["offline_limit_hours"]),
                down_applied_seq=int(value["down_applied_seq"]),
                access_counts=access_events.parse_report(value.get("access_counts") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SyncRejected(f"malformed sync report: {exc}") from exc


@dataclass(frozen=True)
class Applied:
    """The outcome of applying a batch."""

    applied: int  # events applied now
    skipped: int  # events already applied before (replays)
    position: int  # the receiver's sequence number after the batch
    shredded: int = 0  # templates destroyed because consent no longer stands
    caught_up: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


@contextmanager
def _applying(event: WireEvent) -> Iterator[None]:
    """An event that cannot be applied (missing columns, bad values, a broken reference)
    rejects its whole batch, which the caller's transaction rolls back."""
    try:
        yield
    except (KeyError, TypeError, ValueError, SQLAlchemyError) as exc:
        raise SyncRejected(
            f"sync event {event.seq} ({event.kind} {event.entity}) cannot be applied: "
            f"{type(exc).__name__}"
        ) from exc


def _contiguous(events: tuple[WireEvent, ...], position: int) -> list[WireEvent]:
    """The events after ``position``, which must follow it without a gap."""
    fresh = sorted((e for e in events if e.seq > position), key=lambda e: e.seq)
    expected = position + 1
    for event in fresh:
        if event.seq != expected:
            raise SyncGap(
                f"sync events jump from {expected - 1} to {event.seq}: fetch again from {expected}",
                details={"expected": str(expected), "received": str(event.seq)},
            )
        expected += 1
    return fresh


# -- the control plane's side -----------------------------------------------------------------
def _edge_device(session: Session, device_id: str) -> EdgeDevice:
    row = session.get(EdgeDevice, device_id)
    if row is None:
        row = EdgeDevice(device_id=device_id)
        session.add(row)
    return row


def down_batch(ctx: GateContext, device_id: str, after: int, *, limit: int = BATCH) -> DownBatch:
    """The device's deployment's events after ``after`` (which the edge thereby acknowledges)."""
    if after < 0 or limit < 1:
        raise BadRequest("after is 0 or more, limit 1 or more")
    with ctx.unit() as session:
        device = get_device(session, device_id)
        stream = outbox.down_stream(device.deployment_id)
        head = outbox.stream_head(session, stream)
        rows = session.scalars(
            select(SyncEvent)
            .where(SyncEvent.stream == stream, SyncEvent.seq > after)
            .order_by(SyncEvent.seq)
            .limit(min(limit, BATCH))
        )
        events = tuple(WireEvent.of(r) for r in rows)
        state = _edge_device(session, device_id)
        state.down_acknowledged_seq = min(after, head)
        state.last_seen_at = ctx.now()
        # Only this deployment's key (derived from the root lookup key, which never leaves):
        # the edge finds card and QR holders of its deployment and learns nothing of another's.
        key = ctx.vault.deployment_lookup_key(device.deployment_id)
        return DownBatch(
            device_id, device.deployment_id, after, head, events, key.hex() if key else ""
        )


def apply_up(
    ctx: GateContext,
    device_id: str,
    batch: UpBatch,
    *,
    actor: str,
) -> Applied:
    """Apply an edge's events: rows recorded at its kiosk, its holdings, its alerts."""
    erasures: list[str] = []
    with ctx.unit() as session:
        device = get_device(session, device_id)
        deployment = get_deployment(session, device.deployment_id)
        state = _edge_device(session, device_id)
        position = state.up_applied_seq
        fresh = _contiguous(batch.events, position)
        for event in fresh:
            if event.entity == ERASURE:
                subject_id = str(event.payload.get("subject_id", ""))
                # Only subjects with a record in the edge's own deployment; another's (or one
                # that never got further than the kiosk) is left alone.
                if _subject_in(session, subject_id, deployment.id):
                    erasures.append(subject_id)
                continue
            with _applying(event):
                _apply_up_event(ctx, session, device, deployment, event)
                session.flush()
        state.up_applied_seq = position + len(fresh)
        state.last_seen_at = ctx.now()
        state.audit_seq, state.audit_hash = batch.audit_seq, batch.audit_hash
        state.offline_limit_seconds = round(batch.offline_limit_hours * 3600)
        head = outbox.stream_head(session, outbox.down_stream(deployment.id))
        state.down_acknowledged_seq = max(0, min(batch.down_applied_seq, head))
        access_events.record_edge_report(session, device_id, batch.access_counts, ctx.now())
        if fresh:
            record(
                ctx,
                session,
                actor=actor,
                action="sync.receive",
                objects={
                    "device": device_id,
                    "from": str(position + 1),
                    "to": str(state.up_applied_seq),
                },
                decision="info",
            )
        result = Applied(len(fresh), len(batch.events) - len(fresh), state.up_applied_seq)
    # Erased at the edge: erased here and so, through the down log, on every other edge. (Run
    # after the batch commits; an erasure is idempotent if the batch is ever replayed.)
    for subject_id in erasures:
        rights.delete_subject(ctx, subject_id, actor=actor)
        access.revoke_subject_keys(ctx, subject_id, actor=actor)
    return result


def _apply_up_event(
    ctx: GateContext, session: Session, device: m.Device, deployment: m.Deployment, e: WireEvent
) -> None:
    if e.entity == outbox.HOLDING:
        _apply_holding(ctx, session, device, deployment, e)
        return
    model = outbox.UP_MODELS.get(e.entity)
    if model is None or e.kind != outbox.UPSERT:
        raise SyncRejected(f"an edge may not send {e.kind} of {e.entity}")
    payload = dict(e.payload)
    if model is EnrolmentCode:
        _apply_redemption(session, deployment, device, payload)
        return
    if model is SecurityEvent:
        payload.update(device_id=device.id, source=f"edge {device.id}")
    elif model is m.Subject:
        known = session.get(m.Subject, payload.get("id"))
        if known is not None and not _subject_in(session, known.id, deployment.id):
            raise SyncRejected("an edge may only change subjects of its own deployment")
    elif payload.get("deployment_id") != deployment.id:
        raise SyncRejected("an edge may only send records of its own deployment")
    outbox.upsert(session, model, payload)


def _apply_redemption(
    session: Session, deployment: m.Deployment, device: m.Device, payload: dict[str, Any]
) -> None:
    """An edge reports a code it redeemed: only the redemption of a code the control plane
    issued for the edge's own deployment is taken (never a new code, never another field)."""
    row = session.get(EnrolmentCode, payload.get("id"))
    if row is None or row.deployment_id != deployment.id:
        raise SyncRejected("an edge may only redeem enrolment codes of its own deployment")
    values = outbox.row_values(EnrolmentCode, payload)
    if row.redeemed_at is None and values.get("redeemed_at") is not None:
        row.redeemed_at = values["redeemed_at"]
        row.redeemed_device_id = device.id


def _subject_in(session: Session, subject_id: str, deployment_id: str) -> bool:
    for model in (m.Consent, m.Credential, m.ConsentRefusal):
        found = session.scalar(
            select(model.subject_id).where(
                model.subject_id == subject_id,
                model.deployment_id == deployment_id,
            )
        )
        if found is not None:
            return True
    return False


def _apply_holding(
    ctx: GateContext, session: Session, device: m.Device, deployment: m.Deployment, e: WireEvent
) -> None:
    payload = e.payload
    if payload.get("deployment_id") != deployment.id:
        raise SyncRejected("an edge may only report templates of its own deployment")
    template_id, subject_id = str(payload["template_id"]), str(payload["subject_id"])
    existing = session.get(EdgeHolding, template_id)
    if e.kind == outbox.UPSERT:
        expires_at = datetime.fromisoformat(str(payload["expires_at"]))
        if existing is None:
            session.add(
                EdgeHolding(
                    template_id=template_id,
                    device_id=device.id,
                    subject_id=subject_id,
                    deployment_id=deployment.id,
                    expires_at=expires_at,
                    reported_at=ctx.now(),
                )
            )
            session.flush()
            note_stored(session, deployment.controller_id, subject_id, ctx.now())
        else:
            existing.expires_at = expires_at
    elif e.kind == outbox.DELETE:
        if existing is not None:
            session.delete(existing)
            session.flush()
            note_removed(session, subject_id, [deployment.controller_id])
    else:
        raise SyncRejected(f"unknown holding event {e.kind}")


# -- the edge's side ----------------------------------------------------------------------------
def peer(session: Session) -> SyncPeer:
    row = session.get(SyncPeer, 1)
    if row is None:
        row = SyncPeer(id=1)
        session.add(row)
    return row


def apply_down(ctx: GateContext, batch: DownBatch, *, control_url: str = "") -> Applied:
    """Apply the control plane's events in one transaction. Afterwards, any template whose
    subject no longer has a standing consent here is shredded, before the edge serves another
    recognition (withdrawal deletes: M6, PIPL15, PIPL47)."""
    shredded_pairs: list[tuple[str, str]] = []
    with ctx.unit() as session:
        session.info[outbox.FROM_CONTROL] = True
        state = peer(session)
        if state.device_id and state.device_id != batch.device_id:
            raise SyncRejected(
                f"this edge node serves device {state.device_id}, not {batch.device_id}"
            )
        position = state.down_applied_seq
        fresh = _contiguous(batch.events, position)
        lookup_key = _lookup_key(batch)
        if lookup_key is not None:
            keyring.keep_deployment_lookup_key(session, ctx.vault, batch.deployment_id, lookup_key)
        touched: set[tuple[str, str]] = set()
        stopped: set[str] = set()
        for event in fresh:
            model = outbox.DOWN_MODELS.get(event.entity)
            if model is None:
                raise SyncRejected(f"unknown entity {event.entity!r} in the control plane's log")
            with _applying(event):
                if event.kind == outbox.UPSERT:
                    outbox.upsert(session, model, event.payload)
                elif event.kind == outbox.DELETE:
                    outbox.remove(session, model, event.payload)
                else:
                    raise SyncRejected(f"unknown event kind {event.kind!r}")
                session.flush()
            if model in (m.Consent, m.Credential):
                touched.add((str(event.payload["subject_id"]), str(event.payload["deployment_id"])))
            if model is m.Deployment and event.payload.get("status") == "stopped":
                stopped.add(str(event.payload["id"]))
        shredded = 0
        for deployment_id in sorted(stopped):
            subjects, destroyed = _dispose(ctx, session, deployment_id)
            shredded += destroyed
            shredded_pairs += [(subject_id, deployment_id) for subject_id in subjects]
        for subject_id, deployment_id in sorted(touched):
            destroyed = _shred_unconsented(ctx, session, subject_id, deployment_id)
            if destroyed:
                shredded += destroyed
                shredded_pairs.append((subject_id, deployment_id))
        now = ctx.now()
        state.device_id, state.deployment_id = batch.device_id, batch.deployment_id
        state.control_url = control_url or state.control_url
        state.down_applied_seq = position + len(fresh)
        caught_up = state.down_applied_seq >= batch.head
        if caught_up:
            state.last_synced_at = now
        state.last_attempt_at, state.last_error = now, ""
        if fresh:
            record(
                ctx,
                session,
                actor="sync",
                action="sync.apply",
                objects={
                    "device": batch.device_id,
                    "from": str(position + 1),
                    "to": str(state.down_applied_seq),
                    "templates_destroyed": str(shredded),
                },
                decision="info",
            )
        result = Applied(
            len(fresh), len(batch.events) - len(fresh), state.down_applied_seq, shredded, caught_up
        )
    if lookup_key is not None:  # committed: the vault finds card and QR holders with it
        ctx.vault.use_deployment_lookup_key(batch.deployment_id, lookup_key)
    for subject_id, deployment_id in shredded_pairs:
        ctx.index.remove_subject(subject_id, deployment_id)
    return result


def _lookup_key(batch: DownBatch) -> bytes | None:
    if not batch.lookup_key:
        return None
    try:
        key = bytes.fromhex(batch.lookup_key)
    except ValueError as exc:
        raise SyncRejected("the deployment's lookup key is not hex") from exc
    if len(key) != KEY_BYTES:
        raise SyncRejected(f"the deployment's lookup key is not {KEY_BYTES} bytes")
    return key


def _shred_unconsented(
    ctx: GateContext, session: Session, subject_id: str, deployment_id: str
) -> int:
    held = session.scalar(
        select(func.count())
        .select_from(m.Template)
        .where(m.Template.subject_id == subject_id, m.Template.deployment_id == deployment_id)
    )
    if not held:
        return 0
    consents = consents_facts(subject_consents(session, subject_id, deployment_id))
    if law.valid_processing_consent(consents, subject_id, deployment_id, ctx.now()) is not None:
        return 0
    destroyed = shred_templates(ctx, session, subject_id, deployment_id)
    record(
        ctx,
        session,
        actor="sync",
        action="consent.withdraw",
        objects={
            "subject": subject_id,
            "deployment": deployment_id,
            "templates_destroyed": str(destroyed),
            "origin": "control",
        },
        articles=law.rule("consent.withdraw").articles,
    )
    return destroyed


def report_erasure(ctx: GateContext, subject_id: str) -> None:
    """Edge: a person erased their data here (the kiosk's "my data"); the control plane is to
    erase it everywhere else too (PIPL art. 47)."""
    with ctx.unit() as session:
        outbox.append(
            session,
            outbox.UP_STREAM,
            outbox.UPSERT,
            ERASURE,
            subject_id,
            {"subject_id": subject_id},
        )


def _dispose(ctx: GateContext, session: Session, deployment_id: str) -> tuple[list[str], int]:
    """A stopped deployment's purpose is over: its faces on this edge are disposed of (crypto-
    shredded), as ``facegate filing dispose`` does for faces held centrally (M15, PIPL 47).
    The subjects whose templates were destroyed, and how many templates."""
    subjects = sorted(
        set(
            session.scalars(
                select(m.Template.subject_id).where(m.Template.deployment_id == deployment_id)
            )
        )
    )
    destroyed = sum(shred_templates(ctx, session, s, deployment_id) for s in subjects)
    if destroyed:
        record(
            ctx,
            session,
            actor="sync",
            action="filing.dispose",
            objects={
                "deployment": deployment_id,
                "templates_destroyed": str(destroyed),
                "origin": "control",
            },
            articles=law.rule("filing.cancel").articles,
        )
    return subjects, destroyed


def note_attempt_failed(ctx: GateContext, error: str) -> None:
    """An edge could not reach (or was refused by) its control plane."""
    with ctx.unit() as session:
        state = peer(session)
        state.last_attempt_at, state.last_error = ctx.now(), error[:500]


def up_batch(ctx: GateContext, *, limit: int = BATCH) -> UpBatch:
    """The edge's events the control plane has not acknowledged, and its audit head."""
    with ctx.unit(readonly=True) as session:
        state = session.get(SyncPeer, 1)
        after = state.up_acknowledged_seq if state else 0
        down_applied = state.down_applied_seq if state else 0
        rows = session.scalars(
            select(SyncEvent)
            .where(SyncEvent.stream == outbox.UP_STREAM, SyncEvent.seq > after)
            .order_by(SyncEvent.seq)
            .limit(min(limit, BATCH))
        )
        events = tuple(WireEvent.of(r) for r in rows)
        audit = session.get(m.AuditHead, 1)
        head = (audit.last_seq, audit.last_hash) if audit else (0, m.GENESIS_HASH)
    return UpBatch(
        events,
        head[0],
        head[1],
        ctx.offline_limit.total_seconds() / 3600,
        down_applied,
        access_events.edge_report(ctx),
    )


def acknowledge_up(ctx: GateContext, position: int) -> None:
    """The control plane holds the edge's events up to ``position``."""
    with ctx.unit() as session:
        state = peer(session)
        state.up_acknowledged_seq = position


@dataclass(frozen=True)
class EdgeState:
    device_id: str
    deployment_id: str
    control_url: str
    down_applied_seq: int
    up_acknowledged_seq: int
    up_pending: int
    last_synced_at: datetime | None
    last_error: str
    in_sync: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "deployment_id": self.deployment_id,
            "control_url": self.control_url,
            "down_applied_seq": self.down_applied_seq,
            "up_acknowledged_seq": self.up_acknowledged_seq,
            "up_pending": self.up_pending,
            "last_synced_at": iso(self.last_synced_at),
            "last_error": self.last_error,
            "in_sync": self.in_sync,
        }


def edge_state(ctx: GateContext) -> EdgeState:
    with ctx.db.transaction(readonly=True) as session:
        state = session.get(SyncPeer, 1) or SyncPeer(id=1)
        head = outbox.stream_head(session, outbox.UP_STREAM)
        last = aware(state.last_synced_at)
        return EdgeState(
            device_id=state.device_id,
            deployment_id=state.deployment_id,
            control_url=state.control_url,
            down_applied_seq=state.down_applied_seq,
            up_acknowledged_seq=state.up_acknowledged_seq,
            up_pending=head - state.up_acknowledged_seq,
            last_synced_at=last,
            last_error=state.last_error,
            in_sync=law.check_edge_in_sync(last, ctx.now(), ctx.offline_limit).allowed,
        )


def in_sync(
    session: Session, deployment: m.Deployment, at: datetime, limit: timedelta
) -> law.Decision:
    """An edge's face-operation check: synced with its control plane within ``limit``."""
    del deployment
    state = session.get(SyncPeer, 1)
    last = aware(state.last_synced_at) if state is not None else None
    return law.check_edge_in_sync(last, at, limit)


# -- the control plane's view of its devices ---------------------------------------------------
def deployment_individuals(session: Session, deployment_id: str) -> int:
    """Distinct subjects with a template of the deployment, stored here or held on an edge."""
    held = union(
        select(m.Template.subject_id).where(m.Template.deployment_id == deployment_id),
        select(EdgeHolding.subject_id).where(EdgeHolding.deployment_id == deployment_id),
    ).subquery()
    return int(session.scalar(select(func.count()).select_from(held)) or 0)


def _beijing(moment: datetime | None) -> str:
    return moment.astimezone(law.CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def devices_status(ctx: GateContext) -> list[dict[str, Any]]:
    """Per device: its deployment's shape, last sync, sequence lag, templates held, and
    whether it is refusing face recognition for being out of sync."""
    now = ctx.now()
    with ctx.db.transaction(readonly=True) as session:
        held = dict(
            session.execute(
                select(EdgeHolding.device_id, func.count()).group_by(EdgeHolding.device_id)
            ).all()
        )
        rows = session.execute(
            select(m.Device, m.Deployment).join(
                m.Deployment, m.Deployment.id == m.Device.deployment_id
            )
        ).all()
        out = []
        for device, deployment in rows:
            state = session.get(EdgeDevice, device.id)
            on_device = deployment.transfer_mode == law.TransferMode.ON_DEVICE
            head = outbox.stream_head(session, outbox.down_stream(deployment.id))
            last = aware(state.last_seen_at) if state else None
            limit = timedelta(seconds=state.offline_limit_seconds if state else 24 * 3600)
            refusing = on_device and not law.check_edge_in_sync(last, now, limit).allowed
            out.append(
                {
                    "device_id": device.id,
                    "name": device.name,
                    "deployment_id": deployment.id,
                    "deployment_name": deployment.name,
                    "processing": deployment.transfer_mode,
                    "shape": "edge node" if on_device else "networked",
                    "last_sync": iso(last),
                    "last_sync_beijing": _beijing(last),
                    "lag": (head - state.down_acknowledged_seq) if state else head,
                    "up_applied": state.up_applied_seq if state else 0,
                    "templates_held": int(held.get(device.id, 0)),
                    "audit_seq": state.audit_seq if state else 0,
                    "refusing": refusing,
                    "active": device.active,
                }
            )
        return out
