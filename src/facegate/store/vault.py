"""The vault: templates encrypted under per-(subject, deployment) data keys, identity records
under a separate identity key. All cryptography is ``cryptography``'s AES-GCM and HKDF.

Key hierarchy (the master key never encrypts data itself)::

    master key --HKDF "facegate-data-key-wrap"--> key-encryption key --wraps--> data keys
    master key --HKDF "facegate-identity"-------> identity key (identity records)

A data key is wrapped with associated data ``facegate-dk|<subject>|<deployment>``; a template
is sealed with associated data binding its subject, deployment and template id, so ciphertext
moved to another row does not decrypt. Deleting a subject's face data is crypto-shredding:
the wrapped data key is set to NULL, after which no copy of the ciphertext (backups, free
pages of the database file) can be decrypted.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from facegate.store.errors import IdentityUnreadable, TemplateUnreadable
from facegate.store.keys import KEY_BYTES
from facegate.store.models import DataKey, Identity, Template
from facegate.store.types import utc_now

NONCE_BYTES = 12
EMBEDDING_DTYPE = np.dtype("<f4")

WRAP_INFO = b"facegate-data-key-wrap"
IDENTITY_INFO = b"facegate-identity"


def derive_key(master_key: bytes, info: bytes) -> bytes:
    """A 32-byte subkey of the master key for one purpose (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(
        master_key
    )


def data_key_aad(subject_id: str, deployment_id: str) -> bytes:
    return b"facegate-dk|" + f"{subject_id}|{deployment_id}".encode()


def template_aad(subject_id: str, deployment_id: str, template_id: str) -> bytes:
    return b"facegate-tpl|" + f"{subject_id}|{deployment_id}|{template_id}".encode()


def identity_aad(subject_id: str) -> bytes:
    return b"facegate-id|" + subject_id.encode()


class Vault:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_BYTES:
            raise ValueError(f"the master key must be {KEY_BYTES} bytes")
        self._kek = AESGCM(derive_key(master_key, WRAP_INFO))
        self._identity = AESGCM(derive_key(master_key, IDENTITY_INFO))

    # -- data keys -------------------------------------------------------------------------

    def live_data_key(
        self, session: Session, subject_id: str, deployment_id: str
    ) -> DataKey | None:
        """The subject's undestroyed data key for the deployment, if any."""
        return session.scalar(
            select(DataKey).where(
                DataKey.subject_id == subject_id,
                DataKey.deployment_id == deployment_id,
                DataKey.destroyed_at.is_(None),
            )
        )

    def data_key(self, session: Session, subject_id: str, deployment_id: str) -> DataKey:
        """The live data key for (subject, deployment), created and wrapped on first use."""
        row = self.live_data_key(session, subject_id, deployment_id)
        if row is not None:
            return row
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        wrapped = nonce + self._kek.encrypt(nonce, plain, data_key_aad(subject_id, deployment_id))
        row = DataKey(subject_id=subject_id, deployment_id=deployment_id, wrapped_key=wrapped)
        session.add(row)
        session.flush()
        return row

    def _unwrap(self, row: DataKey) -> AESGCM:
        if row.wrapped_key is None or row.destroyed_at is not None:
            raise TemplateUnreadable("the data key has been destroyed")
        nonce, body = row.wrapped_key[:NONCE_BYTES], row.wrapped_key[NONCE_BYTES:]
        try:
            plain = self._kek.decrypt(nonce, body, data_key_aad(row.subject_id, row.deployment_id))
        except InvalidTag as exc:
            raise TemplateUnreadable("the data key fails authentication") from exc
        return AESGCM(plain)

    # -- templates -------------------------------------------------------------------------

    def seal_template(
        self,
        session: Session,
        subject_id: str,
        deployment_id: str,
        template_id: str,
        embedding: npt.ArrayLike,
        engine: str,
        model_version: str,
        expires_at: datetime,
    ) -> Template:
        """Encrypt the embedding (as little-endian float32) and add the template row."""
        vector = np.asarray(embedding, dtype=EMBEDDING_DTYPE)
        if vector.ndim != 1 or vector.size == 0 or not np.all(np.isfinite(vector)):
            raise ValueError("an embedding is a non-empty one-dimensional finite vector")
        key_row = self.data_key(session, subject_id, deployment_id)
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._unwrap(key_row).encrypt(
            nonce, vector.tobytes(), template_aad(subject_id, deployment_id, template_id)
        )
        row = Template(
            id=template_id,
            subject_id=subject_id,
            deployment_id=deployment_id,
            data_key_id=key_row.id,
            engine=engine,
            model_version=model_version,
            nonce=nonce,
            ciphertext=ciphertext,
            expires_at=expires_at,
        )
        session.add(row)
        session.flush()
        return row

    def open_template(self, session: Session, template: Template) -> npt.NDArray[np.float32]:
        """The embedding, or ``TemplateUnreadable`` (key destroyed, or authentication fails)."""
        key_row = session.get(DataKey, template.data_key_id)
        if key_row is None:
            raise TemplateUnreadable("the template's data key does not exist")
        if (key_row.subject_id, key_row.deployment_id) != (
            template.subject_id,
            template.deployment_id,
        ):
            raise TemplateUnreadable("the template's data key belongs to another subject")
        aad = template_aad(template.subject_id, template.deployment_id, template.id)
        try:
            plain = self._unwrap(key_row).decrypt(template.nonce, template.ciphertext, aad)
        except InvalidTag as exc:
            raise TemplateUnreadable(
                "the template fails authentication", details={"template": template.id}
            ) from exc
        return np.frombuffer(plain, dtype=EMBEDDING_DTYPE).astype(np.float32)

    def shred(self, session: Session, subject_id: str, deployment_id: str | None = None) -> int:
        """Crypto-shred: destroy the subject's data key(s) (for one deployment, or all) and
        delete their templates. Returns the number of templates destroyed."""
        now = utc_now()
        keys = select(DataKey).where(DataKey.subject_id == subject_id)
        templates = select(Template).where(Template.subject_id == subject_id)
        if deployment_id is not None:
            keys = keys.where(DataKey.deployment_id == deployment_id)
            templates = templates.where(Template.deployment_id == deployment_id)
        destroyed = 0
        for template in session.scalars(templates).all():
            session.delete(template)
            destroyed += 1
        session.flush()
        for key_row in session.scalars(keys.where(DataKey.destroyed_at.is_(None))).all():
            key_row.wrapped_key = None
            key_row.destroyed_at = now
        session.flush()
        return destroyed

    # -- identity records ------------------------------------------------------------------

    def seal_identity(self, session: Session, subject_id: str, identity: dict[str, str]) -> None:
        """Store (or replace) the subject's identity record, encrypted under the identity key."""
        plain = json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._identity.encrypt(nonce, plain, identity_aad(subject_id))
        row = session.get(Identity, subject_id)
        if row is None:
            session.add(Identity(subject_id=subject_id, nonce=nonce, ciphertext=ciphertext))
        else:
            row.nonce, row.ciphertext = nonce, ciphertext
        session.flush()

    def open_identity(self, session: Session, subject_id: str) -> dict[str, str] | None:
        """The subject's identity record, or None when there is none."""
        row = session.get(Identity, subject_id)
        if row is None:
            return None
        try:
            plain = self._identity.decrypt(row.nonce, row.ciphertext, identity_aad(subject_id))
        except InvalidTag as exc:
            raise IdentityUnreadable("the identity record fails authentication") from exc
        value: Any = json.loads(plain)
        return {str(k): str(v) for k, v in value.items()}
