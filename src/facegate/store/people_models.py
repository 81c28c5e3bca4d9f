"""Tables of people and staff: person records (resident, employee, member), one-time enrolment
codes, and named console users.

A person record's identity (name, unit or department, card number, contact) is the subject's
identity record, sealed in ``identities`` under the identity key exactly as before (GB/T 35273
6.3: apart from face data). ``people`` holds only what the front desk finds a person by: keyed
digests (blind indexes) of the normalised name and card number under a key derived from the
control plane's root lookup key and the controller id, so equal names are found without the
database ever holding one in the clear, and the same name at two controllers gives two
unrelated digests.

An enrolment code is stored as its keyed digest under the deployment's lookup key (the one an
edge node receives), so the device that redeems it needs neither the code nor any identity.
A console user's password is an argon2id hash; their TOTP secret is sealed with AES-GCM under
a key derived from the key ring's lookup key (stable across master-key rotations, which re-wrap
the ring).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store.models import ID, Base, new_id
from facegate.store.types import utc_now

DIGEST = String(64)


class Person(Base, kw_only=True):
    """A resident, employee or member of one controller, linked to one pseudonymous subject."""

    __tablename__ = "people"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), index=True)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), unique=True, index=True)
    kind: Mapped[str]  # resident | employee | member
    name_index: Mapped[str] = mapped_column(DIGEST, index=True)
    card_index: Mapped[str | None] = mapped_column(DIGEST, index=True, default=None)
    created_by: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default_factory=utc_now)


class EnrolmentCode(Base, kw_only=True):
    """A one-time code the front desk hands a person so that a kiosk enrols *their* face under
    the consent recorded for them. Only its keyed digest is kept; single use, expiring."""

    __tablename__ = "enrolment_codes"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    subject_id: Mapped[str] = mapped_column(ID, ForeignKey("subjects.id"), index=True)
    consent_id: Mapped[str] = mapped_column(ID, ForeignKey("consents.id"), index=True)
    digest: Mapped[str] = mapped_column(DIGEST, unique=True, index=True)
    issued_by: Mapped[str] = mapped_column(default="")
    issued_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(default=None)
    redeemed_device_id: Mapped[str | None] = mapped_column(ID, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ConsoleUser(Base, kw_only=True):
    """A named member of staff who logs in to the console: password and TOTP second factor."""

    __tablename__ = "console_users"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(default="")
    role: Mapped[str]  # admin | dpo | operator
    password_hash: Mapped[str]
    totp_nonce: Mapped[bytes] = mapped_column(LargeBinary)
    totp_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The last TOTP time step accepted: a code is never accepted twice (replay).
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    # False until the user has shown one code from their authenticator (enrolment proven).
    totp_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    password_changed_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
