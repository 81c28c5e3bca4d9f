"""The master key's check value in the database, and the key ring it wraps.

``inspect_before_upgrade`` reads, without writing anything, what a database already holds
(its key check value, whether it has wrapped keys or identities), so that a wrong key or a
missing one is refused before migrations or any use case touch it. ``bind`` records the
check value the first time (after proving that the key opens what is already wrapped), and
loads the key ring: secrets that must survive a rotation of the master key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.orm import Session

from facegate.store.durability_models import KeyCheck, KeyRingEntry
from facegate.store.errors import (
    IdentityUnreadable,
    MasterKeyMismatch,
    TemplateUnreadable,
)
from facegate.store.keys import KEY_BYTES
from facegate.store.models import DataKey, Identity
from facegate.store.vault import Vault, deployment_ring_name

LOOKUP = "lookup"
DEPLOYMENT_LOOKUP = "lookup:"  # + a hash of the deployment id: a lookup key an edge received


@dataclass(frozen=True)
class StoredKeys:
    """What a database holds before it is opened: its key check value (and the next one while
    a rotation runs), and whether any data is wrapped under some master key."""

    fingerprint: str | None
    next_fingerprint: str | None
    wrapped_data: bool

    @property
    def bound(self) -> bool:
        return self.fingerprint is not None or self.wrapped_data


def inspect_before_upgrade(engine: Engine) -> StoredKeys:
    """Read-only look at an existing database (any revision)."""
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        fp = next_fp = None
        if "key_check" in tables:
            row = connection.execute(
                text("SELECT fingerprint, next_fingerprint FROM key_check WHERE id = 1")
            ).one_or_none()
            if row is not None:
                fp, next_fp = str(row[0]), (str(row[1]) if row[1] else None)
        wrapped = False
        if "data_keys" in tables:
            wrapped = bool(
                connection.execute(
                    text("SELECT 1 FROM data_keys WHERE wrapped_key IS NOT NULL LIMIT 1")
                ).first()
            )
        if not wrapped and "identities" in tables:
            wrapped = bool(connection.execute(text("SELECT 1 FROM identities LIMIT 1")).first())
        connection.rollback()
    return StoredKeys(fp, next_fp, wrapped)


def mismatch(stored: str, given: str) -> MasterKeyMismatch:
    return MasterKeyMismatch(
        f"the master key (fingerprint {given[:16]}) is not the key this database is sealed "
        f"under (fingerprint {stored[:16]}); nothing was read or written. Use the right key "
        "file or FACEGATE_MASTER_KEY",
        details={"expected": stored[:16], "given": given[:16]},
    )


def check(stored: StoredKeys, vault: Vault) -> None:
    """Refuse a key whose fingerprint is neither the database's nor its rotation's next."""
    if stored.fingerprint is None:
        return
    if vault.fingerprint not in (stored.fingerprint, stored.next_fingerprint):
        raise mismatch(stored.fingerprint, vault.fingerprint)


def bind(session: Session, vault: Vault, journal_id: str) -> KeyCheck:
    """The key check row, created on first use once the key is proven to open what is already
    sealed; the key ring loaded into the vault."""
    row = session.get(KeyCheck, 1)
    if row is None:
        _prove(session, vault)
        row = KeyCheck(id=1, fingerprint=vault.fingerprint, journal_id=journal_id, journal_seq=0)
        session.add(row)
        session.execute(
            update(DataKey)
            .where(DataKey.kek.is_(None), DataKey.wrapped_key.is_not(None))
            .values(kek=vault.fingerprint)
        )
        session.execute(
            update(Identity).where(Identity.kek.is_(None)).values(kek=vault.fingerprint)
        )
        session.flush()
    elif vault.fingerprint not in (row.fingerprint, row.next_fingerprint):
        raise mismatch(row.fingerprint, vault.fingerprint)
    if not row.journal_id:
        row.journal_id = journal_id
    load_ring(session, vault)
    return row


def load_ring(session: Session, vault: Vault) -> None:
    """Give the vault the key ring's secrets, storing them (wrapped) on first use."""
    entry = session.get(KeyRingEntry, LOOKUP)
    if entry is None:
        # Credentials were digested so far under a key derived from this master key: keep it.
        wrapped = vault.wrap_secret(LOOKUP, vault.lookup_key)
        session.add(KeyRingEntry(name=LOOKUP, wrapped=wrapped, kek=vault.fingerprint))
        session.flush()
    else:
        vault.use_lookup_key(vault.unwrap_secret(LOOKUP, entry.wrapped, entry.kek))
    given = select(KeyRingEntry).where(KeyRingEntry.name.startswith(DEPLOYMENT_LOOKUP))
    for row in session.scalars(given):
        secret = vault.unwrap_secret(row.name, row.wrapped, row.kek)
        key, deployment_id = secret[:KEY_BYTES], secret[KEY_BYTES:].decode()
        if deployment_ring_name(deployment_id) != row.name:
            raise MasterKeyMismatch(f"the key ring's {row.name} secret names another deployment")
        vault.use_deployment_lookup_key(deployment_id, key)


def keep_deployment_lookup_key(
    session: Session, vault: Vault, deployment_id: str, key: bytes
) -> bool:
    """Edge: store a deployment's credential lookup key received from the control plane,
    sealed under this node's own master key (the caller gives it to the vault with
    ``Vault.use_deployment_lookup_key`` once the transaction commits). True when it is new or
    changed."""
    if len(key) != KEY_BYTES:
        raise ValueError(f"a lookup key is {KEY_BYTES} bytes")
    name = deployment_ring_name(deployment_id)
    secret = key + deployment_id.encode()
    row = session.get(KeyRingEntry, name)
    if row is not None and vault.unwrap_secret(name, row.wrapped, row.kek) == secret:
        return False
    wrapped = vault.wrap_secret(name, secret)
    if row is None:
        session.add(KeyRingEntry(name=name, wrapped=wrapped, kek=vault.fingerprint))
    else:
        row.wrapped, row.kek = wrapped, vault.fingerprint
    session.flush()
    return True


def rewrap_ring(session: Session, vault: Vault) -> None:
    """Re-wrap every key-ring secret under the vault's current master key."""
    for entry in session.scalars(select(KeyRingEntry)):
        if entry.kek != vault.fingerprint:
            secret = vault.unwrap_secret(entry.name, entry.wrapped, entry.kek)
            entry.wrapped, entry.kek = vault.wrap_secret(entry.name, secret), vault.fingerprint


def _prove(session: Session, vault: Vault) -> None:
    """Before the first check value is stored: the key must open one wrapped data key and one
    identity record, if there are any."""
    key_row = session.scalar(
        select(DataKey).where(DataKey.wrapped_key.is_not(None)).order_by(DataKey.created_at.desc())
    )
    try:
        if key_row is not None:
            vault.unwrap_data_key(key_row)
        identity = session.scalar(select(Identity).limit(1))
        if identity is not None:
            vault.open_identity(session, identity.subject_id)
    except (TemplateUnreadable, IdentityUnreadable) as exc:
        raise MasterKeyMismatch(
            "the master key does not open the data already in this database; nothing was "
            "written. Use the key it was sealed under"
        ) from exc
