"""Private files: the data directory is created 0700 and its files 0600 (dates of birth,
consents and the audit log are in plain columns); wider modes found at start are reported."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from facegate.messages.notice import Notice

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by its owner only; an existing directory
    is left as it is (``wider_than_private`` reports it)."""
    path = Path(path)
    if path.is_dir():
        return
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create an empty ``path`` with mode 0600 unless it exists (SQLite then keeps the mode and
    gives its -wal and -shm files the same one)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def wider_than_private(paths: Iterable[Path]) -> list[Notice]:
    """One notice (``gate.mode_too_wide``) per existing path that the group or others may
    use."""
    found = []
    for path in paths:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            want = DIR_MODE if Path(path).is_dir() else FILE_MODE
            found.append(
                Notice(
                    "gate.mode_too_wide",
                    {"path": str(path), "mode": f"{mode:04o}", "want": f"{want:o}"},
                )
            )
    return found
