"""Request and response bodies of the REST service (what the OpenAPI document shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from facegate.law.identification import (
    DEFAULT_AMBIGUITY_MARGIN,
    DEFAULT_FNIR_CEILING,
    DEFAULT_TARGET_FPIR,
)
from facegate.law.incident import OperatorKind

Id = Field(min_length=1, max_length=64)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors -------------------------------------------------------------------------------
class ReasonOut(BaseModel):
    code: str = Field(description="Stable code of the rule, e.g. consent.separate")
    articles: list[str] = Field(description="The articles that decide it, e.g. Measures art. 6")
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine code, the same as the CLI's --json")
    message: str
    details: dict[str, Any] | None = None
    reasons: list[ReasonOut] | None = Field(
        default=None, description="Refusals by law (422): why, under which articles"
    )


class ErrorBody(BaseModel):
    error: ErrorDetail
    request_id: str


# -- system -------------------------------------------------------------------------------
class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: str
    database: bool
    engine: bool


# -- registry -----------------------------------------------------------------------------
class ControllerIn(Strict):
    name: str = Field(min_length=1, max_length=500)
    contact: str = Field(min_length=1, max_length=500)
    address: str = Field(default="", max_length=1000)
    dpo: str = Field(default="", max_length=500)
    operator_kind: OperatorKind = Field(
        default=OperatorKind.OTHER,
        description="Which incident-reporting clock applies (《国家网络安全事件报告管理办法》 "
        "art. 4): cii 1 h, central_organ 2 h, other 4 h.",
    )


class OperatorKindIn(Strict):
    operator_kind: OperatorKind


class ControllerOut(BaseModel):
    id: str
    name: str
    contact: str
    address: str
    dpo: str
    operator_kind: str


class EnglishTexts(Strict):
    """The deployment's free text in English, beside the Chinese of the main fields (which
    Chinese documents show; English documents show these where given)."""

    purpose: str | None = Field(default=None, max_length=4000)
    necessity: str | None = Field(default=None, max_length=4000)
    why_not_verify: str | None = Field(default=None, max_length=4000)
    alternatives: list[str] | None = Field(default=None, max_length=20)


class DeploymentIn(Strict):
    controller_id: str = Id
    name: str = Field(min_length=1, max_length=500)
    purpose_type: str = Field(
        description="access_control, payment, attendance, hotel_checkin, public_safety, "
        "driving_safety, other"
    )
    purpose: str
    necessity: str
    method: str = Field(default="verify", description="verify (1:1) or identify (1:N)")
    why_not_verify: str = ""
    location_type: str = "residential_entrance"
    public_place: bool = False
    sector: str = "general"
    retention_days: int = Field(default=365, ge=0, le=36500)
    alternatives: list[str] = Field(default_factory=list, max_length=20)
    transfer_mode: str = Field(default="on_device", description="on_device or networked")
    transfer_legal_basis: str = ""
    lawful_basis: str = "consent"
    written_consent_required: bool = False
    exterior_camera: bool = False
    mlps_level: int | None = Field(default=None, ge=1, le=5)
    entrusted_processor: str = ""
    capture_mode: str = Field(
        default="explicit_act",
        description="explicit_act (the person presents at the terminal, presses a button, enters "
        "an opt-in lane) or walk_through (never for a consent-based deployment)",
    )
    retention_justification: str = Field(
        default="", description="why the purpose needs longer than its default retention"
    )
    alternative_legal_basis: str = Field(
        default="",
        description="with no alternative: the approved legal basis (approved:<id>) under which "
        "state rules provide otherwise (Measures art. 10)",
    )
    target_fpir: float = Field(
        default=DEFAULT_TARGET_FPIR,
        gt=0,
        lt=1,
        description="1:N: the accepted rate of strangers taken for someone enrolled, per probe",
    )
    fnir_ceiling: float = Field(
        default=DEFAULT_FNIR_CEILING,
        gt=0,
        lt=1,
        description="1:N: the accepted rate of enrolled people missed",
    )
    target_fmr: float | None = Field(
        default=None, gt=0, lt=1, description="1:1: false matches per comparison"
    )
    ambiguity_margin: float = Field(default=DEFAULT_AMBIGUITY_MARGIN, ge=0, lt=1)
    planned_gallery_size: int = Field(default=0, ge=0)
    liveness: Literal["off", "passive", "active"] = Field(
        default="passive",
        description="refuse printed and on-screen faces: passive (every capture), active "
        "(also a blink-and-turn challenge at the kiosk), or off",
    )
    english: EnglishTexts | None = Field(
        default=None,
        description="The free text in English (optional); purpose, necessity, why_not_verify "
        "and alternatives above are the Chinese",
    )


class DeploymentPatch(Strict):
    """Only the fields given change; the law checks the deployment as it would become."""

    name: str | None = Field(default=None, min_length=1, max_length=500)
    purpose_type: str | None = None
    purpose: str | None = None
    necessity: str | None = None
    method: str | None = None
    why_not_verify: str | None = None
    location_type: str | None = None
    public_place: bool | None = None
    sector: str | None = None
    retention_days: int | None = Field(default=None, ge=0, le=36500)
    alternatives: list[str] | None = Field(default=None, max_length=20)
    transfer_mode: str | None = None
    transfer_legal_basis: str | None = None
    lawful_basis: str | None = None
    written_consent_required: bool | None = None
    exterior_camera: bool | None = None
    mlps_level: int | None = Field(default=None, ge=1, le=5)
    entrusted_processor: str | None = None
    capture_mode: str | None = None
    retention_justification: str | None = None
    alternative_legal_basis: str | None = None
    target_fpir: float | None = Field(default=None, gt=0, lt=1)
    fnir_ceiling: float | None = Field(default=None, gt=0, lt=1)
    target_fmr: float | None = Field(default=None, gt=0, lt=1)
    ambiguity_margin: float | None = Field(default=None, ge=0, lt=1)
    planned_gallery_size: int | None = Field(default=None, ge=0)
    liveness: Literal["off", "passive", "active"] | None = None
    english: EnglishTexts | None = None


class DeploymentOut(BaseModel):
    id: str
    controller_id: str
    name: str
    status: str
    purpose_type: str
    purpose: str
    necessity: str
    method: str
    why_not_verify: str
    location_type: str
    public_place: bool
    sector: str
    retention_days: int
    alternatives: list[str]
    transfer_mode: str
    transfer_legal_basis: str
    lawful_basis: str
    written_consent_required: bool
    exterior_camera: bool
    mlps_level: int | None
    entrusted_processor: str
    capture_mode: str
    retention_justification: str
    alternative_legal_basis: str
    retention_default_days: int
    retention_warning: str
    purpose_changed_at: str | None
    target_fpir: float = DEFAULT_TARGET_FPIR
    fnir_ceiling: float = DEFAULT_FNIR_CEILING
    target_fmr: float | None = None
    ambiguity_margin: float = DEFAULT_AMBIGUITY_MARGIN
    planned_gallery_size: int = 0
    liveness: str
    english: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None


class DeviceIn(Strict):
    name: str = Field(min_length=1, max_length=500)
    location_description: str = Field(max_length=1000)
    location_type: str
    public_place: bool = False
    signage_confirmed: bool = False


class DeviceOut(BaseModel):
    id: str
    deployment_id: str
    name: str
    location_description: str
    location_type: str
    public_place: bool
    signage_confirmed: bool
    active: bool


# -- keys ---------------------------------------------------------------------------------
class KeyIn(Strict):
    role: str = Field(description="admin, dpo, operator, device or subject")
    device_id: str | None = Field(default=None, description="Required for (only) a device key")
    subject_id: str | None = Field(default=None, description="Required for (only) a subject key")
    label: str = Field(default="", max_length=200)


class KeyOut(BaseModel):
    id: str
    role: str
    device_id: str | None
    subject_id: str | None
    label: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class IssuedKeyOut(BaseModel):
    id: str
    role: str
    device_id: str | None
    subject_id: str | None
    label: str
    token: str = Field(description="The API key. Shown once: store it now.")


class SecurityEventOut(BaseModel):
    id: str
    at: str | None
    kind: str
    key_id: str
    role: str
    device_id: str
    subject_id: str
    source: str
    detail: str


# -- people and consent -------------------------------------------------------------------
class SubjectIn(Strict):
    date_of_birth: date | None = Field(
        default=None, description="Under 14: consent by a guardian (PIPL art. 31)"
    )
    identity: dict[str, str] | None = Field(
        default=None, description="Name, ID number...: sealed apart from face data"
    )
    age_attested: bool = Field(
        default=False,
        description="the person attests being 14 or older, instead of giving a date of birth "
        "(PIPL art. 6)",
    )


class SubjectOut(BaseModel):
    id: str
    date_of_birth: str | None
    age_attested: bool = False


class ConsentIn(Strict):
    deployment_id: str = Id
    scope: str = Field(default="processing", description="processing or transfer")
    given_by: str = Field(default="self", description="self or guardian")
    guardian_relation: str = ""
    form: str = Field(default="electronic", description="electronic or written")
    notice_hash: str = Field(default="", description="SHA-256 of the notice shown")
    alternative_offered: bool = False
    pre_ticked: bool = False
    bundled: bool = False


class ConsentOut(BaseModel):
    id: str
    subject_id: str
    deployment_id: str
    scope: str
    given_by: str
    guardian_relation: str
    form: str
    notice_hash: str
    alternative_offered: bool
    given_at: str | None
    withdrawn_at: str | None
    subject_token: str = Field(
        description="The subject's own key to their rights endpoints (show, withdraw, "
        "delete). Shown once; hand it to the person."
    )


class WithdrawIn(Strict):
    deployment_id: str = Id
    scope: str = Field(default="processing", description="processing (and transfer) or transfer")


class WithdrawalOut(BaseModel):
    subject_id: str
    deployment_id: str
    consents_withdrawn: int
    templates_destroyed: int


class RefusalIn(Strict):
    subject_id: str | None = None
    channel: str = Field(default="kiosk", max_length=100)


class RecordedOut(BaseModel):
    recorded: bool


class DecisionOut(BaseModel):
    allowed: bool
    reasons: list[ReasonOut]


# -- faces --------------------------------------------------------------------------------
class EnrolFields(Strict):
    deployment_id: str = Id
    device_id: str = Field(default="", max_length=64, description="The enrolling device, if any")


class VerifyFields(Strict):
    subject_id: str = Id


class IdentifyFields(Strict):
    pass


IMAGE_BASE64 = Field(description="The photo (JPEG, PNG, WebP or BMP), base64")


class EnrolJson(EnrolFields):
    image_base64: str = IMAGE_BASE64


class VerifyJson(VerifyFields):
    image_base64: str = IMAGE_BASE64


class IdentifyJson(IdentifyFields):
    image_base64: str = IMAGE_BASE64


class EnrolmentOut(BaseModel):
    template_id: str
    subject_id: str
    deployment_id: str
    model: str
    expires_at: datetime
    quality: dict[str, Any]


class VerificationOut(BaseModel):
    matched: bool
    subject_id: str | None
    deployment_id: str
    method: str
    distance: float | None = None
    similarity: float | None = None
    threshold: float | None = None
    reason: str = ""


class FaceMatchOut(BaseModel):
    box: dict[str, int]
    subject_id: str | None
    distance: float | None
    similarity: float | None
    second_distance: float | None = None
    reason: str = ""


class IdentificationOut(BaseModel):
    deployment_id: str
    threshold: float
    matched: bool
    faces: list[FaceMatchOut] = Field(
        description="the faces recognised; in a consent-based deployment a face that matched "
        "nobody is discarded and only counted in `unmatched`"
    )
    unmatched: int = Field(default=0, description="faces that matched nobody")
    gallery_size: int = 0
    model: str = ""
    ambiguity_margin: float | None = None
    expected_fpir: float | None = None
    expected_fnir: float | None = None


# -- the alternative ----------------------------------------------------------------------
class CredentialIn(Strict):
    deployment_id: str = Id
    kind: str = Field(description="pin, card, qr or staff_check")
    secret: str = Field(default="", max_length=200)


class CredentialOut(BaseModel):
    id: str
    subject_id: str
    deployment_id: str
    kind: str


class AlternativeVerifyIn(Strict):
    kind: str = Field(description="pin, card, qr or staff_check")
    secret: str = Field(default="", max_length=200)
    subject_id: str | None = Field(default=None, description="The claimed subject (PIN, staff)")


# -- retention, transfer, rights, audit ---------------------------------------------------
class RetentionDueOut(BaseModel):
    due: int


class SweepOut(BaseModel):
    expired_templates: int
    keys_destroyed: int
    deployments: int
    not_renewed: int = Field(
        default=0, description="templates of people who did not consent again after a change"
    )
    suspended: int = Field(
        default=0, description="templates of deployments suspended beyond the set period"
    )


class ExportIn(Strict):
    subject_ids: list[str] = Field(min_length=1, max_length=1000)
    recipient_id: str = Field(
        min_length=1, max_length=64, description="a recipient registered with its public key"
    )
    legal_basis: str = Field(
        default="",
        max_length=80,
        description="a listed basis code (see /v1/legal-bases) or approved:<id>; empty: each "
        "person's separate transfer consent",
    )


class SealedOut(BaseModel):
    format: str
    recipient_fingerprint: str
    ephemeral_public_key: str
    nonce: str
    ciphertext: str
    associated_data: str


class ExportOut(BaseModel):
    deployment_id: str
    recipient_id: str
    recipient: str
    legal_basis: str
    legal_basis_label: str
    template_count: int
    sealed: SealedOut = Field(description="the templates, encrypted to the recipient's key")


class RecipientIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    public_key: str = Field(
        min_length=1, max_length=2000, description="X25519 public key: PEM or base64 of 32 bytes"
    )


class RecipientOut(BaseModel):
    id: str
    controller_id: str
    name: str
    fingerprint: str
    registered_at: str | None
    revoked_at: str | None


class LegalBasisIn(Strict):
    use: str = Field(description="transfer or no_alternative")
    law: str = Field(min_length=1, max_length=300)
    article: str = Field(min_length=1, max_length=100)
    explanation: str = Field(default="", max_length=2000)


class LegalBasisApproveIn(Strict):
    approver: str = Field(min_length=1, max_length=200)


class LegalBasisOut(BaseModel):
    code: str
    use: str
    law: str
    article: str
    explanation: str = ""
    approved: bool
    id: str | None = None
    label_zh: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None


class SubjectReportOut(BaseModel):
    subject_id: str
    held: bool = Field(description="false once the person's data was erased: nothing is held")
    deleted: bool = False
    controller_id: str | None = Field(default=None, description="the controller whose data this is")
    date_of_birth: str | None = None
    age_attested: bool = False
    identity: dict[str, str] = Field(default_factory=dict)
    consents: list[dict[str, Any]] = Field(default_factory=list)
    templates: list[dict[str, Any]] = Field(default_factory=list)
    credentials: list[dict[str, Any]] = Field(default_factory=list)


class DeletionOut(BaseModel):
    templates_destroyed: int
    consents_withdrawn: int
    credentials_deleted: int
    identity_deleted: int
    keys_revoked: int


class AuditOut(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str
