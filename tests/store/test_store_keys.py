"""The master key file and environment variable; credential secrets."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from facegate.errors import FacegateError
from facegate.store import (
    KeyFileInsecure,
    MasterKeyInvalid,
    hash_secret,
    load_or_create_master_key,
    lookup_digest,
    master_key_from_env,
    verify_secret,
)


def test_key_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.key"
    key = load_or_create_master_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.b64decode(path.read_text()) == key
    assert load_or_create_master_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]  # no temporary left


def test_key_file_mode_ignores_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "master.key"
        load_or_create_master_key(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_readable_key_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "master.key"
    load_or_create_master_key(path)
    path.chmod(mode)
    with pytest.raises(KeyFileInsecure) as caught:
        load_or_create_master_key(path)
    assert isinstance(caught.value, FacegateError)
    assert caught.value.code == "key_file_insecure"
    assert "chmod 600" in caught.value.message


def test_corrupt_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, base64.b64encode(b"short"))
    os.close(fd)
    with pytest.raises(MasterKeyInvalid):
        load_or_create_master_key(path)


def test_master_key_from_env() -> None:
    key = os.urandom(32)
    assert master_key_from_env({"FACEGATE_MASTER_KEY": base64.b64encode(key).decode()}) == key
    assert master_key_from_env({}) is None
    with pytest.raises(MasterKeyInvalid):
        master_key_from_env({"FACEGATE_MASTER_KEY": base64.b64encode(b"x" * 16).decode()})
    with pytest.raises(MasterKeyInvalid):
        master_key_from_env({"FACEGATE_MASTER_KEY": "not base64!"})


def test_master_key_from_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    key = os.urandom(32)
    monkeypatch.setenv("FACEGATE_MASTER_KEY", base64.b64encode(key).decode())
    assert master_key_from_env() == key
    monkeypatch.delenv("FACEGATE_MASTER_KEY")
    assert master_key_from_env() is None


def test_secret_hash_round_trip() -> None:
    hashed = hash_secret("123456")
    assert hashed.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in hashed
    assert "123456" not in hashed
    assert verify_secret(hashed, "123456")
    assert not verify_secret(hashed, "123457")
    assert not verify_secret("", "123456")
    assert not verify_secret("garbage", "123456")
    assert hash_secret("123456") != hashed  # salted


def test_lookup_digest_is_keyed_and_deterministic() -> None:
    key, other = os.urandom(32), os.urandom(32)
    digest = lookup_digest(key, "card-0001")
    assert digest == lookup_digest(key, "card-0001")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest != lookup_digest(key, "card-0002")
    assert digest != lookup_digest(other, "card-0001")
