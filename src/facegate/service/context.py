"""What every use case works with, passed in explicitly: no globals."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from facegate.engine import FaceEngine
from facegate.law import Decision, Refused
from facegate.store import AuditLog, Database, GalleryIndex, Vault
from facegate.store import models as m


def utc_now() -> datetime:
    return datetime.now(UTC)


class ActivationCheck(Protocol):
    """The seam for prerequisites of activation and processing (PIPIA, notice): given the
    session and a deployment row, a decision."""

    def __call__(self, session: Session, deployment: m.Deployment, at: datetime) -> Decision: ...


@dataclass
class GateContext:
    db: Database
    vault: Vault
    audit: AuditLog
    index: GalleryIndex
    engine_factory: Callable[[], FaceEngine]
    master_key: bytes
    clock: Callable[[], datetime] = utc_now
    consent_quiet_days: int = 180
    prerequisites: Sequence[ActivationCheck] = ()
    # deployment id -> the gallery version this process's index holds
    index_versions: dict[str, int] = field(default_factory=dict)
    _engine: FaceEngine | None = None

    @property
    def engine(self) -> FaceEngine:
        if self._engine is None:
            self._engine = self.engine_factory()
        return self._engine

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One transaction. A ``Refused`` raised inside still commits what was written before
        it — by convention only the refusal's audit event, since the law is asked before
        anything changes — and is then re-raised."""
        refused: Refused | None = None
        with self.db.transaction() as session:
            try:
                yield session
            except Refused as exc:
                refused = exc
        if refused is not None:
            raise refused


def require(
    ctx: GateContext,
    session: Session,
    decision: Decision,
    *,
    actor: str,
    action: str,
    objects: dict[str, str],
) -> None:
    """Raise ``Refused`` (after auditing the refusal) unless the decision allows."""
    if decision.allowed:
        return
    ctx.audit.append(
        session,
        actor=actor,
        action=action,
        objects=objects,
        decision="refused",
        articles=list(decision.articles),
        at=ctx.now(),
    )
    raise Refused(decision)


def record(
    ctx: GateContext,
    session: Session,
    *,
    actor: str,
    action: str,
    objects: dict[str, str],
    articles: Sequence[str] = (),
    decision: str = "allowed",
) -> None:
    ctx.audit.append(
        session,
        actor=actor,
        action=action,
        objects=objects,
        decision=decision,
        articles=list(articles),
        at=ctx.now(),
    )
