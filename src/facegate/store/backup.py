"""Consistent online copies of the database, and putting one back: SQLite here, PostgreSQL with
its own client tools (``store/backup_postgres.py``), one manifest for both.

``backup`` copies with SQLite's online backup API (a consistent snapshot while the service
runs), checks the copy's integrity and writes a manifest: the copy's SHA-256, the master key
fingerprint it is sealed under and the deletion journal position it holds. The master key and
the deletion journal are *not* in a backup: they are kept (and backed up) apart, and a restore
never replaces them, so that every deletion made after the backup is applied again when the
restored database is opened (``facegate.service.durability``).

``restore`` refuses a copy that fails its checksum or integrity check, is sealed under another
master key or belongs to another deletion journal; it keeps the database it replaces as
``facegate.db.pre-restore`` (mode 0600) until the operator removes it. On PostgreSQL,
``backup_postgres`` writes a ``pg_dump`` archive (``facegate.dump``) of one snapshot and
``put_back_postgres`` keeps the replaced database as a dump in the data directory
(``facegate.pre-restore.dump``) and restores in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from facegate.private_files import private_directory
from facegate.store import backup_postgres as pg
from facegate.store.errors import StoreError
from facegate.store.keys import fsync_path
from facegate.store.types import utc_now

MANIFEST = "manifest.json"
DB_NAME = "facegate.db"
PAGES_PER_STEP = 256


class BackupError(StoreError):
    code = "backup_invalid"


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database: str
    sha256: str
    bytes: int
    fingerprint: str
    journal_id: str
    journal_seq: int
    audit_events: int
    backend: str = "sqlite"  # or "postgresql" (a pg_dump archive); older manifests: SQLite

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe(path: Path) -> tuple[str, str, int, int]:
    """(fingerprint, journal id, journal seq, audit events) of a database copy, after
    ``PRAGMA integrity_check``."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()
        if not verdict or verdict[0] != "ok":
            raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")
        row = connection.execute(
            "SELECT fingerprint, journal_id, journal_seq FROM key_check WHERE id = 1"
        ).fetchone()
        events = connection.execute("SELECT count(*) FROM audit_events").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a facegate database: {exc}") from exc
    finally:
        connection.close()
    if row is None:
        raise BackupError(f"{path} has no key check value; open it with facegate once first")
    return str(row[0]), str(row[1]), int(row[2]), int(events[0])


def _new_partial(target: Path, name: str) -> Path:
    """An empty ``name``.partial (0600) in the new, private directory ``target``."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} exists and is not empty; name a new directory")
    private_directory(target)
    partial = target / (name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    return partial


def _write_manifest(
    target: Path, final: Path, described: tuple[str, str, int, int], backend: str
) -> Manifest:
    """The manifest of the copy ``final``: its checksum and what ``described`` read in it
    (fingerprint, journal id, journal seq, audit events)."""
    fingerprint, journal_id, journal_seq, events = described
    manifest = Manifest(
        created_at=utc_now().isoformat(),
        database=final.name,
        sha256=_sha256(final),
        bytes=final.stat().st_size,
        fingerprint=fingerprint,
        journal_id=journal_id,
        journal_seq=journal_seq,
        audit_events=events,
        backend=backend,
    )
    manifest_file = target / MANIFEST
    fd = os.open(manifest_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(manifest.to_dict(), handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    fsync_path(target)
    return manifest


def backup(
    db_file: Path, target: Path, *, on_progress: Callable[[int, int], None] | None = None
) -> Manifest:
    """Copy the live database into the new directory ``target`` (0700, files 0600)."""
    partial = _new_partial(target, DB_NAME)
    source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:

        def progress(_status: int, remaining: int, total: int) -> None:
            if on_progress is not None:
                on_progress(total - remaining, total)

        source.backup(copy, pages=PAGES_PER_STEP, progress=progress)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()
    fsync_path(partial)
    final = target / DB_NAME
    os.replace(partial, final)
    return _write_manifest(target, final, _describe(final), "sqlite")


def backup_postgres(
    url: str, target: Path, *, on_progress: Callable[[int, int], None] | None = None
) -> Manifest:
    """``pg_dump`` the live PostgreSQL database at ``url`` into the new directory ``target``
    (0700, files 0600), from one snapshot; the dump is read back before it counts."""
    partial = _new_partial(target, pg.DUMP_NAME)
    try:
        fingerprint, journal_id, journal_seq, events = pg.dump(
            url, partial, on_progress=on_progress
        )
        fsync_path(partial)
        final = target / pg.DUMP_NAME
        os.replace(partial, final)
        if pg.describe(final) != (fingerprint, journal_id, journal_seq):
            raise BackupError(f"{final} does not hold the key check value it was dumped with")
    except pg.PostgresToolError as exc:
        raise BackupError(str(exc)) from exc
    described = (fingerprint, journal_id, journal_seq, events)
    return _write_manifest(target, final, described, "postgresql")


def read_manifest(source: Path) -> Manifest:
    try:
        values = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        return Manifest(**values)
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{source} holds no readable facegate backup manifest") from exc


def verify(source: Path, *, fingerprint: str, journal_id: str, backend: str = "sqlite") -> Manifest:
    """Check a backup before it is restored: its database, checksum, integrity, key and
    journal."""
    manifest = read_manifest(source)
    if manifest.backend != backend:
        raise BackupError(
            f"the backup is of a {manifest.backend} database and facegate is configured for "
            f"{backend}: restore it into a {manifest.backend} database"
        )
    copy = source / manifest.database
    if Path(manifest.database).name != manifest.database:
        raise BackupError(f"{source}'s manifest names a file outside the backup")
    if not copy.is_file() or _sha256(copy) != manifest.sha256:
        raise BackupError(f"{copy} does not match its manifest's checksum")
    if backend == "postgresql":
        try:
            stored_fp, stored_journal, _ = pg.describe(copy)
        except pg.PostgresToolError as exc:
            raise BackupError(str(exc)) from exc
    else:
        stored_fp, stored_journal, _, _ = _describe(copy)
    if stored_fp != fingerprint:
        raise BackupError(
            f"the backup is sealed under another master key (fingerprint {stored_fp[:16]}, the "
            f"current key is {fingerprint[:16]}); restore it only with its own key"
        )
    if journal_id and stored_journal and stored_journal != journal_id:
        raise BackupError(
            "the backup belongs to another deletion journal than the database it replaces; "
            "restoring it would skip the deletions recorded in this database's journals"
        )
    return manifest


def put_back_postgres(
    source: Path, manifest: Manifest, url: str, data_dir: Path, *, grants: bool = False
) -> tuple[Path, list[str]]:
    """Replace the PostgreSQL database's content with the backup's, in one transaction; the
    database it replaces is kept as a dump in ``data_dir`` (0600). Returns that dump and the
    roles whose GRANTs were left out (all the dump names, unless ``grants``)."""
    kept = data_dir / "facegate.pre-restore.dump"
    try:
        left_out = pg.put_back(url, source / manifest.database, kept, grants=grants)
    except pg.PostgresToolError as exc:
        raise BackupError(str(exc)) from exc
    fsync_path(data_dir)
    return kept, left_out


def put_back(source: Path, manifest: Manifest, db_file: Path) -> Path:
    """Replace ``db_file`` with the backup (atomically); the old file is kept beside it."""
    kept = db_file.with_name(db_file.name + ".pre-restore")
    if db_file.exists():
        connection = sqlite3.connect(db_file)
        try:  # fold the write-ahead log into the file before moving it
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
        kept.unlink(missing_ok=True)
        os.replace(db_file, kept)
    for suffix in ("-wal", "-shm"):
        db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)
    incoming = db_file.with_name(db_file.name + ".restoring")
    fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    shutil.copyfile(source / manifest.database, incoming)
    fsync_path(incoming)
    os.replace(incoming, db_file)
    fsync_path(db_file.parent)
    return kept
