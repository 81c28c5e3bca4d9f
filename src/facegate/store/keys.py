"""The master key: 32 random bytes, from a 0600 file or from ``FACEGATE_MASTER_KEY``; its
fingerprint (key check value), which the database stores so that another key is refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from facegate.store.errors import KeyFileInsecure, MasterKeyInvalid

KEY_BYTES = 32
ENV_VAR = "FACEGATE_MASTER_KEY"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def decode_master_key(text: str, source: str) -> bytes:
    """Base64 text -> 32 bytes, or ``MasterKeyInvalid`` naming ``source``."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyInvalid(f"{source} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise MasterKeyInvalid(f"{source} must hold {KEY_BYTES} bytes, not {len(key)}")
    return key


def fingerprint(master_key: bytes) -> str:
    """The key check value: 64 hex digits that identify the key and reveal nothing of it
    (HMAC-SHA256 of a fixed label under a subkey of its own)."""
    check = hmac.new(master_key, b"facegate-key-check", hashlib.sha256).digest()
    return hmac.new(check, b"facegate key check value v1", hashlib.sha256).hexdigest()


def write_new_key_file(path: Path) -> bytes:
    """Create ``path`` (mode 0600, exclusively: never over an existing file) with a fresh key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(base64.b64encode(key).decode("ascii") + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    fsync_path(path.parent)
    return key


def fsync_path(path: Path) -> None:
    """fsync a file (its content) or a directory (a rename or a new file in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_key_file(path: Path) -> bytes:
    """The key in ``path``, refusing a file the group or others may read."""
    return _read_key_file(Path(path))


def load_or_create_master_key(path: Path) -> bytes:
    """Read the key file, or create it (mode 0600, exclusively) with a fresh random key.

    Refuses (``KeyFileInsecure``) a key file that the group or others may read or write.
    """
    path = Path(path)
    try:
        return _read_key_file(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    # Write a private temporary file completely, then link it into place: another process
    # never sees a half-written key, and an existing key is never overwritten.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(key).decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process created it first: use theirs
            return _read_key_file(path)
    finally:
        temporary.unlink(missing_ok=True)
    return key


def _read_key_file(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    with os.fdopen(fd, "r", encoding="ascii") as handle:
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileInsecure(
                f"key file {path} has mode {mode:04o}; it must be readable by its owner only "
                f"(chmod 600 {path})",
                details={"path": str(path), "mode": f"{mode:04o}"},
            )
        text = handle.read()
    return decode_master_key(text, f"key file {path}")


def master_key_from_env(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The key from ``FACEGATE_MASTER_KEY`` (base64 of 32 bytes), or None when unset."""
    env = os.environ if environ is None else environ
    text = env.get(ENV_VAR)
    if not text:
        return None
    return decode_master_key(text, ENV_VAR)
