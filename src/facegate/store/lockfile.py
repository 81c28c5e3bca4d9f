"""Who is using a data directory: every open Gate holds a shared ``flock`` on
``<data dir>/.facegate.lock``; a restore or a master key rotation takes it exclusively, and so
refuses to run under a serving process (and a Gate refuses to open during one)."""

from __future__ import annotations

import fcntl
import gc
import os
from pathlib import Path

from facegate.store.errors import StoreError

LOCK_FILE = ".facegate.lock"


class DataDirBusy(StoreError):
    code = "data_dir_busy"


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, *, exclusive: bool, what: str) -> DataDirLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        try:
            try:
                fcntl.flock(fd, mode)
            except BlockingIOError:
                # Gates this process dropped without closing still hold their shared lock
                # until they are collected.
                gc.collect()
                fcntl.flock(fd, mode)
        except BlockingIOError:
            os.close(fd)
            raise DataDirBusy(
                f"{what}: {self.path.parent} is in use"
                + (
                    " by another facegate process (stop `facegate serve` and try again)"
                    if exclusive
                    else " by a restore or a master key rotation; wait for it to finish"
                )
            ) from None
        self._fd = fd
        return self

    def __del__(self) -> None:
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
