"""The audit-log viewer: the hash-chained log filtered by action, actor, Beijing dates and
deployment, a page at a time (newest first), with the chain's state as ``audit verify``
reports it. Reads only.

The events hold ids, names of actions, outcomes and articles, never biometric data
(``store.audit``); the viewer shows them as stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from facegate.service.context import GateContext
from facegate.service.errors import BadRequest
from facegate.service.records import china_day_bounds
from facegate.store import models as m
from facegate.store.audit import AuditVerification

PER_PAGE = 50
CHAIN_MAX_AGE = timedelta(minutes=5)
"""How old the whole-chain walk behind a page may be; appended events are walked every time."""


@dataclass(frozen=True)
class ChainState:
    """The chain's state as a page shows it, and when the whole chain was last walked."""

    verification: AuditVerification
    walked_at: datetime


def chain_state(ctx: GateContext, *, fresh: bool = False) -> ChainState:
    """The chain's state, from a whole walk at most ``CHAIN_MAX_AGE`` old (``fresh``: walk the
    whole chain now)."""
    with ctx.db.transaction(readonly=True) as session:
        if fresh:
            moment = ctx.now()
            return ChainState(ctx.audit.verify(session, now=moment), moment)
        result, walked_at = ctx.audit.verify_recent(session, max_age=CHAIN_MAX_AGE, now=ctx.now())
        return ChainState(result, walked_at)


@dataclass(frozen=True)
class AuditQuery:
    """What the viewer asks for; empty fields do not filter.

    ``action``: an action (``pipia.approve``) or a family of them (``pipia`` or ``pipia.*``);
    ``actor``: part of the actor (``admin``, a key id); ``start``..``end``: Beijing days, both
    included; ``deployment_id``: events that name this deployment."""

    action: str = ""
    actor: str = ""
    start: date | None = None
    end: date | None = None
    deployment_id: str = ""
    page: int = 1


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str
    action: str
    decision: str
    articles: list[str]
    objects: dict[str, str]


@dataclass(frozen=True)
class AuditPage:
    query: AuditQuery
    rows: list[AuditRow]
    total: int
    page: int
    pages: int
    per_page: int
    chain: AuditVerification
    walked_at: datetime
    actions: list[str]
    deployments: list[dict[str, str]]

    @property
    def first(self) -> int:
        """1-based position of the page's first row among the matches (0 when none)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    # Actions are lower-case codes. The filters ignore case the same way on every database
    # (SQLite's LIKE ignores ASCII case, PostgreSQL's does not).
    action = query.action.strip().lower().removesuffix(".*")
    if action:
        where.append(
            or_(
                m.AuditEvent.action == action,
                m.AuditEvent.action.startswith(f"{action}.", autoescape=True),
            )
        )
    if query.actor.strip():
        where.append(m.AuditEvent.actor.icontains(query.actor.strip(), autoescape=True))
    if query.start is not None or query.end is not None:
        start = query.start or date(1970, 1, 1)
        end = query.end or date(9999, 12, 30)
        if end < start:
            raise BadRequest("the period ends before it starts")
        low, high = china_day_bounds(start, end)
        where.append(and_(m.AuditEvent.at >= low, m.AuditEvent.at < high))
    if query.deployment_id.strip():
        needle = f'"deployment":{json.dumps(query.deployment_id.strip())}'
        where.append(m.AuditEvent.objects.contains(needle, autoescape=True))
    return where


def _row(event: m.AuditEvent) -> AuditRow:
    try:
        objects = event.object_ids()
        articles = event.article_list()
    except (ValueError, TypeError, AttributeError):  # a damaged row: shown, and the chain says so
        objects, articles = {"?": str(event.objects)}, [str(event.articles)]
    return AuditRow(
        seq=event.seq,
        at=event.at,
        actor=event.actor,
        action=event.action,
        decision=event.decision,
        articles=articles,
        objects=objects,
    )


def audit_page(
    ctx: GateContext, query: AuditQuery, *, per_page: int = PER_PAGE, fresh: bool = False
) -> AuditPage:
    """One page of the matching events, newest first, with the whole chain's state
    (``chain_state``; ``fresh``: walked whole now)."""
    where = _conditions(query)
    with ctx.db.transaction(readonly=True) as session:
        total = session.scalar(select(func.count()).select_from(m.AuditEvent).where(*where)) or 0
        pages = max(1, -(-total // per_page))
        page = min(max(1, query.page), pages)
        events = session.scalars(
            select(m.AuditEvent)
            .where(*where)
            .order_by(m.AuditEvent.seq.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        rows = [_row(e) for e in events]
        actions = [str(a) for a in session.scalars(select(m.AuditEvent.action).distinct())]
        deployments = [
            {"id": str(i), "name": str(n)}
            for i, n in session.execute(
                select(m.Deployment.id, m.Deployment.name).order_by(m.Deployment.name)
            )
        ]
    chain = chain_state(ctx, fresh=fresh)
    return AuditPage(
        query=query,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        per_page=per_page,
        chain=chain.verification,
        walked_at=chain.walked_at,
        actions=sorted(actions),
        deployments=deployments,
    )


def families(actions: list[str]) -> list[str]:
    """The action families present (``pipia`` for ``pipia.create``, ``pipia.approve``)."""
    return sorted({a.split(".", 1)[0] for a in actions if "." in a})


def row_view(row: AuditRow) -> dict[str, Any]:
    """A row as plain values (tests and JSON)."""
    return {
        "seq": row.seq,
        "at": row.at.isoformat(),
        "actor": row.actor,
        "action": row.action,
        "decision": row.decision,
        "articles": row.articles,
        "objects": row.objects,
    }
