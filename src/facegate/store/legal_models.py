"""Tables of the legal bases a controller relies on instead of consent (approved by its data
protection officer) and of the recipients that face data may be exported to (each with the
public key it registered: bundles are encrypted to it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store.models import ID, Base, new_id
from facegate.store.types import utc_now


class LegalBasisRecord(Base, kw_only=True):
    """A legal basis written down by the controller (a law and its article), in force once a
    data protection officer approved it. Cited as ``approved:<id>``."""

    __tablename__ = "legal_bases"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), index=True)
    use: Mapped[str]  # law.BasisUse
    law: Mapped[str]
    article: Mapped[str]
    explanation: Mapped[str] = mapped_column(default="")
    proposed_by: Mapped[str] = mapped_column(default="")
    proposed_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    approved_by: Mapped[str] = mapped_column(default="")
    approved_at: Mapped[datetime | None] = mapped_column(default=None)


class TransferRecipient(Base, kw_only=True):
    """Where exported face data may go: a named recipient and its X25519 public key."""

    __tablename__ = "transfer_recipients"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    controller_id: Mapped[str] = mapped_column(ID, ForeignKey("controllers.id"), index=True)
    name: Mapped[str]
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(64))
    registered_by: Mapped[str] = mapped_column(default="")
    registered_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
