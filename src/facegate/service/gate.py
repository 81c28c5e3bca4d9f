"""The Gate: the one door every face operation passes through.

A thin orchestrator. Each method is a use case from a module beside this one; the Gate only
holds the context (database, vault, audit log, index, engine, clock) they share.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from facegate import law
from facegate.config import Settings
from facegate.documents.content import ProcessingRecords
from facegate.engine import FaceEngine
from facegate.engine.image import ImageSource
from facegate.engine.liveness import PassiveLiveness
from facegate.engine.liveness.challenge import Verdict
from facegate.engine.protocols import FaceWork
from facegate.errors import FacegateError
from facegate.law.pipia import Statement
from facegate.messages.notice import Notice
from facegate.private_files import private_directory, private_file, wider_than_private
from facegate.service import (
    accuracy,
    alternative,
    assessments,
    bulk,
    consents,
    durability,
    filing,
    incidents,
    legal_bases,
    liveness,
    notices,
    people,
    recognition,
    records,
    registry,
    retention,
    rights,
    sync,
    templates,
    transfer,
)
from facegate.service.context import ActivationCheck, GateContext, utc_now
from facegate.service.prerequisites import DEFAULT_PREREQUISITES
from facegate.service.results import Enrolment, Identification, Verification
from facegate.service.sites import face_checks_for
from facegate.store import AuditLog, Database, GalleryIndex, Vault, keyring
from facegate.store import models as m
from facegate.store.assessment_models import Assessment, NoticeVersion
from facegate.store.audit import AuditVerification
from facegate.store.database import DB_FILE
from facegate.store.errors import MasterKeyMissing
from facegate.store.journal import DeletionJournal
from facegate.store.keys import (
    fingerprint,
    load_or_create_master_key,
    master_key_from_env,
    read_key_file,
)
from facegate.store.legal_models import LegalBasisRecord, TransferRecipient
from facegate.store.lockfile import DataDirLock
from facegate.store.outbox import outbox_for


class NotInitialised(FacegateError):
    code = "not_initialised"


log = logging.getLogger("facegate.service")
SNAPSHOT_DIR = "index"  # encrypted gallery index snapshots, inside the data directory
NEXT_SUFFIX = ".next"


@dataclass(frozen=True)
class MasterKeys:
    """The key that wraps (``current``), those that only unwrap, and whether it was created
    now over a database that holds data sealed under a lost key (``abandoning``)."""

    current: bytes
    others: tuple[bytes, ...] = ()
    abandoning: bool = False


def master_key(settings: Settings, *, create: bool) -> bytes:
    key = master_key_from_env()
    if key is not None:
        return key
    path = settings.resolved_key_file
    if not path.exists() and not create:
        raise NotInitialised(f"no master key at {path}: run `facegate init` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    return load_or_create_master_key(path)


def next_key_file(settings: Settings) -> Path:
    """Where ``facegate key rotate-master`` keeps the new key until the rotation is done."""
    path = settings.resolved_key_file
    return path.with_name(path.name + NEXT_SUFFIX)


def _master_keys(
    settings: Settings, stored: keyring.StoredKeys, *, create: bool, abandon_data: bool
) -> MasterKeys:
    key = master_key_from_env()
    path = settings.resolved_key_file
    abandoning = False
    if key is None:
        if not path.exists():
            if not create:
                raise NotInitialised(f"no master key at {path}: run `facegate init` first")
            if stored.bound and not abandon_data:
                raise MasterKeyMissing(
                    f"no master key at {path}, but the database already holds data sealed "
                    "under one: a new key would make every template and identity unreadable "
                    "for good. Put the key file back (or set FACEGATE_MASTER_KEY); only if "
                    "that key is lost for good, run `facegate init --abandon-data`",
                    details={"key_file": str(path)},
                )
            abandoning = stored.bound
        key = load_or_create_master_key(path)
    nxt = next_key_file(settings)
    if stored.next_fingerprint and nxt.exists():
        new = read_key_file(nxt)
        if fingerprint(new) == stored.next_fingerprint and fingerprint(key) != fingerprint(new):
            return MasterKeys(new, (key,), abandoning)  # a rotation is under way
    return MasterKeys(key, (), abandoning)


class Gate:
    def __init__(
        self, ctx: GateContext, notices: Sequence[Notice] = (), lock: DataDirLock | None = None
    ) -> None:
        self.ctx = ctx
        self.notices = list(notices)
        """What the operator must be told about opening: replayed deletions, wide file modes,
        an unfinished key rotation (catalogue keys with their figures, rendered by each
        interface in its reader's language; ``str()`` is English)."""
        self._lock = lock

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        create: bool = False,
        abandon_data: bool = False,
        clock: Callable[[], datetime] = utc_now,
        prerequisites: Sequence[ActivationCheck] | None = None,
        engine: FaceWork | None = None,
        liveness: PassiveLiveness | None = None,
        held_lock: DataDirLock | None = None,
    ) -> Gate:
        """Open (with ``create``, first initialise) the data directory the settings name.

        The master key is checked against the database's key check value before anything is
        read or written (``MasterKeyMismatch``); ``create`` never makes a new key for a
        database that holds data sealed under another, unless ``abandon_data`` says that data
        is to be given up. Deletions in the journal that the database has not seen (an older
        backup restored) are applied again, audited, and listed in ``notices``.

        ``prerequisites`` of activation and processing default to an approved impact
        assessment and a published notice (``DEFAULT_PREREQUISITES``); ``()`` checks none.

        ``engine`` shares an already loaded face engine (tests, several Gates in one process)
        or runs face work elsewhere (a ``FacePool`` of worker processes); ``liveness``
        likewise shares a loaded liveness check.
        ``held_lock``: the caller (a restore) already holds the data directory exclusively.
        """
        if create:
            private_directory(settings.data_dir)
        elif not settings.database_url and not settings.data_dir.is_dir():
            raise NotInitialised(f"no data directory {settings.data_dir}: run `facegate init`")
        lock = None
        if held_lock is None and settings.data_dir.is_dir():  # no restore while it is open
            lock = DataDirLock(settings.data_dir).acquire(exclusive=False, what="open")
        sqlite_file = None if settings.database_url else settings.data_dir / DB_FILE
        if sqlite_file is not None:
            private_file(sqlite_file)
        db = Database(settings.resolved_database_url)
        try:
            stored = keyring.inspect_before_upgrade(db.engine)
            keys = _master_keys(settings, stored, create=create, abandon_data=abandon_data)
            journal = DeletionJournal(settings.resolved_journal_file)
            vault = Vault(keys.current, other_keys=keys.others, journal=journal)
            if not keys.abandoning:
                keyring.check(stored, vault)  # before migrations or anything else write
            db.upgrade()
            journal_id = journal.ensure()
        except BaseException:
            db.dispose()
            if lock is not None:
                lock.release()
            raise
        role = law.SiteRole(settings.role)
        hook = outbox_for(role)
        if hook is not None:
            db.before_flush(hook)  # the sync event log of a control plane or an edge node
        offline_limit = timedelta(hours=settings.offline_limit_hours)
        engine_config = settings.engine
        ctx = GateContext(
            db=db,
            vault=vault,
            audit=AuditLog(),
            index=GalleryIndex(),
            engine_factory=(lambda: engine) if engine else (lambda: FaceEngine(engine_config)),
            _engine=engine,
            engine_config=getattr(engine, "config", engine_config),
            master_key=keys.current,
            clock=clock,
            consent_quiet_days=settings.consent_quiet_days,
            reconsent_days=settings.reconsent_days,
            suspension_max_days=settings.suspension_max_days,
            public_url=settings.public_url,
            demo=settings.demo,
            time_zone=settings.time_zone,
            prerequisites=DEFAULT_PREREQUISITES if prerequisites is None else prerequisites,
            site=role,
            face_checks=face_checks_for(role, offline_limit),
            offline_limit=offline_limit,
            snapshot_dir=settings.data_dir / SNAPSHOT_DIR,
        )
        threshold = liveness.threshold if liveness else settings.liveness_threshold
        ctx.liveness_threshold = threshold
        ctx.liveness_factory = (
            (lambda: liveness) if liveness else (lambda: PassiveLiveness(threshold=threshold))
        )
        notices: list[Notice] = []
        try:
            if keys.abandoning:
                counts = durability.abandon_data(ctx, actor="cli")
                notices.append(
                    Notice(
                        "gate.data_abandoned",
                        {
                            "keys": counts["keys_destroyed"],
                            "identities": counts["identities_deleted"],
                        },
                    )
                )
            with ctx.db.transaction() as session:
                keyring.bind(session, vault, journal_id)
            notices.extend(durability.replay(ctx).messages())
        except BaseException:
            db.dispose()
            if lock is not None:
                lock.release()
            raise
        if keys.others:
            notices.append(Notice("gate.rotation_unfinished"))
        watched = [settings.data_dir, settings.resolved_key_file.parent]
        if sqlite_file is not None:
            watched += [sqlite_file, sqlite_file.with_name(DB_FILE + "-wal")]
        watched.append(settings.resolved_journal_file)
        notices.extend(wider_than_private(dict.fromkeys(watched)))
        for notice in notices:
            log.warning("%s", notice)  # log lines are English
        return cls(ctx, notices, lock)

    def use_engine(self, engine: FaceWork) -> None:
        """Run face work on ``engine`` from now on (``facegate serve``: a process pool)."""
        self.ctx.engine_factory = lambda: engine
        self.ctx._engine = engine

    def close(self) -> None:
        try:  # the next start of a large gallery opens a snapshot instead of the vault
            templates.refresh_snapshots(self.ctx)
        except Exception as exc:  # a cache: never a reason not to close
            log.warning("index snapshots not refreshed: %s", exc)
        self.ctx.db.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- registration ---------------------------------------------------------------------
    def register_controller(
        self,
        *,
        name: str,
        contact: str,
        address: str = "",
        dpo: str = "",
        operator_kind: str = "other",
        actor: str = "admin",
    ) -> m.Controller:
        return registry.register_controller(
            self.ctx,
            name=name,
            contact=contact,
            address=address,
            dpo=dpo,
            operator_kind=operator_kind,
            actor=actor,
        )

    def set_operator_kind(
        self, controller_id: str, kind: str, *, actor: str = "admin"
    ) -> m.Controller:
        """cii / central_organ / other: which incident-reporting clock applies."""
        return registry.set_operator_kind(self.ctx, controller_id, kind, actor=actor)

    def create_deployment(
        self, controller_id: str, spec: registry.DeploymentSpec, *, actor: str = "admin"
    ) -> m.Deployment:
        return registry.create_deployment(self.ctx, controller_id, spec, actor=actor)

    def update_deployment(
        self, deployment_id: str, *, actor: str = "admin", **changes: Any
    ) -> m.Deployment:
        row = registry.update_deployment(self.ctx, deployment_id, changes, actor=actor)
        filing.detect_changes(self.ctx, row.controller_id, actor=actor)  # filing.change
        return row

    def activate(self, deployment_id: str, *, actor: str = "admin") -> m.Deployment:
        return registry.activate_deployment(self.ctx, deployment_id, actor=actor)

    def suspend(self, deployment_id: str, *, actor: str = "admin") -> m.Deployment:
        return registry.set_deployment_status(self.ctx, deployment_id, "suspended", actor=actor)

    def stop(self, deployment_id: str, *, actor: str = "admin") -> m.Deployment:
        row = registry.set_deployment_status(self.ctx, deployment_id, "stopped", actor=actor)
        filing.note_stopped(self.ctx, deployment_id, actor=actor)  # filing.cancel
        return row

    def deployments(self) -> list[m.Deployment]:
        return registry.list_deployments(self.ctx)

    def accuracy(self, deployment_id: str) -> accuracy.AccuracyView:
        """The threshold and the error rates to expect of the deployment's face checks."""
        return accuracy.deployment_accuracy(self.ctx, deployment_id)

    def register_device(
        self, deployment_id: str, spec: registry.DeviceSpec, *, actor: str = "admin"
    ) -> m.Device:
        row = registry.register_device(self.ctx, deployment_id, spec, actor=actor)
        with self.ctx.db.transaction(readonly=True) as session:  # a new storage location
            controller_id = registry.get_deployment(session, deployment_id).controller_id
        filing.detect_changes(self.ctx, controller_id, actor=actor)  # filing.change
        return row

    # -- people and consent ---------------------------------------------------------------
    def register_subject(
        self,
        *,
        date_of_birth: date | None,
        identity: dict[str, str] | None = None,
        age_attested: bool = False,
        actor: str = "operator",
    ) -> m.Subject:
        return people.register_subject(
            self.ctx,
            date_of_birth=date_of_birth,
            identity=identity,
            age_attested=age_attested,
            actor=actor,
        )

    def record_consent(
        self,
        subject_id: str,
        deployment_id: str,
        spec: consents.ConsentSpec,
        *,
        actor: str = "operator",
    ) -> m.Consent:
        return consents.record_consent(self.ctx, subject_id, deployment_id, spec, actor=actor)

    def withdraw_consent(
        self,
        subject_id: str,
        deployment_id: str,
        *,
        scope: str = "processing",
        actor: str = "subject",
    ) -> consents.Withdrawal:
        return consents.withdraw_consent(
            self.ctx, subject_id, deployment_id, scope=scope, actor=actor
        )

    def record_refusal(
        self,
        deployment_id: str,
        *,
        subject_id: str | None = None,
        channel: str = "kiosk",
        actor: str = "subject",
    ) -> None:
        consents.record_refusal(
            self.ctx, deployment_id, subject_id=subject_id, channel=channel, actor=actor
        )

    def may_prompt(self, subject_id: str, deployment_id: str) -> Any:
        return consents.may_prompt(self.ctx, subject_id, deployment_id)

    # -- faces ----------------------------------------------------------------------------
    def enrol(
        self,
        subject_id: str,
        deployment_id: str,
        image: ImageSource,
        *,
        device_id: str | None = None,
        actor: str = "operator",
        channel: law.Channel | None = None,
    ) -> Enrolment:
        """``channel``: how the photo arrived, when over a network (a networked deployment
        needs TLS unless loopback); ``None`` for a photo read in this process."""
        return recognition.enrol(
            self.ctx,
            subject_id,
            deployment_id,
            image,
            device_id=device_id,
            actor=actor,
            channel=channel,
        )

    def bulk_enrol(
        self,
        deployment_id: str,
        rows: Iterable[bulk.BulkRow],
        *,
        actor: str = "admin",
        device_id: str | None = None,
        channel: law.Channel | None = None,
        batch: int = bulk.BATCH,
        on_progress: Callable[[int], None] | None = None,
        model: tuple[str, str] | None = None,
    ) -> bulk.BulkReport:
        """Enrol many embeddings (of this Gate's engine's model) into one deployment, each row
        checked by the law as ``enrol`` checks one; refused rows are reported, not raised."""
        return bulk.bulk_enrol(
            self.ctx, deployment_id, rows, actor=actor, device_id=device_id, channel=channel,
            batch=batch, on_progress=on_progress, model=model,
        )  # fmt: skip

    def subjects_of_people(self, deployment_id: str, person_ids: Iterable[str]) -> dict[str, str]:
        """Person record id -> subject id, for the people of the deployment's controller."""
        return bulk.subjects_of_people(self.ctx, deployment_id, person_ids)

    def check_bulk_enrolment(self, deployment_id: str, *, device_id: str | None = None) -> None:
        """Refused now (``law.Refused``) if the deployment may not take enrolments."""
        bulk.check_deployment(self.ctx, deployment_id, actor="admin", device_id=device_id)

    def verify(
        self,
        device_id: str,
        subject_id: str,
        image: ImageSource,
        *,
        actor: str = "device",
        channel: law.Channel | None = None,
    ) -> Verification:
        return recognition.verify(
            self.ctx, device_id, subject_id, image, actor=actor, channel=channel
        )

    def identify(
        self,
        device_id: str,
        image: ImageSource,
        *,
        actor: str = "device",
        channel: law.Channel | None = None,
    ) -> Identification:
        return recognition.identify(self.ctx, device_id, image, actor=actor, channel=channel)

    # -- liveness -------------------------------------------------------------------------
    def liveness_setting(self, deployment_id: str) -> str:
        return liveness.liveness_setting(self.ctx, deployment_id)

    def check_challenge(
        self,
        device_id: str,
        steps: Sequence[str],
        frames: Sequence[bytes],
        *,
        action: str = "verify",
        actor: str = "device",
        image: ImageSource | None = None,
    ) -> Verdict:
        """Judge an ``active`` deployment's kiosk challenge (refused: ``liveness.failed``);
        with ``image``, also that it shows the person who did the challenge."""
        return liveness.check_challenge(
            self.ctx, device_id, steps, frames, action=action, actor=actor, image=image
        )

    # -- the alternative ------------------------------------------------------------------
    def add_credential(
        self,
        subject_id: str,
        deployment_id: str,
        kind: str,
        secret: str = "",
        *,
        actor: str = "operator",
    ) -> m.Credential:
        return alternative.add_credential(
            self.ctx, subject_id, deployment_id, kind, secret, actor=actor
        )

    def verify_alternative(
        self,
        device_id: str,
        kind: str,
        secret: str = "",
        *,
        subject_id: str | None = None,
        actor: str = "device",
    ) -> Verification:
        return alternative.verify_alternative(
            self.ctx, device_id, kind, secret, subject_id=subject_id, actor=actor
        )

    # -- retention, egress, rights, audit ---------------------------------------------------
    def retention_due(self) -> int:
        return retention.due_count(self.ctx)

    def sweep(
        self, *, actor: str = "system", on_progress: Callable[[int], None] | None = None
    ) -> retention.SweepReport:
        return retention.sweep(self.ctx, actor=actor, on_progress=on_progress)

    def register_recipient(
        self, controller_id: str, name: str, public_key: str | bytes, *, actor: str = "admin"
    ) -> TransferRecipient:
        return transfer.register_recipient(self.ctx, controller_id, name, public_key, actor=actor)

    def export_templates(
        self,
        deployment_id: str,
        subject_ids: list[str],
        *,
        recipient_id: str,
        legal_basis: str = "",
        actor: str = "admin",
    ) -> transfer.TransferBundle:
        return transfer.export_templates(
            self.ctx,
            deployment_id,
            subject_ids,
            recipient_id=recipient_id,
            legal_basis=legal_basis,
            actor=actor,
        )

    def propose_legal_basis(
        self, controller_id: str, spec: legal_bases.BasisSpec, *, actor: str = "admin"
    ) -> LegalBasisRecord:
        return legal_bases.propose_basis(self.ctx, controller_id, spec, actor=actor)

    def approve_legal_basis(
        self, basis_id: str, *, approver: str, role: str = "dpo", actor: str = "dpo"
    ) -> LegalBasisRecord:
        return legal_bases.approve_basis(
            self.ctx, basis_id, approver=approver, role=role, actor=actor
        )

    def legal_bases(self, controller_id: str | None = None) -> list[dict[str, Any]]:
        return legal_bases.list_bases(self.ctx, controller_id)

    def subject_report(
        self,
        subject_id: str,
        *,
        controller_id: str | None = None,
        deployment_id: str | None = None,
        actor: str = "subject",
    ) -> dict[str, Any]:
        return rights.subject_report(
            self.ctx,
            subject_id,
            controller_id=controller_id,
            deployment_id=deployment_id,
            actor=actor,
        )

    def delete_subject(self, subject_id: str, *, actor: str = "subject") -> dict[str, int]:
        counts = rights.delete_subject(self.ctx, subject_id, actor=actor)
        if self.ctx.site == law.SiteRole.EDGE:  # erased at a device: erase it everywhere
            sync.report_erasure(self.ctx, subject_id)
        return counts

    # -- obligations: filing, processing records, incidents ----------------------------------
    def filing_status(self) -> list[dict[str, Any]]:
        return filing.status(self.ctx)

    def submit_filing(
        self, filing_id: str, reference: str, *, actor: str = "admin"
    ) -> dict[str, Any]:
        return filing.submit(self.ctx, filing_id, reference, actor=actor)

    def accept_filing(self, filing_id: str, *, actor: str = "admin") -> dict[str, Any]:
        return filing.accept(self.ctx, filing_id, actor=actor)

    def dispose_face_data(self, controller_id: str, *, actor: str = "admin") -> dict[str, Any]:
        return filing.dispose(self.ctx, controller_id, actor=actor)

    def processing_records(
        self, deployment_id: str | None, start: date, end: date
    ) -> ProcessingRecords:
        return records.processing_records(self.ctx, deployment_id, start, end)

    def prune_records(self, before: date, *, actor: str = "admin") -> dict[str, str]:
        return records.prune_records(self.ctx, before, actor=actor)

    def record_incident(
        self, spec: incidents.IncidentSpec, *, actor: str = "admin"
    ) -> dict[str, Any]:
        return incidents.record_incident(self.ctx, spec, actor=actor)

    # -- impact assessment (PIPIA) and notice -------------------------------------------------
    def create_pipia(self, deployment_id: str, *, actor: str = "admin") -> Assessment:
        return assessments.create_pipia(self.ctx, deployment_id, actor=actor)

    def edit_pipia(
        self,
        deployment_id: str,
        aspect: str,
        *,
        findings: Sequence[Statement] | None = None,
        measures: Sequence[Statement] | None = None,
        actor: str = "admin",
    ) -> Assessment:
        return assessments.edit_pipia(
            self.ctx, deployment_id, aspect, findings=findings, measures=measures, actor=actor
        )

    def approve_pipia(
        self, deployment_id: str, *, approver: str, role: str = "dpo", actor: str = "admin"
    ) -> Assessment:
        return assessments.approve_pipia(
            self.ctx, deployment_id, approver=approver, role=role, actor=actor
        )

    def confirm_pipia(
        self, deployment_id: str, refs: Sequence[str], *, actor: str = "admin"
    ) -> Assessment:
        return assessments.confirm_pipia(self.ctx, deployment_id, refs, actor=actor)

    def unconfirmed_pipia(self, deployment_id: str) -> list[str]:
        return assessments.pending_statements(self.ctx, deployment_id)

    def conclude_pipia(
        self,
        deployment_id: str,
        *,
        risk_level: str,
        may_proceed: bool,
        conditions: Sequence[Statement],
        actor: str = "admin",
    ) -> Assessment:
        return assessments.conclude_pipia(
            self.ctx,
            deployment_id,
            risk_level=risk_level,
            may_proceed=may_proceed,
            conditions=conditions,
            actor=actor,
        )

    def pipia(self, deployment_id: str) -> assessments.PipiaReport:
        return assessments.pipia_report(self.ctx, deployment_id)

    def mark_pipia_stale(
        self, deployment_id: str, reason: str, *, actor: str = "admin"
    ) -> list[str]:
        return assessments.stale_assessments(self.ctx, deployment_id, reason, actor=actor)

    def delete_pipia(self, assessment_id: str, *, actor: str = "admin") -> None:
        assessments.delete_pipia(self.ctx, assessment_id, actor=actor)

    def publish_notice(self, deployment_id: str, *, actor: str = "admin") -> NoticeVersion:
        return notices.publish_notice(self.ctx, deployment_id, actor=actor)

    def notice(self, deployment_id: str) -> notices.NoticeState:
        return notices.current_notice(self.ctx, deployment_id)

    def stale_consents(self, deployment_id: str) -> notices.StaleConsentReport:
        return notices.stale_consents(self.ctx, deployment_id)

    # -- sync between the control plane and its edge nodes ------------------------------------
    def sync_down_batch(
        self, device_id: str, after: int, *, limit: int = sync.BATCH
    ) -> sync.DownBatch:
        """Control plane: the device's deployment's events after ``after``."""
        return sync.down_batch(self.ctx, device_id, after, limit=limit)

    def sync_apply_up(self, device_id: str, batch: sync.UpBatch, *, actor: str) -> sync.Applied:
        """Control plane: apply what an edge node reports."""
        return sync.apply_up(self.ctx, device_id, batch, actor=actor)

    def sync_apply_down(self, batch: sync.DownBatch, *, control_url: str = "") -> sync.Applied:
        """Edge node: apply the control plane's events (shredding what lost its consent)."""
        return sync.apply_down(self.ctx, batch, control_url=control_url)

    def sync_up_batch(self) -> sync.UpBatch:
        """Edge node: what to report up."""
        return sync.up_batch(self.ctx)

    def sync_acknowledged(self, position: int) -> None:
        sync.acknowledge_up(self.ctx, position)

    def edge_state(self) -> sync.EdgeState:
        return sync.edge_state(self.ctx)

    def devices_status(self) -> list[dict[str, Any]]:
        """Control plane: each device's shape, last sync, lag, templates held, refusing."""
        return sync.devices_status(self.ctx)

    def verify_audit(self) -> AuditVerification:
        with self.ctx.db.transaction() as session:
            return self.ctx.audit.verify(session)
