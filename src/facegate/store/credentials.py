"""Secrets of the non-face alternatives (PIN, card, QR token): argon2id hashes, and a keyed
digest to find a card or QR holder without a claimed subject."""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from facegate.store.vault import derive_key

LOOKUP_INFO = b"facegate-credential-lookup"

# OWASP's minimum argon2id configuration: fast enough for a gate, still memory-hard.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


def hash_secret(secret: str) -> str:
    """An argon2id hash (salted, self-describing) of the secret."""
    return _HASHER.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    """Does the secret match the hash? False (never an exception) for a bad or empty hash."""
    if not secret_hash:
        return False
    try:
        return _HASHER.verify(secret_hash, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def lookup_digest(master_key: bytes, secret: str) -> str:
    """HMAC-SHA256 hex of the secret under a key derived from the master key: equal secrets
    give equal digests (so the column can be searched), but without the key it reveals
    nothing and cannot be brute-forced offline."""
    key = derive_key(master_key, LOOKUP_INFO)
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
