"""The Gate: the one door every face operation passes through.

A thin orchestrator. Each method is a use case from a module beside this one; the Gate only
holds the context (database, vault, audit log, index, engine, clock) they share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from facegate.config import Settings
from facegate.documents.content import ProcessingRecords
from facegate.engine import FaceEngine
from facegate.engine.image import ImageSource
from facegate.engine.liveness import PassiveLiveness
from facegate.engine.liveness.challenge import Verdict
from facegate.errors import FacegateError
from facegate.law.pipia import Statement
from facegate.service import (
    accuracy,
    alternative,
    assessments,
    consents,
    filing,
    incidents,
    liveness,
    notices,
    people,
    recognition,
    records,
    registry,
    retention,
    rights,
    transfer,
)
from facegate.service.context import ActivationCheck, GateContext, utc_now
from facegate.service.prerequisites import DEFAULT_PREREQUISITES
from facegate.service.results import Enrolment, Identification, Verification
from facegate.store import AuditLog, Database, GalleryIndex, Vault
from facegate.store import models as m
from facegate.store.assessment_models import Assessment, NoticeVersion
from facegate.store.audit import AuditVerification
from facegate.store.keys import load_or_create_master_key, master_key_from_env


class NotInitialised(FacegateError):
    code = "not_initialised"


def master_key(settings: Settings, *, create: bool) -> bytes:
    key = master_key_from_env()
    if key is not None:
        return key
    path = settings.resolved_key_file
    if not path.exists() and not create:
        raise NotInitialised(f"no master key at {path}: run `facegate init` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    return load_or_create_master_key(path)


class Gate:
    def __init__(self, ctx: GateContext) -> None:
        self.ctx = ctx

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        create: bool = False,
        clock: Callable[[], datetime] = utc_now,
        prerequisites: Sequence[ActivationCheck] | None = None,
        engine: FaceEngine | None = None,
        liveness: PassiveLiveness | None = None,
    ) -> Gate:
        """Open (with ``create``, first initialise) the data directory the settings name.

        ``prerequisites`` of activation and processing default to an approved impact
        assessment and a published notice (``DEFAULT_PREREQUISITES``); ``()`` checks none.

        ``engine`` shares an already loaded face engine (tests, several Gates in one process);
        ``liveness`` likewise shares a loaded liveness check.
        """
        if create:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        elif not settings.database_url and not settings.data_dir.is_dir():
            raise NotInitialised(f"no data directory {settings.data_dir}: run `facegate init`")
        key = master_key(settings, create=create)
        db = Database(settings.resolved_database_url)
        db.upgrade()
        engine_config = settings.engine
        ctx = GateContext(
            db=db,
            vault=Vault(key),
            audit=AuditLog(),
            index=GalleryIndex(),
            engine_factory=(lambda: engine) if engine else (lambda: FaceEngine(engine_config)),
            _engine=engine,
            engine_config=engine.config if engine else engine_config,
            master_key=key,
            clock=clock,
            consent_quiet_days=settings.consent_quiet_days,
            public_url=settings.public_url,
            demo=settings.demo,
            prerequisites=DEFAULT_PREREQUISITES if prerequisites is None else prerequisites,
        )
        if liveness is not None:
            ctx.liveness_factory = lambda: liveness
        return cls(ctx)

    def close(self) -> None:
        self.ctx.db.dispose()

    # -- registration ---------------------------------------------------------------------
    def register_controller(
        self, *, name: str, contact: str, address: str = "", dpo: str = "", actor: str = "admin"
    ) -> m.Controller:
        return registry.register_controller(
            self.ctx, name=name, contact=contact, address=address, dpo=dpo, actor=actor
        )

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
        return registry.register_device(self.ctx, deployment_id, spec, actor=actor)

    # -- people and consent ---------------------------------------------------------------
    def register_subject(
        self,
        *,
        date_of_birth: date | None,
        identity: dict[str, str] | None = None,
        actor: str = "operator",
    ) -> m.Subject:
        return people.register_subject(
            self.ctx, date_of_birth=date_of_birth, identity=identity, actor=actor
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
    ) -> Enrolment:
        return recognition.enrol(
            self.ctx, subject_id, deployment_id, image, device_id=device_id, actor=actor
        )

    def verify(
        self, device_id: str, subject_id: str, image: ImageSource, *, actor: str = "device"
    ) -> Verification:
        return recognition.verify(self.ctx, device_id, subject_id, image, actor=actor)

    def identify(
        self, device_id: str, image: ImageSource, *, actor: str = "device"
    ) -> Identification:
        return recognition.identify(self.ctx, device_id, image, actor=actor)

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
    ) -> Verdict:
        """Judge an ``active`` deployment's kiosk challenge (refused: ``liveness.failed``)."""
        return liveness.check_challenge(
            self.ctx, device_id, steps, frames, action=action, actor=actor
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

    def export_templates(
        self,
        deployment_id: str,
        subject_ids: list[str],
        *,
        destination: str,
        legal_basis: str = "",
        actor: str = "admin",
    ) -> transfer.TransferBundle:
        return transfer.export_templates(
            self.ctx,
            deployment_id,
            subject_ids,
            destination=destination,
            legal_basis=legal_basis,
            actor=actor,
        )

    def subject_report(self, subject_id: str, *, actor: str = "subject") -> dict[str, Any]:
        return rights.subject_report(self.ctx, subject_id, actor=actor)

    def delete_subject(self, subject_id: str, *, actor: str = "subject") -> dict[str, int]:
        return rights.delete_subject(self.ctx, subject_id, actor=actor)

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

    def verify_audit(self) -> AuditVerification:
        with self.ctx.db.transaction() as session:
            return self.ctx.audit.verify(session)
