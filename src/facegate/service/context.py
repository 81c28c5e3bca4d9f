"""What every use case works with, passed in explicitly: no globals."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from facegate.engine import EngineConfig
from facegate.engine.calibration import ModelCard, card_for_config, card_for_engine
from facegate.engine.image import ImageSource
from facegate.engine.liveness import DEFAULT_THRESHOLD as LIVENESS_THRESHOLD
from facegate.engine.liveness import PassiveLiveness
from facegate.engine.liveness.challenge import SixtyEightPointLandmarker
from facegate.engine.photo import Examination, PhotoRequest
from facegate.engine.protocols import FaceWork
from facegate.law import DEFAULT_OFFLINE_LIMIT, Decision, Refused, SiteRole
from facegate.service.limits import SharedThrottle
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
    engine_factory: Callable[[], FaceWork]
    master_key: bytes
    clock: Callable[[], datetime] = utc_now
    consent_quiet_days: int = 180
    reconsent_days: int = 30
    suspension_max_days: int = 90
    prerequisites: Sequence[ActivationCheck] = ()
    # What this process is (standalone, control plane or edge node), the checks only face
    # operations pass (not activation, not the alternative), and an edge's offline limit.
    site: SiteRole = SiteRole.STANDALONE
    face_checks: Sequence[ActivationCheck] = ()
    offline_limit: timedelta = DEFAULT_OFFLINE_LIMIT
    public_url: str = ""  # Settings.public_url: the base of every link people are given
    demo: bool = False
    time_zone: str = "Asia/Shanghai"  # Settings.time_zone: where people read times
    # deployment id -> the gallery version this process's index holds
    index_versions: dict[str, int] = field(default_factory=dict)
    # Encrypted index snapshots (cold start): where, from what size, and the version of each
    # deployment's last snapshot this process wrote or read.
    snapshot_dir: Path | None = None
    snapshot_from: int = 50_000
    snapshot_versions: dict[str, int] = field(default_factory=dict)
    # After a removal destroyed a held deployment's snapshot key, write a new snapshot once the
    # gallery has been quiet this many seconds (None: only at close); the thread that does it.
    snapshot_delay: float | None = 10.0
    snapshot_keeper: Any = None
    liveness_factory: Callable[[], PassiveLiveness] = PassiveLiveness
    liveness_threshold: float = LIVENESS_THRESHOLD  # the passive check's, from the settings
    _engine: FaceWork | None = None
    # What the engine will be, known before it is loaded (model id, threshold, calibration).
    engine_config: EngineConfig = field(default_factory=EngineConfig)
    _card: ModelCard | None = None
    _liveness: PassiveLiveness | None = None
    _landmarks68: SixtyEightPointLandmarker | None = None
    _throttle: SharedThrottle | None = None

    @property
    def engine(self) -> FaceWork:
        if self._engine is None:
            self._engine = self.engine_factory()
        return self._engine

    @property
    def model_card(self) -> ModelCard:
        """The engine's model id, threshold and calibration, without loading its networks."""
        if self._engine is not None and hasattr(self._engine, "embedder"):
            return card_for_engine(self._engine)
        if self._card is None:
            self._card = card_for_config(self.engine_config)
        if self._engine is not None:  # a pool of worker processes
            return card_for_engine(self._engine, self._card)
        return self._card

    @property
    def liveness(self) -> PassiveLiveness:
        """The passive liveness check, loaded at first use (about 0.1 s)."""
        if self._liveness is None:
            self._liveness = self.liveness_factory()
        return self._liveness

    def examine(self, source: ImageSource, request: PhotoRequest) -> Examination:
        """One photo's face work on the engine: in this process with the shared liveness
        check, or, on a pool, entirely in one worker (decoding and liveness included)."""
        engine = self.engine
        if getattr(engine, "concurrent", False):
            return engine.examine(source, request)
        checker = self.liveness if request.liveness is not None else None
        return engine.examine(source, request, liveness=checker)

    @property
    def landmarks68(self) -> SixtyEightPointLandmarker:
        """dlib's 68-point landmarks, for the kiosk's active challenge (loaded at first use)."""
        if self._landmarks68 is None:
            self._landmarks68 = SixtyEightPointLandmarker()
        return self._landmarks68

    @property
    def throttle(self) -> SharedThrottle:
        """Failure counters and lockouts every process shares (enrolment codes, console
        logins), made at first use."""
        if self._throttle is None:
            self._throttle = SharedThrottle(self.db)
        return self._throttle

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def unit(self, *, readonly: bool = False, scope: str | None = None) -> Iterator[Session]:
        """One transaction (``readonly``: no write lock on SQLite, nothing committed;
        ``scope``: see ``Database.transaction``).

        A refusal raised inside by ``require`` rolls the transaction back; its audit event is
        then written in a transaction of its own and the law's ``Refused`` is raised."""
        try:
            with self.db.transaction(readonly=readonly, scope=scope) as session:
                yield session
        except _Refusal as refusal:
            with self.db.transaction() as session:
                self.audit.append(
                    session,
                    actor=refusal.actor,
                    action=refusal.action,
                    objects=refusal.objects,
                    decision="refused",
                    articles=list(refusal.refused.decision.articles),
                    at=self.now(),
                )
            raise refusal.refused from None


class _Refusal(Exception):
    """Carries a refusal and what to audit about it out of the transaction it happened in."""

    def __init__(self, refused: Refused, actor: str, action: str, objects: dict[str, str]) -> None:
        super().__init__(refused.message)
        self.refused = refused
        self.actor = actor
        self.action = action
        self.objects = objects


def require(decision: Decision, *, actor: str, action: str, objects: dict[str, str]) -> None:
    """Refuse (audited by ``GateContext.unit``) unless the decision allows."""
    if not decision.allowed:
        raise _Refusal(Refused(decision), actor, action, objects)


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
