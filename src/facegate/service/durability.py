"""Deletions that survive a restore: replaying the deletion journal when a database is opened.

Every transaction that destroys data keys, erases a person or withdraws a consent journals the
fact (``facegate.store.journal``) before it commits. When the database opened is behind the
journal (an older backup was restored, or a crash fell between the journal's fsync and the
commit), the entries it has not seen are applied again: keys destroyed, templates deleted,
identities, credentials and API keys of erased people removed, withdrawn consents withdrawn.
One audit event records what was re-applied, and the operator is told (PIPL art. 47;
Measures art. 8: a deletion that a file copy can undo is no deletion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from facegate import law
from facegate.messages.notice import Notice
from facegate.service.access import end_sessions_of
from facegate.service.context import GateContext, record
from facegate.service.individuals import note_removed_pairs
from facegate.service.people import erase_subject_rows
from facegate.store import models as m
from facegate.store.access_models import ApiKey
from facegate.store.durability_models import (
    DeletionJournalPosition,
    KeyCheck,
    KeyRingEntry,
    WebSession,
)
from facegate.store.models import AuditHead


@dataclass
class ReplayReport:
    entries: int = 0
    keys_destroyed: int = 0
    templates_deleted: int = 0
    subjects_erased: int = 0
    consents_withdrawn: int = 0
    audit_events_lost: int = 0
    warnings: list[Notice] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        return bool(
            self.keys_destroyed
            or self.templates_deleted
            or self.subjects_erased
            or self.consents_withdrawn
        )

    def counts(self) -> dict[str, str]:
        return {
            "entries": str(self.entries),
            "keys_destroyed": str(self.keys_destroyed),
            "templates_deleted": str(self.templates_deleted),
            "subjects_erased": str(self.subjects_erased),
            "consents_withdrawn": str(self.consents_withdrawn),
            "audit_events_lost": str(self.audit_events_lost),
        }

    def messages(self) -> list[Notice]:
        """What the operator is told at start."""
        lines = list(self.warnings)
        if self.applied:
            lines.append(
                Notice(
                    "gate.journal_replayed",
                    {
                        "entries": self.entries,
                        "keys": self.keys_destroyed,
                        "templates": self.templates_deleted,
                        "people": self.subjects_erased,
                        "consents": self.consents_withdrawn,
                    },
                )
            )
        if self.audit_events_lost:
            lines.append(Notice("gate.audit_events_lost", {"count": self.audit_events_lost}))
        return lines


def journal(ctx: GateContext, session: Session, kind: str, **facts: Any) -> None:
    """Journal a deletion made in this transaction (written and fsynced before it commits)."""
    if ctx.vault.journal is not None:
        ctx.vault.journal.note(session, kind, at_time=ctx.now().isoformat(), **facts)


def _stamp(entry: dict[str, Any]) -> datetime:
    """When the deletion happened, by the Gate's clock (the entry's own ``at`` is wall time)."""
    return datetime.fromisoformat(str(entry.get("at_time") or entry["at"]))


def replay(ctx: GateContext) -> ReplayReport:
    """Apply the journal entries this database has not committed; audit and report them."""
    journal = ctx.vault.journal
    report = ReplayReport()
    if journal is None:
        return report
    state = journal.read()
    with ctx.unit() as session:
        check = session.scalar(select(KeyCheck).where(KeyCheck.id == 1).with_for_update())
        if check is None:
            return report
        if state.problem and not state.torn:
            report.warnings.append(
                Notice(
                    f"gate.journal_damaged.{state.problem_code or 'altered'}",
                    {"path": str(journal.path), "seq": state.last_seq},
                )
            )
        position: DeletionJournalPosition | None = None
        recorded = check.journal_seq
        if check.journal_id and state.journal_id and check.journal_id != state.journal_id:
            # Another host's journal on a shared database: its position is a row of its own.
            position = session.get(DeletionJournalPosition, state.journal_id, with_for_update=True)
            if position is None:
                position = DeletionJournalPosition(journal_id=state.journal_id, journal_seq=0)
                session.add(position)
                report.warnings.append(
                    Notice("gate.journal_registered", {"path": str(journal.path)})
                )
                _audit_warning(ctx, session, "journal_registered")
            recorded = position.journal_seq
        if recorded > state.last_seq:
            report.warnings.append(
                Notice(
                    "gate.journal_behind",
                    {"path": str(journal.path), "seq": state.last_seq, "recorded": recorded},
                )
            )
            _audit_warning(ctx, session, "journal_behind")
            return report
        pending = [e for e in state.entries if int(e["seq"]) > recorded]
        if not pending:
            return report
        head = session.get(AuditHead, 1)
        journalled = max(int(e.get("audit_seq", 0)) for e in state.entries) if state.entries else 0
        report.audit_events_lost = max(0, journalled - (head.last_seq if head else 0))
        pairs: set[tuple[str, str]] = set()
        for entry in pending:
            report.entries += 1
            _apply(ctx, session, entry, report, pairs)
        session.flush()
        note_removed_pairs(session, pairs)
        if position is None:
            check.journal_seq = state.last_seq
        else:
            position.journal_seq = state.last_seq
        record(
            ctx,
            session,
            actor="system",
            action="durability.replay",
            objects={"journal_seq": str(state.last_seq), **report.counts()},
            articles=law.rule("consent.withdraw").articles,
            decision="info",
        )
    for subject_id, deployment_id in pairs:
        ctx.index.remove_subject(subject_id, deployment_id)
    return report


def _apply(
    ctx: GateContext,
    session: Session,
    entry: dict[str, Any],
    report: ReplayReport,
    pairs: set[tuple[str, str]],
) -> None:
    kind = entry.get("kind")
    if kind == "keys_destroyed":
        keys = list(session.scalars(select(m.DataKey).where(m.DataKey.id.in_(entry["keys"]))))
        templates = list(
            session.scalars(select(m.Template).where(m.Template.id.in_(entry["templates"])))
        )
        pairs.update((t.subject_id, t.deployment_id) for t in templates)
        pairs.update((k.subject_id, k.deployment_id) for k in keys)
        report.keys_destroyed += sum(1 for k in keys if k.destroyed_at is None)
        report.templates_deleted += ctx.vault.destroy_keys(session, keys, templates, journal=False)
    elif kind == "subject_erased":
        subject_id = str(entry["subject"])
        at = _stamp(entry)
        erased = ctx.vault.erase_identity(session, subject_id)
        for credential in session.scalars(
            select(m.Credential).where(m.Credential.id.in_(entry.get("credentials", [])))
        ):
            session.delete(credential)
            erased = True
        key_ids = [str(k) for k in entry.get("api_keys", [])]
        if key_ids:
            session.execute(
                update(ApiKey)
                .where(ApiKey.id.in_(key_ids), ApiKey.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            end_sessions_of(session, key_ids)
        report.consents_withdrawn += _withdraw(session, entry.get("consents", []), at)
        # the rest of the person's records (consents, refusals, date of birth): issue 12
        erased = erase_subject_rows(session, subject_id, at) or erased
        report.subjects_erased += int(erased)
    elif kind == "consent_withdrawn":
        report.consents_withdrawn += _withdraw(session, entry.get("consents", []), _stamp(entry))


def _withdraw(session: Session, consent_ids: list[str], at: datetime) -> int:
    count = 0
    for consent in session.scalars(
        select(m.Consent).where(
            m.Consent.id.in_([str(c) for c in consent_ids]), m.Consent.withdrawn_at.is_(None)
        )
    ):
        consent.withdrawn_at = at
        count += 1
    return count


def _audit_warning(ctx: GateContext, session: Session, problem: str) -> None:
    record(
        ctx,
        session,
        actor="system",
        action="durability.warning",
        objects={"problem": problem},
        decision="info",
    )


def abandon_data(ctx: GateContext, *, actor: str) -> dict[str, int]:
    """The operator declared the data sealed under a lost master key abandoned: destroy every
    wrapped data key and template, delete identity records and the key ring, and bind the
    database to the new key, in one audited transaction."""
    with ctx.unit() as session:
        keys = list(session.scalars(select(m.DataKey).where(m.DataKey.destroyed_at.is_(None))))
        templates = list(session.scalars(select(m.Template)))
        pairs = {(t.subject_id, t.deployment_id) for t in templates}
        destroyed = ctx.vault.destroy_keys(session, keys, templates, journal=False)
        identities = 0
        for identity in session.scalars(select(m.Identity)):
            session.delete(identity)
            identities += 1
        for entry in session.scalars(select(KeyRingEntry)):
            session.delete(entry)
        for web_session in session.scalars(select(WebSession)):
            session.delete(web_session)
        session.flush()
        note_removed_pairs(session, pairs)
        check = session.get(KeyCheck, 1)
        if check is not None:
            check.fingerprint = ctx.vault.fingerprint
            check.next_fingerprint = None
            check.rotated_at = ctx.now()
        counts = {
            "keys_destroyed": len(keys),
            "templates_deleted": destroyed,
            "identities_deleted": identities,
        }
        record(
            ctx,
            session,
            actor=actor,
            action="key.abandon",
            objects={k: str(v) for k, v in counts.items()},
            decision="info",
        )
    ctx.index.clear()
    ctx.index_versions.clear()
    return counts
