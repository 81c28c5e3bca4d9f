"""The vault: templates encrypted under per-(subject, deployment) data keys, identity records
under a separate identity key. All cryptography is ``cryptography``'s AES-GCM and HKDF.

Key hierarchy (the master key never encrypts data itself)::

    master key --HKDF "facegate-data-key-wrap"--> key-encryption key --wraps--> data keys
    master key --HKDF "facegate-identity"-------> identity key (identity records)

A data key is wrapped with associated data ``facegate-dk|<subject>|<deployment>``; a template
is sealed with associated data binding its subject, deployment and template id, so ciphertext
moved to another row does not decrypt. Deleting a subject's face data is crypto-shredding:
the wrapped data key is set to NULL, after which no copy of the ciphertext (free pages of the
database file) can be decrypted; the deletion journal (``facegate.store.journal``) records the
destroyed key ids outside the database, so that a restored backup is shredded again.

Each wrapped data key and identity record names the fingerprint of the master key it is
sealed under (``kek``), so that ``facegate key rotate-master`` can re-wrap them one batch at a
time, and a vault may hold the next key beside the current one while a rotation runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ColumnElement, delete, insert, null, select, update
from sqlalchemy.orm import Session

from facegate.store import gallery_log
from facegate.store.errors import IdentityUnreadable, MasterKeyMismatch, TemplateUnreadable
from facegate.store.journal import DeletionJournal
from facegate.store.keys import KEY_BYTES, fingerprint
from facegate.store.models import DataKey, Identity, Template, new_sequential_id
from facegate.store.sets import among
from facegate.store.types import utc_now

NONCE_BYTES = 12
EMBEDDING_DTYPE = np.dtype("<f4")

WRAP_INFO = b"facegate-data-key-wrap"
IDENTITY_INFO = b"facegate-identity"
LOOKUP_INFO = b"facegate-credential-lookup"  # as facegate.store.credentials
DEPLOYMENT_LOOKUP_INFO = b"facegate-deployment-lookup|"


def deployment_lookup_key(lookup_key: bytes, deployment_id: str) -> bytes:
    """One deployment's credential lookup key, derived from the root lookup key: what a
    control plane gives the edges of that deployment (they learn nothing of any other)."""
    return hmac.new(lookup_key, DEPLOYMENT_LOOKUP_INFO + deployment_id.encode(), "sha256").digest()


def deployment_ring_name(deployment_id: str) -> str:
    """The key-ring name (32 characters) under which an edge keeps a deployment's lookup key."""
    return "lookup:" + hashlib.sha256(deployment_id.encode()).hexdigest()[:25]


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


_TEMPLATES = Template.metadata.tables[Template.__tablename__]
_DATA_KEYS = DataKey.metadata.tables[DataKey.__tablename__]


class TemplateRef(NamedTuple):
    """A template's ids and expiry, without its ciphertext (what a purge reports). A named
    tuple: a sweep makes 100,000 of them."""

    id: str
    subject_id: str
    deployment_id: str
    expires_at: datetime | None  # None where the caller did not need it


@dataclass(frozen=True)
class OpenTemplate:
    """A template decrypted for the index: ids, vector and expiry (no ORM row)."""

    template_id: str
    subject_id: str
    deployment_id: str
    vector: npt.NDArray[np.float32]
    expires_at: datetime


@dataclass(frozen=True)
class SealedTemplate:
    """A template sealed ahead of its write transaction (``Vault.seal_ahead``): the ciphertext,
    the data key it is sealed under (``new_key``: that key wrapped, when it is to be created),
    and the vector, to seal it again should the key change before the write."""

    template_id: str
    subject_id: str
    deployment_id: str
    data_key_id: str
    new_key: bytes | None
    kek: str
    nonce: bytes
    ciphertext: bytes
    vector: npt.NDArray[np.float32]
    engine: str
    model_version: str


class StoredTemplate(NamedTuple):
    """What ``Vault.store_sealed`` wrote: the template, its data key, the gallery's (before,
    after) versions."""

    ref: TemplateRef
    data_key_id: str
    versions: tuple[int, int]


def _embedding(embedding: npt.ArrayLike) -> npt.NDArray[np.float32]:
    vector = np.asarray(embedding, dtype=EMBEDDING_DTYPE)
    if vector.ndim != 1 or vector.size == 0 or not np.all(np.isfinite(vector)):
        raise ValueError("an embedding is a non-empty one-dimensional finite vector")
    return vector


def _log_removed(session: Session, removed: Iterable[Template | TemplateRef]) -> None:
    """Log the removed templates (rows or refs) in their galleries' change logs: one entry (one
    new version) per gallery."""
    by_deployment: dict[str, list[tuple[str, str]]] = {}
    for template in removed:
        by_deployment.setdefault(template.deployment_id, []).append(
            (template.id, template.subject_id)
        )
    for deployment_id, pairs in sorted(by_deployment.items()):
        gallery_log.log_removed(session, deployment_id, pairs)


@dataclass(frozen=True)
class _Sealers:
    kek: AESGCM
    identity: AESGCM


def _sealers(master_key: bytes) -> _Sealers:
    if len(master_key) != KEY_BYTES:
        raise ValueError(f"the master key must be {KEY_BYTES} bytes")
    return _Sealers(
        AESGCM(derive_key(master_key, WRAP_INFO)), AESGCM(derive_key(master_key, IDENTITY_INFO))
    )


class Vault:
    """``master_key`` wraps what is sealed now; ``other_keys`` only unwrap (the old key while a
    rotation to this one runs). ``journal`` records every key destroyed."""

    def __init__(
        self,
        master_key: bytes,
        *,
        other_keys: Sequence[bytes] = (),
        journal: DeletionJournal | None = None,
    ) -> None:
        self.fingerprint = fingerprint(master_key)
        self._keys = {fingerprint(k): _sealers(k) for k in other_keys}
        self._keys[self.fingerprint] = _sealers(master_key)
        self._kek = self._keys[self.fingerprint].kek
        self._identity = self._keys[self.fingerprint].identity
        self.journal = journal
        self._lookup = derive_key(master_key, LOOKUP_INFO)
        self._given: dict[str, bytes] = {}  # deployment id -> lookup key received (edge)

    def _for(self, kek: str | None) -> _Sealers:
        sealers = self._keys.get(kek or self.fingerprint)
        if sealers is None:
            raise MasterKeyMismatch(
                "this record is sealed under another master key "
                f"(fingerprint {str(kek)[:16]}); open facegate with that key"
            )
        return sealers

    def wrap_secret(self, name: str, secret: bytes) -> bytes:
        """Seal a key-ring secret under the current master key."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._kek.encrypt(nonce, secret, b"facegate-ring|" + name.encode())

    def unwrap_secret(self, name: str, wrapped: bytes, kek: str) -> bytes:
        try:
            return self._for(kek).kek.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"facegate-ring|" + name.encode()
            )
        except InvalidTag as exc:
            raise MasterKeyMismatch(f"the key ring's {name} secret fails authentication") from exc

    @property
    def lookup_key(self) -> bytes:
        return self._lookup

    def use_lookup_key(self, key: bytes) -> None:
        """The credential lookup key from the key ring (stable across master key rotations)."""
        self._lookup = key

    def lookup_digest(self, secret: str) -> str:
        """HMAC-SHA256 hex of a card or QR secret under the root lookup key: the legacy
        digest of credentials added before per-deployment keys (see ``credential_digest``)."""
        return hmac.new(self._lookup, secret.encode(), hashlib.sha256).hexdigest()

    def deployment_lookup_key(self, deployment_id: str) -> bytes | None:
        """The deployment's lookup key: the one received from the control plane (an edge), else
        derived from this vault's root lookup key (a control plane, a standalone box). None on
        an edge that holds keys for other deployments only."""
        given = self._given.get(deployment_id)
        if given is not None:
            return given
        if self._given:
            return None
        return deployment_lookup_key(self._lookup, deployment_id)

    def use_deployment_lookup_key(self, deployment_id: str, key: bytes) -> None:
        """A deployment's lookup key received from the control plane (an edge node)."""
        if len(key) != KEY_BYTES:
            raise ValueError(f"a lookup key is {KEY_BYTES} bytes")
        self._given[deployment_id] = key

    def credential_digest(self, deployment_id: str, secret: str) -> str | None:
        """The digest a card or QR credential of the deployment is stored and found by:
        HMAC-SHA256 hex under the deployment's lookup key (None without one)."""
        key = self.deployment_lookup_key(deployment_id)
        if key is None:
            return None
        message = f"{deployment_id}|{secret}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

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

    def _new_data_key(self, subject_id: str, deployment_id: str) -> tuple[bytes, AESGCM]:
        """A fresh data key for (subject, deployment): wrapped under the master key (what the
        row stores) and its sealer."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        plain = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        wrapped = nonce + self._kek.encrypt(nonce, plain, data_key_aad(subject_id, deployment_id))
        return wrapped, AESGCM(plain)

    def data_key(self, session: Session, subject_id: str, deployment_id: str) -> DataKey:
        """The live data key for (subject, deployment), created and wrapped on first use."""
        row = self.live_data_key(session, subject_id, deployment_id)
        if row is not None:
            return row
        wrapped, _ = self._new_data_key(subject_id, deployment_id)
        row = DataKey(
            subject_id=subject_id,
            deployment_id=deployment_id,
            wrapped_key=wrapped,
            kek=self.fingerprint,
        )
        session.add(row)
        session.flush()
        return row

    def _unwrap(self, row: DataKey) -> AESGCM:
        return AESGCM(self.unwrap_data_key(row))

    def unwrap_data_key(self, row: DataKey) -> bytes:
        """The data key's plain bytes (for re-wrapping; templates stay sealed)."""
        if row.wrapped_key is None or row.destroyed_at is not None:
            raise TemplateUnreadable("the data key has been destroyed")
        nonce, body = row.wrapped_key[:NONCE_BYTES], row.wrapped_key[NONCE_BYTES:]
        try:
            return self._for(row.kek).kek.decrypt(
                nonce, body, data_key_aad(row.subject_id, row.deployment_id)
            )
        except (InvalidTag, MasterKeyMismatch) as exc:
            raise TemplateUnreadable("the data key fails authentication") from exc

    def rewrap_data_key(self, row: DataKey) -> None:
        """Wrap the data key under the current master key (its templates are untouched)."""
        plain = self.unwrap_data_key(row)
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = data_key_aad(row.subject_id, row.deployment_id)
        row.wrapped_key = nonce + self._kek.encrypt(nonce, plain, aad)
        row.kek = self.fingerprint

    def rewrap_identity(self, session: Session, row: Identity) -> None:
        """Seal the identity record under the current master key's identity key."""
        identity = self.open_identity(session, row.subject_id)
        if identity is not None:
            self.seal_identity(session, row.subject_id, identity)

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
        created_at: datetime | None = None,
    ) -> Template:
        """Encrypt the embedding (as little-endian float32) and add the template row, made at
        ``created_at`` (now when not given: pass the caller's clock where it has one)."""
        vector = _embedding(embedding)
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
            created_at=created_at or utc_now(),
        )
        session.add(row)
        session.flush()
        gallery_log.log_added(session, deployment_id, [(template_id, subject_id)])
        return row

    def seal_ahead(
        self,
        session: Session,
        subject_id: str,
        deployment_id: str,
        template_id: str,
        embedding: npt.ArrayLike,
        *,
        engine: str,
        model_version: str,
    ) -> SealedTemplate:
        """Seal a template before the write transaction (in a read, outside the write lock):
        under the subject's live data key for the deployment, or under a new key generated and
        wrapped here. Nothing is written; ``store_sealed`` writes it."""
        vector = _embedding(embedding)
        key_row = self.live_data_key(session, subject_id, deployment_id)
        new_key: bytes | None = None
        if key_row is None:
            new_key, sealer = self._new_data_key(subject_id, deployment_id)
            key_id = new_sequential_id()
        else:
            key_id = key_row.id
            sealer = self._unwrap(key_row)
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = sealer.encrypt(
            nonce, vector.tobytes(), template_aad(subject_id, deployment_id, template_id)
        )
        return SealedTemplate(
            template_id, subject_id, deployment_id, key_id, new_key, self.fingerprint, nonce,
            ciphertext, vector, engine, model_version,
        )  # fmt: skip

    def store_sealed(
        self,
        session: Session,
        sealed: SealedTemplate,
        *,
        expires_at: datetime,
        created_at: datetime,
    ) -> StoredTemplate:
        """Write a template sealed by ``seal_ahead`` in the caller's write transaction (Core
        inserts, no ORM object), logged in the gallery change log. When the subject's live key
        is no longer the one it was sealed under (destroyed by a withdrawal, or created
        meanwhile by another writer) it is sealed again here under the live one (or a new
        one): never written under a destroyed key."""
        connection = session.connection()
        live = connection.execute(
            select(_DATA_KEYS.c.id).where(
                _DATA_KEYS.c.subject_id == sealed.subject_id,
                _DATA_KEYS.c.deployment_id == sealed.deployment_id,
                _DATA_KEYS.c.destroyed_at.is_(None),
            )
        ).scalar()
        key_id, nonce, ciphertext = sealed.data_key_id, sealed.nonce, sealed.ciphertext
        if live != (None if sealed.new_key is not None else sealed.data_key_id):
            key_id, sealer = self._data_keys(session, sealed.deployment_id, [sealed.subject_id])[
                sealed.subject_id
            ]
            nonce = secrets.token_bytes(NONCE_BYTES)
            aad = template_aad(sealed.subject_id, sealed.deployment_id, sealed.template_id)
            ciphertext = sealer.encrypt(nonce, sealed.vector.tobytes(), aad)
        elif sealed.new_key is not None:
            connection.execute(
                insert(_DATA_KEYS).values(
                    id=sealed.data_key_id,
                    subject_id=sealed.subject_id,
                    deployment_id=sealed.deployment_id,
                    wrapped_key=sealed.new_key,
                    kek=sealed.kek,
                    created_at=utc_now(),
                )
            )
        connection.execute(
            insert(_TEMPLATES).values(
                id=sealed.template_id,
                subject_id=sealed.subject_id,
                deployment_id=sealed.deployment_id,
                data_key_id=key_id,
                engine=sealed.engine,
                model_version=sealed.model_version,
                nonce=nonce,
                ciphertext=ciphertext,
                expires_at=expires_at,
                created_at=created_at,
            )
        )
        versions = gallery_log.log_added(
            session, sealed.deployment_id, [(sealed.template_id, sealed.subject_id)]
        )
        ref = TemplateRef(sealed.template_id, sealed.subject_id, sealed.deployment_id, expires_at)
        return StoredTemplate(ref, key_id, versions)

    def seal_templates(
        self,
        session: Session,
        deployment_id: str,
        rows: Sequence[tuple[str, str, npt.ArrayLike]],
        *,
        engine: str,
        model_version: str,
        expires_at: datetime,
        created_at: datetime,
    ) -> tuple[list[TemplateRef], tuple[int, int]]:
        """``seal_template`` for many (subject id, template id, embedding) rows of one
        deployment: the live data keys found in one query, the missing ones created and
        inserted together, each embedding sealed under its subject's own key, the templates
        inserted with one multi-row statement and logged in the gallery change log under one
        new gallery version. Returns what was stored and the (before, after) versions."""
        if not rows:
            version = gallery_log.current_version(session, deployment_id)
            return [], (version, version)
        vectors = []
        for _, _, embedding in rows:
            vector = np.asarray(embedding, dtype=EMBEDDING_DTYPE)
            if vector.ndim != 1 or vector.size == 0 or not np.all(np.isfinite(vector)):
                raise ValueError("an embedding is a non-empty one-dimensional finite vector")
            vectors.append(vector)
        keys = self._data_keys(session, deployment_id, sorted({s for s, _, _ in rows}))
        values = []
        for (subject_id, template_id, _), vector in zip(rows, vectors, strict=True):
            key_id, sealer = keys[subject_id]
            nonce = secrets.token_bytes(NONCE_BYTES)
            values.append(
                {
                    "id": template_id,
                    "subject_id": subject_id,
                    "deployment_id": deployment_id,
                    "data_key_id": key_id,
                    "engine": engine,
                    "model_version": model_version,
                    "nonce": nonce,
                    "ciphertext": sealer.encrypt(
                        nonce,
                        vector.tobytes(),
                        template_aad(subject_id, deployment_id, template_id),
                    ),
                    "expires_at": expires_at,
                    "created_at": created_at,
                }
            )
        session.connection().execute(insert(_TEMPLATES), values)
        versions = gallery_log.log_added(session, deployment_id, [(t, s) for s, t, _ in rows])
        return [TemplateRef(t, s, deployment_id, expires_at) for s, t, _ in rows], versions

    def _data_keys(
        self, session: Session, deployment_id: str, subject_ids: Sequence[str]
    ) -> dict[str, tuple[str, AESGCM]]:
        """Each subject's live data key for the deployment (id and sealer), creating the
        missing ones with one multi-row insert."""
        found: dict[str, tuple[str, AESGCM]] = {}
        for key_id, subject_id, wrapped, kek in session.execute(
            select(DataKey.id, DataKey.subject_id, DataKey.wrapped_key, DataKey.kek).where(
                DataKey.deployment_id == deployment_id,
                among(session, DataKey.subject_id, subject_ids),
                DataKey.destroyed_at.is_(None),
            )
        ):
            if wrapped is None:
                raise TemplateUnreadable("the data key has been destroyed")
            try:
                plain = self._for(kek).kek.decrypt(
                    wrapped[:NONCE_BYTES],
                    wrapped[NONCE_BYTES:],
                    data_key_aad(subject_id, deployment_id),
                )
            except (InvalidTag, MasterKeyMismatch) as exc:
                raise TemplateUnreadable("the data key fails authentication") from exc
            found[subject_id] = (key_id, AESGCM(plain))
        created = []
        for subject_id in subject_ids:
            if subject_id in found:
                continue
            wrapped, sealer = self._new_data_key(subject_id, deployment_id)
            key_id = new_sequential_id()
            created.append(
                {
                    "id": key_id,
                    "subject_id": subject_id,
                    "deployment_id": deployment_id,
                    "wrapped_key": wrapped,
                    "kek": self.fingerprint,
                    "created_at": utc_now(),
                }
            )
            found[subject_id] = (key_id, sealer)
        if created:
            session.connection().execute(insert(_DATA_KEYS), created)
        return found

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

    def open_templates(
        self, session: Session, *where: ColumnElement[bool], batch_size: int = 2000
    ) -> Iterator[OpenTemplate]:
        """Decrypt every template matching ``where`` in bulk: one query joining each template to
        its data key (no ORM object, no lookup per template), streamed ``batch_size`` rows at a
        time. ``TemplateUnreadable`` as ``open_template``."""
        query = (
            select(
                Template.id,
                Template.subject_id,
                Template.deployment_id,
                Template.nonce,
                Template.ciphertext,
                Template.expires_at,
                DataKey.subject_id,
                DataKey.deployment_id,
                DataKey.wrapped_key,
                DataKey.kek,
                DataKey.destroyed_at,
            )
            .outerjoin(DataKey, DataKey.id == Template.data_key_id)
            .where(*where)
            .execution_options(yield_per=batch_size)
        )
        for row in session.execute(query):
            (tid, subject, deployment, nonce, body, expires, k_subject, k_deployment,
             wrapped, kek, destroyed) = row  # fmt: skip
            if k_subject is None:
                raise TemplateUnreadable("the template's data key does not exist")
            if (k_subject, k_deployment) != (subject, deployment):
                raise TemplateUnreadable("the template's data key belongs to another subject")
            if wrapped is None or destroyed is not None:
                raise TemplateUnreadable("the data key has been destroyed")
            try:
                plain_key = self._for(kek).kek.decrypt(
                    wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], data_key_aad(subject, deployment)
                )
                plain = AESGCM(plain_key).decrypt(
                    nonce, body, template_aad(subject, deployment, tid)
                )
            except (InvalidTag, MasterKeyMismatch) as exc:
                raise TemplateUnreadable(
                    "the template fails authentication", details={"template": tid}
                ) from exc
            vector = np.frombuffer(plain, dtype=EMBEDDING_DTYPE).astype(np.float32)
            yield OpenTemplate(tid, subject, deployment, vector, expires)

    def shred(self, session: Session, subject_id: str, deployment_id: str | None = None) -> int:
        """Crypto-shred: destroy the subject's data key(s) (for one deployment, or all) and
        delete their templates. Returns the number of templates destroyed."""
        keys = select(DataKey).where(DataKey.subject_id == subject_id)
        if deployment_id is not None:
            keys = keys.where(DataKey.deployment_id == deployment_id)
        rows = list(session.scalars(keys.where(DataKey.destroyed_at.is_(None))))
        templates = select(Template).where(Template.subject_id == subject_id)
        if deployment_id is not None:
            templates = templates.where(Template.deployment_id == deployment_id)
        return self.destroy_keys(session, rows, list(session.scalars(templates)))

    def destroy_keys(
        self,
        session: Session,
        keys: Sequence[DataKey],
        templates: Sequence[Template] = (),
        *,
        journal: bool = True,
    ) -> int:
        """Delete ``templates`` and destroy ``keys`` (and every template they seal), journalled
        in the same transaction (not when replaying the journal itself). Returns the number of
        templates deleted."""
        now = utc_now()
        key_ids = sorted({k.id for k in keys if k.destroyed_at is None})
        doomed = {t.id: t for t in templates}
        if key_ids:
            doomed.update(
                (t.id, t)
                for t in session.scalars(select(Template).where(Template.data_key_id.in_(key_ids)))
            )
        for template in doomed.values():
            session.delete(template)
        session.flush()
        _log_removed(session, doomed.values())
        for key_row in keys:
            if key_row.destroyed_at is None:
                key_row.wrapped_key = None
                key_row.destroyed_at = now
        session.flush()
        if journal and self.journal is not None and (key_ids or doomed):
            self.journal.note(session, "keys_destroyed", keys=key_ids, templates=sorted(doomed))
        return len(doomed)

    def purge(
        self,
        session: Session,
        templates: Sequence[TemplateRef],
        key_ids: Sequence[str],
        *,
        at: datetime | None = None,
    ) -> list[TemplateRef]:
        """Set-based ``destroy_keys``: delete ``templates`` and every other template sealed by
        ``key_ids`` (logged in each gallery's change log), destroy those keys (the live ones),
        and journal it all in the caller's transaction: a few Core statements whatever the
        number, ids bound as one parameter (``among``), no ORM object per row. Returns the
        templates deleted. Rows already loaded in ``session`` are not updated."""
        now = at or utc_now()
        connection = session.connection()
        keys = sorted(set(key_ids))
        found = {t.id: t for t in templates}
        columns = (Template.id, Template.subject_id, Template.deployment_id, Template.expires_at)
        if keys:  # the keys may seal templates beyond those named
            for row in connection.execute(
                select(*columns).where(
                    among(session, Template.data_key_id, keys),
                    ~among(session, Template.id, found),
                )
            ):
                found[row[0]] = TemplateRef(*row)
        doomed = sorted(found)
        connection.execute(delete(_TEMPLATES).where(among(session, _TEMPLATES.c.id, doomed)))
        _log_removed(session, found.values())
        live = sorted(
            connection.execute(
                update(_DATA_KEYS)
                .where(among(session, _DATA_KEYS.c.id, keys), _DATA_KEYS.c.destroyed_at.is_(None))
                .values(wrapped_key=None, destroyed_at=now)
                .returning(_DATA_KEYS.c.id)
            )
            .scalars()
            .all()
        )
        if self.journal is not None and (live or doomed):
            self.journal.note(session, "keys_destroyed", keys=live, templates=doomed)
        return [found[t] for t in doomed]

    def purge_expired(
        self, session: Session, now: datetime, *, limit: int, with_expiry: bool = False
    ) -> tuple[list[TemplateRef], list[str]]:
        """One chunk of the retention sweep in the caller's transaction, in three statements
        whatever its size: delete up to ``limit`` templates expired at ``now`` (``DELETE ...
        RETURNING``); destroy those of their data keys that no unexpired template needs
        (``UPDATE ... RETURNING``, crypto-shredding); delete any other template those keys
        sealed (expired too, by then unreadable). Logged in each gallery's change log and
        journalled. Returns (templates deleted, by id; keys destroyed). ``with_expiry``: the
        refs carry the expiry (else None, not converted)."""
        connection = session.connection()
        t = _TEMPLATES.c
        expiry = t.expires_at if with_expiry else null()
        columns = (t.id, t.subject_id, t.deployment_id, expiry, t.data_key_id)
        due = select(t.id).where(t.expires_at <= now).limit(limit)
        rows = connection.execute(delete(_TEMPLATES).where(t.id.in_(due)).returning(*columns))
        found = {row[0]: row for row in rows.all()}  # fetched at once, not row by row
        key_ids = sorted({row[4] for row in found.values()})
        still_needed = (
            select(t.id).where(t.data_key_id == _DATA_KEYS.c.id, t.expires_at > now).exists()
        )
        destroyed = sorted(
            connection.execute(
                update(_DATA_KEYS)
                .where(
                    among(session, _DATA_KEYS.c.id, key_ids),
                    _DATA_KEYS.c.destroyed_at.is_(None),
                    ~still_needed,
                )
                .values(wrapped_key=None, destroyed_at=now)
                .returning(_DATA_KEYS.c.id)
            )
            .scalars()
            .all()
        )
        if destroyed:  # the keys may seal other (expired) templates beyond this chunk
            found.update(
                (row[0], row)
                for row in connection.execute(
                    delete(_TEMPLATES)
                    .where(among(session, t.data_key_id, destroyed))
                    .returning(*columns)
                ).all()
            )
        doomed = sorted(found)
        removed = [TemplateRef(*found[i][:4]) for i in doomed]
        _log_removed(session, removed)
        if self.journal is not None and (destroyed or doomed):
            self.journal.note(session, "keys_destroyed", keys=destroyed, templates=doomed)
        return removed, destroyed

    # -- identity records ------------------------------------------------------------------

    def seal_identity(self, session: Session, subject_id: str, identity: dict[str, str]) -> None:
        """Store (or replace) the subject's identity record, encrypted under the identity key."""
        plain = json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        ciphertext = self._identity.encrypt(nonce, plain, identity_aad(subject_id))
        row = session.get(Identity, subject_id)
        if row is None:
            session.add(
                Identity(
                    subject_id=subject_id,
                    nonce=nonce,
                    ciphertext=ciphertext,
                    kek=self.fingerprint,
                )
            )
        else:
            row.nonce, row.ciphertext, row.kek = nonce, ciphertext, self.fingerprint
        session.flush()

    def erase_identity(self, session: Session, subject_id: str) -> bool:
        """Delete the identity record; True when there was one."""
        row = session.get(Identity, subject_id)
        if row is None:
            return False
        session.delete(row)
        session.flush()
        return True

    def open_identity(self, session: Session, subject_id: str) -> dict[str, str] | None:
        """The subject's identity record, or None when there is none."""
        row = session.get(Identity, subject_id)
        if row is None:
            return None
        try:
            plain = self._for(row.kek).identity.decrypt(
                row.nonce, row.ciphertext, identity_aad(subject_id)
            )
        except (InvalidTag, MasterKeyMismatch) as exc:
            raise IdentityUnreadable("the identity record fails authentication") from exc
        value: Any = json.loads(plain)
        return {str(k): str(v) for k, v in value.items()}
