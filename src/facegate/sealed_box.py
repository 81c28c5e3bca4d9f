"""Encrypt to a recipient's public key, so that exported face data is never in the clear.

Anonymous public-key encryption in the shape of HPKE's base mode: an ephemeral X25519 key
agreement with the recipient's registered key, HKDF-SHA256 to a 256-bit key, AES-256-GCM over
the payload with the context (sender, recipient fingerprint, purpose) as associated data. Only
the holder of the recipient's private key can open it. Built on ``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from facegate.errors import FacegateError

FORMAT = "facegate-sealed-x25519-hkdf-sha256-aes256gcm-v1"
_INFO = b"facegate sealed box v1"


class BadPublicKey(FacegateError):
    code = "bad_public_key"


class CannotOpen(FacegateError):
    code = "cannot_open"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode(), validate=True)


def parse_public_key(text: str | bytes) -> bytes:
    """A recipient's X25519 public key, as 32 raw bytes, from PEM (SubjectPublicKeyInfo), base64
    of the raw 32 bytes, or the raw bytes themselves."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, X25519PublicKey):
                raise BadPublicKey("the public key must be an X25519 key")
            return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        raw = data if len(data) == 32 else base64.b64decode(data.strip(), validate=True)
        X25519PublicKey.from_public_bytes(raw)
        return raw
    except BadPublicKey:
        raise
    except ValueError as exc:
        raise BadPublicKey("not an X25519 public key (PEM, or base64 of its 32 raw bytes)") from exc


def fingerprint(public_key: bytes) -> str:
    """SHA-256 hex of the raw public key: how people compare keys."""
    return hashlib.sha256(public_key).hexdigest()


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(SHA256(), 32, salt=ephemeral + recipient, info=_INFO).derive(shared)


@dataclass(frozen=True)
class Sealed:
    recipient_fingerprint: str
    ephemeral_public_key: str
    nonce: str
    ciphertext: str
    associated_data: str

    def to_dict(self) -> dict[str, str]:
        return {
            "format": FORMAT,
            "recipient_fingerprint": self.recipient_fingerprint,
            "ephemeral_public_key": self.ephemeral_public_key,
            "nonce": self.nonce,
            "ciphertext": self.ciphertext,
            "associated_data": self.associated_data,
        }


def seal(plaintext: bytes, recipient_public_key: bytes, associated_data: bytes = b"") -> Sealed:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public_key))
    key = _key(shared, ephemeral_public, recipient_public_key)
    nonce = secrets.token_bytes(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, associated_data)
    return Sealed(
        fingerprint(recipient_public_key),
        _b64(ephemeral_public),
        _b64(nonce),
        _b64(ciphertext),
        _b64(associated_data),
    )


def open_sealed(box: dict[str, Any], private_key: X25519PrivateKey) -> bytes:
    """The recipient's side: the plaintext, or ``CannotOpen`` (wrong key, tampered box)."""
    if box.get("format") != FORMAT:
        raise CannotOpen(f"not a {FORMAT} box")
    try:
        recipient = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        ephemeral = _unb64(str(box["ephemeral_public_key"]))
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        key = _key(shared, ephemeral, recipient)
        return AESGCM(key).decrypt(
            _unb64(str(box["nonce"])),
            _unb64(str(box["ciphertext"])),
            _unb64(str(box["associated_data"])),
        )
    except (KeyError, ValueError, InvalidTag) as exc:
        raise CannotOpen("this box cannot be opened with this key") from exc
