"""Person records: the residents, employees or members a controller knows by name.

A person is a pseudonymous subject (``people.register_subject``) with an identity record
(name, unit or department, card number, contact) sealed under the identity key, in its own
table, never next to face data (GB/T 35273 6.3; GB/T 41819-2022), and a row in ``people`` that
holds keyed digests of the normalised name and card number, so that the front desk finds a
person by exact name or card without the database holding either in the clear.

The digests are HMAC-SHA256 under a key derived from the key ring's lookup key and the
controller id: equal names at one controller are found together; the same name at two
controllers gives unrelated digests; without the master key the column reveals nothing and
cannot be checked against a list of names offline.

Erasing a person is erasing their subject (``rights.delete_subject``): the identity record,
the person row and any enrolment code go with the rest (``people.erase_subject_rows``).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facegate.service.context import GateContext, record
from facegate.service.errors import BadRequest, Conflict, NotFound
from facegate.service.facts import iso
from facegate.service.people import get_subject, register_subject_in
from facegate.service.registry import get_controller
from facegate.store import models as m
from facegate.store.people_models import Person
from facegate.store.vault import Vault

KINDS = ("resident", "employee", "member")
"""What a person is to the controller: a resident (property management), an employee, a member
(a club, a gym)."""

MAX_FIELD = 200
PAGE = 50


class UnknownPerson(NotFound):
    code = "unknown_person"


class DuplicateCard(Conflict):
    """Another person of the same controller holds this card number."""

    code = "duplicate_card"


@dataclass(frozen=True)
class PersonSpec:
    """What the front desk records. ``unit``: the flat, unit or department. A child's date of
    birth is needed (a guardian consents under 14: M7, PIPL31); an adult may attest being 14 or
    older instead (PIPL6: no more than necessary)."""

    name: str
    kind: str = "resident"
    unit: str = ""
    card_number: str = ""
    contact: str = ""
    date_of_birth: date | None = None
    age_attested: bool = False


@dataclass(frozen=True)
class PersonView:
    """A person as the front desk sees them (identity opened)."""

    id: str
    controller_id: str
    subject_id: str
    kind: str
    name: str
    unit: str
    card_number: str
    contact: str
    date_of_birth: date | None
    age_attested: bool
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "controller_id": self.controller_id,
            "subject_id": self.subject_id,
            "kind": self.kind,
            "name": self.name,
            "unit": self.unit,
            "card_number": self.card_number,
            "contact": self.contact,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "age_attested": self.age_attested,
            "created_at": iso(self.created_at),
        }


# -- normalisation and blind indexes -----------------------------------------------------------
def normal_name(name: str) -> str:
    """NFKC (full-width letters and digits become ASCII), case-folded, inner whitespace
    collapsed to one space: "  ZHANG  Wei " and "zhang wei" are one name; 张伟 stays 张伟."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def normal_card(card: str) -> str:
    """NFKC, upper case, without spaces, hyphens and dots: "a1-234 567" is "A1234567"."""
    text = unicodedata.normalize("NFKC", card).upper()
    return "".join(c for c in text if c not in " -._\t")


def _index_key(vault: Vault, controller_id: str) -> bytes:
    return hmac.new(
        vault.lookup_key, b"facegate-person-index|" + controller_id.encode(), hashlib.sha256
    ).digest()


def blind_index(vault: Vault, controller_id: str, field: str, value: str) -> str:
    """HMAC-SHA256 hex of ``field|value`` (already normalised) under the controller's key."""
    message = f"{field}|{value}".encode()
    return hmac.new(_index_key(vault, controller_id), message, hashlib.sha256).hexdigest()


def _clean(spec: PersonSpec) -> PersonSpec:
    name = " ".join(unicodedata.normalize("NFKC", spec.name).split())
    if not name:
        raise BadRequest("a person needs a name", key="error.bad_request.person_name")
    if spec.kind not in KINDS:
        raise BadRequest(
            f"kind must be one of {', '.join(KINDS)}", key="error.bad_request.person_kind"
        )
    fields = {"unit": spec.unit, "card_number": spec.card_number, "contact": spec.contact}
    for label, value in [("name", name), *fields.items()]:
        if len(value) > MAX_FIELD:
            raise BadRequest(
                f"{label} is longer than {MAX_FIELD} characters",
                key="error.bad_request.field_too_long",
                params={"limit": MAX_FIELD},
            )
    if spec.date_of_birth is not None and spec.age_attested:
        raise BadRequest(
            "give a date of birth or the attestation of being 14 or older, not both",
            key="error.bad_request.dob_or_attestation",
        )
    return PersonSpec(
        name=name,
        kind=spec.kind,
        unit=spec.unit.strip(),
        card_number=spec.card_number.strip(),
        contact=spec.contact.strip(),
        date_of_birth=spec.date_of_birth,
        age_attested=spec.age_attested,
    )


def _identity(spec: PersonSpec) -> dict[str, str]:
    values = {
        "name": spec.name,
        "unit": spec.unit,
        "card_number": spec.card_number,
        "contact": spec.contact,
    }
    return {k: v for k, v in values.items() if v}


def _check_card(
    session: Session, vault: Vault, controller_id: str, card: str, person_id: str | None
) -> str | None:
    if not normal_card(card):
        return None
    digest = blind_index(vault, controller_id, "card", normal_card(card))
    holder = session.scalar(
        select(Person.id).where(Person.controller_id == controller_id, Person.card_index == digest)
    )
    if holder is not None and holder != person_id:
        raise DuplicateCard("another person here already holds this card number")
    return digest


def _view(session: Session, vault: Vault, row: Person) -> PersonView:
    subject = session.get(m.Subject, row.subject_id)
    identity = vault.open_identity(session, row.subject_id) or {}
    return PersonView(
        id=row.id,
        controller_id=row.controller_id,
        subject_id=row.subject_id,
        kind=row.kind,
        name=identity.get("name", ""),
        unit=identity.get("unit", ""),
        card_number=identity.get("card_number", ""),
        contact=identity.get("contact", ""),
        date_of_birth=subject.date_of_birth if subject else None,
        age_attested=bool(subject.age_attested) if subject else False,
        created_at=row.created_at,
    )


# -- use cases ------------------------------------------------------------------------------------
def add_person(ctx: GateContext, controller_id: str, spec: PersonSpec, *, actor: str) -> PersonView:
    """A new person record, with its own pseudonymous subject. Refused: no name, an unknown
    kind, a card number another person of the controller holds."""
    spec = _clean(spec)
    now = ctx.now()
    with ctx.unit() as session:
        get_controller(session, controller_id)
        card_index = _check_card(session, ctx.vault, controller_id, spec.card_number, None)
        subject = register_subject_in(
            ctx,
            session,
            date_of_birth=spec.date_of_birth,
            identity=_identity(spec),
            age_attested=spec.age_attested,
            actor=actor,
        )
        row = Person(
            controller_id=controller_id,
            subject_id=subject.id,
            kind=spec.kind,
            name_index=blind_index(ctx.vault, controller_id, "name", normal_name(spec.name)),
            card_index=card_index,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="person.add",
            objects={"person": row.id, "subject": subject.id, "controller": controller_id},
        )
        return _view(session, ctx.vault, row)


def update_person(ctx: GateContext, person_id: str, spec: PersonSpec, *, actor: str) -> PersonView:
    """Correct a person's record (PIPL46): name, kind, unit, card, contact, and the date of
    birth or attestation."""
    spec = _clean(spec)
    with ctx.unit() as session:
        row = _person(session, person_id)
        card_index = _check_card(session, ctx.vault, row.controller_id, spec.card_number, row.id)
        subject = get_subject(session, row.subject_id)
        subject.date_of_birth = spec.date_of_birth
        subject.age_attested = spec.age_attested
        ctx.vault.seal_identity(session, row.subject_id, _identity(spec))
        row.kind = spec.kind
        row.name_index = blind_index(ctx.vault, row.controller_id, "name", normal_name(spec.name))
        row.card_index = card_index
        row.updated_at = ctx.now()
        record(
            ctx,
            session,
            actor=actor,
            action="person.update",
            objects={"person": row.id, "subject": row.subject_id},
        )
        session.flush()
        return _view(session, ctx.vault, row)


def _person(session: Session, person_id: str) -> Person:
    row = session.get(Person, person_id)
    if row is None:
        raise UnknownPerson(f"no person {person_id!r}")
    return row


def get_person(ctx: GateContext, person_id: str) -> PersonView:
    with ctx.db.transaction(readonly=True) as session:
        return _view(session, ctx.vault, _person(session, person_id))


def person_of_subject(ctx: GateContext, subject_id: str) -> PersonView | None:
    """The person record a subject belongs to, if it has one."""
    with ctx.db.transaction(readonly=True) as session:
        row = session.scalar(select(Person).where(Person.subject_id == subject_id))
        return _view(session, ctx.vault, row) if row is not None else None


def find_people(
    ctx: GateContext, controller_id: str, *, name: str = "", card_number: str = ""
) -> list[PersonView]:
    """The controller's people with exactly this name (normalised) and/or card number. Only
    digests are compared; nothing is decrypted but the people found."""
    if not normal_name(name) and not normal_card(card_number):
        raise BadRequest("search by name or by card number", key="error.bad_request.search_empty")
    with ctx.db.transaction(readonly=True) as session:
        get_controller(session, controller_id)
        query = select(Person).where(Person.controller_id == controller_id)
        if normal_name(name):
            digest = blind_index(ctx.vault, controller_id, "name", normal_name(name))
            query = query.where(Person.name_index == digest)
        if normal_card(card_number):
            digest = blind_index(ctx.vault, controller_id, "card", normal_card(card_number))
            query = query.where(Person.card_index == digest)
        rows = session.scalars(query.order_by(Person.created_at).limit(PAGE))
        return [_view(session, ctx.vault, row) for row in rows]


@dataclass(frozen=True)
class PeoplePage:
    people: list[PersonView]
    total: int
    offset: int
    limit: int


def list_people(
    ctx: GateContext, controller_id: str, *, offset: int = 0, limit: int = PAGE
) -> PeoplePage:
    """One page of the controller's people, newest first (only that page is decrypted)."""
    offset, limit = max(0, offset), max(1, min(limit, 200))
    with ctx.db.transaction(readonly=True) as session:
        get_controller(session, controller_id)
        where = Person.controller_id == controller_id
        total = int(session.scalar(select(func.count()).select_from(Person).where(where)) or 0)
        rows = session.scalars(
            select(Person)
            .where(where)
            .order_by(Person.created_at.desc(), Person.id)
            .offset(offset)
            .limit(limit)
        )
        return PeoplePage([_view(session, ctx.vault, r) for r in rows], total, offset, limit)


def people_count(ctx: GateContext) -> int:
    with ctx.db.transaction(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(Person)) or 0)


def controller_of(ctx: GateContext, person_id: str) -> str:
    with ctx.db.transaction(readonly=True) as session:
        return _person(session, person_id).controller_id
