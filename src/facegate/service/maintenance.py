"""Operator maintenance of a data directory: backup, restore, and rotating the master key.

Key hierarchy (what ``rotate_master`` changes)::

    master key (file, 0600, or FACEGATE_MASTER_KEY)     fingerprint stored in key_check
      |-- HKDF "facegate-data-key-wrap" -> KEK --wraps--> one data key per (subject, deployment)
      |                                                      '--seals--> that subject's templates
      |-- HKDF "facegate-identity" -> identity key --seals--> identity records (names, ...)
      |-- wraps the key ring: the credential lookup key (stable across rotations)
      '-- HMAC -> web signing keys (kiosk cookies: a rotation signs the kiosks out)

Rotation re-wraps every data key (and re-seals identity records and the key ring) under a new
master key, one batch per transaction, without decrypting a template. It is resumable: the new
key is written first to ``master.key.next``, the database records its fingerprint
(``key_check.next_fingerprint``), each re-wrapped row records the key it is wrapped under, and
a run after a crash continues where it stopped. At the end the database switches its check
value in one transaction, the old key file is kept as ``master.key.old-<fingerprint>`` and the
new one takes its place.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, func, make_url, or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from facegate.config import CONFIG_FILE, Settings
from facegate.errors import FacegateError
from facegate.messages.notice import Notice
from facegate.private_files import private_file
from facegate.service.gate import Gate, next_key_file
from facegate.store import AuditLog, Database, keyring
from facegate.store import backup as backups
from facegate.store import models as m
from facegate.store.durability_models import KeyCheck
from facegate.store.errors import MasterKeyMismatch
from facegate.store.journal import DeletionJournal
from facegate.store.keys import (
    fingerprint,
    fsync_path,
    master_key_from_env,
    read_key_file,
    write_new_key_file,
)
from facegate.store.lockfile import DataDirLock
from facegate.store.types import utc_now
from facegate.store.vault import Vault

Progress = Callable[[int, int], None]
Row = TypeVar("Row", m.DataKey, m.Identity)
BATCH = 500


class MaintenanceRefused(FacegateError):
    code = "maintenance_refused"


def _postgres_url(settings: Settings) -> str | None:
    """The configured PostgreSQL URL, or None for SQLite in the data directory."""
    url = settings.database_url
    if url and not url.startswith("sqlite"):
        if not url.startswith("postgresql"):
            raise MaintenanceRefused(
                "backup and restore know SQLite and PostgreSQL; back this database up with "
                "its own tools (the deletion journal is replayed when facegate next opens it)"
            )
        return url
    return None


def _sqlite_file(settings: Settings) -> Path:
    """The SQLite file: the data directory's, or the one ``database_url`` names."""
    database = make_url(settings.resolved_database_url).database
    if not database or database == ":memory:":
        raise MaintenanceRefused("an in-memory SQLite database has nothing to back up")
    return Path(database)


class DatabaseUnreachable(FacegateError):
    code = "database_unreachable"


def _configured_database(settings: Settings) -> Database:
    if not settings.database_url and not settings.data_dir.is_dir():
        raise MaintenanceRefused(
            f"no data directory {settings.data_dir}: run `facegate init`, or set database_url"
        )
    return Database(settings.resolved_database_url)


def schema_status(settings: Settings) -> dict[str, object]:
    """Where the configured database's schema is: its revision and the migrations' head."""
    db = _configured_database(settings)
    try:
        current, heads = db.revisions()
    except OperationalError as exc:
        raise DatabaseUnreachable(
            f"cannot reach the database {db.url.render_as_string(hide_password=True)}: "
            f"{str(exc.orig).strip() or exc}"
        ) from exc
    finally:
        db.dispose()
    return {
        "database": db.url.render_as_string(hide_password=True),
        "backend": db.url.get_backend_name(),
        "revision": list(current),
        "head": list(heads),
        "up_to_date": current == heads,
    }


def migrate(settings: Settings) -> dict[str, object]:
    """Run the migrations up to head on the configured database, in one transaction (what
    opening facegate does too; for a database owner to run before a service that may not
    change the schema). Needs no master key: migrations change the schema, never a sealed
    value."""
    before = schema_status(settings)
    db = _configured_database(settings)
    try:
        db.upgrade()
    finally:
        db.dispose()
    after = schema_status(settings)
    return {**after, "was": before["revision"]}


def backup(
    settings: Settings, target: Path, *, on_progress: Progress | None = None
) -> dict[str, object]:
    """A consistent online copy of the database in ``target``, with its manifest: SQLite's
    online backup, or ``pg_dump`` of one snapshot on PostgreSQL."""
    url = _postgres_url(settings)
    if url is not None:
        manifest = backups.backup_postgres(url, Path(target), on_progress=on_progress)
    else:
        db_file = _sqlite_file(settings)
        if not db_file.is_file():
            raise MaintenanceRefused(f"no database at {db_file}: nothing to back up")
        manifest = backups.backup(db_file, Path(target), on_progress=on_progress)
    config = settings.data_dir / CONFIG_FILE
    if config.is_file():  # the settings belong with the data (no secrets in them)
        private_file(Path(target) / CONFIG_FILE)
        shutil.copyfile(config, Path(target) / CONFIG_FILE)
    return {
        "backup": str(target),
        **manifest.to_dict(),
        "not_included": [
            str(settings.resolved_key_file),
            str(settings.resolved_journal_file),
        ],
    }


def restore(
    settings: Settings, source: Path, *, grants: bool = False
) -> tuple[dict[str, object], list[Notice]]:
    """Put a backup back, then open it once so that the deletion journal is replayed. Returns
    what was restored and what the operator must be told (catalogue notices: the interface
    renders them in its reader's language).

    On PostgreSQL the dump's GRANTs are left out unless ``grants`` (their roles may not exist
    on this server, and a missing one would roll the restore back); ``grants_left_out`` names
    the roles they were made to, for the operator to grant again as this server needs.

    The backup must carry the deletion journal the database it replaces was created with
    (``key_check.journal_id``, the first host's); with several hosts on one PostgreSQL
    database, each host re-applies its own journal when it next opens the database."""
    url = _postgres_url(settings)
    lock = DataDirLock(settings.data_dir).acquire(exclusive=True, what="restore")
    try:
        gate = Gate.open(settings, held_lock=lock)  # the current key and journal, checked
        key_fp = gate.ctx.vault.fingerprint
        with gate.ctx.db.transaction(readonly=True) as session:
            check = session.get(KeyCheck, 1)
            journal_id = check.journal_id if check is not None else ""
        gate.close()
        manifest = backups.verify(
            Path(source),
            fingerprint=key_fp,
            journal_id=journal_id,
            backend="sqlite" if url is None else "postgresql",
        )
        left_out: list[str] = []
        if url is None:
            kept = backups.put_back(Path(source), manifest, _sqlite_file(settings))
        else:
            kept, left_out = backups.put_back_postgres(
                Path(source), manifest, url, settings.data_dir, grants=grants
            )
        reopened = Gate.open(settings, held_lock=lock)  # replays before anyone else opens it
        notices = list(reopened.notices)
        ok = reopened.verify_audit().ok
        reopened.close()
    finally:
        lock.release()
    return (
        {
            "restored": str(source),
            "created_at": manifest.created_at,
            "journal_seq": manifest.journal_seq,
            "replaced_database_kept_as": str(kept),
            "audit_chain_ok": ok,
            "grants_left_out": left_out,
        },
        notices,
    )


@dataclass(frozen=True)
class RotationReport:
    data_keys: int
    identities: int
    old_fingerprint: str
    new_fingerprint: str
    old_key_file: str

    def to_dict(self) -> dict[str, object]:
        return {
            "data_keys_rewrapped": self.data_keys,
            "identities_resealed": self.identities,
            "old_fingerprint": self.old_fingerprint[:16],
            "new_fingerprint": self.new_fingerprint[:16],
            "old_key_file": self.old_key_file,
        }


def rotate_master(settings: Settings, *, on_progress: Progress | None = None) -> RotationReport:
    """Re-wrap every data key under a new master key (resumable; see the module's text)."""
    if master_key_from_env() is not None:
        raise MaintenanceRefused(
            "the master key comes from FACEGATE_MASTER_KEY: rotate-master works on a key file; "
            "unset the variable and point key_file at a file holding the key"
        )
    key_path = settings.resolved_key_file
    nxt = next_key_file(settings)
    lock = DataDirLock(settings.data_dir).acquire(exclusive=True, what="rotate-master")
    db = Database(settings.resolved_database_url)
    try:
        old = read_key_file(key_path)
        stored = keyring.inspect_before_upgrade(db.engine)
        if stored.fingerprint is None:
            raise MaintenanceRefused("open the data directory with facegate once first")
        if nxt.exists():
            new = read_key_file(nxt)
            if stored.fingerprint == fingerprint(new):  # only the file swap was left to do
                return _swap_files(key_path, nxt, old, new, 0, 0)
            if stored.next_fingerprint not in (None, fingerprint(new)):
                raise MaintenanceRefused(
                    f"{nxt} is not the key the interrupted rotation started with"
                )
        else:
            new = write_new_key_file(nxt)
        if stored.fingerprint != fingerprint(old):
            raise keyring.mismatch(stored.fingerprint, fingerprint(old))
        db.upgrade()
        vault = Vault(
            new, other_keys=[old], journal=DeletionJournal(settings.resolved_journal_file)
        )
        new_fp = vault.fingerprint
        with db.transaction() as session:
            check = session.get(KeyCheck, 1)
            assert check is not None
            check.next_fingerprint = new_fp
        total = _count_pending(db, new_fp)
        progress = _Progress(total, on_progress)
        keys_query = select(m.DataKey).where(
            m.DataKey.wrapped_key.is_not(None), _not_under(m.DataKey, new_fp)
        )
        data_keys = _in_batches(
            db, keys_query, lambda _s, row: vault.rewrap_data_key(row), progress
        )
        people_query = select(m.Identity).where(_not_under(m.Identity, new_fp))
        identities = _in_batches(db, people_query, vault.rewrap_identity, progress)
        with db.transaction() as session:
            if _count_pending(db, new_fp, session):
                raise MaintenanceRefused("rows were added under the old key; run it again")
            keyring.rewrap_ring(session, vault)
            check = session.get(KeyCheck, 1)
            assert check is not None
            check.fingerprint, check.next_fingerprint = new_fp, None
            check.rotated_at = utc_now()
            AuditLog().append(
                session,
                actor="cli",
                action="key.rotate_master",
                objects={
                    "from": fingerprint(old)[:16],
                    "to": new_fp[:16],
                    "data_keys": str(data_keys),
                    "identities": str(identities),
                },
                decision="info",
            )
        return _swap_files(key_path, nxt, old, new, data_keys, identities)
    finally:
        db.dispose()
        lock.release()


class _Progress:
    def __init__(self, total: int, report: Progress | None) -> None:
        self.done, self.total, self.report = 0, total, report
        self.add(0)

    def add(self, count: int) -> None:
        self.done += count
        if self.report is not None:
            self.report(self.done, self.total)


def _in_batches(
    db: Database,
    query: Select[Row],
    rewrap: Callable[[Session, Row], None],
    progress: _Progress,
) -> int:
    """Re-wrap what ``query`` selects (rows not yet under the new key), one batch per
    transaction, until none is left; how many."""
    count = 0
    while True:
        with db.transaction() as session:
            rows = list(session.scalars(query.limit(BATCH)))
            for row in rows:
                rewrap(session, row)
        if not rows:
            return count
        count += len(rows)
        progress.add(len(rows))


def _not_under(model: type[m.DataKey] | type[m.Identity], fp: str) -> ColumnElement[bool]:
    return or_(model.kek.is_(None), model.kek != fp)


def _count_pending(db: Database, fp: str, session: Session | None = None) -> int:
    def count(s: Session) -> int:
        keys = s.scalar(
            select(func.count())
            .select_from(m.DataKey)
            .where(m.DataKey.wrapped_key.is_not(None), _not_under(m.DataKey, fp))
        )
        people = s.scalar(
            select(func.count()).select_from(m.Identity).where(_not_under(m.Identity, fp))
        )
        return int(keys or 0) + int(people or 0)

    if session is not None:
        return count(session)
    with db.transaction(readonly=True) as fresh:
        return count(fresh)


def _swap_files(
    key_path: Path, nxt: Path, old: bytes, new: bytes, data_keys: int, identities: int
) -> RotationReport:
    """Keep the old key file under a new name, put the new key in its place."""
    kept = key_path.with_name(f"{key_path.name}.old-{fingerprint(old)[:16]}")
    if not kept.exists():
        os.link(key_path, kept)
    os.replace(nxt, key_path)
    fsync_path(key_path.parent)
    if read_key_file(key_path) != new:
        raise MasterKeyMismatch(f"{key_path} does not hold the new key after the swap")
    return RotationReport(data_keys, identities, fingerprint(old), fingerprint(new), str(kept))
