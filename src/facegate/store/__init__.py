"""Persistence: the database and its migrations, the vault, the gallery index, the audit log.

No law, no HTTP, no face engine here.
"""

from facegate.store.audit import AuditLog, AuditVerification
from facegate.store.credentials import hash_secret, lookup_digest, verify_secret
from facegate.store.database import Database
from facegate.store.errors import (
    IdentityUnreadable,
    KeyFileInsecure,
    MasterKeyInvalid,
    StoreError,
    TemplateUnreadable,
)
from facegate.store.index import GalleryIndex, Match, build_from_vault
from facegate.store.keys import load_or_create_master_key, master_key_from_env
from facegate.store.models import Base, new_id
from facegate.store.vault import Vault

__all__ = [
    "AuditLog",
    "AuditVerification",
    "Base",
    "Database",
    "GalleryIndex",
    "IdentityUnreadable",
    "KeyFileInsecure",
    "MasterKeyInvalid",
    "Match",
    "StoreError",
    "TemplateUnreadable",
    "Vault",
    "build_from_vault",
    "hash_secret",
    "load_or_create_master_key",
    "lookup_digest",
    "master_key_from_env",
    "new_id",
    "verify_secret",
]
