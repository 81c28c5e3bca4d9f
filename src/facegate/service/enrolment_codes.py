"""One-time enrolment codes: the front desk ties a kiosk enrolment to a person record.

At the desk, staff find the person, record their consent on their behalf in the form the law
requires (separate; a guardian's under 14; written where the deployment requires it: the same
rules as every consent, ``consents.record_consent``), and issue a code. The person types the
code (or shows its QR) at a kiosk of the deployment, which redeems it and enrols *that
person's* face under *that* consent: nobody keeps a hex id, and no face is ever enrolled under
a person's record without the consent recorded for them.

A code is 8 characters from an alphabet without look-alikes (2-9, A-Z less I, L, O: 31
symbols, about 2^39.6 codes), shown as ``ABCD-EFGH``; it expires (24 hours by default), is
good for one redemption, and a new code for the same person and deployment revokes the old
one. Only its keyed digest is stored: HMAC-SHA256 under the deployment's lookup key, which the
deployment's edge nodes receive with their sync batches, so an edge redeems a code without the
code, the person's identity or any other deployment's key. Failed redemptions are counted per
device: five within ten minutes lock the device's code entry for fifteen (guessing a code
then takes longer than it lives).

Kiosk contract (engineer 15k)::

    ticket = redeem_enrolment_code(ctx, code, device_id=device, actor=f"device:{key_id}")
    gate.enrol(ticket.subject_id, ticket.deployment_id, image, device_id=device, actor=...)

``redeem_enrolment_code`` raises ``EnrolmentCodeInvalid`` (unknown, used, expired, revoked,
another deployment's: one sentence for all, the audit log says which) or
``EnrolmentCodeLocked`` (``retry_after`` seconds). The code is spent at redemption: the kiosk
keeps the ticket in the person's session while they retry the photo.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate import law
from facegate.errors import FacegateError
from facegate.service.consents import ConsentSpec, record_consent_in, subject_consents
from facegate.service.context import GateContext, record, require
from facegate.service.errors import BadRequest
from facegate.service.facts import aware, consents_facts, deployment_facts, iso
from facegate.service.persons import UnknownPerson
from facegate.service.registry import get_deployment, get_device
from facegate.store import models as m
from facegate.store.people_models import EnrolmentCode, Person

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
DEFAULT_VALID_FOR = timedelta(hours=24)
MAX_VALID_FOR = timedelta(days=30)
FAILURES, WINDOW, LOCK = 5, 600.0, 900.0
THROTTLE_SCOPE = "enrol_code"


class EnrolmentCodeInvalid(BadRequest):
    """The code is unknown here, used, expired or revoked (which one is audited, not said)."""

    code = "enrolment_code_invalid"


class EnrolmentCodeLocked(FacegateError):
    """Too many wrong codes at this device: wait ``retry_after`` seconds."""

    code = "enrolment_code_locked"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, details={"retry_after": max(1, round(retry_after))})
        self.retry_after = max(1, round(retry_after))


@dataclass(frozen=True)
class IssuedCode:
    """A new code; ``code`` is the only copy there will ever be (show it, print it, QR it)."""

    code: str
    code_id: str
    person_id: str
    subject_id: str
    deployment_id: str
    consent_id: str
    issued_at: datetime
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "code_id": self.code_id,
            "person_id": self.person_id,
            "subject_id": self.subject_id,
            "deployment_id": self.deployment_id,
            "consent_id": self.consent_id,
            "issued_at": iso(self.issued_at),
            "expires_at": iso(self.expires_at),
        }


@dataclass(frozen=True)
class EnrolmentTicket:
    """What a kiosk needs to enrol the person the code was issued to, under the consent
    recorded for them: enrol ``subject_id`` in ``deployment_id`` at ``device_id``."""

    code_id: str
    subject_id: str
    deployment_id: str
    device_id: str
    consent_id: str
    given_by: str  # "self" or "guardian"
    guardian_relation: str
    redeemed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "code_id": self.code_id,
            "subject_id": self.subject_id,
            "deployment_id": self.deployment_id,
            "device_id": self.device_id,
            "consent_id": self.consent_id,
            "given_by": self.given_by,
            "guardian_relation": self.guardian_relation,
            "redeemed_at": iso(self.redeemed_at),
        }


def normal_code(text: str) -> str:
    """What was typed or scanned, as the code: full-width forms folded, case ignored, spaces
    and hyphens dropped, and the look-alikes read as what they must have been (O as 0 is not
    in the alphabet: O and 0 are both refused rather than guessed)."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(c for c in folded if c not in " -\t\r\n")


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == LENGTH else code


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def _digest(ctx: GateContext, deployment_id: str, code: str) -> str | None:
    return ctx.vault.credential_digest(deployment_id, f"enrolment-code|{code}")


def _standing_consent(
    session: Session, subject_id: str, deployment: m.Deployment, at: datetime, actor: str
) -> m.Consent:
    """The person's standing processing consent, given under the current purpose and method;
    refused (and audited by the caller's unit) otherwise (M6, PIPL14 para. 2)."""
    rows = subject_consents(session, subject_id, deployment.id)
    facts = consents_facts(rows)
    standing = law.valid_processing_consent(facts, subject_id, deployment.id, at)
    require(
        law.check_consent_current(standing, deployment_facts(deployment)),
        actor=actor,
        action="enrolment_code.issue",
        objects={"subject": subject_id, "deployment": deployment.id},
    )
    assert standing is not None
    return rows[facts.index(standing)]


def issue_enrolment_code(
    ctx: GateContext,
    person_id: str,
    deployment_id: str,
    *,
    consent: ConsentSpec | None = None,
    valid_for: timedelta = DEFAULT_VALID_FOR,
    actor: str,
) -> IssuedCode:
    """Issue a one-time code that lets a kiosk of ``deployment_id`` enrol this person's face.

    ``consent``: the consent the front desk records on the person's behalf now (refused as any
    consent would be: separate, alternative offered, never pre-ticked, a guardian under 14,
    written where required). Without it, the person's standing consent to the deployment's
    current purpose and method is used; none is refused (``consent.separate``, M6). The
    deployment must be active and belong to the person's controller. Any earlier unused code
    of the person for the deployment is revoked."""
    if not timedelta(minutes=5) <= valid_for <= MAX_VALID_FOR:
        raise BadRequest(
            "a code lives between 5 minutes and 30 days", key="error.bad_request.code_lifetime"
        )
    now = ctx.now()
    code = new_code()
    with ctx.unit() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise UnknownPerson(f"no person {person_id!r}")
        deployment = get_deployment(session, deployment_id)
        if deployment.controller_id != person.controller_id:
            raise BadRequest(
                "this deployment belongs to another organisation than the person",
                key="error.bad_request.code_controller",
            )
        if deployment.status != "active":
            raise BadRequest(
                f"deployment {deployment.name} is {deployment.status}, not active: "
                "no face can be enrolled in it yet",
                key="error.bad_request.code_inactive",
                params={"deployment": deployment.name},
            )
        digest = _digest(ctx, deployment_id, code)
        if digest is None:
            raise BadRequest(
                "this node holds no lookup key for the deployment",
                key="error.bad_request.code_no_key",
            )
        if consent is not None:
            record_consent_in(ctx, session, person.subject_id, deployment_id, consent, actor=actor)
            session.flush()
        # asked at this instant: a consent recorded just now counts (it was given after `now`)
        row = _standing_consent(session, person.subject_id, deployment, ctx.now(), actor)
        revoked = 0
        for old in session.scalars(
            select(EnrolmentCode).where(
                EnrolmentCode.subject_id == person.subject_id,
                EnrolmentCode.deployment_id == deployment_id,
                EnrolmentCode.redeemed_at.is_(None),
                EnrolmentCode.revoked_at.is_(None),
            )
        ):
            old.revoked_at = now
            revoked += 1
        issued = EnrolmentCode(
            deployment_id=deployment_id,
            subject_id=person.subject_id,
            consent_id=row.id,
            digest=digest,
            issued_by=actor,
            issued_at=now,
            expires_at=now + valid_for,
        )
        session.add(issued)
        session.flush()
        record(
            ctx,
            session,
            actor=actor,
            action="enrolment_code.issue",
            objects={
                "code": issued.id,
                "person": person.id,
                "subject": person.subject_id,
                "deployment": deployment_id,
                "consent": row.id,
                "revoked": str(revoked),
            },
            articles=law.rule("consent.separate").articles,
        )
        return IssuedCode(
            code=format_code(code),
            code_id=issued.id,
            person_id=person.id,
            subject_id=person.subject_id,
            deployment_id=deployment_id,
            consent_id=row.id,
            issued_at=now,
            expires_at=issued.expires_at,
        )


def revoke_enrolment_code(ctx: GateContext, code_id: str, *, actor: str) -> None:
    """Revoke an unused code (lost paper, wrong person)."""
    with ctx.unit() as session:
        row = session.get(EnrolmentCode, code_id)
        if row is None:
            raise EnrolmentCodeInvalid("no such enrolment code")
        if row.redeemed_at is None and row.revoked_at is None:
            row.revoked_at = ctx.now()
            record(
                ctx,
                session,
                actor=actor,
                action="enrolment_code.revoke",
                objects={"code": row.id, "subject": row.subject_id},
            )


INVALID = (
    "this enrolment code is not valid at this device: it may be mistyped, used, expired or "
    "for another place; ask the front desk for a new one"
)


def redeem_enrolment_code(
    ctx: GateContext, code: str, *, device_id: str, actor: str
) -> EnrolmentTicket:
    """Spend a code at a device: the ticket names the subject, deployment and consent the
    kiosk enrols under. Refused alike (``EnrolmentCodeInvalid``) when the code is unknown to
    the device's deployment, used, expired or revoked, or its consent no longer stands;
    ``EnrolmentCodeLocked`` after repeated failures at the device."""
    throttle = ctx.throttle
    locked = throttle.locked_for(THROTTLE_SCOPE, device_id)
    if locked > 0:
        raise EnrolmentCodeLocked(
            "too many wrong enrolment codes at this device; try again later",
            retry_after=locked,
        )
    now = ctx.now()
    typed = normal_code(code)
    failure: str | None = None
    ticket: EnrolmentTicket | None = None
    with ctx.unit() as session:
        device = get_device(session, device_id)
        deployment = get_deployment(session, device.deployment_id)
        digest = (
            _digest(ctx, deployment.id, typed)
            if len(typed) == LENGTH and set(typed) <= set(ALPHABET)
            else None
        )
        row = (
            session.scalar(select(EnrolmentCode).where(EnrolmentCode.digest == digest))
            if digest
            else None
        )
        failure = _why_not(session, row, deployment, now)
        if failure is None:
            assert row is not None
            consent = session.get(m.Consent, row.consent_id)
            assert consent is not None
            row.redeemed_at = now
            row.redeemed_device_id = device_id
            record(
                ctx,
                session,
                actor=actor,
                action="enrolment_code.redeem",
                objects={
                    "code": row.id,
                    "subject": row.subject_id,
                    "deployment": deployment.id,
                    "device": device_id,
                    "consent": row.consent_id,
                },
            )
            ticket = EnrolmentTicket(
                code_id=row.id,
                subject_id=row.subject_id,
                deployment_id=deployment.id,
                device_id=device_id,
                consent_id=row.consent_id,
                given_by=consent.given_by,
                guardian_relation=consent.guardian_relation,
                redeemed_at=now,
            )
        else:
            objects = {"device": device_id, "deployment": deployment.id, "why": failure}
            if row is not None:
                objects["code"] = row.id
            record(
                ctx,
                session,
                actor=actor,
                action="enrolment_code.redeem",
                objects=objects,
                decision="refused",
            )
    if ticket is not None:
        throttle.clear(THROTTLE_SCOPE, device_id)
        return ticket
    if throttle.fail(THROTTLE_SCOPE, device_id, failures=FAILURES, window=WINDOW, duration=LOCK):
        raise EnrolmentCodeLocked(
            "too many wrong enrolment codes at this device; try again later", retry_after=LOCK
        )
    raise EnrolmentCodeInvalid(INVALID, details={"reason": "invalid"})


def _why_not(
    session: Session, row: EnrolmentCode | None, deployment: m.Deployment, now: datetime
) -> str | None:
    if row is None or row.deployment_id != deployment.id:
        return "unknown"
    if row.revoked_at is not None:
        return "revoked"
    if row.redeemed_at is not None:
        return "used"
    expires = aware(row.expires_at)
    if expires is None or expires <= now:
        return "expired"
    consent = session.get(m.Consent, row.consent_id)
    if consent is None or consent.withdrawn_at is not None:
        return "consent_withdrawn"
    return None


@dataclass(frozen=True)
class CodeView:
    id: str
    deployment_id: str
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    revoked_at: datetime | None
    state: str  # live | used | expired | revoked


def codes_of_person(ctx: GateContext, person_id: str) -> list[CodeView]:
    """The codes issued to a person, newest first (never the code itself: it is not kept)."""
    now = ctx.now()
    with ctx.db.transaction(readonly=True) as session:
        person = session.get(Person, person_id)
        if person is None:
            return []
        rows = session.scalars(
            select(EnrolmentCode)
            .where(EnrolmentCode.subject_id == person.subject_id)
            .order_by(EnrolmentCode.issued_at.desc())
        )
        views = []
        for row in rows:
            expires = aware(row.expires_at)
            assert expires is not None
            state = (
                "revoked"
                if row.revoked_at
                else "used"
                if row.redeemed_at
                else "expired"
                if expires <= now
                else "live"
            )
            issued = aware(row.issued_at)
            assert issued is not None
            views.append(
                CodeView(
                    row.id,
                    row.deployment_id,
                    issued,
                    expires,
                    aware(row.redeemed_at),
                    aware(row.revoked_at),
                    state,
                )
            )
        return views
