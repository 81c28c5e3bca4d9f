"""Subjects: a pseudonymous id and a date of birth; identity kept apart, encrypted."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, UnknownSubject
from facegate.store import models as m
from facegate.store.people_models import EnrolmentCode, Person


def get_subject(session: Session, subject_id: str) -> m.Subject:
    row = session.get(m.Subject, subject_id)
    if row is None or row.deleted_at is not None:
        raise UnknownSubject(f"no subject {subject_id!r}")
    return row


def register_subject(
    ctx: GateContext,
    *,
    date_of_birth: date | None,
    identity: dict[str, str] | None = None,
    age_attested: bool = False,
    actor: str,
) -> m.Subject:
    """A new subject. ``identity`` (name, ID number, phone...) is sealed under the identity key,
    in its own table, never next to face data (GB/T 35273 6.3).

    An adult need not give a date of birth (PIPL6): ``age_attested`` records their attestation
    of being 14 or older instead. A child's date of birth is needed (guardian consent)."""
    with ctx.unit() as session:
        return register_subject_in(
            ctx,
            session,
            date_of_birth=date_of_birth,
            identity=identity,
            age_attested=age_attested,
            actor=actor,
        )


def register_subject_in(
    ctx: GateContext,
    session: Session,
    *,
    date_of_birth: date | None,
    identity: dict[str, str] | None = None,
    age_attested: bool = False,
    actor: str,
) -> m.Subject:
    """``register_subject`` in the caller's transaction."""
    if date_of_birth is not None and age_attested:
        raise BadRequest(
            "give a date of birth or the attestation of being 14 or older, not both",
            key="error.bad_request.age_both",
        )
    row = m.Subject(date_of_birth=date_of_birth, age_attested=age_attested)
    session.add(row)
    session.flush()
    if identity:
        ctx.vault.seal_identity(session, row.id, identity)
    record(ctx, session, actor=actor, action="subject.register", objects={"subject": row.id})
    return row


def erase_subject_rows(session: Session, subject_id: str, at: datetime) -> bool:
    """Erase what the store holds about a person beyond their face data and identity (which
    the vault erases): their person record's digests and enrolment codes, consents and
    refusals, credentials, the date of birth or attestation.
    The subject row stays only as the pseudonym the audit trail names, marked erased. Whether
    anything was left to erase (a replay after a restore, or the first erasure)."""
    row = session.get(m.Subject, subject_id)
    if row is None:
        return False
    found = row.deleted_at is None or row.date_of_birth is not None or row.age_attested
    # the person record's digests and any enrolment code first (they name the consents)
    for model in (EnrolmentCode, Person, m.Consent, m.ConsentRefusal, m.Credential):
        # row by row, so that the deletions reach the sync log (an edge, a control plane)
        for held in session.scalars(select(model).where(model.subject_id == subject_id)).all():
            session.delete(held)
            found = True
        session.flush()
    row.date_of_birth = None
    row.age_attested = False
    row.deleted_at = row.deleted_at or at
    return bool(found)
