"""Keys of the encrypted index snapshots: one random key per snapshot, wrapped under the master
key in the database, destroyed in the transaction that removes any template of its deployment.

A snapshot holds decrypted-then-resealed templates outside the vault; destroying its key when a
template leaves the gallery (deletion, withdrawal, expiry sweep) makes every copy of that file
unreadable, as destroying a data key does for the template itself (crypto-shredding). The next
load from the vault writes a fresh snapshot.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from facegate.store.keys import KEY_BYTES
from facegate.store.models import ID, Base, new_id
from facegate.store.types import utc_now


class SnapshotKey(Base, kw_only=True):
    """The key of one index snapshot file (NULL once destroyed)."""

    __tablename__ = "index_snapshot_keys"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default_factory=new_id)
    deployment_id: Mapped[str] = mapped_column(ID, ForeignKey("deployments.id"), index=True)
    gallery_version: Mapped[int]
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    kek: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default_factory=utc_now)
    destroyed_at: Mapped[datetime | None] = mapped_column(default=None)


def key_name(key_id: str) -> str:
    return f"index-snapshot:{key_id}"


def destroy(session: Session, deployment_id: str) -> None:
    """Destroy every live snapshot key of the deployment (in the caller's transaction)."""
    session.execute(
        update(SnapshotKey)
        .where(SnapshotKey.deployment_id == deployment_id, SnapshotKey.wrapped_key.is_not(None))
        .values(wrapped_key=None, destroyed_at=utc_now())
        .execution_options(synchronize_session=False)
    )


def fresh_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)
