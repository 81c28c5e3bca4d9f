"""The device's key, kept by its edge node in ``<data dir>/device.key`` (mode 0600), so that a
restart needs no ``--device-key``. Only the key's hash is kept in the databases."""

from __future__ import annotations

import os
from pathlib import Path

KEY_FILE = "device.key"


def read_device_key(data_dir: Path) -> str | None:
    path = data_dir / KEY_FILE
    if not path.is_file():
        return None
    token = path.read_text(encoding="ascii").strip()
    return token or None


def write_device_key(data_dir: Path, token: str) -> Path:
    """Write the key (replacing any other), readable by its owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(token.strip() + "\n")
    path.chmod(0o600)
    return path
