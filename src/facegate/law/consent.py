"""Consent: what makes one valid when recorded, which one counts now, and when to ask again
(M6, M7, M12, PIPL14, PIPL29, PIPL31, NDSR22).

A consent covers the purpose and method it was given for (PIPL14 para. 2, NDSR22): each consent
records the hash of the deployment's *purpose-and-method snapshot* (:func:`consent_snapshot`)
at the time. After a change, recognition under an older consent is refused until the person
consents again; templates whose consent is not renewed within a set period are destroyed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from facegate.law.age import MINOR_AGE, age_on
from facegate.law.dates import china_date
from facegate.law.decision import Decision, Reason
from facegate.law.facts import (
    ConsentFacts,
    ConsentForm,
    ConsentScope,
    DeploymentFacts,
    GivenBy,
    SubjectFacts,
)

DEFAULT_QUIET_DAYS = 180
"""After a person refuses, do not ask again for this many days (NDSR22)."""

DEFAULT_RECONSENT_DAYS = 30
"""After the purpose or method changes, templates of people who have not consented again
within this many days are destroyed (PIPL14 para. 2, PIPL47)."""

CONSENT_SNAPSHOT_FIELDS: tuple[str, ...] = (
    "purpose_type",
    "purpose",
    "method",
    "capture_mode",
    "transfer_mode",
    "processing",
)
"""What a person consents to: the purpose, and the method of processing (1:1 or 1:N, how faces
are captured, whether they leave the device). A change to any of them needs consent again."""

_NEUTRAL: Mapping[str, str] = {
    "capture_mode": "explicit_act",
    "transfer_mode": "on_device",
    "processing": "on_device",
}
"""Values left out of the snapshot, so that a setting added later with a protective default
does not make every consent given before it look out of date."""


def consent_snapshot(values: Mapping[str, object] | DeploymentFacts) -> dict[str, str]:
    """The purpose-and-method snapshot of a deployment (its facts or a mapping of its columns):
    only fields present and not at their protective default."""
    get = (
        (lambda name: getattr(values, name, None))
        if isinstance(values, DeploymentFacts)
        else values.get
    )
    snapshot = {}
    for name in CONSENT_SNAPSHOT_FIELDS:
        raw = get(name)
        value = "" if raw is None else str(raw).strip()
        if value and value != _NEUTRAL.get(name):
            snapshot[name] = value
    return snapshot


def consent_snapshot_hash(values: Mapping[str, object] | DeploymentFacts) -> str:
    """SHA-256 hex of the canonical JSON of :func:`consent_snapshot`."""
    encoded = json.dumps(
        consent_snapshot(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(encoded.encode()).hexdigest()


def check_consent_current(consent: ConsentFacts | None, deployment: DeploymentFacts) -> Decision:
    """May recognition or enrolment rely on this consent? Only on a standing consent given
    under the deployment's current purpose and method (``consent.purpose_change``)."""
    if consent is None:
        return Decision.refuse(
            Reason.of(
                "consent.separate",
                "this person has no valid consent for face recognition here; use the alternative",
            )
        )
    if consent.purpose_snapshot == consent_snapshot_hash(deployment):
        return Decision.allow()
    return Decision.refuse(
        Reason.of(
            "consent.purpose_change",
            f"the purpose or method of deployment {deployment.id} changed after this person "
            "consented; their face may not be recognised until they consent again to the new "
            "purpose and method — use the alternative meanwhile",
        )
    )


def reconsent_deadline(changed_at: datetime, days: int = DEFAULT_RECONSENT_DAYS) -> datetime:
    """Templates of people who have not consented again by this instant are destroyed."""
    return changed_at + timedelta(days=days)


def check_consent(
    consent: ConsentFacts, subject: SubjectFacts, deployment: DeploymentFacts
) -> Decision:
    """May this consent be recorded? Separate, uncoerced, from the right person, in the
    required form."""
    reasons = [
        *_separate(consent, subject, deployment),
        *_uncoerced(consent),
        *minor_guardian(consent, subject),
        *_written(consent, deployment),
    ]
    obligations = ["minor.guardian"] if consent.given_by == GivenBy.GUARDIAN else []
    return Decision.from_reasons(reasons, *obligations)


def minor_guardian(consent: ConsentFacts, subject: SubjectFacts) -> list[Reason]:
    """Under 14 on the day of consent (China time): a guardian consents and names the
    relation. 14 or older: the person consents themselves. An adult need not give a date of
    birth: an attestation of being 14 or older is enough (PIPL6); a child's date is needed."""
    if subject.date_of_birth is None:
        if subject.age_attested:
            if consent.given_by == GivenBy.GUARDIAN:
                return [
                    Reason.of(
                        "minor.guardian",
                        f"the person attested being {MINOR_AGE} or older and must consent "
                        "personally; a guardian consents only for a child, whose date of birth "
                        "is recorded",
                    )
                ]
            return []
        return [
            Reason.of(
                "minor.guardian",
                "neither the person's date of birth nor an attestation that they are "
                f"{MINOR_AGE} or older is recorded, so it cannot be checked whether a parent "
                "or guardian must consent; record one of them",
            )
        ]
    day = china_date(consent.given_at)
    try:
        age = age_on(subject.date_of_birth, day)
    except ValueError:
        return [
            Reason.of(
                "minor.guardian",
                f"the recorded date of birth ({subject.date_of_birth.isoformat()}) is after the "
                f"day of consent ({day.isoformat()}); correct the date of birth",
            )
        ]
    if age < MINOR_AGE:
        if consent.given_by != GivenBy.GUARDIAN:
            return [
                Reason.of(
                    "minor.guardian",
                    f"the person is {age}, under {MINOR_AGE}: a parent or guardian must give "
                    "the consent",
                )
            ]
        if not consent.guardian_relation.strip():
            return [
                Reason.of(
                    "minor.guardian",
                    "the guardian's relation to the child (for example mother, father, legal "
                    "guardian) is missing",
                )
            ]
        return []
    if consent.given_by == GivenBy.GUARDIAN:
        return [
            Reason.of(
                "minor.guardian",
                f"the person is {age}, {MINOR_AGE} or older, and must consent personally; "
                "a guardian cannot consent for them",
            )
        ]
    return []


def valid_processing_consent(
    consents: Iterable[ConsentFacts], subject_id: str, deployment_id: str, at: datetime
) -> ConsentFacts | None:
    """The newest processing consent of this subject for this deployment standing at ``at``."""
    return _standing(consents, subject_id, deployment_id, ConsentScope.PROCESSING, at)


def valid_transfer_consent(
    consents: Iterable[ConsentFacts], subject_id: str, deployment_id: str, at: datetime
) -> ConsentFacts | None:
    """The newest consent to send face data off the device standing at ``at``."""
    return _standing(consents, subject_id, deployment_id, ConsentScope.TRANSFER, at)


def valid_transmission_consent(
    consents: Iterable[ConsentFacts], subject_id: str, deployment_id: str, at: datetime
) -> ConsentFacts | None:
    """The newest consent to send this person's photos over a network (a ``networked``
    deployment) standing at ``at``."""
    return _standing(consents, subject_id, deployment_id, ConsentScope.TRANSMISSION, at)


def withdrawn_consent(
    consents: Iterable[ConsentFacts],
    subject_id: str,
    deployment_id: str,
    at: datetime,
    scope: ConsentScope = ConsentScope.PROCESSING,
) -> ConsentFacts | None:
    """The most recently withdrawn consent of this scope, if it was withdrawn by ``at``."""
    withdrawn = [
        c
        for c in consents
        if c.subject_id == subject_id
        and c.deployment_id == deployment_id
        and c.scope == scope
        and c.withdrawn_at is not None
        and c.withdrawn_at <= at
    ]
    return max(withdrawn, key=lambda c: c.given_at, default=None)


def check_prompt_allowed(
    last_refusal_at: datetime | None, at: datetime, quiet_days: int = DEFAULT_QUIET_DAYS
) -> Decision:
    """May the person be asked for consent now? Not within ``quiet_days`` of their last no."""
    if last_refusal_at is None:
        return Decision.allow()
    ask_again_from = last_refusal_at + timedelta(days=quiet_days)
    if at >= ask_again_from:
        return Decision.allow()
    return Decision.refuse(
        Reason.of(
            "consent.no_repeat_prompt",
            "this person declined face recognition recently; do not ask again before "
            f"{ask_again_from.isoformat()} — offer the alternative instead",
        )
    )


def _standing(
    consents: Iterable[ConsentFacts],
    subject_id: str,
    deployment_id: str,
    scope: ConsentScope,
    at: datetime,
) -> ConsentFacts | None:
    standing = [
        c
        for c in consents
        if c.subject_id == subject_id
        and c.deployment_id == deployment_id
        and c.scope == scope
        and c.given_at <= at
        and (c.withdrawn_at is None or c.withdrawn_at > at)
        and c.alternative_offered
        and not c.pre_ticked
        and not c.bundled
    ]
    return max(standing, key=lambda c: c.given_at, default=None)


def _separate(
    consent: ConsentFacts, subject: SubjectFacts, deployment: DeploymentFacts
) -> list[Reason]:
    reasons = []
    if consent.bundled:
        reasons.append(
            Reason.of(
                "consent.separate",
                "consent to face recognition was bundled with other terms; it must be asked "
                "for and given on its own",
            )
        )
    if consent.pre_ticked:
        # Not coercion: a box ticked in advance is no explicit consent at all (M6; PIPL14).
        reasons.append(
            Reason.of(
                "consent.separate",
                "the consent box was ticked in advance, so the person gave no explicit consent; "
                "they must tick it themselves",
            )
        )
    if consent.deployment_id != deployment.id or consent.subject_id != subject.id:
        reasons.append(
            Reason.of(
                "consent.separate",
                f"this consent names subject {consent.subject_id} and deployment "
                f"{consent.deployment_id}; a consent covers one person and one deployment "
                f"({subject.id}, {deployment.id})",
            )
        )
    return reasons


def _uncoerced(consent: ConsentFacts) -> list[Reason]:
    reasons = []
    if not consent.alternative_offered:
        reasons.append(
            Reason.of(
                "coercion.prohibited",
                "the person was not offered the alternative to face recognition; consent "
                "only counts when saying no was a real option",
            )
        )
    return reasons


def _written(consent: ConsentFacts, deployment: DeploymentFacts) -> list[Reason]:
    if not deployment.written_consent_required or consent.form == ConsentForm.WRITTEN:
        return []
    return [
        Reason.of(
            "consent.written",
            "this deployment requires written consent; an electronic consent is not enough",
        )
    ]
