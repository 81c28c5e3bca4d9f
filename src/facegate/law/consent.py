"""Consent: what makes one valid when recorded, which one counts now, and when to ask again
(M6, M7, M12, PIPL14, PIPL29, PIPL31, NDSR22)."""

from __future__ import annotations

from collections.abc import Iterable
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
    relation. 14 or older: the person consents themselves."""
    if subject.date_of_birth is None:
        return [
            Reason.of(
                "minor.guardian",
                "the person's date of birth is not recorded, so it cannot be checked whether a "
                f"parent or guardian must consent (under {MINOR_AGE}); record the date of birth",
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
    if consent.pre_ticked:
        reasons.append(
            Reason.of(
                "coercion.prohibited",
                "the consent box was ticked in advance; the person must tick it themselves",
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
