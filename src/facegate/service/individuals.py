"""The distinct individuals whose face information each controller stores (filing.threshold).

Kept exact in the transaction that changes templates: a subject joins the controller's set
when their first template under any of its deployments is stored, and leaves it when their
last one is removed (withdrawal, rights deletion, retention sweep, disposal). A counter row
holds the set's size, so enrolment never counts (one primary-key read, and for a new person
one insert and one counter update). Reaching the threshold opens the filing obligation once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, insert, select, union, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from facegate import law
from facegate.law import filing as rules
from facegate.service.holidays import load_overrides
from facegate.store import models as m
from facegate.store.audit import AuditLog
from facegate.store.obligation_models import ControllerCount, ControllerIndividual, FilingObligation
from facegate.store.sets import among
from facegate.store.sync_models import EdgeHolding

_MEMBERS = m.Base.metadata.tables[ControllerIndividual.__tablename__]
_COUNTS = m.Base.metadata.tables[ControllerCount.__tablename__]


def note_stored(session: Session, controller_id: str, subject_id: str, at: datetime) -> None:
    """A template of ``subject_id`` was stored under one of the controller's deployments."""
    connection = session.connection()
    present = connection.execute(
        select(_MEMBERS.c.subject_id).where(
            _MEMBERS.c.controller_id == controller_id, _MEMBERS.c.subject_id == subject_id
        )
    ).first()
    if present is not None:
        return
    connection.execute(
        insert(_MEMBERS).values(controller_id=controller_id, subject_id=subject_id, since=at)
    )
    row = connection.execute(
        update(_COUNTS)
        .where(_COUNTS.c.controller_id == controller_id)
        .values(individuals=_COUNTS.c.individuals + 1)
        .returning(_COUNTS.c.individuals, _COUNTS.c.threshold_reached_at)
    ).first()
    if row is None:
        connection.execute(insert(_COUNTS).values(controller_id=controller_id, individuals=1))
        count, reached = 1, None
    else:
        count, reached = int(row[0]), row[1]
    if reached is None and rules.threshold_reached(count):
        open_threshold_obligation(session, controller_id, count, at)


def note_stored_many(
    session: Session, controller_id: str, subject_ids: Iterable[str], at: datetime
) -> int:
    """``note_stored`` for many subjects of one controller (bulk enrolment): one query finds
    who is already counted, one insert adds the others, one update moves the counter, and
    the threshold is checked once. Returns how many joined the set."""
    wanted = sorted(set(subject_ids))
    if not wanted:
        return 0
    connection = session.connection()
    present = set(
        connection.execute(
            select(_MEMBERS.c.subject_id).where(
                _MEMBERS.c.controller_id == controller_id,
                among(session, _MEMBERS.c.subject_id, wanted),
            )
        )
        .scalars()
        .all()
    )
    joining = [s for s in wanted if s not in present]
    if not joining:
        return 0
    connection.execute(
        insert(_MEMBERS),
        [{"controller_id": controller_id, "subject_id": s, "since": at} for s in joining],
    )
    row = connection.execute(
        update(_COUNTS)
        .where(_COUNTS.c.controller_id == controller_id)
        .values(individuals=_COUNTS.c.individuals + len(joining))
        .returning(_COUNTS.c.individuals, _COUNTS.c.threshold_reached_at)
    ).first()
    if row is None:
        connection.execute(
            insert(_COUNTS).values(controller_id=controller_id, individuals=len(joining))
        )
        count, reached = len(joining), None
    else:
        count, reached = int(row[0]), row[1]
    if reached is None and rules.threshold_reached(count):
        open_threshold_obligation(session, controller_id, count, at)
    return len(joining)


def note_removed(session: Session, subject_id: str, controller_ids: Iterable[str]) -> None:
    """Templates of ``subject_id`` were removed under these controllers: drop the subject from
    each controller's set where no stored template of theirs is left."""
    for controller_id in set(controller_ids):
        remaining = session.scalar(  # autoflushes the ORM deletions before looking
            select(m.Template.id)
            .join(m.Deployment, m.Deployment.id == m.Template.deployment_id)
            .where(m.Template.subject_id == subject_id, m.Deployment.controller_id == controller_id)
            .limit(1)
        )
        if remaining is not None or _held_on_edges(session, controller_id, subject_id):
            continue
        connection = session.connection()
        gone = connection.execute(
            delete(_MEMBERS).where(
                _MEMBERS.c.controller_id == controller_id, _MEMBERS.c.subject_id == subject_id
            )
        ).rowcount
        if gone:
            connection.execute(
                update(_COUNTS)
                .where(_COUNTS.c.controller_id == controller_id)
                .values(individuals=_COUNTS.c.individuals - gone)
            )


def _held_on_edges(session: Session, controller_id: str, subject_id: str) -> bool:
    """Does an edge node still report a template of the subject under this controller?"""
    held = session.scalar(
        select(EdgeHolding.template_id)
        .join(m.Deployment, m.Deployment.id == EdgeHolding.deployment_id)
        .where(EdgeHolding.subject_id == subject_id, m.Deployment.controller_id == controller_id)
        .limit(1)
    )
    return held is not None


def note_removed_pairs(session: Session, pairs: Iterable[tuple[str, str]]) -> None:
    """As ``note_removed``, for (subject id, deployment id) pairs."""
    by_subject: dict[str, set[str]] = {}
    controllers: dict[str, str] = {}
    for subject_id, deployment_id in pairs:
        if deployment_id not in controllers:
            controller_id = session.scalar(
                select(m.Deployment.controller_id).where(m.Deployment.id == deployment_id)
            )
            if controller_id is None:
                continue
            controllers[deployment_id] = controller_id
        by_subject.setdefault(subject_id, set()).add(controllers[deployment_id])
    for subject_id, controller_ids in by_subject.items():
        note_removed(session, subject_id, controller_ids)


def note_removed_many(session: Session, pairs: Iterable[tuple[str, str]]) -> int:
    """Set-based ``note_removed_pairs`` for a chunk of removals (the retention sweep): per
    controller, one statement deletes from its set the subjects left with no stored template
    there and no holding on an edge, one updates its counter. Returns how many left a set."""
    by_deployment: dict[str, set[str]] = {}
    for subject_id, deployment_id in pairs:
        by_deployment.setdefault(deployment_id, set()).add(subject_id)
    if not by_deployment:
        return 0
    owners = session.execute(
        select(m.Deployment.id, m.Deployment.controller_id).where(
            m.Deployment.id.in_(sorted(by_deployment))
        )
    ).all()
    by_controller: dict[str, set[str]] = {}
    for deployment_id, controller_id in owners:
        by_controller.setdefault(controller_id, set()).update(by_deployment[deployment_id])
    connection = session.connection()
    gone_total = 0
    for controller_id, subjects in sorted(by_controller.items()):
        stored = (
            select(m.Template.id)
            .join(m.Deployment, m.Deployment.id == m.Template.deployment_id)
            .where(
                m.Template.subject_id == _MEMBERS.c.subject_id,
                m.Deployment.controller_id == controller_id,
            )
            .exists()
        )
        held = (
            select(EdgeHolding.template_id)
            .join(m.Deployment, m.Deployment.id == EdgeHolding.deployment_id)
            .where(
                EdgeHolding.subject_id == _MEMBERS.c.subject_id,
                m.Deployment.controller_id == controller_id,
            )
            .exists()
        )
        gone = connection.execute(
            delete(_MEMBERS).where(
                _MEMBERS.c.controller_id == controller_id,
                among(session, _MEMBERS.c.subject_id, sorted(subjects)),
                ~stored,
                ~held,
            )
        ).rowcount
        if gone:
            connection.execute(
                update(_COUNTS)
                .where(_COUNTS.c.controller_id == controller_id)
                .values(individuals=_COUNTS.c.individuals - gone)
            )
        gone_total += gone
    return gone_total


def open_threshold_obligation(
    session: Session, controller_id: str, count: int, at: datetime
) -> FilingObligation | None:
    """Mark the threshold reached and open the filing obligation (at most once per
    controller and filing cycle: the counter's mark and a unique constraint both say so; a
    cancelled filing starts a new cycle, ``rules.threshold_trigger_key``)."""
    session.connection().execute(
        update(_COUNTS)
        .where(_COUNTS.c.controller_id == controller_id)
        .values(threshold_reached_at=at)
    )
    cancelled = session.scalar(
        select(FilingObligation.id)
        .where(
            FilingObligation.controller_id == controller_id,
            FilingObligation.kind == rules.FilingKind.CANCEL,
            FilingObligation.status.in_(
                [rules.FilingStatus.SUBMITTED, rules.FilingStatus.ACCEPTED]
            ),
        )
        .order_by(FilingObligation.submitted_at.desc())
        .limit(1)
    )
    key = rules.threshold_trigger_key(cancelled)
    existing = session.scalar(
        select(FilingObligation).where(
            FilingObligation.controller_id == controller_id,
            FilingObligation.kind == rules.FilingKind.THRESHOLD,
            FilingObligation.trigger_key == key,
        )
    )
    if existing is not None:
        return None
    reached_on = law.china_date(at)
    due = rules.threshold_due(reached_on, load_overrides())
    row = FilingObligation(
        controller_id=controller_id,
        kind=rules.FilingKind.THRESHOLD,
        trigger_key=key,
        triggered_on=reached_on,
        individuals=count,
        due=due.due,
        due_provisional=due.provisional,
        due_source=due.source,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another writer opened it first
        return None
    AuditLog().append(
        session,
        actor="system",
        action="filing.open",
        objects={"controller": controller_id, "filing": row.id, "kind": row.kind},
        decision="info",
        articles=law.rule("filing.threshold").articles,
        at=at,
    )
    return row


def stored_count(session: Session, controller_id: str) -> int:
    """The maintained count (cheap)."""
    value = session.scalar(
        select(ControllerCount.individuals).where(ControllerCount.controller_id == controller_id)
    )
    return int(value or 0)


def recount(session: Session, controller_id: str) -> int:
    """The count from the templates themselves (expensive: checks and repairs only)."""
    held = union(
        select(m.Template.subject_id)
        .join(m.Deployment, m.Deployment.id == m.Template.deployment_id)
        .where(m.Deployment.controller_id == controller_id),
        select(EdgeHolding.subject_id)
        .join(m.Deployment, m.Deployment.id == EdgeHolding.deployment_id)
        .where(m.Deployment.controller_id == controller_id),
    ).subquery()
    value = session.scalar(select(func.count()).select_from(held))
    return int(value or 0)


def rebuild(session: Session, at: datetime) -> dict[str, int]:
    """Recompute every controller's set and counter from the templates (repair, bulk loads);
    opens threshold obligations a controller is owed. Returns the counts by controller."""
    connection = session.connection()
    connection.execute(delete(_MEMBERS))
    stored = union_all(
        select(
            m.Deployment.controller_id.label("controller_id"),
            m.Template.subject_id.label("subject_id"),
            m.Template.created_at.label("since"),
        ).join(m.Deployment, m.Deployment.id == m.Template.deployment_id),
        select(  # templates held on edge nodes (control plane)
            m.Deployment.controller_id, EdgeHolding.subject_id, EdgeHolding.reported_at
        ).join(m.Deployment, m.Deployment.id == EdgeHolding.deployment_id),
    ).subquery()
    pairs = select(stored.c.controller_id, stored.c.subject_id, func.min(stored.c.since)).group_by(
        stored.c.controller_id, stored.c.subject_id
    )
    connection.execute(
        insert(_MEMBERS).from_select(["controller_id", "subject_id", "since"], pairs)
    )
    counts: dict[str, int] = {
        str(c): int(n)
        for c, n in connection.execute(
            select(_MEMBERS.c.controller_id, func.count()).group_by(_MEMBERS.c.controller_id)
        )
    }
    for controller_id in session.scalars(select(m.Controller.id)):
        count = counts.get(controller_id, 0)
        changed = connection.execute(
            update(_COUNTS)
            .where(_COUNTS.c.controller_id == controller_id)
            .values(individuals=count)
        ).rowcount
        if not changed:
            connection.execute(
                insert(_COUNTS).values(controller_id=controller_id, individuals=count)
            )
        reached = connection.execute(
            select(_COUNTS.c.threshold_reached_at).where(_COUNTS.c.controller_id == controller_id)
        ).scalar()
        if reached is None and rules.threshold_reached(count):
            open_threshold_obligation(session, controller_id, count, at)
    return counts


def restart_threshold(session: Session, controller_id: str) -> None:
    """The controller's filing was cancelled: reaching the threshold again opens a new
    obligation."""
    session.connection().execute(
        update(_COUNTS)
        .where(_COUNTS.c.controller_id == controller_id)
        .values(threshold_reached_at=None)
    )
