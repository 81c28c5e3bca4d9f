"""Subjects: a pseudonymous id and a date of birth; identity kept apart, encrypted."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, UnknownSubject
from facegate.store import models as m


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
    if date_of_birth is not None and age_attested:
        raise BadRequest("give a date of birth or the attestation of being 14 or older, not both")
    with ctx.unit() as session:
        row = m.Subject(date_of_birth=date_of_birth, age_attested=age_attested)
        session.add(row)
        session.flush()
        if identity:
            ctx.vault.seal_identity(session, row.id, identity)
        record(ctx, session, actor=actor, action="subject.register", objects={"subject": row.id})
        return row
