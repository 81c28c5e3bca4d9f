"""Tables of the REST service's access control: API keys and security events.

A key's secret is never stored: only the SHA-256 of its random part (256 bits of entropy, so a
fast hash is enough and lookups stay cheap: the key id, the token's public prefix, is the
primary key). Security events hold ids and short labels only, never images or identity data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from facegate.store.models import ID, Base, new_id
from facegate.store.types import utc_now


class ApiKey(Base, kw_only=True):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str]
    secret_hash: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("devices.id"), index=True, default=None
    )
    subject_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("subjects.id"), index=True, default=None
    )
    label: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class SecurityEvent(Base, kw_only=True):
    """An intrusion alert: unknown or revoked key, a device outside its deployment, gallery
    probing, oversized images, lockouts."""

    __tablename__ = "security_events"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(index=True)
    key_id: Mapped[str] = mapped_column(default="")
    role: Mapped[str] = mapped_column(default="")
    device_id: Mapped[str] = mapped_column(default="")
    subject_id: Mapped[str] = mapped_column(default="")
    source: Mapped[str] = mapped_column(default="")
    detail: Mapped[str] = mapped_column(default="")
