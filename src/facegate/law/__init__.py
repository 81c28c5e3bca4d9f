"""The law as pure functions: given facts about a deployment, device, subject and consents,
decide whether an operation is allowed and which articles decide it. No I/O."""

from facegate.law.age import MINOR_AGE, age_on, is_minor
from facegate.law.catalogue import RULES, Rule, format_articles, rule
from facegate.law.consent import (
    DEFAULT_QUIET_DAYS,
    check_consent,
    check_prompt_allowed,
    valid_processing_consent,
    valid_transfer_consent,
)
from facegate.law.dates import CHINA_TZ, add_years, china_date
from facegate.law.decision import OPERATIONAL_CODES, Decision, Reason
from facegate.law.deployment import check_activation, check_deployment
from facegate.law.device import check_device_registration
from facegate.law.facts import (
    PROHIBITED_LOCATIONS,
    VEHICLE_LOCATIONS,
    ConsentFacts,
    ConsentForm,
    ConsentScope,
    DeploymentFacts,
    DeploymentStatus,
    DeviceFacts,
    GivenBy,
    LawfulBasis,
    Liveness,
    LocationType,
    Method,
    PurposeType,
    Sector,
    SubjectFacts,
    TemplateFacts,
    TransferMode,
)
from facegate.law.liveness import (
    ATTACK_WINDOW,
    ATTACKS_BEFORE_ALERT,
    attack_alert_due,
    challenge_required,
    check_presentation,
    liveness_required,
)
from facegate.law.processing import check_enrolment, check_identification, check_recognition
from facegate.law.refusal import Refused
from facegate.law.retention import (
    MAX_RETENTION_DAYS,
    RECORD_KEEPING_YEARS,
    check_retention_delete,
    is_expired,
    template_expires_at,
    template_usable,
)
from facegate.law.transfer import check_transfer

__all__ = [
    "ATTACKS_BEFORE_ALERT",
    "ATTACK_WINDOW",
    "CHINA_TZ",
    "DEFAULT_QUIET_DAYS",
    "MAX_RETENTION_DAYS",
    "MINOR_AGE",
    "OPERATIONAL_CODES",
    "PROHIBITED_LOCATIONS",
    "RECORD_KEEPING_YEARS",
    "RULES",
    "VEHICLE_LOCATIONS",
    "ConsentFacts",
    "ConsentForm",
    "ConsentScope",
    "Decision",
    "DeploymentFacts",
    "DeploymentStatus",
    "DeviceFacts",
    "GivenBy",
    "LawfulBasis",
    "Liveness",
    "LocationType",
    "Method",
    "PurposeType",
    "Reason",
    "Refused",
    "Rule",
    "Sector",
    "SubjectFacts",
    "TemplateFacts",
    "TransferMode",
    "add_years",
    "age_on",
    "attack_alert_due",
    "challenge_required",
    "check_activation",
    "check_consent",
    "check_deployment",
    "check_device_registration",
    "check_enrolment",
    "check_identification",
    "check_presentation",
    "check_prompt_allowed",
    "check_recognition",
    "check_retention_delete",
    "check_transfer",
    "china_date",
    "format_articles",
    "is_expired",
    "is_minor",
    "liveness_required",
    "rule",
    "template_expires_at",
    "template_usable",
    "valid_processing_consent",
    "valid_transfer_consent",
]
