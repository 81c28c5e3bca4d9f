"""The tables, as SQLAlchemy 2 declarative dataclasses.

Ids are 32 hex digits generated in Python when a row object is constructed (so ``row.id`` is
usable before a flush): random (uuid4) for most rows, time-ordered (UUIDv7) for templates and
data keys (``new_sequential_id``). Timestamps are timezone-aware UTC. Enum-like columns are plain
strings: the law package owns the vocabularies. Face data (``templates``, ``data_keys``) and
identity data (``identities``) live in separate tables under separate keys, and ``subjects``
holds no name (GB/T 35273 6.3: keep face data apart from identity information).
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any, ClassVar

import uuid6
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column

from facegate.store.types import SEQUENCE, UtcDateTime, utc_now

GENESIS_HASH = "0" * 64

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(32)


def new_id() -> str:
    """A fresh row id: uuid4 as 32 hex digits."""
    return uuid.uuid4().hex


def new_sequential_id() -> str:
    """A fresh id that sorts after those made before it: UUIDv7 (RFC 9562: 48 bits of Unix
    milliseconds, then random bits) as 32 hex digits. For the rows made in time order and
    removed oldest first, templates and data keys: their B-tree indexes (on these ids and on
    the ids that point at them) are then written at their end and emptied from their start, so
    a retention sweep's chunk rewrites a few pages of each instead of nearly all of them
    (docs/benchmarks.md, "The sweep under 5 s"). Not for a person's id: it tells when the row
    was made (docs/legal-notes.md)."""
    return uuid6.uuid7().hex


class Base(MappedAsDataclass, DeclarativeBase, kw_only=True, eq=False, repr=False):
    """Keyword-only constructors; rows compare by identity, as ORM objects should."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        str: Text(),
        int: Integer(),
    }


class Controller(Base, kw_only=True):
    __tablename__ = "controllers"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    name: Mapped[str]
    contact: Mapped[str]
    address: Mapped[str] = mapped_column(default="")
    dpo: Mapped[str] = mapped_column(default="")
    # Which incident-reporting clock applies (law/incident.py OperatorKind): cii, central_organ
    # or other.
    operator_kind: Mapped[str] = mapped_column(default="other")
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class Deployment(Base, kw_only=True):
    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), index=True)
    name: Mapped[str]
    purpose_type: Mapped[str]
    purpose: Mapped[str]
    necessity: Mapped[str]
    method: Mapped[str]
    why_not_verify: Mapped[str] = mapped_column(default="")
    location_type: Mapped[str]
    public_place: Mapped[bool] = mapped_column(Boolean, default=False)
    sector: Mapped[str]
    retention_days: Mapped[int]
    alternatives: Mapped[list[str]] = mapped_column(JSON, default_factory=list)
    transfer_mode: Mapped[str]
    transfer_legal_basis: Mapped[str] = mapped_column(default="")
    lawful_basis: Mapped[str]
    written_consent_required: Mapped[bool] = mapped_column(Boolean, default=False)
    exterior_camera: Mapped[bool] = mapped_column(Boolean, default=False)
    mlps_level: Mapped[int | None] = mapped_column(default=None)
    entrusted_processor: Mapped[str] = mapped_column(default="")
    # How faces come to be processed: "explicit_act" (the person acts) or "walk_through".
    capture_mode: Mapped[str] = mapped_column(default="explicit_act")
    # Why the purpose needs longer than its default retention (M8), when it does.
    retention_justification: Mapped[str] = mapped_column(default="")
    # M10 "unless laws provide otherwise": the legal basis for having no alternative.
    alternative_legal_basis: Mapped[str] = mapped_column(default="")
    # When the deployment was last suspended (templates go after a set period), and when its
    # purpose or method last changed (consents given before must be renewed).
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    purpose_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # Identification accuracy (issue 16): the 1:N target false positive identification rate
    # per probe, the false negative rate accepted, the 1:1 target false match rate per
    # comparison (None: the engine's threshold), the best/second-best margin below which a
    # match is ambiguous, and the gallery size the deployment plans for.
    target_fpir: Mapped[float] = mapped_column(Float, default=0.01, server_default="0.01")
    fnir_ceiling: Mapped[float] = mapped_column(Float, default=0.1, server_default="0.1")
    target_fmr: Mapped[float | None] = mapped_column(Float, default=None)
    ambiguity_margin: Mapped[float] = mapped_column(Float, default=0.03, server_default="0.03")
    planned_gallery_size: Mapped[int] = mapped_column(default=0, server_default="0")
    # Presentation-attack detection: "off", "passive" or "active" (law.Liveness).
    liveness: Mapped[str] = mapped_column(default="passive")
    # The free text in English, beside the Chinese of purpose, necessity, why_not_verify and
    # alternatives: {"purpose": str, ..., "alternatives": [str]} (optional, per field)
    english: Mapped[dict[str, Any]] = mapped_column(JSON, default_factory=dict, server_default="{}")
    notice_version: Mapped[int] = mapped_column(default=0)
    # Bumped in the same transaction as every change to the deployment's templates, so that
    # processes holding an in-memory index can tell when to reload it.
    gallery_version: Mapped[int] = mapped_column(default=0)
    # How many templates the gallery holds and the XOR of their ids' hashes, changed in the
    # same statement as the version (facegate.store.gallery_digest): a cold start checks its
    # snapshot against them instead of reading every id back.
    gallery_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    gallery_digest: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(default="draft")
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default_factory=utc_now, onupdate=utc_now)


class Device(Base, kw_only=True):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    name: Mapped[str]
    location_description: Mapped[str]
    location_type: Mapped[str]
    public_place: Mapped[bool] = mapped_column(Boolean, default=False)
    signage_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class Subject(Base, kw_only=True):
    """A pseudonymous person. No names here: see ``Identity``."""

    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    date_of_birth: Mapped[date | None] = mapped_column(default=None)
    # The person attested being 14 or older instead of giving a date of birth (PIPL6).
    age_attested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    # Set when the person's data was erased: the row stays only as the pseudonym the audit
    # trail names, holding nothing about them.
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Identity(Base, kw_only=True):
    """The identity record (name, ID number, phone...), sealed under the identity key."""

    __tablename__ = "identities"

    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), primary_key=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # Fingerprint of the master key whose identity key sealed the record (NULL: sealed before
    # fingerprints were kept, i.e. under the key the database was first checked against).
    kek: Mapped[str | None] = mapped_column(String(64), default=None)


class DataKey(Base, kw_only=True):
    """One per (subject, deployment); ``wrapped_key`` NULL once destroyed (crypto-shredding)."""

    __tablename__ = "data_keys"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_sequential_id)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Fingerprint of the master key that wraps it (NULL: wrapped before fingerprints were kept).
    kek: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    destroyed_at: Mapped[datetime | None] = mapped_column(default=None)


class Template(Base, kw_only=True):
    """An encrypted face embedding. Raw images are never stored."""

    __tablename__ = "templates"
    # A deployment's templates by model and expiry: a cold start finds the few it leaves out
    # (another model's, or expired) by range scans instead of reading every row; as a prefix it
    # also serves every look-up by deployment alone (migration 0018).
    __table_args__ = (
        Index("ix_templates_deployment_engine_expires", "deployment_id", "engine", "expires_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_sequential_id)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"))
    data_key_id: Mapped[str] = mapped_column(ID, ForeignKey("data_keys.id"), index=True)
    engine: Mapped[str]
    model_version: Mapped[str]
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class Consent(Base, kw_only=True):
    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    scope: Mapped[str]
    given_by: Mapped[str]
    guardian_relation: Mapped[str] = mapped_column(default="")
    form: Mapped[str]
    notice_hash: Mapped[str]
    alternative_offered: Mapped[bool] = mapped_column(Boolean)
    pre_ticked: Mapped[bool] = mapped_column(Boolean, default=False)
    bundled: Mapped[bool] = mapped_column(Boolean, default=False)
    given_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    # The deployment's purpose-and-method snapshot when the consent was given (PIPL14 para. 2).
    purpose_snapshot: Mapped[str] = mapped_column(String(64), default="")


class ConsentRefusal(Base, kw_only=True):
    __tablename__ = "consent_refusals"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    subject_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("subjects.id"), index=True, default=None
    )
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    refused_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    channel: Mapped[str] = mapped_column(default="")


class Credential(Base, kw_only=True):
    """A non-face way in: PIN, card, QR token or staff check (argon2 hash of the secret)."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), index=True)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    kind: Mapped[str]
    secret_hash: Mapped[str]
    # HMAC-SHA256 hex of the secret, to find a card/QR holder without a claimed subject.
    lookup_digest: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEvent(Base, kw_only=True):
    """One link of the hash chain. ``seq`` is assigned by ``AuditLog.append``, not by the
    database. No images or embeddings: only ids, names of actions and articles."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(index=True)  # the console's date ranges
    actor: Mapped[str]
    action: Mapped[str] = mapped_column(index=True)  # the console's filters and daily counts
    objects: Mapped[str]  # canonical JSON object of strings
    decision: Mapped[str]  # "allowed", "refused" or "info"
    articles: Mapped[str]  # JSON list of strings
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def object_ids(self) -> dict[str, str]:
        value: Any = json.loads(self.objects)
        return {str(k): str(v) for k, v in value.items()}

    def article_list(self) -> list[str]:
        value: Any = json.loads(self.articles)
        return [str(a) for a in value]


class AuditHead(Base, kw_only=True):
    """The single row (id=1) that every append locks: the chain's last seq and hash."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False, default=1)
    last_seq: Mapped[int] = mapped_column(SEQUENCE, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


def _register_feature_tables() -> None:
    """Import the modules whose tables extend ``Base.metadata`` (migrations compare against it)."""
    from facegate.store import (  # noqa: F401
        access_models,
        assessment_models,
        durability_models,
        gallery_log,
        legal_models,
        obligation_models,
        people_models,
        snapshot_keys,
        sync_models,
    )


_register_feature_tables()
